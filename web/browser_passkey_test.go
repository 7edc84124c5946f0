package web_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// localhost is the site's address by name: passkeys need a secure context
// and a relying party named, not numbered, and setup gives the server
// http://localhost:<port> as its public address.
func (s *site) localhost() string {
	return strings.Replace(s.srv.URL, "127.0.0.1", "localhost", 1)
}

// virtualAuthenticator gives the tab a platform authenticator (CTAP2,
// internal, resident keys, user verification that succeeds), as a phone or
// a laptop with a fingerprint reader has, and returns its id.
func (b *tab) virtualAuthenticator(t *testing.T) webauthn.AuthenticatorID {
	t.Helper()
	_, err := chromedp.Call(b.ctx, webauthn.Enable, webauthn.EnableParams{})
	require.NoError(t, err)
	res, err := chromedp.Call(b.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
	require.NoError(t, err)
	return res.AuthenticatorID
}

// passwordAt signs in with email's password on the site at base, to the
// element then.
func (b *tab) passwordAt(t *testing.T, base, email, then string) {
	t.Helper()
	b.run(t,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css("#email"), email),
		chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css(then)),
	)
}

// shoot saves the page at a desktop's and at a tablet's size in
// $WELLCHECK_SHOTS, when set, to look at.
func (b *tab) shoot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("WELLCHECK_SHOTS")
	if dir == "" {
		return
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, size := range [][2]int64{{1280, 900}, {820, 1180}} {
		b.run(t, chromedp.EmulateViewport(size[0], size[1]))
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+"-"+strconv.FormatInt(size[0], 10)+".png"), png, 0o644))
	}
	b.run(t, chromedp.EmulateViewport(820, 1180))
}

// A listener adds a passkey from her account page, signs out, and signs in
// with her password and the passkey. A passkey that does not sign right
// fails with a French message and takes a try. An admin's reset removes the
// passkey: she signs in with her password alone.
func TestBrowserPasskey(t *testing.T) {
	t.Parallel()
	s := setup(t)
	site := s.localhost()
	ctx := context.Background()
	b := s.tab(t)
	key := b.virtualAuthenticator(t)

	b.passwordAt(t, site, elise, "header .who")
	b.run(t,
		chromedp.Navigate(site+"/account"),
		chromedp.WaitVisible(css("#passkeys")),
	)
	name, err := chromedp.Run(b.ctx, chromedp.Value(css(`[id="passkey.name"]`)))
	require.NoError(t, err)
	require.Equal(t, "Clé d'accès 1", name, "a name proposed")
	b.checkA11y(t, "/account, passkeys offered")
	b.run(t,
		chromedp.SetValue(css(`[id="passkey.name"]`), "Tablette du bureau"),
		chromedp.Click(css("form.passkey-add button[type=submit]")),
		chromedp.WaitVisible(css("ol.codes")),
	)
	codes, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("ol.codes code")].map(c => c.textContent)`))
	require.NoError(t, err)
	require.Len(t, codes, 10, "her first factor: the recovery codes, once")
	b.run(t,
		chromedp.Click(css("main a.button")),
		chromedp.WaitVisible(css("ul.passkeys")),
	)
	list := b.text(t, "ul.passkeys")
	require.Contains(t, list, "Tablette du bureau")
	require.Contains(t, list, "dernière utilisation : jamais")
	b.checkA11y(t, "/account with a passkey")
	b.shoot(t, "account-passkey")
	// The same device again: it already holds her passkey, which the page
	// says in its status line, without leaving the page.
	b.run(t, chromedp.Click(css("form.passkey-add button[type=submit]")))
	b.waitText(t, "form.passkey-add .passkey-status.failed", "Cet appareil détient déjà l'une de vos clés d'accès")
	b.checkA11y(t, "/account, a passkey refused by the device")
	b.shoot(t, "account-passkey-refused")
	require.Contains(t, b.text(t, "ul.passkeys"), "Tablette du bureau")

	// Signed out, the password leads to the second step and its button.
	b.run(t,
		chromedp.Click(css("header form.logout button")),
		chromedp.WaitVisible(css("#email")),
	)
	b.passwordAt(t, site, elise, "form.passkey-use button")
	require.Equal(t, "Utiliser une clé d'accès", b.text(t, "form.passkey-use button"))
	require.Equal(t, "Code de secours", b.text(t, `label[for="mfa.code"]`), "no app: the code field takes recovery codes")
	b.checkA11y(t, "second step with a passkey")
	b.shoot(t, "second-step-passkey")
	b.run(t,
		chromedp.Click(css("form.passkey-use button")),
		chromedp.WaitVisible(css("header .who")),
	)
	require.Equal(t, "Ma liste", b.text(t, "h1"))
	var used bool
	require.NoError(t, s.store.Pool().QueryRow(ctx, "SELECT last_used_at IS NOT NULL FROM passkeys WHERE user_id = $1", s.user.ID).Scan(&used))
	require.True(t, used)

	// A signature that does not verify (a wrong key): refused in French, and
	// counted as a wrong code.
	b.run(t,
		chromedp.Click(css("header form.logout button")),
		chromedp.WaitVisible(css("#email")),
	)
	b.passwordAt(t, site, elise, "form.passkey-use button")
	_, err = chromedp.Call(b.ctx, webauthn.SetResponseOverrideBits, webauthn.SetResponseOverrideBitsParams{AuthenticatorID: key, IsBogusSignature: ptr(true)})
	require.NoError(t, err)
	b.run(t, chromedp.Click(css("form.passkey-use button")))
	b.waitText(t, "#problems", "La clé d'accès n'a pas été reconnue")
	b.checkA11y(t, "second step, passkey refused")
	b.shoot(t, "second-step-passkey-refused")
	var tries int
	require.NoError(t, s.store.Pool().QueryRow(ctx, "SELECT failures FROM second_factor_tries WHERE user_id = $1", s.user.ID).Scan(&tries))
	require.Equal(t, 1, tries, "the failed passkey took a try")
	require.Contains(t, s.logs.String(), "passkey refused", "the reason is logged")
	var credential, publicKey []byte
	require.NoError(t, s.store.Pool().QueryRow(ctx, "SELECT credential_id, public_key FROM passkeys WHERE user_id = $1", s.user.ID).Scan(&credential, &publicKey))
	for _, secret := range [][]byte{credential, publicKey} {
		for _, enc := range []string{base64.RawURLEncoding.EncodeToString(secret), base64.StdEncoding.EncodeToString(secret), hex.EncodeToString(secret)} {
			require.NotContains(t, s.logs.String(), enc, "never a credential id or public key in the logs")
		}
	}

	// The authenticator gone (another device, without her passkey): the
	// browser finds no passkey of hers, which is refused and counted too.
	_, err = chromedp.Call(b.ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: key})
	require.NoError(t, err)
	empty := b.virtualAuthenticator(t)
	_, err = chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("problems").remove() === undefined`))
	require.NoError(t, err)
	b.run(t, chromedp.Click(css("form.passkey-use button")))
	b.waitText(t, "#problems", "La clé d'accès n'a pas été reconnue")
	require.NoError(t, s.store.Pool().QueryRow(ctx, "SELECT failures FROM second_factor_tries WHERE user_id = $1", s.user.ID).Scan(&tries))
	require.Equal(t, 2, tries)
	_, err = chromedp.Call(b.ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: empty})
	require.NoError(t, err)

	// An admin resets her second factor: the passkey is gone, and she
	// signs in with her password alone (a listener's role does not
	// require one here).
	a := s.tab(t)
	a.signIn(t, adam)
	a.run(t,
		chromedp.Navigate(s.srv.URL+"/admin/users/"+strconv.FormatInt(s.user.ID, 10)),
		chromedp.Click(css("#mfa-reset-form button")),
		chromedp.WaitVisible(css("p.notice")),
	)
	var left int
	require.NoError(t, s.store.Pool().QueryRow(ctx, "SELECT count(*) FROM passkeys WHERE user_id = $1", s.user.ID).Scan(&left))
	require.Zero(t, left)
	b.passwordAt(t, site, elise, "header .who")
	require.Equal(t, "Ma liste", b.text(t, "h1"))
}

func ptr[T any](v T) *T { return &v }
