package web

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/enroll"
)

// The JSON API (/api/v1) lets other systems (a CRM, a social services'
// register) do what the pages do, through the same services and with the
// same checks: a token acts as its user, with that user's roles.
//
// A request carries "Authorization: Bearer <token>" and never a cookie: the
// session cookie is not read here, so a page on another site cannot drive the
// API through a signed-in browser, and no CSRF token is needed. Bodies are
// one JSON value, strictly decoded. Every answer is JSON; a refusal is
// {"error": {"code", "message", "problems": {field: message}}}, in the
// language of Accept-Language as the pages do. openapi.json describes it all.

//go:embed openapi.json
var openAPIDocument []byte

const (
	apiPrefix = "/api/v1"
	// maxAPIBody is the largest body the API reads: an enrolment with long
	// notes fits many times over.
	maxAPIBody = 256 << 10
	// maxAPICases is how many cases a list holds at most, most pressing first.
	maxAPICases = 500
)

// apiRoute is one route of the API: who may call it, and what it does.
type apiRoute struct {
	method, path string // path below /api/v1
	// public routes need no token (the API's description only); others need
	// one whose user has one of roles (nil: any role).
	public bool
	roles  []wellcheck.Role
	handle func(w http.ResponseWriter, r *http.Request, u wellcheck.User) error
}

// apiRoutes are the API's routes; openapi.json describes exactly these (a
// test holds them together).
func (s *Server) apiRoutes() []apiRoute {
	staff := []wellcheck.Role{wellcheck.RoleCoordinator, wellcheck.RoleAdmin}
	return []apiRoute{
		{method: "GET", path: "/openapi.json", public: true, handle: s.apiDocument},
		{method: "POST", path: "/persons", roles: staff, handle: s.apiEnrol},
		{method: "GET", path: "/persons/{id}", roles: staff, handle: s.apiPerson},
		{method: "PUT", path: "/persons/{id}/plan", roles: staff, handle: s.apiPlan},
		{method: "POST", path: "/persons/{id}/pause", roles: staff, handle: s.apiPause},
		{method: "POST", path: "/persons/{id}/resume", roles: staff, handle: s.apiResume},
		{method: "GET", path: "/cases", handle: s.apiCases},
		{method: "GET", path: "/cases/{id}", handle: s.apiCase},
		{method: "POST", path: "/cases/{id}/follow-ups", handle: s.apiFollowUp},
	}
}

// api routes /api/v1/ on routes: each route behind its token and role
// check; another method on a known path is 405, an unknown path 404, both in
// JSON. The routes and the 404 are noted in routes; the 405s, which answer
// nothing else, are not.
func (s *Server) api(routes *routeTable) {
	mux := http.NewServeMux()
	allowed := map[string][]string{}
	for _, rt := range s.apiRoutes() {
		pattern := rt.method + " " + apiPrefix + rt.path
		mux.Handle(pattern, s.apiHandler(rt))
		routes.patterns = append(routes.patterns, pattern)
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	for path, methods := range allowed {
		if slices.Contains(methods, "GET") {
			methods = append(methods, "HEAD")
		}
		allow := strings.Join(methods, ", ")
		mux.HandleFunc(apiPrefix+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			s.apiFail(w, r, &refusal{status: http.StatusMethodNotAllowed, code: "method_not_allowed", key: "api_method", args: []any{allow}})
		})
	}
	mux.HandleFunc(apiPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		s.apiFail(w, r, &refusal{status: http.StatusNotFound, code: "not_found", key: "api_no_route"})
	})
	routes.handle(apiPrefix+"/", mux)
}

// apiHandler checks a request's token and role, then runs the route; what it
// returns as an error becomes the JSON refusal.
func (s *Server) apiHandler(rt apiRoute) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(wellcheck.WithVia(r.Context(), wellcheck.ViaAPI)) // for the audit log
		var u wellcheck.User
		if !rt.public {
			// Each token's bucket, on the real clock (a pace, not a rule),
			// before the database is asked about the token.
			if ok, retry := s.limitToken(bearerToken(r)); !ok {
				s.Logger.WarnContext(r.Context(), "api request refused", "why", "rate limit", "path", r.URL.Path)
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
				s.apiFail(w, r, &refusal{status: http.StatusTooManyRequests, code: "rate_limited", key: "api_rate_limited"})
				return
			}
			var err error
			if u, err = s.bearer(r); err != nil {
				s.apiFail(w, r, err)
				return
			}
			if rt.roles != nil && !slices.ContainsFunc(rt.roles, u.Has) {
				s.Logger.WarnContext(r.Context(), "api request refused", "why", "role", "path", r.URL.Path, "user_id", u.ID)
				s.apiFail(w, r, &refusal{status: http.StatusForbidden, code: wellcheck.EForbidden, key: "api_not_allowed"})
				return
			}
		}
		if err := rt.handle(w, r, u); err != nil {
			s.apiFail(w, r, err)
		}
	})
}

// bearer is the user a request's token acts as: the token must be live and
// its user enabled. The session cookie does not count.
func (s *Server) bearer(r *http.Request) (wellcheck.User, error) {
	token := bearerToken(r)
	if token == "" || len(token) > 200 {
		s.Logger.WarnContext(r.Context(), "api request refused", "why", "no bearer token", "path", r.URL.Path)
		return wellcheck.User{}, &refusal{status: http.StatusUnauthorized, code: "unauthorized", key: "api_unauthorized"}
	}
	id, u, err := s.Store.Queries().UseAPIToken(r.Context(), admin.HashSecret(token), s.now())
	if errors.Is(err, wellcheck.ErrNotFound) {
		s.Logger.WarnContext(r.Context(), "api request refused", "why", "unknown or revoked token, or disabled user", "path", r.URL.Path)
		return wellcheck.User{}, &refusal{status: http.StatusUnauthorized, code: "unauthorized", key: "api_unauthorized", invalidToken: true}
	}
	if err != nil {
		return wellcheck.User{}, err
	}
	s.Logger.DebugContext(r.Context(), "api request", "path", r.URL.Path, "token_id", id, "user_id", u.ID)
	return u, nil
}

// limitToken takes one request from token's bucket; a request without a
// token, which is refused without the database, has none.
func (s *Server) limitToken(token string) (ok bool, retry time.Duration) {
	if token == "" || len(token) > 200 {
		return true, 0
	}
	return s.tokens.take(string(admin.HashSecret(token)), s.APIRate, s.APIBurst, time.Now())
}

// bearerToken is the token a request's Authorization header carries; "" if
// none.
func bearerToken(r *http.Request) string {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// refusal is an answer the API or a page gives of itself rather than a
// service's error: its status, its code, and its message (a catalogue key,
// or the text of cause). A page answers it as text (fail), the API as JSON
// (apiFail).
type refusal struct {
	status       int
	code         string
	key          string
	args         []any
	cause        error
	invalidToken bool // a token was sent, but lets nobody in
}

func (e *refusal) Error() string {
	if e.cause != nil {
		return e.cause.Error()
	}
	return e.code
}

// renamed names an error's problems after the fields of the request's body,
// where the service names them otherwise ("plan.cron" is the plan route's
// "cron").
type renamed struct {
	error
	name func(field string) string
}

func (e *renamed) Unwrap() error { return e.error }

func rename(err error, name func(string) string) error {
	if err == nil {
		return nil
	}
	return &renamed{err, name}
}

// apiErrorBody is what a refusal says.
type apiErrorBody struct {
	Code     string            `json:"code"`
	Message  string            `json:"message"`
	Problems map[string]string `json:"problems"`
}

// apiFail answers err as JSON: a refusal as it says, a service's error with
// the status statusOf gives it and its problems by field; anything else is
// logged and the reader told only that it failed.
func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	lang := langOf(r)
	status := statusOf(err)
	body := apiErrorBody{Code: wellcheck.ErrorCode(err), Problems: map[string]string{}}
	var ref *refusal
	switch {
	case errors.As(err, &ref):
		status, body.Code = ref.status, ref.code
		if ref.cause != nil {
			body.Message, body.Problems = problemsOf(ref.cause, lang)
		} else {
			body.Message = text(lang, ref.key, ref.args...)
		}
		if status == http.StatusUnauthorized {
			challenge := `Bearer realm="wellcheck"`
			if ref.invalidToken {
				challenge += `, error="invalid_token"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
		}
	case status == http.StatusInternalServerError:
		s.Logger.ErrorContext(r.Context(), "api request failed", "path", r.URL.Path, "err", err)
		body.Message = text(lang, "internal")
	default:
		body.Message, body.Problems = problemsOf(err, lang)
	}
	var rn *renamed
	if errors.As(err, &rn) {
		problems := make(map[string]string, len(body.Problems))
		for field, message := range body.Problems {
			problems[rn.name(field)] = message
		}
		body.Problems = problems
	}
	writeJSON(w, status, map[string]apiErrorBody{"error": body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes a request's body into v: one JSON value, no unknown field,
// at most maxAPIBody bytes.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &refusal{status: http.StatusRequestEntityTooLarge, code: "too_large", key: "api_too_large", args: []any{maxAPIBody >> 10}}
	}
	if err != nil {
		return fmt.Errorf("read a request's body: %w", err)
	}
	return decodeBody(data, v)
}

// decodeBody decodes one JSON value strictly, as the CLI reads an enrolment;
// bad JSON is a 400 that says where.
func decodeBody(data []byte, v any) error {
	if err := enroll.DecodeJSON(data, v); err != nil {
		return &refusal{status: http.StatusBadRequest, code: "invalid_json", cause: err}
	}
	return nil
}

// apiPathID reads the id a path names; a malformed one names nothing.
func apiPathID(r *http.Request, notFound string) (int64, error) {
	id, ok := pathID(r)
	if !ok {
		return 0, &refusal{status: http.StatusNotFound, code: wellcheck.ENotFound, key: notFound}
	}
	return id, nil
}

// notFoundAs turns "not found" into a refusal saying what was not found.
func notFoundAs(err error, key string) error {
	if errors.Is(err, wellcheck.ErrNotFound) {
		return notFound(key)
	}
	return err
}

// apiDocument serves openapi.json, to anyone: it holds no data.
func (s *Server) apiDocument(w http.ResponseWriter, r *http.Request, _ wellcheck.User) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(openAPIDocument) // a client gone away is no failure of ours
	return nil
}

// rfc3339 writes an instant in UTC; the person's zone comes with it.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func rfc3339Ptr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := rfc3339(*t)
	return &s
}

// personJSON is a person's file as the API gives it: phones in E.164, times
// in UTC with the person's zone.
type personJSON struct {
	ID            int64         `json:"id"`
	FullName      string        `json:"full_name"`
	Phone         string        `json:"phone"`
	Language      string        `json:"language"`
	TimeZone      string        `json:"time_zone"`
	Address       string        `json:"address"`
	Postcode      string        `json:"postcode"`
	City          string        `json:"city"`
	RiskLevel     string        `json:"risk_level"`
	Notes         string        `json:"notes"`
	ReferentID    *int64        `json:"referent_id"`
	Status        string        `json:"status"`
	PausedUntil   *string       `json:"paused_until"`
	WithdrawnAt   *string       `json:"withdrawn_at"`
	CreatedAt     string        `json:"created_at"`
	Referral      referralJSON  `json:"referral"`
	Consent       *consentJSON  `json:"consent"`
	Contacts      []contactJSON `json:"emergency_contacts"`
	Plan          planJSON      `json:"plan"`
	OpenCaseID    *int64        `json:"open_case_id"`
	UpcomingCalls []callJSON    `json:"upcoming_calls"`
	RecentCalls   []callJSON    `json:"recent_calls"`
}

type referralJSON struct {
	Source        string `json:"source"`
	ReferrerName  string `json:"referrer_name"`
	ReferrerPhone string `json:"referrer_phone"`
	Concern       string `json:"concern"`
	ReferredAt    string `json:"referred_at"`
}

type consentJSON struct {
	GivenBy            string `json:"given_by"`
	RepresentativeName string `json:"representative_name"`
	GivenAt            string `json:"given_at"`
	Method             string `json:"method"`
}

type contactJSON struct {
	Position  int     `json:"position"`
	FullName  string  `json:"full_name"`
	Relation  string  `json:"relation"`
	Phone     string  `json:"phone"`
	Language  string  `json:"language"`
	ConsentAt *string `json:"consent_at"`
}

// planJSON is a plan; a window as enrolment reads it (HH:MM-HH:MM), and no
// retry policy (null) when the service's applies.
type planJSON struct {
	Cron         string `json:"cron"`
	Window       string `json:"window"`
	MaxAttempts  *int   `json:"max_attempts"`
	RetryMinutes []int  `json:"retry_minutes"`
}

type callJSON struct {
	At    string `json:"at"`
	State string `json:"state"`
}

// maxRecentCalls is how many past calls a person's file shows, as the page.
const maxRecentCalls = 20

// apiPersonFile reads person id's file for u, and writes the view to the
// audit log as the person page does.
func (s *Server) apiPersonFile(r *http.Request, u wellcheck.User, id int64) (personJSON, error) {
	q := s.Store.Queries()
	e, err := q.Enrolment(r.Context(), id)
	if err != nil {
		return personJSON{}, notFoundAs(err, "person_not_found")
	}
	checkIns, err := q.CheckInsForPerson(r.Context(), id)
	if err != nil {
		return personJSON{}, err
	}
	p := personJSONOf(e)
	for _, ci := range checkIns { // in slot order
		if !ci.State.Final() {
			p.UpcomingCalls = append(p.UpcomingCalls, callJSON{At: rfc3339(ci.SlotAt), State: string(ci.State)})
		}
	}
	for i := len(checkIns) - 1; i >= 0 && len(p.RecentCalls) < maxRecentCalls; i-- {
		if ci := checkIns[i]; ci.State.Final() {
			p.RecentCalls = append(p.RecentCalls, callJSON{At: rfc3339(ci.SlotAt), State: string(ci.State)})
		}
	}
	if c, _, err := q.OpenCase(r.Context(), id); err == nil {
		p.OpenCaseID = &c.ID
	} else if !errors.Is(err, wellcheck.ErrNotFound) {
		return p, err
	}
	err = q.Audit(r.Context(), wellcheck.UserActor(u.ID, wellcheck.ViaAPI), "person.view", &id, nil, nil)
	return p, err
}

// apiShowPerson answers with person id's file.
func (s *Server) apiShowPerson(w http.ResponseWriter, r *http.Request, u wellcheck.User, id int64) error {
	p, err := s.apiPersonFile(r, u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func personJSONOf(e wellcheck.Enrolment) personJSON {
	pe := e.Person
	p := personJSON{
		ID: pe.ID, FullName: pe.FullName, Phone: pe.Phone.E164(), Language: pe.Language, TimeZone: pe.TimeZone,
		Address: pe.Address, Postcode: pe.Postcode, City: pe.City, RiskLevel: string(pe.RiskLevel), Notes: e.Notes, ReferentID: pe.ReferentID,
		Status: string(pe.Status), PausedUntil: rfc3339Ptr(pe.PausedUntil), WithdrawnAt: rfc3339Ptr(pe.WithdrawnAt),
		CreatedAt: rfc3339(pe.CreatedAt),
		Referral: referralJSON{Source: string(e.Referral.Source), ReferrerName: e.Referral.ReferrerName,
			ReferrerPhone: e.Referral.ReferrerPhone.E164(), Concern: e.Referral.Concern, ReferredAt: rfc3339(e.Referral.ReferredAt)},
		Contacts:      []contactJSON{},
		Plan:          planJSON{Cron: e.Plan.Cron, Window: e.Plan.Window.Start.String() + "-" + e.Plan.Window.End.String()},
		UpcomingCalls: []callJSON{}, RecentCalls: []callJSON{},
	}
	if c := e.Consent; c != nil {
		p.Consent = &consentJSON{GivenBy: string(c.GivenBy), RepresentativeName: c.RepresentativeName, GivenAt: rfc3339(c.GivenAt), Method: string(c.Method)}
	}
	for _, c := range e.Contacts {
		p.Contacts = append(p.Contacts, contactJSON{Position: c.Position, FullName: c.FullName, Relation: c.Relation,
			Phone: c.Phone.E164(), Language: c.Language, ConsentAt: rfc3339Ptr(c.ConsentAt)})
	}
	if rp := e.Plan.Retry; rp != nil {
		p.Plan.MaxAttempts, p.Plan.RetryMinutes = &rp.MaxAttempts, rp.RetryMinutes
	}
	return p
}

// enrolled is the answer to an enrolment: the person's file, whether the
// referral's concern opened a case, and what was accepted with a warning.
type enrolled struct {
	personJSON
	CaseOpened bool              `json:"case_opened"`
	Warnings   map[string]string `json:"warnings"`
}

// apiEnrol enrols the person the body describes (the JSON of `wellcheck
// enroll --file`), as the enrolment page does.
func (s *Server) apiEnrol(w http.ResponseWriter, r *http.Request, u wellcheck.User) error {
	var req enroll.Request
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	res, err := s.Enrol.Enroll(r.Context(), req, u, "api")
	if err != nil {
		return rename(err, enrolmentFields)
	}
	p, err := s.apiPersonFile(r, u, res.PersonID)
	if err != nil {
		return err
	}
	v := enrolled{personJSON: p, CaseOpened: res.CaseOpened, Warnings: map[string]string{}}
	for _, warning := range res.Warnings {
		v.Warnings[enrolmentFields(warning.Field)] = warning.Message.Text(langOf(r))
	}
	w.Header().Set("Location", fmt.Sprintf("%s/persons/%d", apiPrefix, res.PersonID))
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// enrolmentFields names enrolment's problems after the body's fields:
// "contacts[2].phone" (the second of the body's emergency contacts) is the
// body's "emergency_contacts[1].phone", "contacts" is "emergency_contacts",
// and the referent is "referent_email".
func enrolmentFields(field string) string {
	switch field {
	case "person.referent":
		return "person.referent_email"
	case "contacts":
		return "emergency_contacts"
	}
	rest, ok := strings.CutPrefix(field, "contacts[")
	if !ok {
		return field
	}
	n, after, ok := strings.Cut(rest, "]")
	k, err := strconv.Atoi(n)
	if !ok || err != nil || k < 1 {
		return field
	}
	return fmt.Sprintf("emergency_contacts[%d]%s", k-1, after)
}

func (s *Server) apiPerson(w http.ResponseWriter, r *http.Request, u wellcheck.User) error {
	id, err := apiPathID(r, "person_not_found")
	if err != nil {
		return err
	}
	return s.apiShowPerson(w, r, u, id)
}

// planBody is a new plan: enrolment's, with the person's zone (empty: theirs).
type planBody struct {
	enroll.PlanInput
	TimeZone string `json:"time_zone"`
}

// apiPlan gives a person a new plan, checked as at enrolment, and re-plans
// them at once.
func (s *Server) apiPlan(w http.ResponseWriter, r *http.Request, u wellcheck.User) error {
	id, err := apiPathID(r, "person_not_found")
	if err != nil {
		return err
	}
	var body planBody
	if err := readJSON(w, r, &body); err != nil {
		return err
	}
	if _, _, err := s.Enrol.EditPlan(r.Context(), id, body.PlanInput, body.TimeZone, u, "api"); err != nil {
		return rename(notFoundAs(err, "person_not_found"), func(field string) string {
			return strings.TrimPrefix(strings.TrimPrefix(field, "plan."), "person.")
		})
	}
	return s.apiShowPerson(w, r, u, id)
}

// pauseBody is until when calls stop: a day (from its start) or a time, in
// the person's zone.
type pauseBody struct {
	Until string `json:"until"`
}

// apiPause stops a person's calls until a day.
func (s *Server) apiPause(w http.ResponseWriter, r *http.Request, u wellcheck.User) error {
	id, err := apiPathID(r, "person_not_found")
	if err != nil {
		return err
	}
	var body pauseBody
	if err := readJSON(w, r, &body); err != nil {
		return err
	}
	person, err := s.Store.Queries().PersonForCase(r.Context(), id)
	if err != nil {
		return notFoundAs(err, "person_not_found")
	}
	until, err := localTime(body.Until, personZone(person.TimeZone), time.DateOnly, "2006-01-02T15:04")
	if err != nil {
		return wellcheck.Problems{{Field: "until", Message: wellcheck.Message{Key: "date_invalid", Args: []any{body.Until}}}}.Err()
	}
	if err := s.Enrol.Pause(r.Context(), id, until, u, "api"); err != nil {
		return rename(notFoundAs(err, "person_not_found"), func(field string) string {
			if field == "person.paused_until" {
				return "until"
			}
			return field
		})
	}
	return s.apiShowPerson(w, r, u, id)
}

// apiResume ends a person's pause now.
func (s *Server) apiResume(w http.ResponseWriter, r *http.Request, u wellcheck.User) error {
	id, err := apiPathID(r, "person_not_found")
	if err != nil {
		return err
	}
	if err := s.Enrol.Resume(r.Context(), id, u, "api"); err != nil {
		return notFoundAs(err, "person_not_found")
	}
	return s.apiShowPerson(w, r, u, id)
}

// localTime reads value in one of layouts, in loc.
func localTime(value string, loc *time.Location, layouts ...string) (time.Time, error) {
	value = strings.TrimSpace(value)
	var err error
	for _, layout := range layouts {
		var t time.Time
		if t, err = time.ParseInLocation(layout, value, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// caseJSON is a case as the API gives it, with who it is about.
type caseJSON struct {
	ID            int64   `json:"id"`
	PersonID      int64   `json:"person_id"`
	PersonName    string  `json:"person_name"`
	Phone         string  `json:"phone"`
	TimeZone      string  `json:"time_zone"`
	State         string  `json:"state"`
	Priority      string  `json:"priority"`
	OpenedReason  string  `json:"opened_reason"`
	DueAt         string  `json:"due_at"`
	AssigneeID    *int64  `json:"assignee_id"`
	OpenedAt      string  `json:"opened_at"`
	ClosedAt      *string `json:"closed_at"`
	ClosureReason string  `json:"closure_reason"`
	PersonAgreed  *bool   `json:"person_agreed"`
}

func caseJSONOf(c wellcheck.Case, name string, phone wellcheck.Phone, zone string) caseJSON {
	return caseJSON{ID: c.ID, PersonID: c.PersonID, PersonName: name, Phone: phone.E164(), TimeZone: zone,
		State: string(c.State), Priority: string(c.Priority), OpenedReason: string(c.OpenedReason), DueAt: rfc3339(c.DueAt),
		AssigneeID: c.AssigneeID, OpenedAt: rfc3339(c.OpenedAt), ClosedAt: rfc3339Ptr(c.ClosedAt), ClosureReason: c.ClosureReason,
		PersonAgreed: c.PersonAgreed}
}

// apiCases lists the open cases the user may see, most pressing first: a
// listener their own and the shared pool's, coordinators and admins all.
func (s *Server) apiCases(w http.ResponseWriter, r *http.Request, u wellcheck.User) error {
	items, err := s.Store.Queries().OpenCasesFor(r.Context(), u, maxAPICases)
	if err != nil {
		return err
	}
	out := make([]caseJSON, len(items))
	for i, it := range items {
		out[i] = caseJSONOf(it.Case, it.FullName, it.Phone, it.TimeZone)
	}
	writeJSON(w, http.StatusOK, map[string][]caseJSON{"cases": out})
	return nil
}

// caseFileJSON is a case's file: the case, its follow-ups and notes.
type caseFileJSON struct {
	caseJSON
	FollowUps []followUpJSON `json:"follow_ups"`
	Notes     []noteJSON     `json:"notes"`
}

type followUpJSON struct {
	ID                      int64   `json:"id"`
	Reason                  string  `json:"reason"`
	Priority                string  `json:"priority"`
	State                   string  `json:"state"`
	DueAt                   string  `json:"due_at"`
	AssigneeID              *int64  `json:"assignee_id"`
	DoneAt                  *string `json:"done_at"`
	DoneBy                  string  `json:"done_by"`
	Reached                 *bool   `json:"reached"`
	EmergencyServicesCalled bool    `json:"emergency_services_called"`
	Partner                 string  `json:"partner"`
}

type noteJSON struct {
	ID         int64  `json:"id"`
	FollowUpID *int64 `json:"follow_up_id"`
	AuthorID   *int64 `json:"author_id"`
	Body       string `json:"body"`
	CreatedAt  string `json:"created_at"`
}

// apiCase answers with a case's file if the user may see it (another
// listener's is "not found").
func (s *Server) apiCase(w http.ResponseWriter, r *http.Request, u wellcheck.User) error {
	c, err := s.apiCaseOf(r, u)
	if err != nil {
		return err
	}
	return s.apiShowCase(w, r, u, c, http.StatusOK)
}

// apiShowCase answers with case c's file, and writes the view to the audit
// log as the case page does.
func (s *Server) apiShowCase(w http.ResponseWriter, r *http.Request, u wellcheck.User, c wellcheck.Case, status int) error {
	q := s.Store.Queries()
	e, err := q.Enrolment(r.Context(), c.PersonID)
	if err != nil {
		return err
	}
	followUps, err := q.CaseFollowUps(r.Context(), c.ID)
	if err != nil {
		return err
	}
	notes, err := q.CaseNotes(r.Context(), c.ID)
	if err != nil {
		return err
	}
	v := caseFileJSON{caseJSON: caseJSONOf(c, e.Person.FullName, e.Person.Phone, e.Person.TimeZone), FollowUps: []followUpJSON{}, Notes: []noteJSON{}}
	for _, f := range followUps {
		v.FollowUps = append(v.FollowUps, followUpJSON{ID: f.ID, Reason: string(f.Reason), Priority: string(f.Priority), State: f.State,
			DueAt: rfc3339(f.DueAt), AssigneeID: f.AssigneeID, DoneAt: rfc3339Ptr(f.DoneAt), DoneBy: f.DoneBy, Reached: f.Reached,
			EmergencyServicesCalled: f.EmergencyServicesCalled, Partner: f.PartnerName})
	}
	for _, n := range notes {
		v.Notes = append(v.Notes, noteJSON{ID: n.ID, FollowUpID: n.FollowUpID, AuthorID: n.AuthorID, Body: n.Body, CreatedAt: rfc3339(n.CreatedAt)})
	}
	if err := q.Audit(r.Context(), wellcheck.UserActor(u.ID, wellcheck.ViaAPI), "case.view", &c.PersonID, &c.ID, nil); err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

// apiCaseOf reads the case a path names if the user may see it: the store's
// query decides, and another's case is "not found", as one that does not
// exist.
func (s *Server) apiCaseOf(r *http.Request, u wellcheck.User) (wellcheck.Case, error) {
	id, err := apiPathID(r, "not_found")
	if err != nil {
		return wellcheck.Case{}, err
	}
	c, err := s.Store.Queries().CaseFor(r.Context(), id, u)
	return c, notFoundAs(err, "not_found")
}

// followUpBody is a follow-up as a listener records it: whether the person
// was reached (required), a note, the partner they were oriented to, whether
// emergency services were called, and either the next follow-up or the
// case's closure.
type followUpBody struct {
	Reached                 *bool      `json:"reached"`
	Note                    string     `json:"note"`
	PartnerID               *int64     `json:"partner_id"`
	EmergencyServicesCalled bool       `json:"emergency_services_called"`
	Next                    string     `json:"next"` // RFC 3339, or YYYY-MM-DDTHH:MM in the person's zone
	Close                   *closeBody `json:"close"`
}

type closeBody struct {
	Reason       string `json:"reason"`
	PersonAgreed bool   `json:"person_agreed"`
}

// record is the follow-up the case service records, the next one read in the
// person's zone loc when it carries no offset.
func (b followUpBody) record(loc *time.Location) (care.FollowUpRecord, error) {
	rec := care.FollowUpRecord{Note: b.Note, PartnerID: b.PartnerID, EmergencyServicesCalled: b.EmergencyServicesCalled}
	var ps wellcheck.Problems
	if b.Reached == nil {
		ps.Add("reached", "required")
	} else {
		rec.Reached = *b.Reached
	}
	if next := strings.TrimSpace(b.Next); next != "" {
		t, err := time.Parse(time.RFC3339, next)
		if err != nil {
			t, err = localTime(next, loc, "2006-01-02T15:04")
		}
		if err != nil {
			ps.Add("next", "date_invalid", next)
		} else {
			rec.Next = &t
		}
	}
	if b.Close != nil {
		rec.Close = &care.Closure{Reason: wellcheck.ClosureReason(b.Close.Reason), PersonAgreed: b.Close.PersonAgreed}
	}
	return rec, ps.Err()
}

// apiFollowUp records a follow-up on a case through the case service, which
// decides who may (a listener on their own cases and the pool's).
func (s *Server) apiFollowUp(w http.ResponseWriter, r *http.Request, u wellcheck.User) error {
	c, err := s.apiCaseOf(r, u)
	if err != nil {
		return err
	}
	var body followUpBody
	if err := readJSON(w, r, &body); err != nil {
		return err
	}
	person, err := s.Store.Queries().PersonForCase(r.Context(), c.PersonID)
	if err != nil {
		return err
	}
	partnerField := func(field string) string {
		if field == "partner" {
			return "partner_id"
		}
		return field
	}
	rec, err := body.record(personZone(person.TimeZone))
	if err != nil {
		return err
	}
	done, err := s.Cases.Record(r.Context(), u, c.ID, rec)
	if err != nil {
		return rename(err, partnerField)
	}
	w.Header().Set("Location", fmt.Sprintf("%s/cases/%d", apiPrefix, c.ID))
	return s.apiShowCase(w, r, u, done.Case, http.StatusCreated)
}
