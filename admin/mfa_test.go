package admin_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/internal/clocktest"
	"github.com/wellcheck/wellcheck/store"
)

// mfaSetup is a service with a secret key and a clock to move, and a
// listener.
func mfaSetup(t *testing.T) (*admin.Service, *store.Store, *clocktest.Clock, wellcheck.User) {
	t.Helper()
	svc, st := setup(t)
	clock := clocktest.New(time.Date(2026, 3, 2, 10, 0, 10, 0, time.UTC))
	svc.Now = clock.Now
	svc.SecretKey = "une clé de test assez longue pour sceller les secrets"
	u, err := st.Queries().CreateUser(context.Background(), wellcheck.User{Email: "elise@example.org", FullName: "Élise", Roles: []wellcheck.Role{wellcheck.RoleListener}, Capacity: 5})
	require.NoError(t, err)
	return svc, st, clock, u
}

// code is the TOTP code of secret at t.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(t, err)
	return c
}

// enrolled gives u a confirmed factor and returns its secret and recovery
// codes.
func enrolled(t *testing.T, svc *admin.Service, clock *clocktest.Clock, u wellcheck.User) (string, []string) {
	t.Helper()
	ctx := context.Background()
	e, err := svc.StartTOTP(ctx, u)
	require.NoError(t, err)
	codes, err := svc.ConfirmTOTP(ctx, wellcheck.UserActor(u.ID, wellcheck.ViaWeb), u, code(t, e.Secret, clock.Now()))
	require.NoError(t, err)
	return e.Secret, codes
}

func TestTOTPEnrolment(t *testing.T) {
	t.Parallel()
	svc, st, clock, u := mfaSetup(t)
	ctx := context.Background()
	by := wellcheck.UserActor(u.ID, wellcheck.ViaWeb)

	e, err := svc.StartTOTP(ctx, u)
	require.NoError(t, err)
	require.Len(t, e.Secret, 32, "160 bits in base32")
	require.Contains(t, e.URL, "otpauth://totp/wellcheck:elise@example.org")
	require.Len(t, strings.Fields(e.Grouped()), 8, "in groups of four to type")
	// Sealed with the key, bound to the user: not the secret in clear.
	var stored string
	require.NoError(t, st.Pool().QueryRow(ctx, "SELECT secret FROM second_factors WHERE user_id = $1", u.ID).Scan(&stored))
	require.True(t, strings.HasPrefix(stored, "v1:"), stored)
	require.NotContains(t, stored, e.Secret)
	has, err := svc.HasSecondFactor(ctx, u.ID)
	require.NoError(t, err)
	require.False(t, has, "not before a code is typed")

	// A wrong code does not confirm it; the page may show the same secret again.
	_, err = svc.ConfirmTOTP(ctx, by, u, "000000")
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
	again, err := svc.PendingTOTP(ctx, u)
	require.NoError(t, err)
	require.Equal(t, e.Secret, again.Secret)

	codes, err := svc.ConfirmTOTP(ctx, by, u, code(t, e.Secret, clock.Now()))
	require.NoError(t, err)
	require.Len(t, codes, admin.RecoveryCodes)
	require.Regexp(t, `^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`, codes[0])
	has, err = svc.HasSecondFactor(ctx, u.ID)
	require.NoError(t, err)
	require.True(t, has)
	// Confirmed, the secret is never shown again, nor replaced by a new one.
	_, err = svc.PendingTOTP(ctx, u)
	require.ErrorIs(t, err, wellcheck.ErrNotFound)
	_, err = svc.StartTOTP(ctx, u)
	require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err))
	// Only the codes' hashes are kept.
	var clear int
	require.NoError(t, st.Pool().QueryRow(ctx, "SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND position($2::bytea in code_hash) > 0", u.ID, []byte(codes[0])).Scan(&clear))
	require.Zero(t, clear)
	require.Contains(t, audit(t, st), "web mfa.enrol")

	// A key that is not the one it was sealed with opens nothing.
	other := *svc
	other.SecretKey = "une autre clé, qui ne scelle pas la même chose du tout"
	clock.Set(clock.Now().Add(time.Minute))
	_, err = other.VerifySecondFactor(ctx, u.ID, code(t, e.Secret, clock.Now()))
	require.Error(t, err)
	require.NotErrorIs(t, err, admin.ErrWrongCode)
}

func TestTOTPDriftOfOneStep(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		offset time.Duration
		ok     bool
	}{
		{"two steps early", -60 * time.Second, false},
		{"one step early", -30 * time.Second, true},
		{"now", 0, true},
		{"one step late", 30 * time.Second, true},
		{"two steps late", 60 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc, _, clock, u := mfaSetup(t)
			secret, _ := enrolled(t, svc, clock, u)
			clock.Set(clock.Now().Add(5 * time.Minute)) // past the step enrolment used
			_, err := svc.VerifySecondFactor(context.Background(), u.ID, code(t, secret, clock.Now().Add(tc.offset)))
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, admin.ErrWrongCode)
			}
		})
	}
}

func TestTOTPCodeIsNotReplayed(t *testing.T) {
	t.Parallel()
	svc, _, clock, u := mfaSetup(t)
	ctx := context.Background()
	secret, _ := enrolled(t, svc, clock, u)
	// The code enrolment used is spent, even within its window.
	_, err := svc.VerifySecondFactor(ctx, u.ID, code(t, secret, clock.Now()))
	require.ErrorIs(t, err, admin.ErrWrongCode)

	clock.Set(clock.Now().Add(2 * time.Minute))
	now := code(t, secret, clock.Now())
	_, err = svc.VerifySecondFactor(ctx, u.ID, now)
	require.NoError(t, err)
	_, err = svc.VerifySecondFactor(ctx, u.ID, now)
	require.ErrorIs(t, err, admin.ErrWrongCode, "the same code twice")
	// Nor an earlier step's, still inside the drift allowed.
	_, err = svc.VerifySecondFactor(ctx, u.ID, code(t, secret, clock.Now().Add(-30*time.Second)))
	require.ErrorIs(t, err, admin.ErrWrongCode, "an earlier step once a later one was used")
	// The next step's is fine.
	clock.Set(clock.Now().Add(30 * time.Second))
	_, err = svc.VerifySecondFactor(ctx, u.ID, code(t, secret, clock.Now()))
	require.NoError(t, err)
}

func TestRecoveryCodesAreSingleUse(t *testing.T) {
	t.Parallel()
	svc, st, clock, u := mfaSetup(t)
	ctx := context.Background()
	by := wellcheck.UserActor(u.ID, wellcheck.ViaWeb)
	secret, codes := enrolled(t, svc, clock, u)

	recovery, err := svc.VerifySecondFactor(ctx, u.ID, codes[0])
	require.NoError(t, err)
	require.True(t, recovery)
	_, err = svc.VerifySecondFactor(ctx, u.ID, codes[0])
	require.ErrorIs(t, err, admin.ErrWrongCode, "used once")
	// Typed as people type: capitals, spaces for dashes.
	_, err = svc.VerifySecondFactor(ctx, u.ID, strings.ToUpper(strings.ReplaceAll(codes[1], "-", " ")))
	require.NoError(t, err)
	left, err := st.Queries().UnusedRecoveryCodes(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, admin.RecoveryCodes-2, left)

	// New codes need a current code from the app, and replace the old.
	_, err = svc.NewRecoveryCodes(ctx, by, u, codes[2])
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err), "a recovery code does not make new ones")
	clock.Set(clock.Now().Add(time.Minute))
	fresh, err := svc.NewRecoveryCodes(ctx, by, u, code(t, secret, clock.Now()))
	require.NoError(t, err)
	require.Len(t, fresh, admin.RecoveryCodes)
	_, err = svc.VerifySecondFactor(ctx, u.ID, codes[3])
	require.ErrorIs(t, err, admin.ErrWrongCode, "the old codes are gone")
	_, err = svc.VerifySecondFactor(ctx, u.ID, fresh[0])
	require.NoError(t, err)
	require.Contains(t, audit(t, st), "web mfa.recovery_codes")
}

func TestWrongCodesLockTheSecondStep(t *testing.T) {
	t.Parallel()
	svc, _, clock, u := mfaSetup(t)
	ctx := context.Background()
	secret, codes := enrolled(t, svc, clock, u)
	clock.Set(clock.Now().Add(time.Minute))
	for range admin.MaxCodeFailures {
		_, err := svc.VerifySecondFactor(ctx, u.ID, "123456")
		require.ErrorIs(t, err, admin.ErrWrongCode)
	}
	_, err := svc.VerifySecondFactor(ctx, u.ID, code(t, secret, clock.Now()))
	require.ErrorIs(t, err, admin.ErrCodeLocked, "even the right code, while locked")
	_, err = svc.VerifySecondFactor(ctx, u.ID, codes[0])
	require.ErrorIs(t, err, admin.ErrCodeLocked, "and a recovery code")

	clock.Set(clock.Now().Add(admin.CodeLockFor))
	_, err = svc.VerifySecondFactor(ctx, u.ID, code(t, secret, clock.Now()))
	require.NoError(t, err, "after the lock")
	// The count started again: one wrong code does not lock.
	_, err = svc.VerifySecondFactor(ctx, u.ID, "123456")
	require.ErrorIs(t, err, admin.ErrWrongCode)
}

// Codes sent all at once, to any node, are each counted: no more than the
// limit is ever checked. And a lock that ran out starts the count afresh:
// one more wrong code does not lock the listener out again.
func TestCodesSentAtOnceAreCountedEach(t *testing.T) {
	t.Parallel()
	svc, _, clock, u := mfaSetup(t)
	ctx := context.Background()
	secret, _ := enrolled(t, svc, clock, u)
	clock.Set(clock.Now().Add(time.Minute))
	var wrong, locked atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			_, err := svc.VerifySecondFactor(ctx, u.ID, "123456")
			switch {
			case errors.Is(err, admin.ErrWrongCode):
				wrong.Add(1)
			case errors.Is(err, admin.ErrCodeLocked):
				locked.Add(1)
			default:
				t.Errorf("unexpected: %v", err)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, admin.MaxCodeFailures, wrong.Load(), "codes checked")
	require.EqualValues(t, 100-admin.MaxCodeFailures, locked.Load())

	clock.Set(clock.Now().Add(admin.CodeLockFor + time.Minute))
	_, err := svc.VerifySecondFactor(ctx, u.ID, "123456")
	require.ErrorIs(t, err, admin.ErrWrongCode)
	_, err = svc.VerifySecondFactor(ctx, u.ID, code(t, secret, clock.Now()))
	require.NoError(t, err, "one slip after a lock does not lock again")
}

func TestSecondFactorRequiredAndReset(t *testing.T) {
	t.Parallel()
	svc, st, clock, u := mfaSetup(t)
	ctx := context.Background()
	by := wellcheck.UserActor(u.ID, wellcheck.ViaWeb)
	secret, _ := enrolled(t, svc, clock, u)

	required, err := svc.SecondFactorRequired(ctx, u)
	require.NoError(t, err)
	require.False(t, required, "none by default")
	require.NoError(t, svc.SetSecondFactorRoles(ctx, wellcheck.Operator, []string{"listener", "admin"}))
	required, err = svc.SecondFactorRequired(ctx, u)
	require.NoError(t, err)
	require.True(t, required)
	clock.Set(clock.Now().Add(time.Minute))
	err = svc.DisableSecondFactor(ctx, by, u, code(t, secret, clock.Now()))
	require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err), "not turned off while the role requires it")

	// Lost: an admin resets it; the user's sessions end.
	now := clock.Now()
	require.NoError(t, st.Queries().CreateSession(ctx, store.Session{TokenHash: admin.HashSecret("s"), UserID: u.ID, CSRFToken: admin.NewSecret(),
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	require.NoError(t, svc.ResetSecondFactor(ctx, wellcheck.Operator, u.ID))
	has, err := svc.HasSecondFactor(ctx, u.ID)
	require.NoError(t, err)
	require.False(t, has)
	sessions, err := st.Queries().UserSessions(ctx, u.ID, now, time.Time{})
	require.NoError(t, err)
	require.Empty(t, sessions)
	require.Contains(t, audit(t, st), "cli user.mfa_reset")

	// Not required, a user turns theirs off with a current code.
	require.NoError(t, svc.SetSecondFactorRoles(ctx, wellcheck.Operator, nil))
	secret, _ = enrolled(t, svc, clock, u)
	clock.Set(clock.Now().Add(time.Minute))
	require.Error(t, svc.DisableSecondFactor(ctx, by, u, "000000"))
	require.NoError(t, svc.DisableSecondFactor(ctx, by, u, code(t, secret, clock.Now())))
	require.Contains(t, audit(t, st), "web mfa.disable")
}

func TestSecretsWithoutAKey(t *testing.T) {
	t.Parallel()
	svc, st, clock, u := mfaSetup(t)
	svc.SecretKey = ""
	ctx := context.Background()
	secret, _ := enrolled(t, svc, clock, u)
	var stored string
	require.NoError(t, st.Pool().QueryRow(ctx, "SELECT secret FROM second_factors WHERE user_id = $1", u.ID).Scan(&stored))
	require.Equal(t, "plain:"+secret, stored, "said so, rather than sealed with a key kept beside it")
	clock.Set(clock.Now().Add(time.Minute))
	_, err := svc.VerifySecondFactor(ctx, u.ID, code(t, secret, clock.Now()))
	require.NoError(t, err)
}
