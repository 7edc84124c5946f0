package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/store"
)

// The settings a fresh database starts with are the ones the code documents as
// defaults: the SQL seed and DefaultSettings must not drift apart.
func TestFreshDatabaseHasTheDefaultSettings(t *testing.T) {
	t.Parallel()
	st := store.New(dbtest.New(t))
	got, err := st.Queries().Settings(context.Background())
	require.NoError(t, err)
	require.Equal(t, wellcheck.DefaultSettings(), got)
}

func TestUsers(t *testing.T) {
	t.Parallel()
	st := store.New(dbtest.New(t))
	ctx := context.Background()
	q := st.Queries()

	u, err := q.CreateUser(ctx, wellcheck.User{Email: "Leo@Example.org", FullName: "Léo Écoutant",
		Roles: []wellcheck.Role{wellcheck.RoleListener}, Languages: []string{"fr", "ar"}, Capacity: 8})
	require.NoError(t, err)
	require.True(t, u.Has(wellcheck.RoleListener))
	require.False(t, u.CanEnrol(), "a listener does not enrol")

	_, err = q.CreateUser(ctx, wellcheck.User{Email: "leo@example.org", FullName: "Autre", Roles: []wellcheck.Role{wellcheck.RoleAdmin}})
	require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err), "e-mails are unique whatever their case")
	require.Equal(t, `a user "leo@example.org" already exists`, wellcheck.ErrorText(err, wellcheck.English))

	got, err := q.UserByEmail(ctx, "LEO@example.org")
	require.NoError(t, err)
	require.Equal(t, u, got)
	require.Equal(t, []string{"fr", "ar"}, got.Languages)
	require.Equal(t, 8, got.Capacity)

	_, err = q.UserByEmail(ctx, "nobody@example.org")
	require.ErrorIs(t, err, wellcheck.ErrNotFound)

	// The database refuses what the domain forbids, even if a caller slips.
	_, err = q.CreateUser(ctx, wellcheck.User{Email: "x@example.org", FullName: "X", Roles: []wellcheck.Role{"superuser"}})
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
}

func TestEnrolmentOfUnknownPersonIsNotFound(t *testing.T) {
	t.Parallel()
	st := store.New(dbtest.New(t))
	_, err := st.Queries().Enrolment(context.Background(), 404)
	require.ErrorIs(t, err, wellcheck.ErrNotFound)
}
