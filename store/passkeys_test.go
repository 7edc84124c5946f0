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

// A passkey's counter only goes forwards: an answer with a count not above
// the one kept is refused and changes nothing, unless both are 0 (an
// authenticator that keeps no counter). A passkey alone is a second factor.
func TestPasskeyCounter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	q := store.New(dbtest.New(t)).Queries()
	u, err := q.CreateUser(ctx, wellcheck.User{Email: "leo@example.org", FullName: "Léo", Roles: []wellcheck.Role{wellcheck.RoleListener}})
	require.NoError(t, err)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	has, err := q.HasSecondFactor(ctx, u.ID)
	require.NoError(t, err)
	require.False(t, has)

	id, err := q.AddPasskey(ctx, store.Passkey{UserID: u.ID, CredentialID: []byte("credential-1"), PublicKey: []byte("key"), SignCount: 5,
		Name: "Clé d'accès 1", CreatedAt: t0})
	require.NoError(t, err)
	has, err = q.HasSecondFactor(ctx, u.ID)
	require.NoError(t, err)
	require.True(t, has, "a passkey only is a second factor")
	_, err = q.AddPasskey(ctx, store.Passkey{UserID: u.ID, CredentialID: []byte("credential-1"), PublicKey: []byte("key"), Name: "Encore", CreatedAt: t0})
	require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err), "a credential is kept once")

	for _, tc := range []struct {
		count uint32
		ok    bool
	}{{4, false}, {5, false}, {0, false}, {6, true}, {6, false}, {9, true}} {
		ok, err := q.UsePasskey(ctx, u.ID, id, tc.count, 0, t0.Add(time.Minute))
		require.NoError(t, err)
		require.Equal(t, tc.ok, ok, "count %d", tc.count)
	}
	keys, err := q.Passkeys(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, uint32(9), keys[0].SignCount)
	ok, err := q.UsePasskey(ctx, u.ID+1, id, 10, 0, t0)
	require.NoError(t, err)
	require.False(t, ok, "another user's passkey is not theirs to use")

	zero, err := q.AddPasskey(ctx, store.Passkey{UserID: u.ID, CredentialID: []byte("credential-2"), PublicKey: []byte("key"), Name: "Sans compteur", CreatedAt: t0})
	require.NoError(t, err)
	ok, err = q.UsePasskey(ctx, u.ID, zero, 0, 0, t0)
	require.NoError(t, err)
	require.True(t, ok, "no counter on either side")
}
