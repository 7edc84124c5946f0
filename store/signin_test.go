package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/store"
)

// Failed sign-ins are counted on the service's clock, per pair, address and
// account; forgotten once the policy no longer counts them; a right
// password clears its own pair only, and a new password every pair.
func TestSignInFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	q := store.New(dbtest.New(t)).Queries()
	u, err := q.CreateUser(ctx, wellcheck.User{Email: "leo@example.org", FullName: "Léo", Roles: []wellcheck.Role{wellcheck.RoleListener}})
	require.NoError(t, err)
	p := wellcheck.DefaultSignInPolicy()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const a, b = "198.51.100.1", "203.0.113.2"

	for i := range 3 {
		require.NoError(t, q.RecordSignInFailure(ctx, p, u.ID, a, true, t0.Add(time.Duration(i)*time.Second)))
	}
	require.NoError(t, q.RecordSignInFailure(ctx, p, u.ID, a, false, t0.Add(3*time.Second)), "held back unchecked: counted nowhere, so that it makes no wait grow")
	require.NoError(t, q.RecordSignInFailure(ctx, p, 0, b, true, t0), "an unknown e-mail: the address only")
	require.NoError(t, q.RecordSignInFailure(ctx, p, u.ID, b, true, t0))

	f, err := q.SignInFailures(ctx, u.ID, a)
	require.NoError(t, err)
	require.Equal(t, wellcheck.SignInFailures{
		Pair:    wellcheck.FailedSignIns{Count: 3, Last: t0.Add(2 * time.Second)},
		Address: wellcheck.FailedSignIns{Count: 3, Last: t0.Add(2 * time.Second)},
		Account: wellcheck.FailedSignIns{Count: 4, Last: t0.Add(2 * time.Second)},
	}, normalise(f))
	f, err = q.SignInFailures(ctx, 0, b)
	require.NoError(t, err)
	require.Equal(t, wellcheck.SignInFailures{Address: wellcheck.FailedSignIns{Count: 2, Last: t0}}, normalise(f))

	// A day later, the pair starts again; an hour later, the address and the account.
	later := t0.Add(25 * time.Hour)
	require.NoError(t, q.RecordSignInFailure(ctx, p, u.ID, a, true, later))
	f, err = q.SignInFailures(ctx, u.ID, a)
	require.NoError(t, err)
	require.Equal(t, wellcheck.SignInFailures{
		Pair: wellcheck.FailedSignIns{Count: 1, Last: later}, Address: wellcheck.FailedSignIns{Count: 1, Last: later},
		Account: wellcheck.FailedSignIns{Count: 1, Last: later},
	}, normalise(f))

	require.NoError(t, q.ClearPairFailures(ctx, u.ID, a))
	f, err = q.SignInFailures(ctx, u.ID, a)
	require.NoError(t, err)
	require.Zero(t, f.Pair.Count, "the right password clears its pair")
	f, err = q.SignInFailures(ctx, u.ID, b)
	require.NoError(t, err)
	require.Equal(t, 1, f.Pair.Count, "not another's")

	require.NoError(t, q.DeleteForgottenFailures(ctx, p, later.Add(2*time.Hour)))
	f, err = q.SignInFailures(ctx, 0, a)
	require.NoError(t, err)
	require.Zero(t, f.Address.Count, "an address is kept no longer than it counts")

	require.NoError(t, q.SetPasswordHash(ctx, u.ID, "$argon2id$…", later))
	f, err = q.SignInFailures(ctx, u.ID, b)
	require.NoError(t, err)
	require.Zero(t, f.Pair.Count, "a new password clears every pair")
	require.Zero(t, f.Account.Count)
}

// normalise reads the times in UTC, as they were written.
func normalise(f wellcheck.SignInFailures) wellcheck.SignInFailures {
	for _, x := range []*wellcheck.FailedSignIns{&f.Pair, &f.Address, &f.Account} {
		if !x.Last.IsZero() {
			x.Last = x.Last.UTC()
		}
	}
	return f
}
