package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// checkA11y runs axe-core on the tab's page: no WCAG 2 A or AA violation.
func (b *tab) checkA11y(t *testing.T, what string) {
	t.Helper()
	for _, found := range b.axe(t) {
		if _, ok := allowedViolations[found.ID]; !ok {
			t.Errorf("%s: %s", what, found)
		}
	}
}

// password signs in to the second step with email's password.
func (b *tab) password(t *testing.T, email string) {
	t.Helper()
	b.run(t,
		chromedp.Navigate(b.s.srv.URL+"/login"),
		chromedp.SendKeys(css("#email"), email),
		chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css(`[id="mfa.code"]`)),
	)
}

// code types code at the second step (or an enrolment) and sends it.
func (b *tab) code(t *testing.T, code string, then string) {
	t.Helper()
	b.run(t,
		chromedp.SendKeys(css(`[id="mfa.code"]`), code),
		chromedp.Click(css("main form button[type=submit]")),
		chromedp.WaitVisible(css(then)),
	)
}

// A listener turns on a second factor from her account page, reading the
// secret on the page as her app would; signs out; signs in with her
// password and a code; and, her phone left at home, with a recovery code.
// Then, signed in on a second browser, she ends that browser's session
// from the first, and the second is signed out.
func TestBrowserSecondFactor(t *testing.T) {
	t.Parallel()
	s := setup(t)
	b := s.tab(t)
	b.signIn(t, elise)
	b.run(t,
		chromedp.Navigate(s.srv.URL+"/account"),
		chromedp.WaitVisible(css("#second-factor")),
	)
	b.checkA11y(t, "/account")
	b.run(t,
		chromedp.Click(css(`form[action="/account/second-factor"] button`)),
		chromedp.WaitVisible(css("img.qr")),
	)
	b.checkA11y(t, "enrolment")
	secret := b.text(t, "code.secret")
	require.Regexp(t, `^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$`, secret)
	b.code(t, s.totpCode(t, secret), "ol.codes")
	b.checkA11y(t, "recovery codes")
	codes, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("ol.codes code")].map(c => c.textContent)`))
	require.NoError(t, err)
	require.Len(t, codes, 10)
	b.run(t,
		chromedp.Click(css("main a.button")),
		chromedp.WaitVisible(css("#second-factor")),
	)
	require.Contains(t, b.text(t, "section[aria-labelledby=second-factor]"), "10 codes de secours restent inutilisés")

	// Signed out, the password leads to the second step, in French.
	b.run(t,
		chromedp.Click(css("header form.logout button")),
		chromedp.WaitVisible(css("#email")),
	)
	b.password(t, elise)
	require.Equal(t, "Vérification en deux étapes", b.text(t, "h1"))
	b.checkA11y(t, "second step")
	s.tick()
	b.code(t, s.totpCode(t, secret), "header .who")
	require.Equal(t, "Ma liste", b.text(t, "h1"))

	// A recovery code, once.
	b.run(t,
		chromedp.Click(css("header form.logout button")),
		chromedp.WaitVisible(css("#email")),
	)
	b.password(t, elise)
	b.code(t, codes[3], "p.notice")
	require.Contains(t, b.text(t, "p.notice"), "code de secours")
	require.Contains(t, b.text(t, "section[aria-labelledby=second-factor]"), "9 codes de secours restent inutilisés")

	// A second browser; the first ends its session.
	other := s.tab(t)
	other.password(t, elise)
	s.tick()
	other.code(t, s.totpCode(t, secret), "header .who")
	b.run(t,
		chromedp.Navigate(s.srv.URL+"/account"),
		chromedp.WaitVisible(css("ul.sessions")),
	)
	b.checkA11y(t, "/account with two sessions")
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("ul.sessions > li").length`))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	b.run(t,
		chromedp.Click(css(`ul.sessions > li:not([aria-current]) button`)),
		chromedp.WaitVisible(css("p.notice")),
	)
	require.Contains(t, b.text(t, "p.notice"), "Session fermée")
	other.run(t,
		chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(css("#email")),
	)
}
