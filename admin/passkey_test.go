package admin_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/store"
)

const publicURL = "https://wellcheck.example.org"

// authenticator is a software passkey (ES256, no attestation) that answers
// the service's challenges as a browser would hand them on; counter is the
// signature counter it reports next.
type authenticator struct {
	t       *testing.T
	key     *ecdsa.PrivateKey
	id      []byte
	counter uint32
	origin  string
}

func newAuthenticator(t *testing.T) *authenticator {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &authenticator{t: t, key: key, id: id, counter: 1, origin: publicURL}
}

var b64 = base64.RawURLEncoding

// challenge reads the challenge of a ceremony's options.
func challenge(t *testing.T, options []byte) string {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	require.NoError(t, json.Unmarshal(options, &o))
	require.NotEmpty(t, o.PublicKey.Challenge)
	return o.PublicKey.Challenge
}

func (a *authenticator) clientData(kind, challenge string) []byte {
	b, err := json.Marshal(map[string]any{"type": kind, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	require.NoError(a.t, err)
	return b
}

// authData is the authenticator data for the relying party wellcheck.example.org:
// user present and verified, the counter, and the credential when attested.
func (a *authenticator) authData(attested []byte) []byte {
	rp := sha256.Sum256([]byte("wellcheck.example.org"))
	flags := byte(0x01 | 0x04)
	if attested != nil {
		flags |= 0x40
	}
	out := append(rp[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.counter)
	return append(out, attested...)
}

// create answers a registration's options.
func (a *authenticator) create(options []byte) []byte {
	t := a.t
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: a.key.X.FillBytes(make([]byte, 32)), -3: a.key.Y.FillBytes(make([]byte, 32))})
	require.NoError(t, err)
	attested := make([]byte, 16) // AAGUID: none
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(a.id)))
	attested = append(append(attested, a.id...), cose...)
	object, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(attested)})
	require.NoError(t, err)
	body, err := json.Marshal(map[string]any{"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(a.clientData("webauthn.create", challenge(t, options))),
			"attestationObject": b64.EncodeToString(object), "transports": []string{"internal"}}})
	require.NoError(t, err)
	return body
}

// get answers a sign-in's options, signing with its key.
func (a *authenticator) get(options []byte) []byte {
	t := a.t
	data := a.authData(nil)
	client := a.clientData("webauthn.get", challenge(t, options))
	clientHash := sha256.Sum256(client)
	digest := sha256.Sum256(append(append([]byte{}, data...), clientHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	require.NoError(t, err)
	body, err := json.Marshal(map[string]any{"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(client), "authenticatorData": b64.EncodeToString(data),
			"signature": b64.EncodeToString(sig)}})
	require.NoError(t, err)
	return body
}

// addPasskey adds a's passkey to u's account through both halves of the
// ceremony, and returns the recovery codes it gave.
func addPasskey(t *testing.T, svc *admin.Service, rp *admin.RelyingParty, u wellcheck.User, session []byte, a *authenticator) []string {
	t.Helper()
	ctx := context.Background()
	options, err := svc.BeginPasskey(ctx, rp, u, session, "Tablette")
	require.NoError(t, err)
	codes, err := svc.FinishPasskey(ctx, wellcheck.UserActor(u.ID, wellcheck.ViaWeb), rp, u, session, a.create(options))
	require.NoError(t, err)
	return codes
}

// pendingSession makes a session and a second step for u: the keys the
// ceremonies are kept under.
func pendingSession(t *testing.T, st *store.Store, u wellcheck.User, now time.Time) (session, pending []byte) {
	t.Helper()
	ctx := context.Background()
	session, pending = admin.HashSecret(admin.NewSecret()), admin.HashSecret(admin.NewSecret())
	require.NoError(t, st.Queries().CreateSession(ctx, store.Session{TokenHash: session, UserID: u.ID, CSRFToken: admin.NewSecret(),
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	require.NoError(t, st.Queries().CreatePendingLogin(ctx, store.PendingLogin{TokenHash: pending, UserID: u.ID, CSRFToken: admin.NewSecret(),
		CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}))
	return session, pending
}

// errorKey is the catalogue key of err's domain error.
func errorKey(err error) string {
	var e *wellcheck.Error
	if errors.As(err, &e) {
		return e.Message.Key
	}
	return ""
}

func TestPublicURL(t *testing.T) {
	t.Parallel()
	for raw, ok := range map[string]bool{
		"https://wellcheck.example.org":      true,
		"https://wellcheck.example.org:8443": true,
		"http://localhost:8080":              true,
		"https://wellcheck.example.org/":     true,
		"http://wellcheck.example.org":       false, // http only for localhost
		"https://192.0.2.10":                 false, // WebAuthn refuses IP addresses
		"http://127.0.0.1:8080":              false,
		"https://[2001:db8::1]":              false,
		"wellcheck.example.org":              false,
		"ftp://wellcheck.example.org":        false,
		"https://wellcheck.example.org/app":  false,
	} {
		_, err := admin.ParsePublicURL(raw)
		require.Equal(t, ok, err == nil, "%s: %v", raw, err)
	}
	rp, err := admin.NewRelyingParty("https://Wellcheck.example.org:8443")
	require.NoError(t, err)
	require.Equal(t, "wellcheck.example.org", rp.ID)
	require.Equal(t, "https://wellcheck.example.org:8443", rp.Origin)
}

// A passkey alone is a second factor: the role policy is met, the first
// one brings the recovery codes, a second one leaves them, and each is
// used at the second step.
func TestPasskeyIsASecondFactor(t *testing.T) {
	t.Parallel()
	svc, st, clock, u := mfaSetup(t)
	ctx := context.Background()
	rp, err := admin.NewRelyingParty(publicURL)
	require.NoError(t, err)
	session, pending := pendingSession(t, st, u, clock.Now())

	key := newAuthenticator(t)
	codes := addPasskey(t, svc, rp, u, session, key)
	require.Len(t, codes, admin.RecoveryCodes, "the first factor brings the recovery codes")
	has, err := svc.HasSecondFactor(ctx, u.ID)
	require.NoError(t, err)
	require.True(t, has, "a passkey only is a second factor")
	totpOn, err := svc.HasTOTP(ctx, u.ID)
	require.NoError(t, err)
	require.False(t, totpOn)

	// A second passkey: the codes stay as they were.
	other := newAuthenticator(t)
	require.Nil(t, addPasskey(t, svc, rp, u, session, other), "a factor beside another makes no new codes")
	recovery, err := svc.VerifySecondFactor(ctx, u.ID, codes[0])
	require.NoError(t, err, "the first codes still work")
	require.True(t, recovery)

	// The same authenticator cannot be added twice.
	options, err := svc.BeginPasskey(ctx, rp, u, session, "Encore")
	require.NoError(t, err)
	require.Contains(t, string(options), b64.EncodeToString(key.id), "registration excludes the user's passkeys")
	_, err = svc.FinishPasskey(ctx, wellcheck.UserActor(u.ID, wellcheck.ViaWeb), rp, u, session, key.create(options))
	require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err))

	// Signing in: a challenge answered once.
	options, err = svc.BeginPasskeySignIn(ctx, rp, u, pending)
	require.NoError(t, err)
	key.counter = 2
	answer := key.get(options)
	id, err := svc.VerifyPasskey(ctx, rp, u, pending, answer)
	require.NoError(t, err)
	require.NotZero(t, id)
	_, err = svc.VerifyPasskey(ctx, rp, u, pending, answer)
	require.ErrorIs(t, err, admin.ErrNoPasskeyCeremony, "an answer replayed finds no challenge")

	keys, err := st.Queries().Passkeys(ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	require.Equal(t, "Tablette", keys[0].Name)
	require.Equal(t, uint32(2), keys[0].SignCount)
	require.NotNil(t, keys[0].LastUsedAt)
	require.Contains(t, audit(t, st), "web mfa.passkey_add")
}

// An answer whose counter went backwards is refused and audited; a wrong
// key's answer is refused; each takes a try, and the tries lock the step
// as wrong codes do.
func TestPasskeyCounterAndTries(t *testing.T) {
	t.Parallel()
	svc, st, clock, u := mfaSetup(t)
	ctx := context.Background()
	rp, err := admin.NewRelyingParty(publicURL)
	require.NoError(t, err)
	session, pending := pendingSession(t, st, u, clock.Now())
	key := newAuthenticator(t)
	key.counter = 10
	addPasskey(t, svc, rp, u, session, key)

	signIn := func(a *authenticator) error {
		options, err := svc.BeginPasskeySignIn(ctx, rp, u, pending)
		require.NoError(t, err)
		_, err = svc.VerifyPasskey(ctx, rp, u, pending, a.get(options))
		return err
	}
	key.counter = 11
	require.NoError(t, signIn(key))
	// A copy of the key, behind: refused, and said in the audit log.
	key.counter = 5
	require.ErrorIs(t, signIn(key), admin.ErrPasskeyCounter)
	require.Contains(t, audit(t, st), "web mfa.passkey_counter")
	key.counter = 11
	require.ErrorIs(t, signIn(key), admin.ErrPasskeyCounter, "the same count again is no step forwards")
	keys, err := st.Queries().Passkeys(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, uint32(11), keys[0].SignCount, "a refused answer changes nothing")

	// Another authenticator (not hers) and an empty answer prove nothing.
	stranger := newAuthenticator(t)
	require.ErrorIs(t, signIn(stranger), admin.ErrWrongPasskey)
	options, err := svc.BeginPasskeySignIn(ctx, rp, u, pending)
	require.NoError(t, err)
	require.NotEmpty(t, options)
	_, err = svc.VerifyPasskey(ctx, rp, u, pending, []byte("{}"))
	require.ErrorIs(t, err, admin.ErrWrongPasskey)
	// The fifth try since the last right one locks the step, even for the
	// right key.
	key.counter = 20
	require.ErrorIs(t, signIn(stranger), admin.ErrWrongPasskey)
	require.ErrorIs(t, signIn(key), admin.ErrCodeLocked)
	clock.Set(clock.Now().Add(admin.CodeLockFor))
	require.NoError(t, signIn(key), "the lock runs out")
}

// Removing a passkey asks for proof and is refused for the last factor of
// a role that requires one; an admin's reset removes every passkey.
func TestRemovingPasskeys(t *testing.T) {
	t.Parallel()
	svc, st, clock, u := mfaSetup(t)
	ctx := context.Background()
	by := wellcheck.UserActor(u.ID, wellcheck.ViaWeb)
	rp, err := admin.NewRelyingParty(publicURL)
	require.NoError(t, err)
	session, _ := pendingSession(t, st, u, clock.Now())
	codes := addPasskey(t, svc, rp, u, session, newAuthenticator(t))
	keys, err := st.Queries().Passkeys(ctx, u.ID)
	require.NoError(t, err)
	only := keys[0].ID

	require.NoError(t, svc.SetSecondFactorRoles(ctx, wellcheck.SystemActor("test"), []string{"listener"}))
	err = svc.DeletePasskey(ctx, by, u, only, codes[0])
	require.Equal(t, "last_factor_required", errorKey(err), "the last factor of a role that requires one")
	left, err := st.Queries().UnusedRecoveryCodes(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, admin.RecoveryCodes, left, "refused before any code is spent")
	require.ErrorIs(t, svc.DeletePasskey(ctx, by, u, only+1000, codes[0]), wellcheck.ErrNotFound)

	// With TOTP beside it, the passkey may go, on the app's code.
	secret, none := enrolled(t, svc, clock, u)
	require.Nil(t, none, "TOTP beside a passkey makes no new codes")
	clock.Set(clock.Now().Add(time.Minute))
	require.ErrorIs(t, svc.DeletePasskey(ctx, by, u, only, codes[0]), admin.ErrWrongCode, "with TOTP on, its code, not a recovery code")
	require.NoError(t, svc.DeletePasskey(ctx, by, u, only, code(t, secret, clock.Now())))
	require.Contains(t, audit(t, st), "web mfa.passkey_remove")
	// And TOTP is now the last factor: it cannot be turned off.
	clock.Set(clock.Now().Add(time.Minute))
	err = svc.DisableSecondFactor(ctx, by, u, code(t, secret, clock.Now()))
	require.Equal(t, "second_factor_required", errorKey(err))

	// Not required: a passkey-only user removes her last one with a
	// recovery code, and her codes go with it.
	require.NoError(t, svc.SetSecondFactorRoles(ctx, wellcheck.SystemActor("test"), nil))
	clock.Set(clock.Now().Add(time.Minute))
	require.NoError(t, svc.DisableSecondFactor(ctx, by, u, code(t, secret, clock.Now())))
	more := addPasskey(t, svc, rp, u, session, newAuthenticator(t))
	require.Len(t, more, admin.RecoveryCodes, "a first factor again: new codes")
	keys, err = st.Queries().Passkeys(ctx, u.ID)
	require.NoError(t, err)
	require.NoError(t, svc.DeletePasskey(ctx, by, u, keys[0].ID, more[0]))
	has, err := svc.HasSecondFactor(ctx, u.ID)
	require.NoError(t, err)
	require.False(t, has)
	left, err = st.Queries().UnusedRecoveryCodes(ctx, u.ID)
	require.NoError(t, err)
	require.Zero(t, left, "the codes went with the last factor")

	// An admin's reset removes passkeys, codes and all.
	addPasskey(t, svc, rp, u, session, newAuthenticator(t))
	require.NoError(t, svc.ResetSecondFactor(ctx, wellcheck.SystemActor("test"), u.ID))
	keys, err = st.Queries().Passkeys(ctx, u.ID)
	require.NoError(t, err)
	require.Empty(t, keys)
	has, err = svc.HasSecondFactor(ctx, u.ID)
	require.NoError(t, err)
	require.False(t, has)
}
