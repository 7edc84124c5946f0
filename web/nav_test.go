package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/web"
)

// addUser adds an account with roles and the tests' password.
func (s *site) addUser(t *testing.T, email, name string, roles ...wellcheck.Role) wellcheck.User {
	t.Helper()
	ctx := context.Background()
	u, err := s.store.Queries().CreateUser(ctx, wellcheck.User{Email: email, FullName: name, Roles: roles, Capacity: 10})
	require.NoError(t, err)
	require.NoError(t, s.store.Queries().SetPasswordHash(ctx, u.ID, passwordHash(), time.Now()))
	return u
}

// Each lands on what they act on: a listener, whatever their other roles,
// on their list; a coordinator on the queue; an admin who is nothing else on
// the dashboard. What an action came back to say is said there.
func TestLanding(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.addUser(t, "lc@example.org", "Léa Deux-Rôles", wellcheck.RoleListener, wellcheck.RoleCoordinator)
	s.addUser(t, "ac@example.org", "Anne Admin-Coord", wellcheck.RoleAdmin, wellcheck.RoleCoordinator)
	for _, tc := range []struct {
		email, lands, h1 string
	}{
		{elise, "/", "<h1>Ma liste</h1>"},
		{"lc@example.org", "/", "<h1>Ma liste</h1>"},
		{claire, "/queue", "<h1>À traiter</h1>"},
		{"ac@example.org", "/queue", "<h1>À traiter</h1>"},
		{adam, "/dashboard", "<h1>Tableau de bord</h1>"},
	} {
		c := s.browser(t)
		_, body := s.signInAs(t, c, tc.email)
		require.Equal(t, tc.lands, s.landing(t, c), tc.email)
		require.Contains(t, body, tc.h1, tc.email)
	}

	// A coordinator's list is still theirs to see, at /list.
	c := s.browser(t)
	s.signInAs(t, c, claire)
	status, body, _ := s.get(t, c, "/list")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "<h1>Ma liste</h1>")

	// A case closed sends to /, which sends a coordinator to the queue with
	// the notice.
	res, err := c.Get(s.srv.URL + "/?done=closed")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/queue?done=closed", res.Header.Get("Location"))
	_, body, _ = s.get(t, c, "/queue?done=closed")
	require.Contains(t, body, "Clôture enregistrée.")
}

// The header holds the role's links, the user's name (their account) and
// one sign-out button; signing out everywhere is on the account page.
func TestHeaderAndAccount(t *testing.T) {
	t.Parallel()
	s := setup(t)
	header := func(body string) string {
		start := strings.Index(body, `<header class="top">`)
		require.GreaterOrEqual(t, start, 0)
		return body[start : start+strings.Index(body[start:], "</header>")]
	}

	l := s.browser(t)
	csrf := s.signIn(t, l)
	_, body, _ := s.get(t, l, "/")
	h := header(body)
	require.Contains(t, h, `href="/" aria-current="page">Ma liste</a>`, "the page they are on")
	require.Contains(t, h, `<span class="away">Absent(e)</span>`, "a listener's presence")
	require.Equal(t, 1, strings.Count(h, `action="/logout"`), "one sign-out button")
	require.NotContains(t, h, "/logout/everywhere", "not in the header")
	require.NotContains(t, h, "/queue", "a listener's links only")
	require.NotContains(t, h, "Administration")

	status, body, _ := s.get(t, l, "/account")
	require.Equal(t, http.StatusOK, status)
	main := body[strings.Index(body, "<main"):]
	require.Contains(t, main, "<dd>Élise Écoutante</dd>")
	require.Contains(t, main, "<dd>ecoutante@example.org</dd>")
	require.Contains(t, main, "<dd>écoutant</dd>", "roles in words")
	require.Contains(t, main, `href="/lang?to=en&amp;next=/account"`)
	require.Contains(t, main, `action="/logout/everywhere"`)
	require.Contains(t, header(body), `aria-current="page">Élise Écoutante</a>`)

	// Signing out everywhere from there ends every session.
	other := s.browser(t)
	s.signIn(t, other)
	res, _ := s.post(t, l, "/logout/everywhere", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	status, _, _ = s.get(t, other, "/")
	require.Equal(t, http.StatusSeeOther, status, "the other device is signed out")

	// A coordinator: the queue, persons, enrolment, the dashboard, the
	// rest grouped; no administration, no presence.
	c := s.browser(t)
	_, body = s.signInAs(t, c, claire)
	h = header(body)
	for _, link := range []string{"/queue", "/persons", "/persons/new", "/dashboard", "/list", "/listeners", "/partners", "/persons/import", "/account"} {
		require.Contains(t, h, `href="`+link+`"`, link)
	}
	require.NotContains(t, h, "/admin/")
	require.NotContains(t, h, "/me/presence")
	_, body, _ = s.get(t, c, "/account")
	require.Contains(t, body, "<dd>coordinateur</dd>")

	// An admin: the administration's links grouped, River's dashboard with
	// them.
	a := s.browser(t)
	_, body = s.signInAs(t, a, adam)
	h = header(body)
	admin := h[strings.Index(h, "Administration</summary>"):]
	for _, link := range []string{"/admin/settings", "/admin/users", "/admin/audit", "/admin/river/"} {
		require.Contains(t, admin, `href="`+link+`"`, link)
	}
	_, body, _ = s.get(t, a, "/account")
	require.Contains(t, body, "<dd>administrateur</dd>")
}

// Without River's dashboard served, the admin's menu does not offer it.
func TestNoRiverNoLink(t *testing.T) {
	t.Parallel()
	s := setup(t, func(ui *web.Server) { ui.RiverUI = nil })
	_, body := s.signInAs(t, s.browser(t), adam)
	require.Contains(t, body, `href="/admin/users"`)
	require.NotContains(t, body, "/admin/river/")
}

// headerLine is how a header lays out: how many rows its items take, whether
// anything runs off the screen, and the user's name as shown and as titled.
type headerLine struct {
	Rows          int
	Overflows     bool
	Height, Shown float64
	Cut           bool
	Name, Title   string
}

const headerLineJS = `(() => {
	const header = document.querySelector("header.top"), who = header.querySelector(".who");
	const items = [...header.querySelectorAll("a, summary, button, .present, .away")]
		.filter(e => e.checkVisibility()).map(e => e.getBoundingClientRect());
	const rows = new Set(items.map(r => Math.round(r.top + r.height / 2)));
	return {Rows: rows.size, Overflows: document.documentElement.scrollWidth > window.innerWidth || items.some(r => r.right > window.innerWidth),
		Height: header.getBoundingClientRect().height, Shown: who.clientWidth, Cut: who.scrollWidth > who.clientWidth,
		Name: who.textContent, Title: who.title};
})()`

// A long name does not push the header onto a second line on a tablet held
// upright (820 px) or not (1100 px): it is cut with an ellipsis and stays
// whole in the link's text (its accessible name) and title — for an admin,
// and for a listener who also coordinates and administers, whose presence is
// in the header too; in French and in English.
func TestBrowserLongNameKeepsTheHeaderOnOneLine(t *testing.T) {
	t.Parallel()
	s := setup(t)
	const long = "Marie-Bernadette Delacroix-Montgolfier"
	s.addUser(t, "mb@example.org", long, wellcheck.RoleAdmin)
	s.addUser(t, "mb3@example.org", long, wellcheck.RoleListener, wellcheck.RoleCoordinator, wellcheck.RoleAdmin)
	for _, email := range []string{"mb@example.org", "mb3@example.org"} {
		b := s.tab(t)
		b.signIn(t, email)
		for _, width := range []int64{820, 1100} {
			for _, lang := range []string{"fr", "en"} {
				b.run(t, chromedp.EmulateViewport(width, 1180), chromedp.Navigate(s.srv.URL+"/lang?to="+lang+"&next=/account"), chromedp.WaitVisible(css("header .who")))
				h := eval[headerLine](t, b, headerLineJS)
				require.Equal(t, 1, h.Rows, "%s at %d px in %s: one line", email, width, lang)
				require.Less(t, h.Height, 60.0, "%s at %d px in %s: one line high", email, width, lang)
				require.False(t, h.Overflows, "%s at %d px in %s: nothing off the screen", email, width, lang)
				require.True(t, h.Cut, "%s at %d px in %s: the name is cut", email, width, lang)
				require.GreaterOrEqual(t, h.Shown, 90.0, "%s at %d px in %s: enough of the name to know it", email, width, lang)
				require.Equal(t, long, h.Name, "the whole name to a screen reader")
				require.Contains(t, h.Title, long, "the whole name on hovering")
			}
		}
	}
}

// On a phone (390×844) a coordinator's and an admin's links are behind
// "Menu": hidden until it opens, shown when it does, and one of them leads
// to its page; nothing runs off the screen, even with a long name and every
// role.
func TestBrowserPhoneMenu(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.addUser(t, "mb3@example.org", "Marie-Bernadette Delacroix-Montgolfier", wellcheck.RoleListener, wellcheck.RoleCoordinator, wellcheck.RoleAdmin)
	for _, tc := range []struct{ email, link, h1 string }{
		{claire, "/persons", "Personnes"},
		{adam, "/dashboard", "Tableau de bord"},
		{"mb3@example.org", "/queue", "À traiter"},
	} {
		b := s.tab(t)
		b.run(t, chromedp.EmulateViewport(390, 844))
		b.signIn(t, tc.email)
		visible := func(sel string) bool {
			return eval[bool](t, b, `(() => { const e = document.querySelector(`+"`"+sel+"`"+`); return !!e && e.checkVisibility(); })()`)
		}
		link := `header a[href="` + tc.link + `"]`
		require.Equal(t, 0, eval[int](t, b, `[...document.querySelectorAll('`+link+`')].filter(e => e.checkVisibility()).length`), "%s: behind Menu", tc.email)
		require.True(t, visible(`header .nav-narrow > summary`), "%s: Menu is there", tc.email)
		require.Equal(t, "Menu", b.text(t, "header .nav-narrow > summary"))
		h := eval[headerLine](t, b, headerLineJS)
		require.False(t, h.Overflows, "%s: nothing off the screen", tc.email)

		b.run(t, chromedp.Click(css(`header .nav-narrow > summary`)), chromedp.WaitVisible(css(`header .nav-narrow `+link[len("header "):])))
		for _, l := range []string{"/queue", "/persons", "/persons/new", "/dashboard"} {
			require.True(t, visible(`header .nav-narrow a[href="`+l+`"]`), "%s: %s in the open Menu", tc.email, l)
		}
		b.run(t, chromedp.Click(css(`header .nav-narrow `+link[len("header "):])))
		b.waitText(t, "main h1", tc.h1)
		require.Equal(t, s.srv.URL+tc.link, eval[string](t, b, "location.href"))
	}
}
