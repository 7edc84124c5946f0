package admin

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// Passkeys (WebAuthn) as a second factor, beside TOTP: after the password,
// never in its place. The ceremonies' data (their challenges) stay on the
// server, used once: a registration's under the session that began it, a
// sign-in's with its pending second step. Times are the service's clock;
// the library's own expiry, on the machine's clock, is not used.

// PasskeyCeremonyFor is how long a passkey ceremony waits for the
// authenticator's answer.
const PasskeyCeremonyFor = 5 * time.Minute

// MaxPasskeyName is the longest name a passkey may have, in characters.
const MaxPasskeyName = 60

var (
	// ErrWrongPasskey is an authenticator's answer that does not prove one
	// of the user's passkeys (another key, a stale challenge, a cancelled
	// ceremony).
	ErrWrongPasskey = wellcheck.Errorf(wellcheck.EInvalid, "wrong_passkey")
	// ErrPasskeyCounter is a passkey whose counter went backwards: a copy
	// of it may exist. Refused, and audited.
	ErrPasskeyCounter = wellcheck.Errorf(wellcheck.EForbidden, "passkey_counter")
	// ErrNoPasskeyCeremony is an answer with no ceremony waiting for it.
	ErrNoPasskeyCeremony = wellcheck.Errorf(wellcheck.EConflict, "passkey_expired")
)

// RelyingParty is the service as WebAuthn knows it: its ID is the public
// address's host name, its origin the address's scheme, host and port.
type RelyingParty struct {
	ID     string
	Origin string
	wa     *webauthn.WebAuthn
}

// ParsePublicURL checks the service's public address (--public-url): an
// absolute http(s) URL whose host is a name, not an IP address (WebAuthn
// refuses those), over http only for localhost.
func ParsePublicURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("public URL %q: not an absolute URL like https://wellcheck.example.org", raw)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("public URL %q: the scheme must be https (or http for localhost)", raw)
	}
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return nil, fmt.Errorf("public URL %q: the host must be a name, not an IP address (passkeys refuse IP addresses)", raw)
	}
	if u.Scheme == "http" && host != "localhost" {
		return nil, fmt.Errorf("public URL %q: http only for localhost; use https", raw)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("public URL %q: only scheme, host and port, like https://wellcheck.example.org", raw)
	}
	return u, nil
}

// NewRelyingParty is the relying party of the public address publicURL
// (checked by ParsePublicURL).
func NewRelyingParty(publicURL string) (*RelyingParty, error) {
	u, err := ParsePublicURL(publicURL)
	if err != nil {
		return nil, err
	}
	rp := &RelyingParty{ID: strings.ToLower(u.Hostname()), Origin: u.Scheme + "://" + strings.ToLower(u.Host)}
	rp.wa, err = webauthn.New(&webauthn.Config{RPID: rp.ID, RPDisplayName: "wellcheck", RPOrigins: []string{rp.Origin},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: PasskeyCeremonyFor, TimeoutUVD: PasskeyCeremonyFor},
			Registration: webauthn.TimeoutConfig{Timeout: PasskeyCeremonyFor, TimeoutUVD: PasskeyCeremonyFor},
		}})
	if err != nil {
		return nil, fmt.Errorf("passkeys for %s: %w", publicURL, err)
	}
	return rp, nil
}

// ceremony is what is kept of a ceremony between its two halves: the
// library's session data, and when it runs out on the service's clock.
type ceremony struct {
	Session webauthn.SessionData `json:"session"`
	Expires time.Time            `json:"expires"`
}

func newCeremony(sd *webauthn.SessionData, expires time.Time) ([]byte, error) {
	c := ceremony{Session: *sd, Expires: expires}
	c.Session.Expires = time.Time{}
	return json.Marshal(c)
}

func readCeremony(raw []byte, now time.Time) (webauthn.SessionData, error) {
	var c ceremony
	if err := json.Unmarshal(raw, &c); err != nil {
		return webauthn.SessionData{}, fmt.Errorf("read a passkey ceremony: %w", err)
	}
	if !now.Before(c.Expires) {
		return webauthn.SessionData{}, ErrNoPasskeyCeremony
	}
	c.Session.Expires = time.Time{}
	return c.Session, nil
}

// passkeyUser is a user as WebAuthn sees them: their handle is their id
// (8 bytes: it names no one outside this service), their passkeys as
// credentials.
type passkeyUser struct {
	u     wellcheck.User
	creds []webauthn.Credential
}

func (p passkeyUser) WebAuthnID() []byte          { return userHandle(p.u.ID) }
func (p passkeyUser) WebAuthnName() string        { return p.u.Email }
func (p passkeyUser) WebAuthnDisplayName() string { return p.u.FullName }
func (p passkeyUser) WebAuthnCredentials() []webauthn.Credential {
	return p.creds
}

func userHandle(id int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(id)) }

// passkeyUserOf reads u's passkeys as WebAuthn's credentials.
func passkeyUserOf(ctx context.Context, q *store.Queries, u wellcheck.User) (passkeyUser, []store.Passkey, error) {
	keys, err := q.Passkeys(ctx, u.ID)
	if err != nil {
		return passkeyUser{}, nil, err
	}
	pu := passkeyUser{u: u}
	for _, k := range keys {
		transports := make([]protocol.AuthenticatorTransport, len(k.Transports))
		for i, t := range k.Transports {
			transports[i] = protocol.AuthenticatorTransport(t)
		}
		pu.creds = append(pu.creds, webauthn.Credential{ID: k.CredentialID, PublicKey: k.PublicKey, Transport: transports,
			Flags:         webauthn.CredentialFlagsFromMsgpByte(k.Flags),
			Authenticator: webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: k.SignCount}})
	}
	return pu, keys, nil
}

// BeginPasskey starts adding a passkey named name to u's account from the
// session of sessionHash, and returns the options for the browser's
// navigator.credentials.create (JSON). Their passkeys are excluded: an
// authenticator that holds one says so rather than make a second.
func (s *Service) BeginPasskey(ctx context.Context, rp *RelyingParty, u wellcheck.User, sessionHash []byte, name string) ([]byte, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxPasskeyName {
		var ps wellcheck.Problems
		ps.Add("passkey.name", "passkey_name", MaxPasskeyName)
		return nil, ps.Err()
	}
	q := s.Store.Queries()
	pu, _, err := passkeyUserOf(ctx, q, u)
	if err != nil {
		return nil, err
	}
	options, sd, err := rp.wa.BeginRegistration(pu,
		webauthn.WithExclusions(webauthn.Credentials(pu.creds).CredentialDescriptors()),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return nil, fmt.Errorf("begin adding a passkey: %w", err)
	}
	c, err := newCeremony(sd, s.now().Add(PasskeyCeremonyFor))
	if err != nil {
		return nil, err
	}
	if err := q.PutPasskeyRegistration(ctx, store.PasskeyRegistration{SessionHash: sessionHash, UserID: u.ID, Name: name,
		Ceremony: c, ExpiresAt: s.now().Add(PasskeyCeremonyFor)}); err != nil {
		return nil, err
	}
	return json.Marshal(options)
}

// FinishPasskey adds the passkey the authenticator made (answer, the JSON
// of its PublicKeyCredential) to u's account, once it answers the
// challenge of the session's BeginPasskey. It returns the recovery codes
// of a user for whom it is the first factor, to be shown once; nil for one
// who had a factor already, whose codes stay.
func (s *Service) FinishPasskey(ctx context.Context, by wellcheck.Actor, rp *RelyingParty, u wellcheck.User, sessionHash, answer []byte) ([]string, error) {
	var codes []string
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		reg, err := q.TakePasskeyRegistration(ctx, sessionHash, u.ID)
		if errors.Is(err, wellcheck.ErrNotFound) {
			return ErrNoPasskeyCeremony
		} else if err != nil {
			return err
		}
		sd, err := readCeremony(reg.Ceremony, s.now())
		if err != nil {
			return err
		}
		parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
		if err != nil {
			return ErrWrongPasskey
		}
		pu, _, err := passkeyUserOf(ctx, q, u)
		if err != nil {
			return err
		}
		cred, err := rp.wa.CreateCredential(pu, sd, parsed)
		if err != nil {
			s.refusedPasskey(ctx, u.ID, "add", err)
			return ErrWrongPasskey
		}
		had, err := q.HasSecondFactor(ctx, u.ID)
		if err != nil {
			return err
		}
		transports := make([]string, len(cred.Transport))
		for i, t := range cred.Transport {
			transports[i] = string(t)
		}
		id, err := q.AddPasskey(ctx, store.Passkey{UserID: u.ID, CredentialID: cred.ID, PublicKey: cred.PublicKey,
			SignCount: cred.Authenticator.SignCount, AAGUID: cred.Authenticator.AAGUID, Transports: transports,
			Flags: cred.Flags.MsgpByte(), Name: reg.Name, CreatedAt: s.now()})
		if wellcheck.ErrorCode(err) == wellcheck.EConflict {
			return wellcheck.Errorf(wellcheck.EConflict, "passkey_exists")
		} else if err != nil {
			return err
		}
		if !had {
			if codes, err = newRecoveryCodes(ctx, q, u.ID); err != nil {
				return err
			}
		}
		return q.Audit(ctx, by, "mfa.passkey_add", nil, nil, map[string]any{"user_id": u.ID, "passkey_id": id, "first_factor": !had})
	})
	if err != nil {
		return nil, fmt.Errorf("add a passkey: %w", err)
	}
	return codes, nil
}

// DeletePasskey removes u's passkey id once they prove they hold their
// second factor as for turning TOTP off (a current TOTP code or a recovery
// code), unless it is their last factor and their role requires one. With
// their last factor go their recovery codes.
func (s *Service) DeletePasskey(ctx context.Context, by wellcheck.Actor, u wellcheck.User, id int64, code string) error {
	keys, err := s.Store.Queries().Passkeys(ctx, u.ID)
	if err != nil {
		return err
	}
	found := false
	for _, k := range keys {
		found = found || k.ID == id
	}
	if !found {
		return wellcheck.ErrNotFound
	}
	if err := s.lastFactor(ctx, u, id); err != nil {
		return err
	}
	err = s.confirmed(ctx, u, code, func(q *store.Queries) error {
		if err := q.DeletePasskey(ctx, u.ID, id); err != nil {
			return err
		}
		if err := s.afterRemoval(ctx, q, u); err != nil {
			return err
		}
		return q.Audit(ctx, by, "mfa.passkey_remove", nil, nil, map[string]any{"user_id": u.ID, "passkey_id": id})
	})
	if err != nil {
		return fmt.Errorf("remove a passkey: %w", err)
	}
	return nil
}

// BeginPasskeySignIn starts the passkey ceremony of the second step of
// tokenHash for u, and returns the options for the browser's
// navigator.credentials.get (JSON): one of u's passkeys must answer.
func (s *Service) BeginPasskeySignIn(ctx context.Context, rp *RelyingParty, u wellcheck.User, tokenHash []byte) ([]byte, error) {
	q := s.Store.Queries()
	pu, _, err := passkeyUserOf(ctx, q, u)
	if err != nil {
		return nil, err
	}
	if len(pu.creds) == 0 {
		return nil, wellcheck.Errorf(wellcheck.EConflict, "no_passkey")
	}
	options, sd, err := rp.wa.BeginLogin(pu, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, fmt.Errorf("begin a passkey sign-in: %w", err)
	}
	c, err := newCeremony(sd, s.now().Add(PasskeyCeremonyFor))
	if err != nil {
		return nil, err
	}
	if err := q.SetPendingPasskeyCeremony(ctx, tokenHash, c); err != nil {
		return nil, err
	}
	return json.Marshal(options)
}

// VerifyPasskey checks the authenticator's answer at the second step of
// tokenHash: a signature by one of u's passkeys of the challenge
// BeginPasskeySignIn gave (used once), its counter gone forwards. Each
// answer takes a try as a code does (ErrCodeLocked at the limit); one that
// proves nothing is ErrWrongPasskey; a counter gone backwards is
// ErrPasskeyCounter, audited. It returns the passkey's id.
func (s *Service) VerifyPasskey(ctx context.Context, rp *RelyingParty, u wellcheck.User, tokenHash, answer []byte) (int64, error) {
	q := s.Store.Queries()
	raw, err := q.TakePendingPasskeyCeremony(ctx, tokenHash)
	if errors.Is(err, wellcheck.ErrNotFound) {
		return 0, ErrNoPasskeyCeremony
	} else if err != nil {
		return 0, err
	}
	if err := s.takeTry(ctx, u.ID); err != nil {
		return 0, err
	}
	sd, err := readCeremony(raw, s.now())
	if err != nil {
		return 0, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return 0, ErrWrongPasskey
	}
	pu, keys, err := passkeyUserOf(ctx, q, u)
	if err != nil {
		return 0, err
	}
	cred, err := rp.wa.ValidateLogin(pu, sd, parsed)
	if err != nil {
		s.refusedPasskey(ctx, u.ID, "sign-in", err)
		return 0, ErrWrongPasskey
	}
	var key store.Passkey
	for _, k := range keys {
		if bytes.Equal(k.CredentialID, cred.ID) {
			key = k
		}
	}
	if key.ID == 0 {
		return 0, ErrWrongPasskey
	}
	used := !cred.Authenticator.CloneWarning
	if used {
		used, err = q.UsePasskey(ctx, u.ID, key.ID, cred.Authenticator.SignCount, cred.Flags.MsgpByte(), s.now())
		if err != nil {
			return 0, err
		}
	}
	if !used {
		_ = q.Audit(context.WithoutCancel(ctx), wellcheck.UserActor(u.ID, wellcheck.ViaWeb), "mfa.passkey_counter", nil, nil,
			map[string]any{"user_id": u.ID, "passkey_id": key.ID, "kept": key.SignCount, "sent": cred.Authenticator.SignCount})
		return 0, ErrPasskeyCounter
	}
	return key.ID, q.ClearSecondFactorFailures(ctx, u.ID)
}

// refusedPasskey logs why WebAuthn refused an answer, for whoever looks
// into a user's trouble: the library's short reason only, never its
// details, which may quote what the authenticator sent.
func (s *Service) refusedPasskey(ctx context.Context, userID int64, ceremony string, err error) {
	why := "unknown"
	var pe *protocol.Error
	if errors.As(err, &pe) {
		why = pe.Details
	}
	s.log().InfoContext(ctx, "passkey refused", "user_id", userID, "ceremony", ceremony, "why", why)
}
