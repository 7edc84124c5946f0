package web_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/switchboard"
	"github.com/wellcheck/wellcheck/web"
)

// The authorisation matrix: every route the server registers (pages and
// API, web.Server.ServedRoutes) × every role × every object the route can
// name, sent for real and its answer checked against one table,
// authorisation below. A route served with no row in it fails the test, as
// does a row whose route is no longer served: a new route cannot ship
// untested. docs/security.md's table by route is written from it
// (go test ./web -run TestAuthorisationMatrix -update-docs).

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/security.md's table of routes from the authorisation matrix")

// role is who sends a request.
type role int

const (
	anonymous     role = iota // no session, no token
	listener                  // Élise
	coordinator               // Claire
	administrator             // Adam
	// crossed is Adam's credential of the other kind: an API token on a
	// page, his session cookie (and its CSRF token) on the API. Neither
	// opens anything there.
	crossed
)

var roleNames = [...]string{"anonymous", "listener", "coordinator", "admin", "admin's other credential"}

// answer is what a request gets, by class.
type answer int

const (
	_ answer = iota
	// allow: served — 2xx, 3xx (a page's GET not sent to the sign-in form),
	// 422, the form's own checks, which only who may act reaches, or 426,
	// the phone's WebSocket asked without upgrading.
	allow
	// out: not signed in — a page's GET goes to the sign-in form, anything
	// else is 401.
	out
	// refuse: 403, the role may not.
	refuse
	// hidden: 404, as if it did not exist — another listener's case, a
	// closed case the listener never handled, another's upload — so that
	// a refusal does not tell it exists.
	hidden
	// conflict: 409, may see it but its state forbids the act: a closed
	// case is acted on by nobody.
	conflict
)

var answerNames = [...]string{"", "allow", "out", "refuse (403)", "hidden (404)", "conflict (409)"}

func (a answer) String() string { return answerNames[a] }

// want is the answer for each role, in the order of role.
type want [5]answer

// The usual rows.
var (
	public        = want{allow, allow, allow, allow, allow}
	signedIn      = want{out, allow, allow, allow, out}
	listenersOnly = want{out, allow, refuse, refuse, out}
	staff         = want{out, refuse, allow, allow, out}
	staffHidden   = want{out, refuse, hidden, hidden, out} // staff's route, on what is not there
	adminsOnly    = want{out, refuse, refuse, allow, out}
	// nobody finds it, whoever asks.
	nowhere = want{hidden, hidden, hidden, hidden, hidden}
)

// object is what a request's {id} names, made afresh for each role (so that
// one role's allowed change never alters another's answer).
type object string

const (
	noObject        object = ""
	ownCase         object = "own case"                       // Élise's
	poolCase        object = "pool case"                      // the shared pool's
	othersCase      object = "another listener's case"        // Louis's
	closedHandled   object = "closed case they handled"       // Élise's, closed by Claire
	closedFollowed  object = "closed case they followed"      // Élise recorded a call, Louis took it and closed it
	closedOthers    object = "another's closed case"          // Louis's, closed by him
	closedUnhandled object = "closed case nobody of them had" // the pool's, closed by Claire
	noCase          object = "no such case"
	person          object = "person"
	pausedPerson    object = "paused person"
	noPerson        object = "no such person"
	coordUpload     object = "coordinator's upload" // Claire's register waiting to be confirmed
	adminUpload     object = "admin's upload"       // Adam's
	partner         object = "partner"
	user            object = "user" // a listener's account
	closure         object = "closure"
	issue           object = "number issue"
	ownSession      object = "another of their sessions"
	othersSession   object = "someone else's session" // Louis's
	ownPasskey      object = "own passkey"
	othersPasskey   object = "someone else's passkey" // Louis's
)

// rule is a row of the matrix: a route as registered, the object its path
// names, and the answer for each role. path is the request's path when the
// pattern's is not enough (other wildcards, a query); {id} is the object's.
type rule struct {
	route  string
	path   string
	object object
	want   want
}

// authorisation is the matrix's expectations: who may, route by route and
// object by object.
var authorisation = []rule{
	// Public: assets, signing in, the language.
	{"GET /static/", "/static/app.css", noObject, public},
	{"GET /login", "", noObject, public},
	{"POST /login", "", noObject, public},
	{"GET /lang", "/lang?to=en&next=/list", noObject, public},
	// The second step of a sign-in answers only a pending sign-in (its
	// own cookie, which no role here holds: TestSecondStepOpensNoPage);
	// signed in, its page sends home.
	{"GET /login/second-factor", "", noObject, signedIn},
	{"POST /login/second-factor", "", noObject, want{out, out, out, out, out}},
	{"POST /login/second-factor/passkey/begin", "", noObject, want{out, out, out, out, out}},
	{"POST /login/second-factor/passkey/finish", "", noObject, want{out, out, out, out, out}},
	// Anyone signed in.
	{"POST /logout", "", noObject, signedIn},
	{"POST /logout/everywhere", "", noObject, signedIn},
	{"GET /{$}", "/", noObject, signedIn},
	{"GET /list", "", noObject, signedIn},
	{"GET /list/version", "", noObject, signedIn},
	{"GET /account", "", noObject, signedIn},
	// One's own sessions and second factor; another's session is not found.
	{"POST /account/sessions/{id}/end", "", ownSession, signedIn},
	{"POST /account/sessions/{id}/end", "", othersSession, want{out, hidden, hidden, hidden, out}},
	{"POST /account/second-factor", "", noObject, signedIn},
	{"POST /account/second-factor/confirm", "", noObject, signedIn},
	{"POST /account/second-factor/recovery-codes", "", noObject, signedIn},
	{"POST /account/second-factor/disable", "", noObject, signedIn},
	// One's own passkeys; another's is not found.
	{"POST /account/passkeys/begin", "", noObject, signedIn},
	{"POST /account/passkeys/finish", "", noObject, signedIn},
	{"POST /account/passkeys/{id}/delete", "", ownPasskey, signedIn},
	{"POST /account/passkeys/{id}/delete", "", othersPasskey, want{out, hidden, hidden, hidden, out}},
	{"POST /me/presence", "", noObject, listenersOnly},
	// The browser phone's WebSocket, for whoever works on cases: asked
	// without upgrading, it answers 426 once past the role check.
	{"GET /phone", "", noObject, signedIn},

	// Cases: a listener their own and the pool's; another's is hidden, as
	// is a closed case they never handled (their listener when it closed,
	// who closed it, who recorded a call on it). Staff see every case.
	{"GET /cases/{id}", "", ownCase, signedIn},
	{"GET /cases/{id}", "", poolCase, signedIn},
	{"GET /cases/{id}", "", othersCase, want{out, hidden, allow, allow, out}},
	{"GET /cases/{id}", "", closedHandled, signedIn},
	{"GET /cases/{id}", "", closedFollowed, signedIn},
	{"GET /cases/{id}", "", closedOthers, want{out, hidden, allow, allow, out}},
	{"GET /cases/{id}", "", closedUnhandled, want{out, hidden, allow, allow, out}},
	{"GET /cases/{id}", "", noCase, want{out, hidden, hidden, hidden, out}},
	// Only listeners take a case, from the pool (their own is already
	// theirs); a closed case is nobody's to take.
	{"POST /cases/{id}/claim", "", ownCase, want{out, allow, refuse, refuse, out}},
	{"POST /cases/{id}/claim", "", poolCase, want{out, allow, refuse, refuse, out}},
	{"POST /cases/{id}/claim", "", othersCase, want{out, hidden, refuse, refuse, out}},
	{"POST /cases/{id}/claim", "", closedHandled, want{out, conflict, refuse, refuse, out}},
	{"POST /cases/{id}/claim", "", closedUnhandled, want{out, hidden, refuse, refuse, out}},
	{"POST /cases/{id}/claim", "", noCase, want{out, hidden, hidden, hidden, out}},
	// A call recorded (here: reached, and the case closed).
	{"POST /cases/{id}/follow-up", "", ownCase, signedIn},
	{"POST /cases/{id}/follow-up", "", poolCase, signedIn},
	{"POST /cases/{id}/follow-up", "", othersCase, want{out, hidden, allow, allow, out}},
	{"POST /cases/{id}/follow-up", "", closedHandled, want{out, conflict, conflict, conflict, out}},
	{"POST /cases/{id}/follow-up", "", closedUnhandled, want{out, hidden, conflict, conflict, out}},
	{"POST /cases/{id}/follow-up", "", noCase, want{out, hidden, hidden, hidden, out}},
	// Handed on to Louis: a listener hands on only their own.
	{"POST /cases/{id}/reassign", "", ownCase, signedIn},
	{"POST /cases/{id}/reassign", "", poolCase, want{out, refuse, allow, allow, out}},
	{"POST /cases/{id}/reassign", "", othersCase, want{out, hidden, allow, allow, out}},
	{"POST /cases/{id}/reassign", "", closedHandled, want{out, conflict, conflict, conflict, out}},
	{"POST /cases/{id}/reassign", "", closedFollowed, want{out, refuse, conflict, conflict, out}},
	{"POST /cases/{id}/reassign", "", closedUnhandled, want{out, hidden, conflict, conflict, out}},
	{"POST /cases/{id}/reassign", "", noCase, want{out, hidden, hidden, hidden, out}},

	// Coordinators' and admins' pages.
	{"GET /persons/new", "", noObject, staff},
	{"POST /persons", "", noObject, staff},
	{"GET /plan/preview", "/plan/preview?plan.days=MON&plan.time=10:00", noObject, staff},
	{"GET /persons", "/persons?q=martin", noObject, staff},
	{"GET /persons/{id}", "", person, staff},
	{"GET /persons/{id}", "", noPerson, staffHidden},
	{"POST /persons/{id}/{action}", "/persons/{id}/details", person, staff},
	{"POST /persons/{id}/{action}", "/persons/{id}/plan", person, staff},
	{"POST /persons/{id}/{action}", "/persons/{id}/pause", person, staff},
	{"POST /persons/{id}/{action}", "/persons/{id}/resume", pausedPerson, staff},
	{"POST /persons/{id}/{action}", "/persons/{id}/withdraw", person, staff},
	{"POST /persons/{id}/{action}", "/persons/{id}/erase", person, staff},
	{"POST /persons/{id}/{action}", "/persons/{id}/erase", noPerson, staffHidden},
	{"GET /persons/import", "", noObject, staff},
	{"POST /persons/import", "", noObject, staff},
	// A register waiting for confirmation is its uploader's alone.
	{"POST /persons/import/{id}", "", coordUpload, want{out, refuse, allow, hidden, out}},
	{"POST /persons/import/{id}", "", adminUpload, want{out, refuse, hidden, allow, out}},
	{"GET /persons/import/{format}", "/persons/import/model.csv", noObject, staff},
	{"GET /partners", "", noObject, staff},
	{"POST /partners", "", noObject, staff},
	{"GET /partners/{id}", "", partner, staff},
	{"POST /partners/{id}", "", partner, staff},
	{"GET /queue", "", noObject, staff},
	{"POST /queue/issues/{id}/resolve", "", issue, staff},
	{"GET /listeners", "", noObject, staff},
	{"GET /listeners/{id}", "", user, staff},
	{"POST /listeners/{id}", "", user, staff},
	{"GET /dashboard", "", noObject, staff},
	{"GET /dashboard/export", "/dashboard/export?export.what=cases&export.from=2026-11-01&export.to=2026-11-30", noObject, staff},

	// Admins' pages.
	{"GET /admin/settings", "", noObject, adminsOnly},
	{"POST /admin/settings/hours", "", noObject, adminsOnly},
	{"POST /admin/settings/service", "", noObject, adminsOnly},
	{"POST /admin/settings/second-factor", "", noObject, adminsOnly},
	{"POST /admin/closures", "", noObject, adminsOnly},
	{"POST /admin/closures/{id}/delete", "", closure, adminsOnly},
	{"GET /admin/test-calls", "", noObject, adminsOnly},
	{"POST /admin/test-calls", "", noObject, adminsOnly},
	{"GET /admin/audit", "", noObject, adminsOnly},
	{"/admin/river/", "/admin/river/", noObject, adminsOnly},
	{"GET /admin/users", "", noObject, adminsOnly},
	{"POST /admin/users", "", noObject, adminsOnly},
	{"GET /admin/users/{id}", "", user, adminsOnly},
	{"POST /admin/users/{id}", "", user, adminsOnly},
	{"POST /admin/users/{id}/password", "", user, adminsOnly},
	{"POST /admin/users/{id}/second-factor/reset", "", user, adminsOnly},

	// The JSON API: a token, never the session cookie; cases as on the
	// pages, persons for staff.
	{"GET /api/v1/openapi.json", "", noObject, public},
	{"POST /api/v1/persons", "", noObject, staff},
	{"GET /api/v1/persons/{id}", "", person, staff},
	{"GET /api/v1/persons/{id}", "", noPerson, staffHidden},
	{"PUT /api/v1/persons/{id}/plan", "", person, staff},
	{"POST /api/v1/persons/{id}/pause", "", person, staff},
	{"POST /api/v1/persons/{id}/resume", "", pausedPerson, staff},
	{"GET /api/v1/cases", "", noObject, signedIn},
	{"GET /api/v1/cases/{id}", "", ownCase, signedIn},
	{"GET /api/v1/cases/{id}", "", poolCase, signedIn},
	{"GET /api/v1/cases/{id}", "", othersCase, want{out, hidden, allow, allow, out}},
	{"GET /api/v1/cases/{id}", "", closedHandled, signedIn},
	{"GET /api/v1/cases/{id}", "", closedFollowed, signedIn},
	{"GET /api/v1/cases/{id}", "", closedOthers, want{out, hidden, allow, allow, out}},
	{"GET /api/v1/cases/{id}", "", closedUnhandled, want{out, hidden, allow, allow, out}},
	{"GET /api/v1/cases/{id}", "", noCase, want{out, hidden, hidden, hidden, out}},
	{"POST /api/v1/cases/{id}/follow-ups", "", ownCase, signedIn},
	{"POST /api/v1/cases/{id}/follow-ups", "", poolCase, signedIn},
	{"POST /api/v1/cases/{id}/follow-ups", "", othersCase, want{out, hidden, allow, allow, out}},
	{"POST /api/v1/cases/{id}/follow-ups", "", closedHandled, want{out, conflict, conflict, conflict, out}},
	{"POST /api/v1/cases/{id}/follow-ups", "", closedUnhandled, want{out, hidden, conflict, conflict, out}},
	{"POST /api/v1/cases/{id}/follow-ups", "", noCase, want{out, hidden, hidden, hidden, out}},
	// The API's other paths: not found, whoever asks.
	{"/api/v1/", "/api/v1/nothing-here", noObject, nowhere},
}

// oneRow is a valid register of one person, as a coordinator uploads it.
const oneRow = "full_name,phone,referral_source,consent_given_by,consent_given_at,consent_method,cron\n" +
	"Lucie Neuve,05 56 00 11 22,famille,la personne,2026-10-05,téléphone,0 10 * * MON\n"

// body is what the matrix sends to a route (by the rule's method and path):
// a request that succeeds when the role may, so that "allow" is the page's
// real answer. Another POST sends an empty form, which its own checks refuse
// (422) once the role is allowed: the settings' long forms, a test call on a
// server without a line.
func body(r rule, fx *fixture) (string, io.Reader) {
	form := func(v url.Values) (string, io.Reader) {
		return "application/x-www-form-urlencoded", strings.NewReader(v.Encode())
	}
	json := func(s string) (string, io.Reader) { return "application/json", strings.NewReader(s) }
	method, _, _ := strings.Cut(r.route, " ")
	switch key := method + " " + r.requestPath(); key {
	case "POST /login":
		return form(url.Values{"csrf": {"login-token"}, "email": {elise}, "password": {password}})
	case "POST /me/presence":
		return form(url.Values{"present": {"yes"}})
	case "POST /cases/{id}/follow-up":
		return form(url.Values{"reached": {"yes"}, "note": {"Appel passé."}, "then": {"close"}, "close": {"resolved"}, "agreed": {"yes"}})
	case "POST /cases/{id}/reassign":
		return form(url.Values{"assignee": {strconv.FormatInt(fx.s.other.ID, 10)}})
	case "POST /persons":
		f := enrolForm("")
		f.Del("csrf")
		f.Set("person.phone", fmt.Sprintf("06 %08d", nextNumber())) // a number nobody else has
		return form(f)
	case "POST /persons/{id}/details":
		return form(url.Values{"person.full_name": {"Jeanne Martin"}, "person.phone": {fmt.Sprintf("06 %08d", nextNumber())}, "person.language": {"fr"},
			"person.risk_level": {"normal"}})
	case "POST /persons/{id}/plan":
		return form(url.Values{"plan.days": {"MON"}, "plan.time": {"10:00"}, "plan.zone": {"Europe/Paris"}})
	case "POST /persons/{id}/pause":
		return form(url.Values{"person.paused_until": {"2027-01-11"}})
	case "POST /persons/{id}/withdraw", "POST /persons/{id}/erase":
		return form(url.Values{"confirm": {"yes"}})
	case "POST /persons/import":
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", "registre.csv")
		_, _ = fw.Write([]byte(oneRow))
		_ = mw.Close()
		return mw.FormDataContentType(), &b
	case "POST /persons/import/{id}":
		return form(url.Values{"skip_invalid": {"yes"}})
	case "POST /partners", "POST /partners/{id}":
		return form(url.Values{"partner.name": {"CCAS de Lyon"}, "partner.kind": {"social"}, "partner.areas": {"69"}, "partner.phone": {"04 72 00 00 00"}})
	case "POST /listeners/{id}":
		return form(url.Values{"listener.languages": {"fr"}, "listener.skills": {"deuil"}, "listener.capacity": {"5"}})
	case "POST /admin/closures":
		return form(url.Values{"closure.from": {"2026-12-24"}, "closure.to": {"2026-12-26"}, "closure.reason": {"Fermeture"}})
	case "POST /admin/users":
		return form(url.Values{"user.email": {"nouvelle@example.org"}, "user.full_name": {"Nouvelle Écoutante"}, "user.roles": {"listener"},
			"user.languages": {"fr"}, "user.capacity": {"5"}})
	case "POST /admin/users/{id}":
		return form(url.Values{"user.full_name": {"Autre Nom"}, "user.roles": {"listener"}})
	case "POST /api/v1/persons":
		return json(strings.Replace(enrolment, "06 12 34 56 78", fmt.Sprintf("06 %08d", nextNumber()), 1))
	case "PUT /api/v1/persons/{id}/plan":
		return json(`{"cron": "0 10 * * MON"}`)
	case "POST /api/v1/persons/{id}/pause":
		return json(`{"until": "2027-01-11"}`)
	case "POST /api/v1/cases/{id}/follow-ups":
		return json(`{"reached": true, "close": {"reason": "resolved", "person_agreed": true}}`)
	}
	if method == http.MethodGet {
		return "", nil
	}
	return form(url.Values{})
}

func (r rule) method() string {
	if m, _, ok := strings.Cut(r.route, " "); ok {
		return m
	}
	return http.MethodGet // a pattern with no method serves them all: asked with GET
}

// requestPath is the rule's path, {id} left in it.
func (r rule) requestPath() string {
	if r.path != "" {
		return r.path
	}
	_, p, ok := strings.Cut(r.route, " ")
	if !ok {
		p = r.route
	}
	return strings.TrimSuffix(p, "{$}")
}

func (r rule) api() bool { return strings.HasPrefix(r.requestPath(), "/api/v1/") }

func TestAuthorisationMatrix(t *testing.T) {
	t.Parallel()
	served := servedRoutes(t)

	// Every route served has its rows; every row names a route served, and
	// an object if and only if its path has an {id}.
	byRoute := map[string][]rule{}
	for _, r := range authorisation {
		byRoute[r.route] = append(byRoute[r.route], r)
		require.Equal(t, r.want[anonymous], r.want[crossed], "%s: the other kind of credential is no credential", r.route)
		if strings.Contains(r.requestPath(), "{id}") != (r.object != noObject) {
			t.Errorf("%s %s: an object if and only if the path names one", r.route, r.object)
		}
	}
	for _, p := range served {
		if len(byRoute[p]) == 0 {
			t.Errorf("route %q is served but has no row in the authorisation matrix (authorisation in web/authorisation_test.go): say who may", p)
		}
	}
	for route := range byRoute {
		if !slices.Contains(served, route) {
			t.Errorf("the authorisation matrix has rows for %q, which is no longer served: remove them", route)
		}
	}
	if t.Failed() {
		return
	}
	checkDocs(t)

	// One database per route; each role makes its objects afresh in it.
	for _, route := range served {
		t.Run(route, func(t *testing.T) {
			t.Parallel()
			// A phone that never calls: no request here upgrades to its
			// WebSocket, and the pages show its bar.
			s := setup(t, func(ui *web.Server) { ui.Phone = &switchboard.Switchboard{} })
			s.clock.Set(time.Date(2026, 12, 21, 8, 0, 0, 0, time.UTC)) // a Monday, 09:00 in Paris
			creds := s.credentials(t)
			for who := range roleNames {
				fx := &fixture{s: s, t: t, ids: map[object]int64{}, who: role(who)}
				for _, r := range byRoute[route] {
					s.check(t, r, role(who), creds, fx)
				}
			}
		})
	}
}

// servedRoutes are the patterns a server serves, River's dashboard included.
func servedRoutes(t *testing.T) []string {
	ui := &web.Server{RiverUI: http.NotFoundHandler(), Phone: &switchboard.Switchboard{}}
	_, err := ui.Routes()
	require.NoError(t, err)
	return ui.ServedRoutes()
}

// credentials are each role's session (its cookie and CSRF token) and
// API token.
type credentials struct {
	session, csrf, token [4]string
}

func (s *site) credentials(t *testing.T) *credentials {
	t.Helper()
	ctx := context.Background()
	c := &credentials{}
	now := s.clock.Now()
	for who, u := range []wellcheck.User{{}, s.user, s.coord, s.admin} {
		if who == int(anonymous) {
			continue
		}
		c.session[who], c.csrf[who] = admin.NewSecret(), admin.NewSecret()
		require.NoError(t, s.store.Queries().CreateSession(ctx, store.Session{TokenHash: admin.HashSecret(c.session[who]), UserID: u.ID,
			CSRFToken: c.csrf[who], CreatedAt: now, ExpiresAt: now.Add(12 * time.Hour)}))
		c.token[who], _ = s.apiToken(t, u)
	}
	return c
}

// check sends r's request as who and compares the answer's class.
func (s *site) check(t *testing.T, r rule, who role, creds *credentials, fx *fixture) {
	t.Helper()
	path := r.requestPath()
	if r.object != noObject {
		path = strings.Replace(path, "{id}", strconv.FormatInt(fx.id(r.object), 10), 1)
	}
	contentType, rd := body(r, fx)
	req, err := http.NewRequest(r.method(), s.srv.URL+path, rd)
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	// Who sends it: a page's credential is the session cookie with its CSRF
	// token (so that the token never masks the answer), the API's a token;
	// crossed sends Adam's of the other kind.
	page := !r.api()
	if who == crossed {
		page = !page
	}
	cred := who
	if who == crossed {
		cred = administrator
	}
	switch {
	case who == anonymous:
	case page:
		req.AddCookie(&http.Cookie{Name: "wellcheck_session", Value: creds.session[cred]})
		req.Header.Set("X-CSRF-Token", creds.csrf[cred])
	default:
		req.Header.Set("Authorization", "Bearer "+creds.token[cred])
	}
	if r.route == "POST /login" { // the sign-in form's own token
		req.AddCookie(&http.Cookie{Name: "wellcheck_login_csrf", Value: "login-token"})
	}
	res, err := noRedirects.Do(req)
	require.NoError(t, err)
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	got := classify(req, res)
	want := r.want[who]
	if got != want {
		t.Errorf("%s %s (%s) as %s: got %d, %s; want %s\n%s", r.method(), r.requestPath(), r.object, roleNames[who], res.StatusCode, got, want, truncated(raw))
		return
	}
	if got == hidden {
		for _, name := range fx.names {
			if strings.Contains(string(raw), name) {
				t.Errorf("%s %s (%s) as %s: hidden, yet the answer names %s", r.method(), r.requestPath(), r.object, roleNames[who], name)
			}
		}
	}
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// classify reads an answer's class.
func classify(req *http.Request, res *http.Response) answer {
	code := res.StatusCode
	switch {
	case code == http.StatusUnauthorized:
		return out
	case req.Method == http.MethodGet && code == http.StatusSeeOther && res.Header.Get("Location") == "/login":
		return out
	case code < 400 || code == http.StatusUnprocessableEntity || code == http.StatusUpgradeRequired:
		return allow
	case code == http.StatusForbidden:
		return refuse
	case code == http.StatusNotFound:
		return hidden
	case code == http.StatusConflict:
		return conflict
	}
	return 0
}

func truncated(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// fixture makes a role's objects in its route's database, each when first
// named.
type fixture struct {
	s     *site
	t     *testing.T
	ids   map[object]int64
	names []string // the persons it enrolled, which a refusal must not name
	who   role     // whose request
}

func (fx *fixture) id(o object) int64 {
	if id, ok := fx.ids[o]; ok {
		return id
	}
	id := fx.make(o)
	fx.ids[o] = id
	return id
}

func (fx *fixture) enrol() int64 {
	n := nextNumber()
	name := fmt.Sprintf("Personne Témoin %d", n)
	fx.names = append(fx.names, name)
	return fx.s.enrol(fx.t, name, fmt.Sprintf("+336%08d", n))
}

func (fx *fixture) make(o object) int64 {
	s, t, ctx := fx.s, fx.t, context.Background()
	open := func(assignee *int64) int64 {
		return s.task(t, fx.enrol(), assignee, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	}
	switch o {
	case ownCase:
		return open(&s.user.ID)
	case poolCase:
		return open(nil)
	case othersCase:
		return open(&s.other.ID)
	case closedHandled:
		id := open(&s.user.ID)
		s.closeCase(t, id, s.coord.ID)
		return id
	case closedFollowed:
		id := open(&s.other.ID)
		s.recorded(t, id, s.user.ID)
		s.closeCase(t, id, s.other.ID)
		return id
	case closedOthers:
		id := open(&s.other.ID)
		s.closeCase(t, id, s.other.ID)
		return id
	case closedUnhandled:
		id := open(nil)
		s.closeCase(t, id, s.coord.ID)
		return id
	case noCase, noPerson:
		return 999999
	case person:
		return fx.enrol()
	case pausedPerson:
		id := fx.enrol()
		_, err := s.store.Pool().Exec(ctx, "UPDATE persons SET status = 'paused', paused_until = $2 WHERE id = $1", id, time.Date(2027, 1, 11, 0, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		return id
	case coordUpload, adminUpload:
		by := s.coord.ID
		if o == adminUpload {
			by = s.admin.ID
		}
		id, err := s.store.Queries().SaveUpload(ctx, by, "registre.csv", []byte(oneRow), s.clock.Now())
		require.NoError(t, err)
		return id
	case partner:
		return s.partner(t, "Écoute Seniors", "+33140000000")
	case user:
		u, err := s.store.Queries().CreateUser(ctx, wellcheck.User{Email: fmt.Sprintf("user%d@example.org", nextNumber()), FullName: "Une Écoutante",
			Roles: []wellcheck.Role{wellcheck.RoleListener}, Capacity: 5})
		require.NoError(t, err)
		return u.ID
	case closure:
		c, err := wellcheck.NewClosure("2026-12-28", "2026-12-29", "Inventaire")
		require.NoError(t, err)
		c, err = s.store.Queries().AddClosure(ctx, c, &s.admin.ID)
		require.NoError(t, err)
		return c.ID
	case ownSession, othersSession:
		owner := map[role]wellcheck.User{listener: s.user, coordinator: s.coord, administrator: s.admin, crossed: s.admin}[fx.who]
		if o == othersSession || fx.who == anonymous {
			owner = s.other
		}
		token := admin.NewSecret()
		now := s.clock.Now()
		require.NoError(t, s.store.Queries().CreateSession(ctx, store.Session{TokenHash: admin.HashSecret(token), UserID: owner.ID,
			CSRFToken: admin.NewSecret(), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
		sessions, err := s.store.Queries().UserSessions(ctx, owner.ID, now, time.Time{})
		require.NoError(t, err)
		for _, us := range sessions {
			if bytes.Equal(us.TokenHash, admin.HashSecret(token)) {
				return us.ID
			}
		}
	case ownPasskey, othersPasskey:
		owner := map[role]wellcheck.User{listener: s.user, coordinator: s.coord, administrator: s.admin, crossed: s.admin}[fx.who]
		if o == othersPasskey || fx.who == anonymous {
			owner = s.other
		}
		id, err := s.store.Queries().AddPasskey(ctx, store.Passkey{UserID: owner.ID, CredentialID: []byte(admin.NewSecret()),
			PublicKey: []byte("a key"), Name: "Clé d'accès 1", CreatedAt: s.clock.Now()})
		require.NoError(t, err)
		return id
	case issue:
		d, err := s.store.Queries().RecordDataIssue(ctx, store.DataIssue{PersonID: fx.enrol(), Kind: store.IssueUndeliverable, Detail: "404", LastSeenAt: s.clock.Now()})
		require.NoError(t, err)
		return d.ID
	}
	t.Fatalf("the matrix names an object it cannot make: %q", o)
	return 0
}

var numbers struct {
	sync.Mutex
	n int
}

func nextNumber() int {
	numbers.Lock()
	defer numbers.Unlock()
	numbers.n++
	return 10000000 + numbers.n
}

// The roles' table in docs/security.md, by route, is written from the
// matrix: who may, and on which objects.
const (
	docsPath  = "../docs/security.md"
	docsBegin = "<!-- authorisation matrix: written by TestAuthorisationMatrix -update-docs; do not edit -->\n"
	docsEnd   = "<!-- end of the authorisation matrix -->\n"
)

func checkDocs(t *testing.T) {
	doc, err := os.ReadFile(docsPath)
	require.NoError(t, err)
	before, rest, ok := strings.Cut(string(doc), docsBegin)
	require.True(t, ok, "docs/security.md has the authorisation matrix's markers")
	current, after, ok := strings.Cut(rest, docsEnd)
	require.True(t, ok, "docs/security.md has the authorisation matrix's end marker")
	table := docsTable()
	if *updateDocs {
		require.NoError(t, os.WriteFile(docsPath, []byte(before+docsBegin+table+docsEnd+after), 0o644))
		return
	}
	if current != table {
		t.Errorf("docs/security.md's table of routes differs from the authorisation matrix: go test ./web -run TestAuthorisationMatrix -update-docs")
	}
}

// docsTable is the matrix by route: for each role, "yes", "—", or the
// objects it may act on.
func docsTable() string {
	var b strings.Builder
	b.WriteString("| route | listener | coordinator | admin |\n|---|---|---|---|\n")
	var routes []string
	byRoute := map[string][]rule{}
	for _, r := range authorisation {
		if len(byRoute[r.route]) == 0 {
			routes = append(routes, r.route)
		}
		byRoute[r.route] = append(byRoute[r.route], r)
	}
	for _, route := range routes {
		rules := byRoute[route]
		name := "`" + route + "`"
		if rules[0].want[anonymous] == allow {
			name += " (public)"
		}
		fmt.Fprintf(&b, "| %s |", name)
		for _, who := range []role{listener, coordinator, administrator} {
			var may []string
			all, real := true, 0
			for _, r := range rules {
				if r.object == noCase || r.object == noPerson {
					continue
				}
				real++
				if r.want[who] == allow {
					if r.path != "" && strings.Contains(r.route, "{action}") {
						may = append(may, strings.TrimPrefix(r.path, "/persons/{id}/"))
					} else if r.object != noObject {
						may = append(may, string(r.object))
					}
				} else {
					all = false
				}
			}
			cell := "—"
			switch {
			case all && real > 0:
				cell = "yes"
			case len(may) > 0:
				cell = strings.Join(slices.Compact(may), ", ")
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	return b.String()
}
