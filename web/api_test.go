package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/store"
)

// apiToken makes a token acting as u, through the administration as
// `wellcheck token add` does, and returns it with its id.
func (s *site) apiToken(t *testing.T, u wellcheck.User) (string, int64) {
	t.Helper()
	office := &admin.Service{Store: s.store, Now: s.clock.Now}
	token, created, err := office.AddAPIToken(context.Background(), wellcheck.Operator, u.Email, "intégration de test")
	require.NoError(t, err)
	var hash []byte
	require.NoError(t, s.store.Pool().QueryRow(context.Background(), "SELECT token_hash FROM api_tokens WHERE id = $1", created.ID).Scan(&hash))
	require.Equal(t, sha256.Sum256([]byte(token)), [32]byte(hash), "only the SHA-256 of the token is stored")
	return token, created.ID
}

// apiAnswer is what the API answered.
type apiAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// problems are a refusal's problems by field.
func (a apiAnswer) problems() map[string]any {
	e, _ := a.body["error"].(map[string]any)
	p, _ := e["problems"].(map[string]any)
	return p
}

func (a apiAnswer) errorField(name string) string {
	e, _ := a.body["error"].(map[string]any)
	v, _ := e[name].(string)
	return v
}

// call sends an API request with token (none if empty) and a JSON body (none
// if empty), with more headers, through client c (a fresh one if nil).
func (s *site) call(t *testing.T, c *http.Client, token, method, path, body string, header http.Header) apiAnswer {
	t.Helper()
	if c == nil {
		c = &http.Client{}
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+"/api/v1"+path, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	a := apiAnswer{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if method != http.MethodHead {
		require.Equal(t, "application/json; charset=utf-8", res.Header.Get("Content-Type"), "%s %s: %s", method, path, raw)
		require.NoError(t, json.Unmarshal(raw, &a.body), "%s %s: %s", method, path, raw)
	}
	return a
}

var english = http.Header{"Accept-Language": {"en-GB,en;q=0.9,fr;q=0.5"}}

func TestAPIAuthentication(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	token, id := s.apiToken(t, s.user)

	a := s.call(t, nil, token, "GET", "/cases", "", nil)
	require.Equal(t, http.StatusOK, a.status, a.raw)

	refused := func(name string, a apiAnswer) {
		t.Helper()
		require.Equal(t, http.StatusUnauthorized, a.status, name)
		require.Equal(t, "unauthorized", a.errorField("code"), name)
		require.Contains(t, a.header.Get("WWW-Authenticate"), "Bearer", name)
	}
	a = s.call(t, nil, "", "GET", "/cases", "", nil)
	refused("no token", a)
	require.Equal(t, "Jeton d'API manquant, inconnu ou révoqué : envoyez l'en-tête « Authorization: Bearer <jeton> ».", a.errorField("message"))
	a = s.call(t, nil, "", "GET", "/cases", "", english)
	require.Equal(t, "Missing, unknown or revoked API token: send the header \"Authorization: Bearer <token>\".", a.errorField("message"))
	refused("wrong token", s.call(t, nil, token+"x", "GET", "/cases", "", nil))
	refused("another scheme", s.call(t, nil, "", "GET", "/cases", "", http.Header{"Authorization": {"Basic " + token}}))

	// Signed in to the pages: the session cookie alone opens nothing here, so
	// a page on another site cannot use a signed-in browser to call the API.
	browser := s.browser(t)
	s.signIn(t, browser)
	status, _, _ := s.get(t, browser, "/")
	require.Equal(t, http.StatusOK, status, "the cookie works for the pages")
	refused("session cookie", s.call(t, browser, "", "GET", "/cases", "", nil))
	refused("session cookie, a change", s.call(t, browser, "", "POST", "/persons", `{}`, nil))

	// Used: marked at most once a minute.
	lastUsed := func() time.Time {
		tokens, err := s.store.Queries().APITokens(ctx)
		require.NoError(t, err)
		i := slices.IndexFunc(tokens, func(k store.APIToken) bool { return k.ID == id })
		require.NotNil(t, tokens[i].LastUsedAt)
		return *tokens[i].LastUsedAt
	}
	first := s.clock.Now()
	require.True(t, first.Equal(lastUsed()))
	s.clock.Set(first.Add(59 * time.Second))
	require.Equal(t, http.StatusOK, s.call(t, nil, token, "GET", "/cases", "", nil).status)
	require.True(t, first.Equal(lastUsed()), "not written again within the minute")
	s.clock.Set(first.Add(61 * time.Second))
	require.Equal(t, http.StatusOK, s.call(t, nil, token, "GET", "/cases", "", nil).status)
	require.True(t, first.Add(61*time.Second).Equal(lastUsed()))

	// Revoked: refused at once.
	_, err := s.store.Queries().RevokeAPIToken(ctx, id, s.clock.Now())
	require.NoError(t, err)
	refused("revoked token", s.call(t, nil, token, "GET", "/cases", "", nil))

	// A disabled user's tokens let nobody in.
	louis, _ := s.apiToken(t, s.other)
	require.Equal(t, http.StatusOK, s.call(t, nil, louis, "GET", "/cases", "", nil).status)
	_, err = s.store.Pool().Exec(ctx, "UPDATE users SET disabled_at = now() WHERE id = $1", s.other.ID)
	require.NoError(t, err)
	refused("disabled user", s.call(t, nil, louis, "GET", "/cases", "", nil))
	require.NotContains(t, s.logs.String(), louis, "tokens never reach the logs")
}

// A refusal is JSON that says why, in the reader's language; another method
// on a known path is 405 with the methods allowed. (Who may call what is
// TestAuthorisationMatrix's.)
func TestAPIRefusals(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	person := s.enrol(t, "Jeanne Martin", "+33612345678")
	own := s.task(t, person, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	token, _ := s.apiToken(t, s.user)

	a := s.call(t, nil, token, "GET", fmt.Sprintf("/persons/%d", person), "", english)
	require.Equal(t, http.StatusForbidden, a.status)
	require.Equal(t, "forbidden", a.errorField("code"))
	require.Equal(t, "This account's role does not allow this.", a.errorField("message"))

	a = s.call(t, nil, token, "DELETE", fmt.Sprintf("/cases/%d", own), "", nil)
	require.Equal(t, http.StatusMethodNotAllowed, a.status)
	require.Equal(t, "GET, HEAD", a.header.Get("Allow"))
	require.NotEmpty(t, a.errorField("code"), a.raw)
	require.NotEmpty(t, a.errorField("message"), a.raw)

	a = s.call(t, nil, token, "GET", "/cases/999999", "", nil)
	require.Equal(t, http.StatusNotFound, a.status)
	require.Equal(t, "not_found", a.errorField("code"), a.raw)
}

// enrolment is a referral as an integration sends it: the JSON of `wellcheck
// enroll --file`.
const enrolment = `{
  "person": {"full_name": "Marie Curie", "phone": "06 12 34 56 78", "language": "fr", "time_zone": "Europe/Paris", "postcode": "75011", "city": "Paris"},
  "referral": {"source": "doctor", "referrer_name": "Dr Bernard"},
  "consent": {"given_by": "person", "given_at": "2026-12-21", "method": "phone"},
  "emergency_contacts": [{"full_name": "Pierre Curie", "relation": "fils", "phone": "06 98 76 54 32", "consent": "yes"}],
  "plan": {"cron": "0 10 * * MON,FRI", "window": "09:30-12:00"}
}`

func TestAPIEnrol(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 21, 8, 0, 0, 0, time.UTC)) // Monday 21 December, 09:00 in Paris
	token, _ := s.apiToken(t, s.coord)
	enrol := func(body string, header http.Header) apiAnswer {
		return s.call(t, nil, token, "POST", "/persons", body, header)
	}

	// Bad JSON: 400, saying where; nothing enrolled.
	for body, want := range map[string]string{
		strings.Replace(enrolment, `"postcode"`, `"post_code"`, 1):             "champ inconnu : « post_code »",
		strings.Replace(enrolment, `"city": "Paris"}`, `"city": "Paris",}`, 1): "JSON mal formé à la ligne 2",
		strings.Replace(enrolment, `"language": "fr"`, `"language": 12`, 1):    "« person.language » (ligne 2) : il faut un texte, pas un nombre",
		enrolment + ` {}`: "le texte continue après l'objet JSON : un seul est attendu",
		``:                "le corps est vide : un objet JSON est attendu",
	} {
		a := enrol(body, nil)
		require.Equal(t, http.StatusBadRequest, a.status, a.raw)
		require.Equal(t, "invalid_json", a.errorField("code"))
		require.Contains(t, a.errorField("message"), want)
	}
	big := strings.Replace(enrolment, `"city": "Paris"`, `"city": "`+strings.Repeat("Paris ", 50000)+`"`, 1)
	a := enrol(big, english)
	require.Equal(t, http.StatusRequestEntityTooLarge, a.status)
	require.Equal(t, "Request body too large: 256 KiB at most.", a.errorField("message"))

	// Bad input: every problem by the body's field, in French, and in English
	// for who prefers it.
	bad := strings.NewReplacer(`"06 12 34 56 78"`, `"01 23"`, `"0 10 * * MON,FRI"`, `"0 10 * *"`, `"06 98 76 54 32"`, `"08 99 12 34 56"`).Replace(enrolment)
	a = enrol(bad, nil)
	require.Equal(t, http.StatusUnprocessableEntity, a.status, a.raw)
	require.Equal(t, "invalid", a.errorField("code"))
	problems := a.problems()
	require.Equal(t, "« 01 23 » n'est pas un numéro de téléphone : un numéro français comme 06 12 34 56 78, ou international commençant par +", problems["person.phone"])
	require.Contains(t, problems["plan.cron"], "« 0 10 * * » n'est pas un planning cron à 5 champs")
	require.Contains(t, problems["emergency_contacts[0].phone"], "« 08 99 12 34 56 »")
	require.Len(t, problems, 3)
	require.Contains(t, a.errorField("message"), "téléphone : « 01 23 » n'est pas un numéro de téléphone : un numéro français comme 06 12 34 56 78, ou international commençant par +")
	a = enrol(bad, english)
	require.Equal(t, http.StatusUnprocessableEntity, a.status)
	require.Equal(t, `"01 23" is not a phone number: a French number such as 06 12 34 56 78, or an international one starting with +`, a.problems()["person.phone"])
	require.Contains(t, a.problems()["plan.cron"], `"0 10 * *" is not a 5-field cron spec`)
	a = enrol(strings.Replace(enrolment, `"consent": {"given_by": "person", "given_at": "2026-12-21", "method": "phone"}`, `"consent": null`, 1), nil)
	require.Equal(t, http.StatusUnprocessableEntity, a.status, a.raw)
	require.Equal(t, "le consentement de la personne est obligatoire pour l'inscrire", a.problems()["consent"])
	n, err := s.store.Queries().CountPersons(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing enrolled")

	// Enrolled: 201, the person's file with the phone in E.164, times in UTC
	// with the person's zone, and the calls planned.
	a = enrol(enrolment, nil)
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	p := a.body
	id := int64(p["id"].(float64))
	require.Equal(t, fmt.Sprintf("/api/v1/persons/%d", id), a.header.Get("Location"))
	require.Equal(t, "+33612345678", p["phone"])
	require.Equal(t, "Europe/Paris", p["time_zone"])
	require.Equal(t, "active", p["status"])
	_, err = time.Parse(time.RFC3339, p["created_at"].(string))
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(p["created_at"].(string), "Z"), "in UTC")
	require.Equal(t, map[string]any{"cron": "0 10 * * MON,FRI", "window": "09:30-12:00", "max_attempts": nil, "retry_minutes": nil}, p["plan"])
	contact := p["emergency_contacts"].([]any)[0].(map[string]any)
	require.Equal(t, "+33698765432", contact["phone"])
	require.Equal(t, "2026-12-20T23:00:00Z", contact["consent_at"], "the consent's day, from midnight in Paris")
	require.Equal(t, false, p["case_opened"])
	require.Empty(t, p["warnings"])
	upcoming := p["upcoming_calls"].([]any)
	require.NotEmpty(t, upcoming)
	require.Equal(t, map[string]any{"at": "2026-12-21T09:00:00Z", "state": "planned"}, upcoming[0], "today 10:00 in Paris")
	checkIns, err := s.store.Queries().CheckInsForPerson(ctx, id)
	require.NoError(t, err)
	require.NotEmpty(t, checkIns)
	require.Equal(t, wellcheck.CheckInPlanned, checkIns[0].State)

	// Read back as GET answers it.
	a = s.call(t, nil, token, "GET", fmt.Sprintf("/persons/%d", id), "", nil)
	require.Equal(t, http.StatusOK, a.status)
	require.Equal(t, "Marie Curie", a.body["full_name"])
	require.Equal(t, "Dr Bernard", a.body["referral"].(map[string]any)["referrer_name"])

	// The same number again: a conflict, naming who holds it.
	a = enrol(enrolment, nil)
	require.Equal(t, http.StatusConflict, a.status)
	require.Equal(t, "conflict", a.errorField("code"))
	require.Equal(t, fmt.Sprintf("ce numéro est déjà inscrit pour Marie Curie (personne n° %d)", id), a.problems()["person.phone"])

	// Without emergency contacts: enrolled, with the warning.
	alone := strings.NewReplacer(`"06 12 34 56 78"`, `"01 43 55 12 34"`, `"emergency_contacts": [{"full_name": "Pierre Curie", "relation": "fils", "phone": "06 98 76 54 32", "consent": "yes"}],`, "").Replace(enrolment)
	a = enrol(alone, english)
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	require.Contains(t, a.body["warnings"].(map[string]any)["emergency_contacts"], "no emergency contact")

	audit, err := s.store.Queries().AuditForPerson(ctx, id)
	require.NoError(t, err)
	byAction := map[string][]string{}
	for _, e := range audit {
		byAction[e.Action] = append(byAction[e.Action], e.Actor)
	}
	require.Equal(t, []string{"api"}, byAction["person.enrol"], "by the token's user (the actor id), through the API")
	require.Equal(t, []string{"api", "api"}, byAction["person.view"], "the answer to the enrolment and the GET are views of the file")
	require.NotContains(t, s.logs.String(), "612345678", "no phone number in the logs")
	require.NotContains(t, s.logs.String(), "12 34 56 78")
}

func TestAPIPersonChanges(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)) // Tuesday 09:00 in Paris
	token, _ := s.apiToken(t, s.coord)
	a := s.call(t, nil, token, "POST", "/persons", strings.NewReplacer(`"2026-12-21"`, `"2026-12-01"`, `"0 10 * * MON,FRI"`, `"0 10 * * TUE"`).Replace(enrolment), nil)
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	path := fmt.Sprintf("/persons/%d", int64(a.body["id"].(float64)))
	next := func(a apiAnswer) any { return a.body["upcoming_calls"].([]any)[0].(map[string]any)["at"] }
	require.Equal(t, "2026-12-01T09:00:00Z", next(a))

	// A new plan, Tuesdays at 15:30 in Paris: the calls follow at once (the
	// planner writes down the next 36 hours).
	a = s.call(t, nil, token, "PUT", path+"/plan", `{"cron": "30 15 * * TUE", "time_zone": "Europe/Paris"}`, nil)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	require.Equal(t, "30 15 * * TUE", a.body["plan"].(map[string]any)["cron"])
	require.Equal(t, "09:00-17:00", a.body["plan"].(map[string]any)["window"], "no window given: the opening hours")
	require.Equal(t, "2026-12-01T14:30:00Z", next(a))
	require.Contains(t, a.body["recent_calls"], map[string]any{"at": "2026-12-01T09:00:00Z", "state": "cancelled"}, "the old plan's call")
	// Refused: each problem by the body's own field; nothing changes.
	a = s.call(t, nil, token, "PUT", path+"/plan", `{"cron": "0 20 * * THU", "window": "9h-12h", "time_zone": "CET"}`, english)
	require.Equal(t, http.StatusUnprocessableEntity, a.status, a.raw)
	require.Contains(t, a.problems(), "window")
	require.Contains(t, a.problems(), "time_zone")
	a = s.call(t, nil, token, "PUT", path+"/plan", `{"cron": "0 20 * * THU"}`, nil)
	require.Equal(t, http.StatusUnprocessableEntity, a.status, a.raw)
	require.Contains(t, a.problems()["cron"], "« jeudi vers 20 h » appelle à 20:00, hors de la plage d'appel")
	a = s.call(t, nil, token, "PUT", path+"/plan", `{"plan": {"cron": "0 10 * * THU"}}`, nil)
	require.Equal(t, http.StatusBadRequest, a.status, "the plan route's body is flat")
	a = s.call(t, nil, token, "GET", path, "", nil)
	require.Equal(t, "2026-12-01T14:30:00Z", next(a), "a refused plan changes nothing")

	// Paused until the 15th (midnight in Paris): the calls meanwhile are gone.
	a = s.call(t, nil, token, "POST", path+"/pause", `{"until": "2026-11-30"}`, nil)
	require.Equal(t, http.StatusUnprocessableEntity, a.status)
	require.Contains(t, a.problems()["until"], "doit être dans le futur")
	a = s.call(t, nil, token, "POST", path+"/pause", `{"until": "15/12"}`, nil)
	require.Equal(t, http.StatusUnprocessableEntity, a.status)
	require.Contains(t, a.problems()["until"], "« 15/12 » n'est pas une date")
	a = s.call(t, nil, token, "POST", path+"/pause", `{"until": "2026-12-15"}`, nil)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	require.Equal(t, "paused", a.body["status"])
	require.Equal(t, "2026-12-14T23:00:00Z", a.body["paused_until"])
	require.Empty(t, a.body["upcoming_calls"])

	// Resumed: called again; resuming twice is a conflict.
	a = s.call(t, nil, token, "POST", path+"/resume", "", nil)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	require.Equal(t, "active", a.body["status"])
	require.Nil(t, a.body["paused_until"])
	require.Equal(t, "2026-12-01T14:30:00Z", next(a))
	a = s.call(t, nil, token, "POST", path+"/resume", "", english)
	require.Equal(t, http.StatusConflict, a.status)
	require.Equal(t, "this person is not paused", a.errorField("message"))

	a = s.call(t, nil, token, "POST", "/persons/999999/pause", `{"until": "2026-12-15"}`, nil)
	require.Equal(t, http.StatusNotFound, a.status)
	require.Equal(t, "Personne introuvable.", a.errorField("message"))

	actions, err := s.store.Queries().AuditActionsBy(ctx, s.coord.ID)
	require.NoError(t, err)
	for _, action := range []string{"person.enrol", "person.plan", "person.pause", "person.resume", "person.view"} {
		require.Contains(t, actions, action)
	}
}

func TestAPICasesAndFollowUps(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) // Tuesday 11:00 in Paris
	jeanne := s.enrol(t, "Jeanne Martin", "+33612345678")
	mine := s.task(t, jeanne, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	pool := s.task(t, s.enrol(t, "Paul Durand", "+33612345679"), nil, wellcheck.FollowUpMissed, wellcheck.PriorityNormal)
	theirs := s.task(t, s.enrol(t, "Secret Voisin", "+33612345670"), &s.other.ID, wellcheck.FollowUpUnreached, wellcheck.PriorityUrgent)
	elise, _ := s.apiToken(t, s.user)
	louis, _ := s.apiToken(t, s.other)
	claire, _ := s.apiToken(t, s.coord)

	// The list: Élise's own and the pool's, most pressing first; never Louis's.
	listed := func(token string) []int64 {
		a := s.call(t, nil, token, "GET", "/cases", "", nil)
		require.Equal(t, http.StatusOK, a.status)
		var ids []int64
		for _, c := range a.body["cases"].([]any) {
			ids = append(ids, int64(c.(map[string]any)["id"].(float64)))
		}
		return ids
	}
	require.Equal(t, []int64{mine, pool}, listed(elise))
	require.Equal(t, []int64{theirs, pool}, listed(louis))
	require.Equal(t, []int64{theirs, mine, pool}, listed(claire), "coordinators see every open case")
	a := s.call(t, nil, elise, "GET", "/cases", "", nil)
	require.NotContains(t, a.raw, "Secret Voisin")
	first := a.body["cases"].([]any)[0].(map[string]any)
	require.Equal(t, "Jeanne Martin", first["person_name"])
	require.Equal(t, "+33612345678", first["phone"])
	require.Equal(t, "Europe/Paris", first["time_zone"])
	require.Equal(t, "high", first["priority"])
	require.Equal(t, "2026-12-01T10:00:00Z", first["due_at"])
	require.Equal(t, float64(s.user.ID), first["assignee_id"])

	path := fmt.Sprintf("/cases/%d", mine)
	record := func(token, body string, header http.Header) apiAnswer {
		return s.call(t, nil, token, "POST", path+"/follow-ups", body, header)
	}
	// Not Louis's to see, nor to act on.
	require.Equal(t, http.StatusNotFound, s.call(t, nil, louis, "GET", path, "", nil).status)
	require.Equal(t, http.StatusNotFound, record(louis, `{"reached": true, "close": {"reason": "resolved"}}`, nil).status)

	// Refused, by field: not reached without a next step; a time that is not
	// one; a partner not in the directory.
	a = record(elise, `{"reached": false, "note": "messagerie"}`, nil)
	require.Equal(t, http.StatusUnprocessableEntity, a.status, a.raw)
	require.Equal(t, map[string]any{"next": "la personne n'a pas été jointe : indiquez quand rappeler, ou clôturez le dossier"}, a.problems())
	a = record(elise, `{"note": "messagerie", "next": "demain"}`, english)
	require.Equal(t, http.StatusUnprocessableEntity, a.status, a.raw)
	require.Equal(t, "required", a.problems()["reached"])
	require.Contains(t, a.problems()["next"], `"demain" is not a date`)
	a = record(elise, `{"reached": true, "partner_id": 999999, "close": {"reason": "oriented"}}`, nil)
	require.Equal(t, http.StatusUnprocessableEntity, a.status, a.raw)
	require.Equal(t, "ce partenaire n'est plus dans l'annuaire", a.problems()["partner_id"])
	a = record(elise, `{"reached": true, "close": {"reason": "fixed"}}`, nil)
	require.Equal(t, http.StatusUnprocessableEntity, a.status, a.raw)
	require.Contains(t, a.problems(), "close.reason")
	a = record(elise, `{"reached": true, "closed": true}`, nil)
	require.Equal(t, http.StatusBadRequest, a.status)
	require.Equal(t, "champ inconnu : « closed »", a.errorField("message"))

	// Reached, a note, the next call tomorrow at 14:00 her time: recorded,
	// and the case file says so.
	a = record(elise, `{"reached": true, "note": "Va mieux, rappeler après la visite du médecin.", "next": "2026-12-02T14:00"}`, nil)
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	require.Equal(t, "/api/v1"+path, a.header.Get("Location"))
	a = s.call(t, nil, elise, "GET", path, "", nil)
	require.Equal(t, http.StatusOK, a.status)
	require.Equal(t, "Jeanne Martin", a.body["person_name"])
	require.Equal(t, "normal", a.body["priority"], "reached: back to normal")
	followUps := a.body["follow_ups"].([]any)
	require.Len(t, followUps, 2)
	scheduled, done := followUps[0].(map[string]any), followUps[1].(map[string]any)
	require.Equal(t, "scheduled", scheduled["state"])
	require.Equal(t, "2026-12-02T13:00:00Z", scheduled["due_at"])
	require.Equal(t, "done", done["state"])
	require.Equal(t, true, done["reached"])
	require.Equal(t, "Élise Écoutante", done["done_by"])
	require.Equal(t, "2026-12-01T10:00:00Z", done["done_at"])
	note := a.body["notes"].([]any)[0].(map[string]any)
	require.Equal(t, "Va mieux, rappeler après la visite du médecin.", note["body"])
	require.Equal(t, done["id"], note["follow_up_id"])

	// The pool's case, closed with the person's agreement, then no more.
	a = s.call(t, nil, elise, "POST", fmt.Sprintf("/cases/%d/follow-ups", pool), `{"reached": true, "close": {"reason": "resolved", "person_agreed": true}}`, nil)
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	require.Equal(t, "closed", a.body["state"])
	require.Equal(t, true, a.body["person_agreed"])
	a = s.call(t, nil, elise, "POST", fmt.Sprintf("/cases/%d/follow-ups", pool), `{"reached": true, "close": {"reason": "resolved"}}`, nil)
	require.Equal(t, http.StatusConflict, a.status)
	require.Equal(t, []int64{mine}, listed(elise), "a closed case leaves the list")

	// Every view of a case file is in the audit log, as the API's.
	audit, err := s.store.Queries().AuditForPerson(ctx, jeanne)
	require.NoError(t, err)
	var views []string
	for _, e := range audit {
		if e.Action == "case.view" {
			views = append(views, e.Actor)
			require.Equal(t, s.user.ID, *e.ActorID)
		}
	}
	require.Equal(t, []string{"api", "api"}, views, "the answer to the follow-up and the GET")
	actions, err := s.store.Queries().AuditActionsBy(ctx, s.user.ID)
	require.NoError(t, err)
	require.Contains(t, actions, "follow_up.record")
	logs := s.logs.String()
	require.NotContains(t, logs, "612345678", "no phone number in the logs")
	require.NotContains(t, logs, "Va mieux", "nor a note")
}

// The document describes exactly the routes the API serves: each of its
// operations is answered (a token asked for, not "no such route"), and every
// other method on its paths is refused naming the methods it describes.
// (api_internal_test.go holds the route table and the document together.)
func TestAPIOpenAPIDocument(t *testing.T) {
	t.Parallel()
	s := setup(t)
	a := s.call(t, nil, "", "GET", "/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, a.status)
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Servers    []struct{ URL string }               `json:"servers"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal([]byte(a.raw), &doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)
	require.Equal(t, "/api/v1", doc.Servers[0].URL)
	require.Equal(t, "bearer", doc.Components.SecuritySchemes["bearer"]["scheme"])

	// Every reference names something the document defines.
	var all map[string]any
	require.NoError(t, json.Unmarshal([]byte(a.raw), &all))
	var refs func(v any)
	refs = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$ref" {
					var target any = all
					for _, part := range strings.Split(strings.TrimPrefix(x.(string), "#/"), "/") {
						target = target.(map[string]any)[part]
					}
					require.NotNil(t, target, "%s", x)
				}
				refs(x)
			}
		case []any:
			for _, x := range v {
				refs(x)
			}
		}
	}
	refs(all)

	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	for path, ops := range doc.Paths {
		concrete := strings.ReplaceAll(path, "{id}", "1")
		var described []string
		for _, m := range methods {
			op, ok := ops[strings.ToLower(m)]
			if !ok {
				a := s.call(t, nil, "", m, concrete, "", nil)
				require.Equal(t, http.StatusMethodNotAllowed, a.status, "%s %s is not described, so not served", m, path)
				continue
			}
			described = append(described, m)
			require.NotEmpty(t, op["operationId"], "%s %s", m, path)
			require.NotEmpty(t, op["responses"], "%s %s", m, path)
			a := s.call(t, nil, "", m, concrete, "", nil)
			if path == "/openapi.json" {
				require.Equal(t, http.StatusOK, a.status)
				continue
			}
			require.Equal(t, http.StatusUnauthorized, a.status, "%s %s is served, behind a token", m, path)
		}
		allow := strings.Split(s.call(t, nil, "", "PATCH", concrete, "", nil).header.Get("Allow"), ", ")
		allow = slices.DeleteFunc(allow, func(m string) bool { return m == "HEAD" })
		slices.Sort(allow)
		slices.Sort(described)
		require.Equal(t, described, allow, path)
	}
}

// An integration may send the plan as a coordinator says it: days and a time.
func TestAPIEnrolPlanInWords(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 21, 8, 0, 0, 0, time.UTC)) // Monday 21 December, 09:00 in Paris
	token, _ := s.apiToken(t, s.coord)
	words := func(days, at string) string {
		return strings.Replace(enrolment, `"plan": {"cron": "0 10 * * MON,FRI", "window": "09:30-12:00"}`,
			fmt.Sprintf(`"plan": {"days": %q, "time": %q, "window": "09:30-12:00"}`, days, at), 1)
	}
	a := s.call(t, nil, token, "POST", "/persons", words("un jour sur deux", "25:00"), nil)
	require.Equal(t, http.StatusUnprocessableEntity, a.status, a.raw)
	require.Contains(t, a.problems()["plan.days"], "« un jour sur deux » : indiquez des jours")
	require.Equal(t, "« 25:00 » n'est pas une heure (par exemple 10:00 ou 10 h 30)", a.problems()["plan.time"])

	a = s.call(t, nil, token, "POST", "/persons", words("lundi et vendredi", "10 h"), nil)
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	require.Equal(t, "0 10 * * MON,FRI", a.body["plan"].(map[string]any)["cron"])
}
