package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/web"
)

// Without a public address, passkeys are not offered: the account page
// says why in one sentence, in French and in English, and their routes
// find nothing. Everything else works as before.
func TestPasskeysNeedAPublicAddress(t *testing.T) {
	t.Parallel()
	s := setup(t, func(ui *web.Server) { ui.PublicURL = "" })
	c := s.browser(t)
	csrf := s.signIn(t, c)
	status, body, _ := s.get(t, c, "/account")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Les clés d&#39;accès ne sont pas disponibles : un administrateur doit d&#39;abord indiquer l&#39;adresse publique du service")
	require.NotContains(t, body, "passkey.js")
	require.Contains(t, body, `action="/account/second-factor"`, "the app still")
	res, _ := s.post(t, c, "/account/passkeys/begin", url.Values{"passkey.name": {"Tablette"}}, http.Header{"X-Csrf-Token": {csrf}})
	require.Equal(t, http.StatusNotFound, res.StatusCode)

	// Passkeys added before the address was unset are still listed, to
	// remove.
	id, err := s.store.Queries().AddPasskey(t.Context(), store.Passkey{UserID: s.user.ID, CredentialID: []byte("credential"), PublicKey: []byte("key"),
		Name: "Tablette du bureau", CreatedAt: s.clock.Now()})
	require.NoError(t, err)
	_, body, _ = s.get(t, c, "/account")
	require.Contains(t, body, "Tablette du bureau")
	require.Contains(t, body, `action="/account/passkeys/`+strconv.FormatInt(id, 10)+`/delete"`)
	require.NotContains(t, body, "passkey.js")

	_, _, _ = s.get(t, c, "/lang?to=en&next=/account")
	_, body, _ = s.get(t, c, "/account")
	require.Contains(t, body, "Passkeys are not available: an administrator must first set the service&#39;s public address")
}

// The first half of adding a passkey: the options for the browser, bound to
// the public address's host name, asked with the session's CSRF token in a
// header; a name too long is refused in words the page shows.
func TestPasskeyOptions(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)
	csrf := s.signIn(t, c)
	res, body := s.post(t, c, "/account/passkeys/begin", url.Values{"passkey.name": {"Tablette"}}, nil)
	require.Equal(t, http.StatusForbidden, res.StatusCode, "no CSRF token: %s", body)

	res, body = s.post(t, c, "/account/passkeys/begin", url.Values{"passkey.name": {"Tablette"}}, http.Header{"X-Csrf-Token": {csrf}})
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	var options struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RP        struct {
				ID string `json:"id"`
			} `json:"rp"`
			AuthenticatorSelection struct {
				UserVerification string `json:"userVerification"`
			} `json:"authenticatorSelection"`
		} `json:"publicKey"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &options))
	require.Equal(t, "localhost", options.PublicKey.RP.ID)
	require.Equal(t, "preferred", options.PublicKey.AuthenticatorSelection.UserVerification)
	require.NotEmpty(t, options.PublicKey.Challenge)
	var kept int
	require.NoError(t, s.store.Pool().QueryRow(t.Context(), "SELECT count(*) FROM passkey_registrations WHERE user_id = $1", s.user.ID).Scan(&kept))
	require.Equal(t, 1, kept, "the challenge stays on the server")
	require.Empty(t, res.Header.Values("Set-Cookie"), "and not in a cookie")

	long := make([]byte, 61)
	for i := range long {
		long[i] = 'a'
	}
	res, body = s.post(t, c, "/account/passkeys/begin", url.Values{"passkey.name": {string(long)}}, http.Header{"X-Csrf-Token": {csrf}})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	var refused struct{ Error string }
	require.NoError(t, json.Unmarshal([]byte(body), &refused))
	require.Contains(t, refused.Error, "donnez-lui un nom de 1 à 60 caractères")
}

// A code refused on the account page: the summary's link goes to the
// field of the form that was sent, which is on the page.
func TestAccountErrorsLinkToTheirField(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)
	csrf := s.signIn(t, c)
	s.enrolFromAccount(t, c, csrf)
	for path, id := range map[string]string{
		"/account/second-factor/recovery-codes": "codes-code",
		"/account/second-factor/disable":        "off-code",
	} {
		res, body := s.post(t, c, path, url.Values{"csrf": {csrf}, "mfa.code": {"000000"}}, nil)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, path)
		require.Contains(t, body, `<a href="#`+id+`">`, path)
		require.Contains(t, body, `<input id="`+id+`"`, path)
		require.NotContains(t, body, `href="#mfa.code"`, path)
	}
}
