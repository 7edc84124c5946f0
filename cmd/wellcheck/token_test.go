package main

import (
	"context"
	"crypto/sha256"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

func TestTokensFromTheCommandLine(t *testing.T) {
	t.Parallel()
	c := withCoordinator(t)
	pool, err := pgxpool.New(context.Background(), c.env["WELLCHECK_DATABASE_URL"])
	require.NoError(t, err)
	defer pool.Close()
	ctx := context.Background()
	q := store.New(pool).Queries()

	for _, args := range [][]string{
		{"token"},
		{"token", "add", "--email", "claire@example.org"},
		{"token", "add", "--name", "CRM"},
		{"token", "add", "--email", "claire@example.org", "--name", strings.Repeat("n", 101)},
		{"token", "revoke", "un"},
		{"token", "revoke"},
		{"token", "burn", "1"},
	} {
		r := c.run("", args...)
		require.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
	}
	r := c.run("", "token", "add", "--email", "nobody@example.org", "--name", "CRM")
	require.Equal(t, exitInvalid, r.code)
	require.Equal(t, "aucun utilisateur actif « nobody@example.org »\n", r.stderr)

	// Added: the token is printed once, on a line of its own; the database
	// keeps its SHA-256 only.
	r = c.run("", "token", "add", "--email", "Claire@example.org", "--name", "CRM des services sociaux")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2)
	require.Equal(t, "Jeton d'API n° 1 « CRM des services sociaux » créé pour claire@example.org, avec ses rôles. Le voici ; il ne sera plus affiché :", lines[0])
	token := lines[1]
	require.Regexp(t, regexp.MustCompile(`^wck_[A-Za-z0-9_-]{43}$`), token)
	require.NotContains(t, r.stderr, token, "never in the logs")
	hash := sha256.Sum256([]byte(token))
	_, u, err := q.UseAPIToken(ctx, hash[:], time.Now())
	require.NoError(t, err, "the token acts as its user")
	require.Equal(t, "claire@example.org", u.Email)
	require.True(t, u.Has(wellcheck.RoleCoordinator))
	var stored int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM api_tokens WHERE position(convert_to($1, 'UTF8') IN token_hash) > 0", token).Scan(&stored))
	require.Zero(t, stored, "the token itself is nowhere in the table")

	r = c.run("", "--lang", "en", "token", "add", "--email", "claire@example.org", "--name", "Agenda")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "API token #2 \"Agenda\" created for claire@example.org, with their roles. Here it is; it will not be shown again:\n")

	r = c.run("", "token", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Regexp(t, `^1\tclaire@example.org\tCRM des services sociaux\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\t\d{4}-\d\d-\d\dT[0-9:]+Z\t-\n`+
		`2\tclaire@example.org\tAgenda\t[0-9TZ:-]+\t-\t-\n$`, r.stdout)
	require.NotContains(t, r.stdout, token)

	// Revoked: it lets nobody in any more.
	r = c.run("", "token", "revoke", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, "Jeton d'API n° 1 « CRM des services sociaux » révoqué : il ne donne plus accès.\n", r.stdout)
	_, _, err = q.UseAPIToken(ctx, hash[:], time.Now())
	require.ErrorIs(t, err, wellcheck.ErrNotFound)
	r = c.run("", "token", "list")
	require.Regexp(t, `^1\t.*\t\d{4}-\d\d-\d\dT[0-9:]+Z\n2\t`, r.stdout)
	r = c.run("", "token", "revoke", "99")
	require.Equal(t, exitInvalid, r.code)
	require.Equal(t, "aucun jeton d'API n° 99\n", r.stderr)

	require.Equal(t, map[string]int{"cli api_token.create": 2, "cli api_token.revoke": 1}, auditActions(t, pool, "api_token.%"))
}

// auditActions counts the audit log's records whose action is like pattern,
// by "actor_label action".
func auditActions(t *testing.T, pool *pgxpool.Pool, pattern string) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT actor_label || ' ' || action FROM audit_log WHERE action LIKE $1", pattern)
	require.NoError(t, err)
	actions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	counts := map[string]int{}
	for _, a := range actions {
		counts[a]++
	}
	return counts
}
