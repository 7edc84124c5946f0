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
	// clock only: the trunk's leases and pacing (shared by every node,
	// whatever their clocks) and River's own schedule; and in rows'
	// updated_at, which no rule reads (the list's version compares it for
	// equality only).
	allowed := []*regexp.Regexp{
		regexp.MustCompile(`^trunk\.sql:`),
		regexp.MustCompile(`^calls\.sql:.*scheduled_at <= now\(\) \+ @ahead::interval`),
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
	// Bookkeeping only: when a row was written, read by no rule.
	bookkeeping := regexp.MustCompile(`\.(created_at|updated_at|recorded_at|applied_at)$|^audit_log\.at$`)
	for _, c := range defaults {
		require.Regexp(t, bookkeeping, c, "%s defaults to the database's clock", c)
	}
	for _, c := range []string{"persons.plan_updated_at", "persons.created_at", "cases.opened_at", "notes.created_at",
		"attempts.started_at", "data_issues.opened_at", "data_issues.last_seen_at"} {
		require.NotContains(t, defaults, c, "a rule or a report reads %s", c)
	}
}
