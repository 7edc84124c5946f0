package dbtest

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// seedMarker is the table a seeded database carries to say what filled it.
const seedMarker = "dbtest_seed"

var seededName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// Seeded returns the URL of the database called name, migrated and filled by
// seed, and kept between runs: benchmarks whose data take minutes to generate
// reuse it. It is reused when its marker table says it was seeded with the
// same version by a template of the current schema; otherwise (first run, a
// new seed version, changed migrations, a seed that failed halfway) it is
// built again under a scratch name from the migrated template, seeded, and
// only then renamed, so a crash never leaves a half-seeded database behind.
// Processes that need it at once wait for each other on an advisory lock.
// It is never dropped by the tests: drop it by hand to free the disk
// (DROP DATABASE name WITH (FORCE)).
func Seeded(tb testing.TB, name, version string, seed func(ctx context.Context, url string) error) string {
	tb.Helper()
	if !seededName.MatchString(name) {
		tb.Fatalf("dbtest: %q is not a plain database name", name)
	}
	ctx := context.Background()
	templateOnce.Do(func() {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		templateName, templateErr = ensureTemplate(tctx)
	})
	if templateErr != nil {
		tb.Fatalf("dbtest: %v", templateErr)
	}
	want := version + " on " + templateName
	url := withDatabase(ServerURL(), name)

	admin := connect(tb, ctx)
	defer admin.Close(context.Background())
	const lock = 0x77637365656464 // "wcseedd"
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lock)); err != nil {
		tb.Fatalf("dbtest: lock for seeding %s: %v", name, err)
	}
	defer admin.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", int64(lock))

	if got, at, took := seededVersion(ctx, admin, name); got == want {
		tb.Logf("dbtest: reusing database %s, seeded %s in %s (%s)", name, at.Format(time.DateTime), took.Round(time.Second), want)
		return url
	} else if got != "" {
		tb.Logf("dbtest: database %s was seeded as %q, not %q: seeding it again", name, got, want)
	}

	scratch := name + "_seeding"
	for _, stmt := range []string{
		"DROP DATABASE IF EXISTS " + scratch + " WITH (FORCE)",
		"CREATE DATABASE " + scratch + " TEMPLATE " + templateName,
	} {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			tb.Fatalf("dbtest: %s: %v", stmt, err)
		}
	}
	start := time.Now()
	if err := seed(ctx, withDatabase(ServerURL(), scratch)); err != nil {
		tb.Fatalf("dbtest: seed %s: %v", name, err)
	}
	took := time.Since(start)
	mark, err := pgx.Connect(ctx, withDatabase(ServerURL(), scratch))
	if err != nil {
		tb.Fatalf("dbtest: mark %s: %v", name, err)
	}
	_, err = mark.Exec(ctx, "CREATE TABLE "+seedMarker+" (version text NOT NULL, seeded_at timestamptz NOT NULL, seconds double precision NOT NULL)")
	if err == nil {
		_, err = mark.Exec(ctx, "INSERT INTO "+seedMarker+" VALUES ($1, now(), $2)", want, took.Seconds())
	}
	mark.Close(ctx)
	if err != nil {
		tb.Fatalf("dbtest: mark %s: %v", name, err)
	}
	for _, stmt := range []string{
		"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)",
		"ALTER DATABASE " + scratch + " RENAME TO " + name,
	} {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			tb.Fatalf("dbtest: %s: %v", stmt, err)
		}
	}
	tb.Logf("dbtest: seeded database %s in %s (%s)", name, took.Round(time.Second), want)
	return url
}

// seededVersion reads what seeded the database name, "" if it does not exist
// or carries no marker.
func seededVersion(ctx context.Context, admin *pgx.Conn, name string) (version string, at time.Time, took time.Duration) {
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || !exists {
		return "", at, 0
	}
	conn, err := pgx.Connect(ctx, withDatabase(ServerURL(), name))
	if err != nil {
		return "", at, 0
	}
	defer conn.Close(ctx)
	var seconds float64
	if err := conn.QueryRow(ctx, "SELECT version, seeded_at, seconds FROM "+seedMarker).Scan(&version, &at, &seconds); err != nil {
		return "", at, 0
	}
	return version, at, time.Duration(seconds * float64(time.Second))
}
