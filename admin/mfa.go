package admin

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// The second factor: TOTP (RFC 6238) as every authenticator app reads it —
// SHA-1, 6 digits, 30 s —, a code accepted one step early or late (a
// phone's clock a little off), never twice; and 10 single-use recovery
// codes, kept by their SHA-256.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	// RecoveryCodes is how many recovery codes an enrolment makes.
	RecoveryCodes = 10
	// MaxCodeFailures wrong codes in a row lock the second step for
	// CodeLockFor.
	MaxCodeFailures = 5
	CodeLockFor     = 15 * time.Minute
	// issuer names the service in the authenticator app.
	issuer = "wellcheck"
)

var (
	// ErrWrongCode is a code that is not the factor's now, or was used.
	ErrWrongCode = wellcheck.Errorf(wellcheck.EInvalid, "wrong_code")
	// ErrCodeLocked is a second step locked after too many wrong codes.
	ErrCodeLocked = wellcheck.Errorf(wellcheck.EForbidden, "code_locked")
	// ErrNoSecretKey is a sealed secret with no key to open it.
	ErrNoSecretKey = errors.New("the second factor's secret is sealed and WELLCHECK_SECRET_KEY is not set")
)

// Enrolment is a secret to add to an authenticator app: URL (otpauth://,
// for the QR code) and Secret (base32, to type).
type Enrolment struct {
	Secret string
	URL    string
}

// Grouped is the secret in groups of four, easier to type.
func (e Enrolment) Grouped() string {
	var b strings.Builder
	for i, r := range e.Secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SecondFactorRequired is whether u must have a second factor: one of
// their roles is among those the service requires it of.
func (s *Service) SecondFactorRequired(ctx context.Context, u wellcheck.User) (bool, error) {
	roles, err := s.Store.Queries().SecondFactorRoles(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(roles, u.Has), nil
}

// SetSecondFactorRoles chooses the roles whose users must have a second
// factor; they enrol one at their next sign-in.
func (s *Service) SetSecondFactorRoles(ctx context.Context, by wellcheck.Actor, roles []string) error {
	var chosen []wellcheck.Role
	var ps wellcheck.Problems
	for _, r := range roles {
		if !slices.Contains(wellcheck.Roles, wellcheck.Role(r)) {
			ps.Add("user.roles", "role_invalid", r)
			continue
		}
		if !slices.Contains(chosen, wellcheck.Role(r)) {
			chosen = append(chosen, wellcheck.Role(r))
		}
	}
	if err := ps.Err(); err != nil {
		return err
	}
	return s.Store.WithTx(ctx, func(q *store.Queries) error {
		if err := q.SetSecondFactorRoles(ctx, chosen, s.now()); err != nil {
			return err
		}
		return q.Audit(ctx, by, "settings.second_factor", nil, nil, map[string]any{"roles": roles})
	})
}

// HasSecondFactor is whether user id has a second factor: a confirmed
// TOTP, or at least one passkey. Either satisfies the role policy.
func (s *Service) HasSecondFactor(ctx context.Context, id int64) (bool, error) {
	return s.Store.Queries().HasSecondFactor(ctx, id)
}

// HasTOTP is whether user id has a confirmed TOTP factor.
func (s *Service) HasTOTP(ctx context.Context, id int64) (bool, error) {
	return hasTOTP(ctx, s.Store.Queries(), id)
}

func hasTOTP(ctx context.Context, q *store.Queries, id int64) (bool, error) {
	f, err := q.SecondFactor(ctx, id)
	if errors.Is(err, wellcheck.ErrNotFound) {
		return false, nil
	}
	return err == nil && f.Confirmed(), err
}

// StartTOTP makes a new TOTP secret for u to confirm with a code from it
// (ConfirmTOTP), in place of one not yet confirmed. A user whose TOTP is
// on turns it off first: a conflict. (Passkeys are no obstacle: TOTP goes
// beside them.)
func (s *Service) StartTOTP(ctx context.Context, u wellcheck.User) (Enrolment, error) {
	if has, err := s.HasTOTP(ctx, u.ID); err != nil || has {
		if has {
			err = wellcheck.Errorf(wellcheck.EConflict, "second_factor_exists")
		}
		return Enrolment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: u.Email, Period: totpPeriod, Digits: totpDigits,
		Algorithm: otp.AlgorithmSHA1, SecretSize: 20})
	if err != nil {
		return Enrolment{}, fmt.Errorf("make a TOTP secret: %w", err)
	}
	sealed, err := s.seal(u.ID, key.Secret())
	if err != nil {
		return Enrolment{}, err
	}
	if err := s.Store.Queries().StartSecondFactor(ctx, u.ID, sealed, s.now()); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// PendingTOTP is u's secret still to be confirmed, to show again (a code
// typed wrong); ErrNotFound if none waits. A confirmed secret is never
// shown again.
func (s *Service) PendingTOTP(ctx context.Context, u wellcheck.User) (Enrolment, error) {
	f, err := s.Store.Queries().SecondFactor(ctx, u.ID)
	if err != nil {
		return Enrolment{}, err
	}
	if f.Confirmed() {
		return Enrolment{}, wellcheck.ErrNotFound
	}
	secret, err := s.open(u.ID, f.Secret)
	if err != nil {
		return Enrolment{}, err
	}
	key, err := otp.NewKeyFromURL(fmt.Sprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&period=%d&digits=6&algorithm=SHA1",
		issuer, u.Email, secret, issuer, totpPeriod))
	if err != nil {
		return Enrolment{}, fmt.Errorf("a TOTP key: %w", err)
	}
	return Enrolment{Secret: secret, URL: key.URL()}, nil
}

// ConfirmTOTP makes u's secret their factor once they type a current code
// from it, and returns their recovery codes, to be shown once: none for a
// user who had a factor already (passkeys), whose codes stay as they were.
func (s *Service) ConfirmTOTP(ctx context.Context, by wellcheck.Actor, u wellcheck.User, code string) ([]string, error) {
	var codes []string
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		f, err := q.SecondFactor(ctx, u.ID)
		if errors.Is(err, wellcheck.ErrNotFound) || (err == nil && f.Confirmed()) {
			return wellcheck.Errorf(wellcheck.EConflict, "no_enrolment")
		} else if err != nil {
			return err
		}
		had, err := q.HasSecondFactor(ctx, u.ID)
		if err != nil {
			return err
		}
		if err := s.checkTOTP(ctx, q, f, code); err != nil {
			return err
		}
		if err := q.ConfirmSecondFactor(ctx, u.ID, s.now()); err != nil {
			return err
		}
		if !had {
			if codes, err = newRecoveryCodes(ctx, q, u.ID); err != nil {
				return err
			}
		}
		return q.Audit(ctx, by, "mfa.enrol", nil, nil, map[string]any{"user_id": u.ID, "kind": "totp"})
	})
	if err != nil {
		return nil, fmt.Errorf("confirm a second factor: %w", err)
	}
	return codes, nil
}

// NewRecoveryCodes replaces u's recovery codes once they type a current
// code from their app or one of their recovery codes, and returns the new
// ones, to be shown once.
func (s *Service) NewRecoveryCodes(ctx context.Context, by wellcheck.Actor, u wellcheck.User, code string) ([]string, error) {
	var codes []string
	err := s.confirmed(ctx, u, code, func(q *store.Queries) error {
		var err error
		if codes, err = newRecoveryCodes(ctx, q, u.ID); err != nil {
			return err
		}
		return q.Audit(ctx, by, "mfa.recovery_codes", nil, nil, map[string]any{"user_id": u.ID})
	})
	if err != nil {
		return nil, fmt.Errorf("make new recovery codes: %w", err)
	}
	return codes, nil
}

// DisableSecondFactor turns u's TOTP off once they type a current code or
// a recovery code, unless it is their last factor and their role requires
// one. With their last factor go their recovery codes.
func (s *Service) DisableSecondFactor(ctx context.Context, by wellcheck.Actor, u wellcheck.User, code string) error {
	if has, err := s.HasTOTP(ctx, u.ID); err != nil || !has {
		if err == nil {
			err = wellcheck.Errorf(wellcheck.EConflict, "no_second_factor")
		}
		return err
	}
	if err := s.lastFactor(ctx, u, 0); err != nil {
		return err
	}
	err := s.confirmed(ctx, u, code, func(q *store.Queries) error {
		if _, err := q.DeleteSecondFactor(ctx, u.ID); err != nil {
			return err
		}
		if err := s.afterRemoval(ctx, q, u); err != nil {
			return err
		}
		return q.Audit(ctx, by, "mfa.disable", nil, nil, map[string]any{"user_id": u.ID})
	})
	if err != nil {
		return fmt.Errorf("turn off a second factor: %w", err)
	}
	return nil
}

// lastFactor refuses, before any code is asked, to remove u's last factor
// (their TOTP, or passkey id) when their role requires one:
// second_factor_required for TOTP as before passkeys, last_factor_required
// for a passkey.
func (s *Service) lastFactor(ctx context.Context, u wellcheck.User, passkey int64) error {
	q := s.Store.Queries()
	totpOn, err := hasTOTP(ctx, q, u.ID)
	if err != nil {
		return err
	}
	keys, err := q.Passkeys(ctx, u.ID)
	if err != nil {
		return err
	}
	left := len(keys)
	if passkey != 0 {
		left--
	} else {
		totpOn = false
	}
	if totpOn || left > 0 {
		return nil
	}
	required, err := s.SecondFactorRequired(ctx, u)
	if err != nil || !required {
		return err
	}
	if passkey != 0 {
		return wellcheck.Errorf(wellcheck.EConflict, "last_factor_required")
	}
	return wellcheck.Errorf(wellcheck.EConflict, "second_factor_required")
}

// afterRemoval is what follows a factor's removal, in its transaction: a
// user whose role requires a factor cannot remove their last one (the
// transaction rolls back); one who may has their recovery codes removed
// with it.
func (s *Service) afterRemoval(ctx context.Context, q *store.Queries, u wellcheck.User) error {
	has, err := q.HasSecondFactor(ctx, u.ID)
	if err != nil || has {
		return err
	}
	required, err := s.SecondFactorRequired(ctx, u)
	if err != nil {
		return err
	}
	if required {
		return wellcheck.Errorf(wellcheck.EConflict, "last_factor_required")
	}
	return q.DeleteRecoveryCodes(ctx, u.ID)
}

// confirmed runs do in a transaction once code proves u holds their second
// factor: a current code of their TOTP; for a user with passkeys only, one
// of their recovery codes (spent). A wrong one counts towards the lock, as
// at the second step.
func (s *Service) confirmed(ctx context.Context, u wellcheck.User, code string, do func(q *store.Queries) error) error {
	return s.Store.WithTx(ctx, func(q *store.Queries) error {
		if _, err := s.checkCode(ctx, q, u.ID, code, false); err != nil {
			return err
		}
		return do(q)
	})
}

// checkCode takes a try and checks code against user id's factor: a TOTP
// code if they have TOTP and it has its digits, else a recovery code
// (spent; recovery true) where one may serve: at a sign-in's second step,
// or for a user without TOTP. ErrWrongCode, ErrCodeLocked, or a conflict
// if they have no factor.
func (s *Service) checkCode(ctx context.Context, q *store.Queries, userID int64, code string, atSignIn bool) (recovery bool, err error) {
	has, err := q.HasSecondFactor(ctx, userID)
	if err != nil {
		return false, err
	}
	if !has {
		return false, wellcheck.Errorf(wellcheck.EConflict, "no_second_factor")
	}
	f, err := q.SecondFactor(ctx, userID)
	if err != nil && !errors.Is(err, wellcheck.ErrNotFound) {
		return false, err
	}
	totpOn := err == nil && f.Confirmed()
	if err := s.takeTry(ctx, userID); err != nil {
		return false, err
	}
	if c := normalCode(code); !totpOn || (atSignIn && len(c) != int(totpDigits)) {
		ok, err := q.UseRecoveryCode(ctx, userID, hashCode(c), s.now())
		if err != nil {
			return false, err
		}
		if !ok {
			return false, ErrWrongCode
		}
		return true, q.ClearSecondFactorFailures(ctx, userID)
	}
	if err := s.checkTOTP(ctx, q, f, code); err != nil {
		return false, err
	}
	return false, q.ClearSecondFactorFailures(ctx, userID)
}

// ResetSecondFactor removes user id's second factors (TOTP and passkeys)
// and recovery codes, for a user who lost them; their sessions and second
// steps under way end, and they enrol again at their next sign-in if their
// role requires it.
func (s *Service) ResetSecondFactor(ctx context.Context, by wellcheck.Actor, id int64) error {
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		if _, err := q.User(ctx, id); err != nil {
			return err
		}
		had, err := q.DeleteSecondFactor(ctx, id)
		if err != nil {
			return err
		}
		passkeys, err := q.DeleteUserPasskeys(ctx, id)
		if err != nil {
			return err
		}
		if err := q.DeleteRecoveryCodes(ctx, id); err != nil {
			return err
		}
		if err := q.ClearSecondFactorFailures(ctx, id); err != nil {
			return err
		}
		if _, err := q.DeleteUserSessions(ctx, id); err != nil {
			return err
		}
		if err := q.DeleteUserPendingLogins(ctx, id); err != nil {
			return err
		}
		return q.Audit(ctx, by, "user.mfa_reset", nil, nil, map[string]any{"user_id": id, "had_factor": had || passkeys > 0, "passkeys": passkeys})
	})
	if err != nil {
		return fmt.Errorf("reset the second factor of user %d: %w", id, err)
	}
	return nil
}

// VerifySecondFactor checks the code typed at a sign-in's second step:
// a current TOTP code, or one of the recovery codes (spent once used,
// recovery true). A wrong code counts towards the lock (MaxCodeFailures).
func (s *Service) VerifySecondFactor(ctx context.Context, userID int64, code string) (recovery bool, err error) {
	return s.checkCode(ctx, s.Store.Queries(), userID, code, true)
}

// takeTry counts a code or passkey about to be checked, in a transaction of its own
// (committed whatever the check), before it is checked: codes sent at once,
// to any node, are each counted, and the MaxCodeFailures-th since the last
// right one locks the factor for CodeLockFor (ErrCodeLocked).
func (s *Service) takeTry(ctx context.Context, userID int64) error {
	now := s.now()
	took, err := s.Store.Queries().TakeSecondFactorTry(context.WithoutCancel(ctx), userID, now, MaxCodeFailures, now.Add(CodeLockFor))
	if err == nil && !took {
		err = ErrCodeLocked
	}
	return err
}

// checkTOTP accepts code if it is f's code for the time step now, one
// before or one after, and no code was accepted for that step or a later
// one; ErrWrongCode otherwise.
func (s *Service) checkTOTP(ctx context.Context, q *store.Queries, f store.SecondFactor, code string) error {
	code = normalCode(code)
	if len(code) != int(totpDigits) {
		return ErrWrongCode
	}
	secret, err := s.open(f.UserID, f.Secret)
	if err != nil {
		return err
	}
	now := s.now().Unix() / totpPeriod
	opts := hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}
	for _, step := range []int64{now - 1, now, now + 1} {
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), opts)
		if err != nil {
			return fmt.Errorf("a TOTP code: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 || step <= f.LastStep {
			continue
		}
		ok, err := q.AcceptStep(ctx, f.UserID, step)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return ErrWrongCode
}

// normalCode is a code as typed without spaces and dashes, in lower case.
func normalCode(code string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, code))
}

// hashCode is what is kept of a recovery code.
func hashCode(normal string) []byte {
	h := sha256.Sum256([]byte("wellcheck recovery code:" + normal))
	return h[:]
}

// newRecoveryCodes makes RecoveryCodes codes of 80 random bits each
// ("abcd-efgh-ijkl-mnop"), keeps their hashes in place of user id's codes
// before, and returns them.
func newRecoveryCodes(ctx context.Context, q *store.Queries, id int64) ([]string, error) {
	codes := make([]string, RecoveryCodes)
	hashes := make([][]byte, RecoveryCodes)
	for i := range codes {
		raw := strings.ToLower(rand.Text()[:16])
		codes[i] = raw[:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:]
		hashes[i] = hashCode(raw)
	}
	return codes, q.ReplaceRecoveryCodes(ctx, id, hashes)
}

// Sealing: with a key (WELLCHECK_SECRET_KEY), a secret is kept as "v1:" and
// AES-256-GCM of it under a key derived from the setting by HKDF-SHA-256,
// bound to its user's id (a sealed secret copied to another row does not
// open); without one, as "plain:" and the secret.
const (
	sealedPrefix = "v1:"
	plainPrefix  = "plain:"
)

// MinSecretKey is the shortest WELLCHECK_SECRET_KEY accepted.
const MinSecretKey = 32

func (s *Service) aead() (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, []byte(s.SecretKey), nil, "wellcheck second factor secrets v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func userAD(id int64) []byte { return binary.BigEndian.AppendUint64([]byte("user:"), uint64(id)) }

func (s *Service) seal(userID int64, secret string) (string, error) {
	if s.SecretKey == "" {
		return plainPrefix + secret, nil
	}
	gcm, err := s.aead()
	if err != nil {
		return "", fmt.Errorf("seal a secret: %w", err)
	}
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(secret), userAD(userID))), nil
}

func (s *Service) open(userID int64, stored string) (string, error) {
	if secret, ok := strings.CutPrefix(stored, plainPrefix); ok {
		return secret, nil
	}
	body, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return "", errors.New("open a secret: unknown form")
	}
	if s.SecretKey == "" {
		return "", ErrNoSecretKey
	}
	gcm, err := s.aead()
	if err != nil {
		return "", fmt.Errorf("open a secret: %w", err)
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < gcm.NonceSize() {
		return "", errors.New("open a secret: malformed")
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], userAD(userID))
	if err != nil {
		return "", errors.New("open a secret: wrong WELLCHECK_SECRET_KEY, or the secret was altered")
	}
	return string(plain), nil
}
