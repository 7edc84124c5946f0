package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/internal/clocktest"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/internal/logtest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/web"
)

const password = "correct horse battery staple"

type site struct {
	srv   *httptest.Server
	ui    *web.Server
	store *store.Store
	clock *clocktest.Clock
	logs  *logtest.Buffer
	// user is Élise, a listener; other is Louis, another listener; coord is
	// Claire, a coordinator; admin is Adam.
	user, other, coord, admin wellcheck.User
}

// The users' e-mail addresses; they all have the same password.
const (
	elise  = "ecoutante@example.org"
	louis  = "louis@example.org"
	claire = "claire@example.org"
	adam   = "adam@example.org"
)

// passwordHash is hashed once: argon2id takes its time on purpose.
var passwordHash = sync.OnceValue(func() string {
	h, err := admin.HashPassword(password)
	if err != nil {
		panic(err)
	}
	return h
})

func setup(t *testing.T, options ...func(*web.Server)) *site {
	t.Helper()
	st := store.New(dbtest.New(t))
	ctx := context.Background()
	user := func(email, name string, roles ...wellcheck.Role) wellcheck.User {
		u, err := st.Queries().CreateUser(ctx, wellcheck.User{Email: email, FullName: name, Roles: roles, Capacity: 10})
		require.NoError(t, err)
		require.NoError(t, st.Queries().SetPasswordHash(ctx, u.ID, passwordHash(), time.Now()))
		return u
	}
	s := &site{store: st}
	s.user = user(elise, "Élise Écoutante", wellcheck.RoleListener)
	s.other = user(louis, "Louis Lebon", wellcheck.RoleListener)
	s.coord = user(claire, "Claire Coordinatrice", wellcheck.RoleCoordinator)
	s.admin = user(adam, "Adam Admin", wellcheck.RoleAdmin)
	s.clock = clocktest.New(time.Now())
	s.logs = &logtest.Buffer{}
	logger := slog.New(slog.NewTextHandler(s.logs, nil))
	queue, err := jobs.NewJobs(st.Pool(), logger)
	require.NoError(t, err)
	cases := &care.Cases{Store: st, Queue: queue, Logger: logger, Now: s.clock.Now}
	planner := &scheduler.Planner{Store: st, Jobs: queue, Logger: logger, Now: s.clock.Now}
	enrol := &enroll.Service{Store: st, Logger: logger, Planner: planner, Now: s.clock.Now}
	ui := &web.Server{Store: st, Cases: cases, Enrol: enrol, Admin: &admin.Service{Store: st, Passes: queue, Logger: logger, Now: s.clock.Now}, Jobs: queue, Logger: logger, Now: s.clock.Now}
	ctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	ui.RiverUI, err = web.RiverDashboard(ctx, queue.Client(), logger)
	require.NoError(t, err)
	// Passkeys are offered on the server's own address, by name
	// (WebAuthn refuses IP addresses).
	s.srv = httptest.NewUnstartedServer(nil)
	_, port, err := net.SplitHostPort(s.srv.Listener.Addr().String())
	require.NoError(t, err)
	ui.PublicURL = "http://localhost:" + port
	for _, o := range options {
		o(ui)
	}
	s.ui = ui
	s.srv.Config.Handler = ui.Handler()
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// browser is a client with its own cookies that does not follow redirects.
func (s *site) browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches path and returns the status, the body and the page's CSRF token.
// t may be an EventuallyWithT's collector: its condition runs on a goroutine
// of its own, where only the collector may fail.
func (s *site) get(t require.TestingT, c *http.Client, path string) (int, string, string) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	res, err := c.Get(s.srv.URL + path)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	token := ""
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		token = m[1]
	}
	return res.StatusCode, string(body), token
}

func (s *site) post(t *testing.T, c *http.Client, path string, form url.Values, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(body)
}

// signIn signs c in as Élise and returns the home page's CSRF token.
func (s *site) signIn(t *testing.T, c *http.Client) string {
	t.Helper()
	csrf, body := s.signInAs(t, c, "Ecoutante@example.org")
	require.Contains(t, body, "<h1>Ma liste</h1>")
	require.Regexp(t, `<a class="who" href="/account"[^>]*>Élise Écoutante</a>`, body, "her name, a link to her account")
	return csrf
}

// signInAs signs c in as the user with e-mail and returns the CSRF token and
// body of the page they land on (landing).
func (s *site) signInAs(t *testing.T, c *http.Client, email string) (string, string) {
	t.Helper()
	_, _, token := s.get(t, c, "/login")
	res, _ := s.post(t, c, "/login", url.Values{"csrf": {token}, "email": {email}, "password": {password}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/", res.Header.Get("Location"))
	status, body, csrf := s.get(t, c, s.landing(t, c))
	require.Equal(t, http.StatusOK, status)
	require.NotEmpty(t, csrf)
	return csrf, body
}

// landing is where c's user lands: / for a listener, else where / sends
// them.
func (s *site) landing(t *testing.T, c *http.Client) string {
	t.Helper()
	res, err := c.Get(s.srv.URL + "/")
	require.NoError(t, err)
	res.Body.Close()
	if res.StatusCode == http.StatusSeeOther {
		return res.Header.Get("Location")
	}
	require.Equal(t, http.StatusOK, res.StatusCode)
	return "/"
}

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)

	res, err := c.Get(s.srv.URL + "/")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "signed out: sent to the sign-in page")
	require.Equal(t, "/login", res.Header.Get("Location"))

	csrf := s.signIn(t, c)
	u, _ := url.Parse(s.srv.URL)
	var session *http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "wellcheck_session" {
			session = ck
		}
	}
	require.NotNil(t, session)
	// The database keeps the token's SHA-256 and the password's argon2id
	// hash, never either in clear: a stolen copy signs nobody in.
	var stored []byte
	require.NoError(t, s.store.Pool().QueryRow(context.Background(), "SELECT token_hash FROM sessions WHERE user_id = $1", s.user.ID).Scan(&stored))
	sum := sha256.Sum256([]byte(session.Value))
	require.Equal(t, sum[:], stored)
	var hash string
	require.NoError(t, s.store.Pool().QueryRow(context.Background(), "SELECT password_hash FROM users WHERE id = $1", s.user.ID).Scan(&hash))
	require.True(t, strings.HasPrefix(hash, "$argon2id$"), hash)
	require.NotContains(t, hash, password)

	// The audit log has the sign-in; the logs never the password.
	audit, err := s.store.Queries().AuditActionsBy(context.Background(), s.user.ID)
	require.NoError(t, err)
	require.Contains(t, audit, "user.login")
	require.NotContains(t, s.logs.String(), password)

	res, _ = s.post(t, c, "/logout", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, err = c.Get(s.srv.URL + "/")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "signed out")

	// The old cookie, replayed, signs nobody in.
	replay := s.browser(t)
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: "wellcheck_session", Value: session.Value}})
	res, err = replay.Get(s.srv.URL + "/")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
}

func TestCookiesAndHeaders(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)
	_, _, token := s.get(t, c, "/login")
	res, _ := s.post(t, c, "/login", url.Values{"csrf": {token}, "email": {s.user.Email}, "password": {password}}, nil)
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "wellcheck_session" {
			session = ck
		}
	}
	require.NotNil(t, session)
	require.True(t, session.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, session.SameSite)
	require.Equal(t, "/", session.Path)
	require.Len(t, session.Value, 43, "256 random bits")
	require.False(t, session.Secure, "plain HTTP on a loopback address")
	require.Empty(t, res.Header.Get("Strict-Transport-Security"))

	// Behind a TLS proxy on the same host: the cookie is Secure all the same.
	proxied := s.browser(t)
	https := http.Header{"X-Forwarded-Proto": {"https"}}
	_, _, token = s.get(t, proxied, "/login")
	res, _ = s.post(t, proxied, "/login", url.Values{"csrf": {token}, "email": {s.user.Email}, "password": {password}}, https)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "max-age=31536000; includeSubDomains", res.Header.Get("Strict-Transport-Security"))
	secure := 0
	for _, ck := range res.Cookies() {
		require.True(t, ck.Secure, ck.Name)
		secure++
	}
	require.Positive(t, secure)

	for _, path := range []string{"/login", "/"} {
		res, err := c.Get(s.srv.URL + path)
		require.NoError(t, err)
		res.Body.Close()
		csp := res.Header.Get("Content-Security-Policy")
		require.Contains(t, csp, "script-src 'self'")
		require.NotContains(t, csp, "unsafe-inline")
		require.Contains(t, csp, "frame-ancestors 'none'")
		require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
		require.Equal(t, "no-store", res.Header.Get("Cache-Control"))
		require.Equal(t, "same-origin", res.Header.Get("Referrer-Policy"), "no referrer leaves for another site")
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)
	csrf := s.signIn(t, c)

	for name, tc := range map[string]struct {
		form   url.Values
		header http.Header
	}{
		"no token":                           {url.Values{}, nil},
		"another token":                      {url.Values{"csrf": {strings.Repeat("x", 43)}}, nil},
		"another site":                       {url.Values{"csrf": {csrf}}, http.Header{"Origin": {"https://evil.example"}}},
		"another referrer":                   {url.Values{"csrf": {csrf}}, http.Header{"Referer": {"https://evil.example/page"}}},
		"another site, as a browser says it": {url.Values{"csrf": {csrf}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		"a sibling site":                     {url.Values{"csrf": {csrf}}, http.Header{"Sec-Fetch-Site": {"same-site"}}},
	} {
		res, body := s.post(t, c, "/logout/everywhere", tc.form, tc.header)
		require.Equal(t, http.StatusForbidden, res.StatusCode, name)
		require.Contains(t, body, "Requête refusée", name)
	}
	status, _, _ := s.get(t, c, "/")
	require.Equal(t, http.StatusOK, status, "still signed in: nothing happened")

	// The sign-in form needs its own token too.
	fresh := s.browser(t)
	res, _ := s.post(t, fresh, "/login", url.Values{"email": {s.user.Email}, "password": {password}}, nil)
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	// And another site cannot sign a browser in, token or not.
	_, _, token := s.get(t, fresh, "/login")
	res, _ = s.post(t, fresh, "/login", url.Values{"csrf": {token}, "email": {s.user.Email}, "password": {password}}, http.Header{"Sec-Fetch-Site": {"cross-site"}})
	require.Equal(t, http.StatusForbidden, res.StatusCode)
}

// The pages' own forms get through however a browser sends them: with
// Sec-Fetch-Site (and "Origin: null" should a policy hide the referrer),
// with Origin alone, with Referer alone, or with none of them.
func TestOwnFormsPassTheOriginCheck(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)
	csrf := s.signIn(t, c)
	for name, header := range map[string]http.Header{
		"a browser today":           {"Sec-Fetch-Site": {"same-origin"}, "Origin": {s.srv.URL}},
		"a referrer hidden":         {"Sec-Fetch-Site": {"same-origin"}, "Origin": {"null"}},
		"no Sec-Fetch-Site":         {"Origin": {s.srv.URL}},
		"only a referrer":           {"Referer": {s.srv.URL + "/"}},
		"no header (not a browser)": nil,
	} {
		res, _ := s.post(t, c, "/me/presence", url.Values{"csrf": {csrf}, "present": {"yes"}}, header)
		require.Equal(t, http.StatusSeeOther, res.StatusCode, name)
		require.Equal(t, "/", res.Header.Get("Location"), name)
	}
}

func TestSignOutEverywhereAndExpiry(t *testing.T) {
	t.Parallel()
	s := setup(t)
	laptop, tablet := s.browser(t), s.browser(t)
	csrf := s.signIn(t, laptop)
	s.signIn(t, tablet)

	res, _ := s.post(t, laptop, "/logout/everywhere", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	status, _, _ := s.get(t, tablet, "/")
	require.Equal(t, http.StatusSeeOther, status, "the tablet is signed out too")

	// Idle for more than two hours: signed out.
	s.signIn(t, tablet)
	s.clock.Set(s.clock.Now().Add(2*time.Hour + time.Minute))
	status, _, _ = s.get(t, tablet, "/")
	require.Equal(t, http.StatusSeeOther, status)

	// A disabled account's sessions end at once.
	s.signIn(t, laptop)
	_, err := s.store.Pool().Exec(context.Background(), "UPDATE users SET disabled_at = now() WHERE id = $1", s.user.ID)
	require.NoError(t, err)
	status, _, _ = s.get(t, laptop, "/")
	require.Equal(t, http.StatusSeeOther, status)
}

// enrol writes a person (Paris, French), with their emergency contacts if
// any, and returns their id.
func (s *site) enrol(t *testing.T, name, number string, contacts ...wellcheck.EmergencyContact) int64 {
	t.Helper()
	ctx := context.Background()
	given := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	e := wellcheck.Enrolment{
		Person:   wellcheck.Person{FullName: name, Phone: wellcheck.Phone(number), Language: "fr", TimeZone: "Europe/Paris", RiskLevel: wellcheck.RiskNormal},
		Referral: wellcheck.Referral{Source: wellcheck.ReferralFamily, ReferredAt: given},
		Consent:  &wellcheck.Consent{GivenBy: wellcheck.ConsentByPerson, GivenAt: given, Method: wellcheck.ConsentByPhone},
		Plan:     wellcheck.Plan{Cron: "0 10 * * 2", Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(17, 0)}},
		Contacts: contacts,
	}
	var id int64
	require.NoError(t, s.store.WithTx(ctx, func(q *store.Queries) error {
		ids, err := q.CopyEnrolments(ctx, []wellcheck.Enrolment{e}, s.clock.Now(), wellcheck.Actor{Label: "test"}, store.AuditDetails{Via: "test"})
		if err == nil {
			id = ids[0]
		}
		return err
	}))
	return id
}

// task puts a follow-up for a person on a list (nil: the pool) and returns
// its case.
func (s *site) task(t *testing.T, personID int64, assignee *int64, reason wellcheck.FollowUpReason, p wellcheck.Priority) int64 {
	t.Helper()
	ctx := context.Background()
	var caseID int64
	require.NoError(t, s.store.WithTx(ctx, func(q *store.Queries) error {
		c, err := q.CreateCase(ctx, wellcheck.Case{PersonID: personID, Priority: p, OpenedReason: wellcheck.CaseFlagged, OpenedAt: s.clock.Now(), DueAt: s.clock.Now(), AssigneeID: assignee})
		if err != nil {
			return err
		}
		caseID = c.ID
		_, err = q.PutFollowUp(ctx, wellcheck.FollowUp{CaseID: c.ID, PersonID: personID, AssigneeID: assignee, Reason: reason, Priority: p, DueAt: s.clock.Now()}, p)
		return err
	}))
	return caseID
}

func TestMyListShowsMineAndThePoolNeverAnothers(t *testing.T) {
	t.Parallel()
	s := setup(t)
	other := s.other
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	s.task(t, s.enrol(t, "Jeanne Martin", "+33612345678"), &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	s.task(t, s.enrol(t, "Paul Durand", "+33612345679"), nil, wellcheck.FollowUpMissed, wellcheck.PriorityNormal)
	s.task(t, s.enrol(t, "Secret Voisin", "+33612345670"), &other.ID, wellcheck.FollowUpUnreached, wellcheck.PriorityUrgent)

	c := s.browser(t)
	s.signIn(t, c)
	_, body, _ := s.get(t, c, "/")
	require.Contains(t, body, "Jeanne Martin")
	require.Contains(t, body, "06 12 34 56 78", "the number formatted")
	require.Contains(t, body, "a demandé un rappel (touche 2)")
	require.Contains(t, body, "Paul Durand")
	require.Contains(t, body, "(pool partagé)")
	require.Contains(t, body, "11:00", "the person's own time (Paris)")
	require.Contains(t, body, "mar. 01/12 11:00")
	require.Less(t, strings.Index(body, "Jeanne Martin"), strings.Index(body, "Paul Durand"), "most pressing first")
	require.NotContains(t, body, "Secret Voisin", "another listener's person")

	version := func() string {
		res, err := c.Get(s.srv.URL + "/list/version")
		require.NoError(t, err)
		defer res.Body.Close()
		var v map[string]string
		require.NoError(t, json.NewDecoder(res.Body).Decode(&v))
		return v["version"]
	}
	v1 := version()
	s.task(t, s.enrol(t, "Autre Personne", "+33612345671"), &other.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	require.Equal(t, v1, version(), "another's new follow-up changes nothing here")
	s.task(t, s.enrol(t, "Nouvelle Personne", "+33612345672"), &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	require.NotEqual(t, v1, version(), "a flag on my list: the page learns it")

	// The page's own question (htmx) is answered with nothing while the list
	// is the one it shows, then with the list as it is now — which asks on
	// with the new version — and, for the live region, what changed.
	shown := regexp.MustCompile(`hx-get="/list/version\?seen=` + regexp.QuoteMeta(v1) + `&amp;shown=(\d+,\d+)"`).FindStringSubmatch(body)
	require.NotNil(t, shown, "the list asks with the version and the cases it shows")
	ask := func(query string, lang ...string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, s.srv.URL+"/list/version?"+query, nil)
		require.NoError(t, err)
		req.Header.Set("HX-Request", "true")
		req.Header.Set("Accept-Language", strings.Join(lang, ","))
		res, err := c.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}
	v2 := version()
	status, update := ask("seen=" + v2)
	require.Equal(t, http.StatusNoContent, status)
	require.Empty(t, update)
	status, update = ask(url.Values{"seen": {v1}, "shown": {shown[1]}}.Encode())
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, update, "Nouvelle Personne", "the new list")
	require.Contains(t, update, `hx-get="/list/version?seen=`+v2+`&amp;shown=`, "which asks on from its own version")
	require.Contains(t, update, `<p id="list-update" hx-swap-oob="innerHTML">Liste mise à jour : 1 nouveau suivi</p>`)
	require.NotContains(t, update, "<html", "the list alone, not a page")
	_, update = ask(url.Values{"seen": {v1}, "shown": {shown[1] + ",999999"}}.Encode())
	require.Contains(t, update, "Liste mise à jour : 1 nouveau suivi, 1 suivi retiré")
	_, update = ask(url.Values{"seen": {v1}, "shown": {""}}.Encode(), "en")
	require.Contains(t, update, "List updated: 3 new follow-ups")
	require.Contains(t, update, "◆</span> high", "the list in English too")

	// Later, the follow-ups whose time has passed say so in words.
	s.clock.Set(s.clock.Now().Add(time.Hour))
	_, body, _ = s.get(t, c, "/")
	require.Equal(t, 3, strings.Count(body, "en retard"), "every follow-up is now overdue")
}

// The list tells priorities by word, colour and shape, gives each number as
// a link that dials it and never breaks it over two lines.
func TestMyListPriorityShapesAndNumbers(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	s.task(t, s.enrol(t, "Jeanne Martin", "+33612345678"), &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityUrgent)
	s.task(t, s.enrol(t, "Paul Durand", "+33612345679"), &s.user.ID, wellcheck.FollowUpMissed, wellcheck.PriorityHigh)
	s.task(t, s.enrol(t, "Anne Petit", "+33612345670"), &s.user.ID, wellcheck.FollowUpMissed, wellcheck.PriorityNormal)
	s.task(t, s.enrol(t, "Luc Blanc", "+33612345671"), &s.user.ID, wellcheck.FollowUpMissed, wellcheck.PriorityLow)
	c := s.browser(t)
	s.signIn(t, c)
	_, body, _ := s.get(t, c, "/")
	for _, want := range []string{"▲</span> urgente", "◆</span> haute", "●</span> normale", "○</span> basse"} {
		require.Contains(t, body, want)
	}
	require.Contains(t, body, `class="tel" href="tel:&#43;33612345678">06 12 34 56 78</a>`)
	require.NotContains(t, body, "en retard", "nothing is overdue yet")
	_, css, _ := s.get(t, c, "/static/app.css")
	require.Contains(t, css, "#list a.tel { white-space: nowrap; }")
}

func TestCasePage(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	other := s.other
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) // Tuesday 11:00 in Paris
	jeanne := s.enrol(t, "Jeanne Martin", "+33612345678")
	mine := s.task(t, jeanne, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	pool := s.task(t, s.enrol(t, "Paul Durand", "+33612345679"), nil, wellcheck.FollowUpMissed, wellcheck.PriorityNormal)
	theirs := s.task(t, s.enrol(t, "Secret Voisin", "+33612345670"), &other.ID, wellcheck.FollowUpUnreached, wellcheck.PriorityUrgent)

	c := s.browser(t)
	csrf := s.signIn(t, c)
	path := func(id int64, rest string) string { return "/cases/" + strconv.FormatInt(id, 10) + rest }

	// Who may see what: the check is the store's query.
	for id, want := range map[int64]int{mine: http.StatusOK, pool: http.StatusOK, theirs: http.StatusNotFound, 999999: http.StatusNotFound} {
		status, body, _ := s.get(t, c, path(id, ""))
		require.Equal(t, want, status, "case %d", id)
		if want == http.StatusNotFound {
			require.NotContains(t, body, "Secret Voisin")
		}
	}
	res, _ := s.post(t, c, path(theirs, "/follow-up"), url.Values{"csrf": {csrf}, "reached": {"yes"}, "close": {"resolved"}}, nil)
	require.Equal(t, http.StatusNotFound, res.StatusCode, "nor act on another's case")
	// Every view of a case file is in the audit log.
	actions, err := s.store.Queries().AuditActionsBy(ctx, s.user.ID)
	require.NoError(t, err)
	views := 0
	for _, a := range actions {
		if a == "case.view" {
			views++
		}
	}
	require.Equal(t, 2, views)

	_, body, _ := s.get(t, c, path(mine, ""))
	require.Contains(t, body, "<h1>Jeanne Martin</h1>")
	require.Contains(t, body, "06 12 34 56 78")
	require.Contains(t, body, "mar. 01/12 11:00", "the person's time")

	// Not reached and no next step: refused, said in French, nothing lost.
	res, body = s.post(t, c, path(mine, "/follow-up"), url.Values{"csrf": {csrf}, "reached": {"no"}, "note": {"messagerie"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, "la personne n&#39;a pas été jointe : indiquez quand rappeler, ou clôturez le dossier")
	_, body, _ = s.get(t, c, "/")
	require.Contains(t, body, "Jeanne Martin")

	// Reached, a note, the next call tomorrow at 14:00 her time: off the list
	// until then, the note on the case.
	res, _ = s.post(t, c, path(mine, "/follow-up"), url.Values{"csrf": {csrf}, "reached": {"yes"},
		"note": {"Va mieux, rappeler après la visite du médecin."}, "next": {"2026-12-02T14:00"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ = s.get(t, c, "/")
	require.NotContains(t, body, "Jeanne Martin")
	_, body, _ = s.get(t, c, path(mine, ""))
	require.Contains(t, body, "Va mieux, rappeler après la visite du médecin.")

	// The pool's case: taken, then closed with the person's agreement.
	res, _ = s.post(t, c, path(pool, "/claim"), url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, _ = s.post(t, c, path(pool, "/follow-up"), url.Values{"csrf": {csrf}, "reached": {"yes"}, "close": {"oriented"}, "agreed": {"yes"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, _ = s.post(t, c, path(pool, "/follow-up"), url.Values{"reached": {"yes"}, "close": {"resolved"}}, nil)
	require.Equal(t, http.StatusForbidden, res.StatusCode, "no CSRF token")
}

// An open tab asks by itself whether its list changed (and the settings
// page how a test call goes); that is not someone at work: a session only
// polled for longer than the idle timeout is over, and the page goes to the
// sign-in form, while one where a person moves around stays open.
func TestPollingDoesNotKeepASessionAlive(t *testing.T) {
	t.Parallel()
	s := setup(t)
	listOpen, settingsOpen, working := s.browser(t), s.browser(t), s.browser(t)
	s.signInAs(t, listOpen, elise)
	s.signInAs(t, settingsOpen, adam)
	s.signInAs(t, working, louis)
	poll := func(c *http.Client, path string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("HX-Request", "true") // as htmx asks
		res, err := c.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}

	// Two and a half hours, each tab asking every ten minutes, Louis
	// opening his list now and then.
	start := s.clock.Now()
	for elapsed := 10 * time.Minute; elapsed < 2*time.Hour; elapsed += 10 * time.Minute {
		s.clock.Set(start.Add(elapsed))
		require.Less(t, poll(listOpen, "/list/version?seen=x").StatusCode, 300, "still signed in after %s", elapsed)
		require.Equal(t, http.StatusOK, poll(settingsOpen, "/admin/test-calls").StatusCode, "still signed in after %s", elapsed)
		if elapsed%(40*time.Minute) == 0 {
			status, _, _ := s.get(t, working, "/")
			require.Equal(t, http.StatusOK, status)
		}
	}
	s.clock.Set(start.Add(2*time.Hour + 30*time.Minute))

	for _, c := range []*http.Client{listOpen, settingsOpen} {
		res := poll(c, "/list/version?seen=x")
		require.Equal(t, http.StatusUnauthorized, res.StatusCode, "the poll finds the session over")
		require.Equal(t, "/login", res.Header.Get("HX-Redirect"), "the page goes to the sign-in form")
		status, _, _ := s.get(t, c, "/")
		require.Equal(t, http.StatusSeeOther, status, "signed out")
	}
	status, _, _ := s.get(t, working, "/")
	require.Equal(t, http.StatusOK, status, "whoever works stays signed in")
}
