package dbtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// BenchmarkNew measures what each test pays for its database: getting one,
// writing to it as a test does, and disposing of it when the test ends.
func BenchmarkNew(b *testing.B) {
	use := func() {
		url, release := acquire(b)
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(context.Background(), "INSERT INTO users (email, full_name, roles) VALUES ('b@example.org', 'B', '{coordinator}')"); err != nil {
			b.Fatal(err)
		}
		conn.Close(context.Background())
		release()
	}
	use() // the template, built once per schema
	for b.Loop() {
		use()
	}
}

// fresh returns the name of a new copy of the template, dropped when t ends.
func fresh(t *testing.T) string {
	t.Helper()
	name := create(t)
	t.Cleanup(func() { dropDatabase(t, name) })
	return name
}

func open(t *testing.T, name string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), withDatabase(ServerURL(), name))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// contents reads everything a test could see in a database: the rows of
// every table and where every sequence stands.
func contents(t *testing.T, name string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn := open(t, name)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `WITH ns AS (`+userNamespaces+`)
		SELECT format('%I.%I', ns.nspname, c.relname), c.relkind FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'S') ORDER BY 1`)
	require.NoError(t, err)
	type relation struct {
		Name string
		Kind byte
	}
	relations, err := pgx.CollectRows(rows, pgx.RowToStructByPos[relation])
	require.NoError(t, err)
	require.NotEmpty(t, relations)
	got := map[string]string{}
	for _, r := range relations {
		q := fmt.Sprintf(`SELECT count(*) || ' rows: ' || coalesce(string_agg(t::text, ' | ' ORDER BY t::text COLLATE "C"), '') FROM %s t`, r.Name)
		if r.Kind == 'S' {
			q = "SELECT last_value || ' called ' || is_called FROM " + r.Name
		}
		var v string
		require.NoError(t, conn.QueryRow(ctx, q).Scan(&v), r.Name)
		got[r.Name] = v
	}
	return got
}

func TestAPutBackDatabaseLooksFresh(t *testing.T) {
	ctx := context.Background()
	name := create(t)
	conn := open(t, name)
	for _, stmt := range []string{
		"INSERT INTO users (email, full_name, roles) VALUES ('claire@example.org', 'Claire', '{coordinator}')",
		"INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) SELECT sha256('t'), id, repeat('c', 32), now(), now(), now() + interval '1 hour' FROM users",
		"INSERT INTO river_job (kind, args) VALUES ('call', '{}')",
		"INSERT INTO river_leader (leader_id, elected_at, expires_at) VALUES ('node-1', now(), now() + interval '15 seconds')",
		"INSERT INTO river_queue (name) VALUES ('calls')",
		"UPDATE service_settings SET time_zone = 'Europe/Brussels', max_attempts = 9",
		"DELETE FROM opening_hours WHERE weekday = 1",
		"UPDATE planner_state SET planned_until = now()",
		"SELECT nextval('persons_id_seq'), nextval('persons_id_seq')",
		"BEGIN; INSERT INTO partners (name) VALUES ('rolled back'); ROLLBACK",
	} {
		_, err := conn.Exec(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	require.NoError(t, conn.Close(ctx))

	next, err := putBack(ctx, name)
	require.NoError(t, err)
	require.NotEmpty(t, next, "the database is put back, not dropped")
	t.Cleanup(func() { dropDatabase(t, next) })
	require.Equal(t, next, takeIdle(), "the next test gets it")
	_, err = pgx.Connect(ctx, withDatabase(ServerURL(), name))
	require.Error(t, err, "the test's URL no longer leads to it")

	want := contents(t, fresh(t))
	require.Equal(t, want, contents(t, next), "a put-back database holds what a copy of the template holds")
	require.Equal(t, "0 rows: ", want["public.users"])
	require.Contains(t, want["public.service_settings"], "1 rows: ")
	require.Contains(t, want["public.opening_hours"], "5 rows: ")
	require.Contains(t, want["public.river_migration"], "rows: ")
	require.NotContains(t, want["public.river_migration"], "0 rows: ")

	conn = open(t, next)
	var id int64
	require.NoError(t, conn.QueryRow(ctx, "INSERT INTO users (email, full_name, roles) VALUES ('paul@example.org', 'Paul', '{coordinator}') RETURNING id").Scan(&id))
	require.Equal(t, int64(1), id, "identities start again")
	var tz string
	require.NoError(t, conn.QueryRow(ctx, "SELECT time_zone FROM service_settings").Scan(&tz))
	require.Equal(t, "Europe/Paris", tz)
}

func TestADatabaseWithAnotherSchemaIsDropped(t *testing.T) {
	for _, stmt := range []string{
		"ALTER TABLE users ADD COLUMN nickname text",
		"ALTER TABLE users ALTER COLUMN capacity SET DEFAULT 5",
		"CREATE INDEX ON persons (created_at)",
		"ALTER TYPE case_priority ADD VALUE 'someday'",
		"CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42'",
		"CREATE TABLE scratch (x int)",
		"DROP TABLE test_calls",
		"DROP SCHEMA public CASCADE; CREATE SCHEMA public",
		"SELECT lo_create(0)",
	} {
		t.Run(stmt, func(t *testing.T) {
			ctx := context.Background()
			name := create(t)
			conn := open(t, name)
			_, err := conn.Exec(ctx, stmt)
			require.NoError(t, err)
			require.NoError(t, conn.Close(ctx))

			next, err := putBack(ctx, name)
			require.NoError(t, err)
			require.Empty(t, next, "dropped, not put back")
			require.Empty(t, takeIdle())
			require.Empty(t, databasesLike(t, name))
		})
	}
}

func TestADatabaseStillInUseIsDropped(t *testing.T) {
	ctx := context.Background()
	name := create(t)
	left := open(t, name) // a connection the test forgot to close

	next, err := putBack(ctx, name)
	require.NoError(t, err)
	require.Empty(t, next, "dropped, not put back")
	require.Empty(t, takeIdle())
	require.Empty(t, databasesLike(t, name))
	require.Error(t, left.Ping(ctx), "the forgotten connection was cut")
}

// databasesLike lists the databases called name.
func databasesLike(t *testing.T, name string) []string {
	t.Helper()
	ctx := context.Background()
	admin := connect(t, ctx)
	defer admin.Close(ctx)
	rows, err := admin.Query(ctx, "SELECT datname FROM pg_database WHERE datname = $1", name)
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return names
}

func TestADatabaseTheTestDroppedIsLeftAlone(t *testing.T) {
	name := create(t)
	dropDatabase(t, name)
	next, err := putBack(context.Background(), name)
	require.NoError(t, err)
	require.Empty(t, next)
	require.Empty(t, takeIdle())
}
