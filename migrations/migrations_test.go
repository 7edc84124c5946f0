package migrations_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/migrations"
)

// emptyDB returns a pool on a database with no schema at all.
func emptyDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := dbtest.New(t)
	ctx := context.Background()
	_, err := pool.Exec(ctx, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
	require.NoError(t, err)
	current, err := migrations.Status(ctx, pool)
	require.NoError(t, err)
	require.False(t, current, "a database without tables must report migrations pending")
	return pool
}

func TestUpOnEmptyDatabase(t *testing.T) {
	t.Parallel()
	pool := emptyDB(t)
	ctx := context.Background()

	res, err := migrations.Up(ctx, pool)
	require.NoError(t, err)
	all, err := migrations.All()
	require.NoError(t, err)
	require.Len(t, res.Applied, len(all))
	require.NotEmpty(t, res.RiverApplied, "River's tables are migrated too")

	// The tables the domain needs, and River's, are there.
	for _, table := range []string{"persons", "referrals", "consents", "emergency_contacts",
		"users", "shifts", "service_settings", "opening_hours", "closures", "check_ins", "attempts",
		"cases", "follow_ups", "notes", "audit_log", "river_job", "river_leader"} {
		var ok bool
		require.NoError(t, pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok))
		require.True(t, ok, "table %s", table)
	}
	// The service starts with Monday–Friday 9:00–17:00 in Europe/Paris.
	var days int
	var tz string
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM opening_hours WHERE opens = '09:00' AND closes = '17:00'").Scan(&days))
	require.NoError(t, pool.QueryRow(ctx, "SELECT time_zone FROM service_settings").Scan(&tz))
	require.Equal(t, 5, days)
	require.Equal(t, "Europe/Paris", tz)

	current, err := migrations.Status(ctx, pool)
	require.NoError(t, err)
	require.True(t, current)
}

func TestUpIsIdempotent(t *testing.T) {
	t.Parallel()
	pool := emptyDB(t)
	ctx := context.Background()
	_, err := migrations.Up(ctx, pool)
	require.NoError(t, err)

	again, err := migrations.Up(ctx, pool)
	require.NoError(t, err)
	require.Empty(t, again.Applied)
	require.Empty(t, again.RiverApplied)
}

func TestConcurrentUpIsSafe(t *testing.T) {
	t.Parallel()
	pool := emptyDB(t)
	ctx := context.Background()

	// Separate pools behave like separate processes.
	const n = 4
	results := make([]migrations.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		other, err := pgxpool.New(ctx, pool.Config().ConnString())
		require.NoError(t, err)
		defer other.Close()
		wg.Go(func() { results[i], errs[i] = migrations.Up(ctx, other) })
	}
	wg.Wait()

	applied := 0
	for i := range n {
		require.NoError(t, errs[i])
		if len(results[i].Applied) > 0 {
			applied++
		}
	}
	require.Equal(t, 1, applied, "exactly one process applies the migrations, the others find them done")
	var rows int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM service_settings").Scan(&rows))
	require.Equal(t, 1, rows, "seed rows are written once")
}

func TestAnAppliedMigrationMustNotChange(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t) // migrated
	ctx := context.Background()

	// As if 0001 had been edited after this database applied it.
	_, err := pool.Exec(ctx, "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
	require.NoError(t, err)
	_, err = migrations.Up(ctx, pool)
	require.ErrorContains(t, err, "migration 0001_domain was changed after it was applied")
	require.ErrorContains(t, err, "forward-only")
	_, err = migrations.Status(ctx, pool)
	require.Error(t, err, "readiness fails too")

	// A database migrated by a newer build.
	all := mustAll(t)
	_, err = pool.Exec(ctx, "UPDATE schema_migrations SET checksum = $1 WHERE version = 1", all[0].Checksum)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')")
	require.NoError(t, err)
	_, err = migrations.Up(ctx, pool)
	require.ErrorContains(t, err, "the database has migration 9999, which this build does not know")
}

func mustAll(t *testing.T) []migrations.Migration {
	t.Helper()
	all, err := migrations.All()
	require.NoError(t, err)
	return all
}
