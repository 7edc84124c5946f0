package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

var (
	secretShown   = regexp.MustCompile(`<code class="secret"[^>]*>([A-Z2-7 ]+)</code>`)
	recoveryShown = regexp.MustCompile(`<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>`)
)

// totpCode is the code of secret (as shown, in groups) at the site's time.
func (s *site) totpCode(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(strings.ReplaceAll(secret, " ", ""), s.clock.Now(),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(t, err)
	return c
}

// tick moves the site's clock to the next TOTP step, so that a new code
// is not refused as a replay.
func (s *site) tick() { s.clock.Set(s.clock.Now().Add(30 * time.Second)) }

// password signs c in with email's password and returns where it was sent.
func (s *site) password(t *testing.T, c *http.Client, email string) string {
	t.Helper()
	_, _, token := s.get(t, c, "/login")
	res, _ := s.post(t, c, "/login", url.Values{"csrf": {token}, "email": {email}, "password": {password}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	return res.Header.Get("Location")
}

// enrolFromAccount turns on Élise's second factor from her account page
// and returns the secret she read there and her recovery codes.
func (s *site) enrolFromAccount(t *testing.T, c *http.Client, csrf string) (string, []string) {
	t.Helper()
	res, body := s.post(t, c, "/account/second-factor", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	m := secretShown.FindStringSubmatch(body)
	require.NotNil(t, m, "the secret, in groups, for typing")
	require.Contains(t, body, `<img class="qr" src="data:image/png;base64,`, "a QR code drawn here")
	res, body = s.post(t, c, "/account/second-factor/confirm", url.Values{"csrf": {csrf}, "mfa.code": {"000000"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, m[1], "a wrong code shows the same secret again")
	res, body = s.post(t, c, "/account/second-factor/confirm", url.Values{"csrf": {csrf}, "mfa.code": {s.totpCode(t, m[1])}}, nil)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	var codes []string
	for _, c := range recoveryShown.FindAllStringSubmatch(body, -1) {
		codes = append(codes, c[1])
	}
	require.Len(t, codes, 10)
	return m[1], codes
}

// secondStep sends code at the second step and returns the answer.
func (s *site) secondStep(t *testing.T, c *http.Client, code string) (*http.Response, string) {
	t.Helper()
	status, _, token := s.get(t, c, "/login/second-factor")
	require.Equal(t, http.StatusOK, status)
	require.NotEmpty(t, token)
	return s.post(t, c, "/login/second-factor", url.Values{"csrf": {token}, "mfa.code": {code}}, nil)
}

func TestSignInWithASecondFactor(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)
	csrf := s.signIn(t, c)
	secret, codes := s.enrolFromAccount(t, c, csrf)
	status, body, _ := s.get(t, c, "/account")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "10 codes de secours restent inutilisés")
	require.NotContains(t, body, `class="secret"`)
	require.NotContains(t, body, secret, "never shown again")

	// The password alone opens nothing: the second step is not a session.
	fresh := s.browser(t)
	require.Equal(t, "/login/second-factor", s.password(t, fresh, elise))
	for _, path := range []string{"/", "/account", "/list"} {
		res, err := fresh.Get(s.srv.URL + path)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, "/login", res.Header.Get("Location"), path)
	}
	status, body, _ = s.get(t, fresh, "/login/second-factor")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "<h1>Vérification en deux étapes</h1>")
	require.Contains(t, body, `autocomplete="one-time-code"`)

	res, body := s.secondStep(t, fresh, "123456")
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, "Ce code n&#39;est pas le bon")
	s.tick()
	res, _ = s.secondStep(t, fresh, s.totpCode(t, secret))
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/", res.Header.Get("Location"))
	status, body, _ = s.get(t, fresh, "/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "<h1>Ma liste</h1>")

	// A recovery code, once.
	again := s.browser(t)
	s.password(t, again, elise)
	res, _ = s.secondStep(t, again, strings.ToUpper(codes[0]))
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/account?done=recovery_used#second-factor", res.Header.Get("Location"))
	status, body, _ = s.get(t, again, "/account?done=recovery_used")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "9 codes de secours restent inutilisés")
	other := s.browser(t)
	s.password(t, other, elise)
	res, _ = s.secondStep(t, other, codes[0])
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "a recovery code works once")

	actions, err := s.store.Queries().AuditActionsBy(context.Background(), s.user.ID)
	require.NoError(t, err)
	require.Contains(t, actions, "mfa.enrol")
	var details []string
	rows, err := s.store.Pool().Query(context.Background(), "SELECT details::text FROM audit_log WHERE action = 'user.login' ORDER BY id")
	require.NoError(t, err)
	for rows.Next() {
		var d string
		require.NoError(t, rows.Scan(&d))
		details = append(details, d)
	}
	require.NoError(t, rows.Err())
	require.Contains(t, strings.Join(details, "\n"), `"second_factor": "recovery_code"`)
	require.NotContains(t, s.logs.String(), strings.ReplaceAll(secret, " ", ""), "no secret in the logs")
	require.NotContains(t, s.logs.String(), codes[1])
}

func TestSecondStepHasItsOwnAttemptLimit(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)
	secret, _ := s.enrolFromAccount(t, c, s.signIn(t, c))
	s.tick()

	b := s.browser(t)
	s.password(t, b, elise)
	for range 4 {
		res, _ := s.secondStep(t, b, "999999")
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	}
	// The fifth wrong code ends the step: back to the password, and the
	// account's second step is locked for a while, right code or not.
	res, body := s.secondStep(t, b, "999999")
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	require.Contains(t, body, "Trop d&#39;essais")
	res, err := b.Get(s.srv.URL + "/login/second-factor")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, "/login", res.Header.Get("Location"))
	s.password(t, b, elise)
	res, body = s.secondStep(t, b, s.totpCode(t, secret))
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	require.Contains(t, body, "Trop de codes faux")
	s.clock.Set(s.clock.Now().Add(16 * time.Minute))
	s.password(t, b, elise)
	res, _ = s.secondStep(t, b, s.totpCode(t, secret))
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
}

func TestRequiredRoleEnrolsAtSignIn(t *testing.T) {
	t.Parallel()
	s := setup(t)
	a := s.browser(t)
	csrf, _ := s.signInAs(t, a, adam)
	res, _ := s.post(t, a, "/admin/settings/second-factor", url.Values{"csrf": {csrf}, "mfa.roles": {"listener", "coordinator"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ := s.get(t, a, "/admin/settings")
	require.Regexp(t, `value="listener" checked`, body)
	require.NotRegexp(t, `value="admin" checked`, body)

	c := s.browser(t)
	require.Equal(t, "/login/second-factor", s.password(t, c, elise))
	status, body, token := s.get(t, c, "/login/second-factor")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Votre rôle demande une double authentification")
	m := secretShown.FindStringSubmatch(body)
	require.NotNil(t, m)
	res, body = s.post(t, c, "/login/second-factor", url.Values{"csrf": {token}, "mfa.code": {s.totpCode(t, m[1])}}, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Len(t, recoveryShown.FindAllStringSubmatch(body, -1), 10, "the codes, shown once")
	status, body, _ = s.get(t, c, "/account")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "elle ne peut pas être désactivée")
	require.NotContains(t, body, "/account/second-factor/disable")

	// An admin, not required here, signs in with the password alone.
	require.Equal(t, "/", s.password(t, s.browser(t), adam))
}

func TestAdminResetsASecondFactor(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)
	s.enrolFromAccount(t, c, s.signIn(t, c))

	a := s.browser(t)
	csrf, _ := s.signInAs(t, a, adam)
	page := "/admin/users/" + strconv.FormatInt(s.user.ID, 10)
	_, body, _ := s.get(t, a, page)
	require.Contains(t, body, "Double authentification activée.")
	res, _ := s.post(t, a, page+"/second-factor/reset", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ = s.get(t, a, res.Header.Get("Location"))
	require.Contains(t, body, "Double authentification réinitialisée")
	require.Contains(t, body, "Pas de double authentification.")

	// Élise's sessions ended; she signs in with her password alone.
	res, err := c.Get(s.srv.URL + "/")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, "/login", res.Header.Get("Location"))
	require.Equal(t, "/", s.password(t, c, elise))
	actions, err := s.store.Queries().AuditActionsBy(context.Background(), s.admin.ID)
	require.NoError(t, err)
	require.Contains(t, actions, "user.mfa_reset")
}

func TestSessionsOnTheAccountPage(t *testing.T) {
	t.Parallel()
	s := setup(t)
	withAgent := func(ua string) *http.Client {
		c := s.browser(t)
		c.Transport = agent{ua}
		return c
	}
	ipad := withAgent("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
	firefox := withAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0")
	s.signIn(t, ipad)
	s.clock.Set(s.clock.Now().Add(time.Minute))
	csrf := s.signIn(t, firefox)

	status, body, _ := s.get(t, firefox, "/account")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "<strong>Safari sur iPad</strong></p>")
	require.Contains(t, body, "<strong>Firefox sur Windows</strong> — <span class=\"current\">cette session</span>")
	require.NotContains(t, body, "Safari sur iPad</strong> — ", "only this session is marked")
	ids := regexp.MustCompile(`action="/account/sessions/(\d+)/end"`).FindAllStringSubmatch(body, -1)
	require.Len(t, ids, 2)
	ipadID := ids[1][1] // the latest seen first: this one, then the iPad
	require.NotContains(t, html.UnescapeString(body), "wellcheck_session", "no token on the page")

	res, _ := s.post(t, firefox, "/account/sessions/"+ipadID+"/end", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, err := ipad.Get(s.srv.URL + "/")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, "/login", res.Header.Get("Location"), "the iPad is signed out")
	status, body, _ = s.get(t, firefox, "/account?done=session_ended")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Session fermée.")
	require.NotContains(t, body, "Safari sur iPad")

	// Another's session is not found, and stays.
	louis := s.browser(t)
	s.signInAs(t, louis, "louis@example.org")
	sessions, err := s.store.Queries().UserSessions(context.Background(), s.other.ID, s.clock.Now(), time.Time{})
	require.NoError(t, err)
	require.Len(t, sessions, 1)
	res, _ = s.post(t, firefox, "/account/sessions/"+strconv.FormatInt(sessions[0].ID, 10)+"/end", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusNotFound, res.StatusCode)
	status, _, _ = s.get(t, louis, "/")
	require.Equal(t, http.StatusOK, status)
	actions, err := s.store.Queries().AuditActionsBy(context.Background(), s.user.ID)
	require.NoError(t, err)
	require.Contains(t, actions, "session.end")
	_ = wellcheck.RoleListener
}

// agent is a transport that says it is a given browser.
type agent struct{ ua string }

func (a agent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", a.ua)
	return http.DefaultTransport.RoundTrip(r)
}

// A new password given by an admin, meant to shut an intruder out, ends a
// sign-in already at its second step too: the code then opens nothing.
func TestANewPasswordEndsASecondStepUnderWay(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)
	secret, _ := s.enrolFromAccount(t, c, s.signIn(t, c))
	s.tick()

	intruder := s.browser(t)
	s.password(t, intruder, elise) // the password is known; the code is not yet
	admin := s.browser(t)
	csrf, _ := s.signInAs(t, admin, adam)
	res, _ := s.post(t, admin, "/admin/users/"+itoa(s.user.ID)+"/password", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)

	// The second step is gone: back to the password, whatever the code.
	res, err := intruder.Get(s.srv.URL + "/login/second-factor")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, "/login", res.Header.Get("Location"))
	res, err = intruder.PostForm(s.srv.URL+"/login/second-factor", url.Values{"mfa.code": {s.totpCode(t, secret)}})
	require.NoError(t, err)
	res.Body.Close()
	res, err = intruder.Get(s.srv.URL + "/list")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, "/login", res.Header.Get("Location"), "no session")
}
