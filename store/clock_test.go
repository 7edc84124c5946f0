package store_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/internal/dbtest"
)

// A rule reads time from one clock, the service's, passed into each query:
// the database's clock appears only where it is compared with itself. A
// test's fake clock and the database's real one must never meet in a rule
// (main went red when the calendar passed a test's dates: a plan's "set
// at" came from now() while the planner decided with the service's clock).
func TestQueriesReadTheServicesClock(t *testing.T) {
	t.Parallel()
	// The database's clock stays where it is compared with the database's
	// clock only: the trunk's leases and pacing and the nodes' heartbeats
	// (shared by every node, whatever their clocks) and River's own schedule;
	// the audit log's retention, which ages entries the database stamped
	// (audit_log.at); and in rows' updated_at, which no rule reads (the
	// list's version compares it for equality only).
	allowed := []*regexp.Regexp{
		regexp.MustCompile(`^trunk\.sql:`),
		regexp.MustCompile(`^nodes\.sql:`),
		regexp.MustCompile(`^calls\.sql:.*scheduled_at <= now\(\) \+ @ahead::interval`),
		regexp.MustCompile(`^audit\.sql:.*WHERE at < now\(\) - make_interval`),
	}
	bookkeeping := regexp.MustCompile(`updated_at = now\(\)`)
	clock := regexp.MustCompile(`(?i)\b(now\(\)|current_(date|time|timestamp)|localtime(stamp)?|clock_timestamp|transaction_timestamp|statement_timestamp)`)
	files, err := filepath.Glob("queries/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		body, err := os.ReadFile(f)
		require.NoError(t, err)
		for i, line := range strings.Split(string(body), "\n") {
			code, _, _ := strings.Cut(line, "--")
			if !clock.MatchString(bookkeeping.ReplaceAllString(code, "")) {
				continue
			}
			at := filepath.Base(f) + ":" + code
			require.True(t, slices.ContainsFunc(allowed, func(r *regexp.Regexp) bool { return r.MatchString(at) }),
				"%s:%d reads the database's clock: pass the service's time instead\n%s", f, i+1, line)
		}
	}
}

// A column a rule reads has no default from the database's clock: a
// statement that forgets to pass the service's time fails instead of
// silently reading another clock.
func TestNoDomainTimeDefaultsToTheDatabasesClock(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	rows, err := pool.Query(context.Background(), `
		SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name NOT LIKE 'river%' AND column_default ILIKE '%now()%'
		ORDER BY 1`)
	require.NoError(t, err)
	var defaults []string
	for rows.Next() {
		var c string
		require.NoError(t, rows.Scan(&c))
		defaults = append(defaults, c)
	}
	require.NoError(t, rows.Err())
	// Bookkeeping only: when a row was written, read by no rule (never a
	// plan's "set at", a case's opening, a note's or a call's time, a
	// number issue's, an upload's) but for the audit log's retention, which
	// ages audit_log.at by the same database clock. A new default must be
	// added here, knowingly, or the column passed the service's time.
	bookkeeping := []string{
		"api_tokens.created_at", "audit_log.at", "cases.updated_at", "check_ins.created_at", "check_ins.updated_at",
		"closures.created_at", "consents.recorded_at", "follow_ups.created_at", "follow_ups.updated_at",
		"partners.created_at", "partners.updated_at", "persons.updated_at", "planner_state.updated_at",
		"referrals.created_at", "schema_migrations.applied_at", "service_settings.updated_at",
		"trunk_limits.updated_at", "users.created_at", "users.updated_at",
	}
	require.ElementsMatch(t, bookkeeping, defaults, "the columns that default to the database's clock")
}
