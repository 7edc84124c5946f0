package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/internal/dbtest"
)

// wellcheck soak, short: two nodes (this test binary, see TestMain), a few
// persons due at the next whole minute, the database cut once (a black hole)
// while their calls go on. Every key pressed is recorded, nobody is called twice, both
// nodes run to the end, and the database is dropped.
func TestSoakLosesNothingAcrossACut(t *testing.T) {
	t.Parallel()
	absent, err := url.Parse(dbtest.AbsentURL(t))
	require.NoError(t, err)
	name := strings.TrimPrefix(absent.Path, "/")
	env := map[string]string{"WELLCHECK_DATABASE_URL": dbtest.ServerURL()}
	report := filepath.Join(t.TempDir(), "soak.md")
	var stdout, stderr lockedBuffer
	err = run(context.Background(), []string{"soak", "--database", name, "--duration", "10s", "--persons", "6", "--seed", "1",
		"--weights", "ok=2,help=1", "--gap-min", "1s", "--gap-max", "1s", "--outage-min", "5s", "--outage-max", "5s", "--max-cuts", "1",
		"--settle", "1m", "--report", report},
		func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	out := stdout.String()
	require.NoError(t, err, "stdout: %s\nstderr: %s", out, &stderr)

	figure := func(what string) int {
		t.Helper()
		m := regexp.MustCompile(`(?m)^  ` + what + `\s+(\d+)`).FindStringSubmatch(out)
		require.NotNil(t, m, "%q in the report:\n%s", what, out)
		n, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		return n
	}
	require.Equal(t, 6, figure("check-ins due"), out)
	require.Equal(t, 6, figure("calls placed"), "each person called once, and answered:\n%s", out)
	require.Equal(t, 6, figure("outcomes recorded"), out)
	require.Zero(t, figure("lost"), out)
	require.Zero(t, figure("duplicate calls"), out)
	require.Equal(t, 1, figure("cuts"), out)
	require.Contains(t, out, "(0 resets, 1 black holes)", "seed 1 draws a black hole first")
	require.Contains(t, out, "node1 ran to the end and stopped cleanly; node2 ran to the end and stopped cleanly")
	require.NotContains(t, out, "+33199", "no phone number in the report")

	md, err := os.ReadFile(report)
	require.NoError(t, err)
	require.Contains(t, string(md), "| lost | 0 ")
	require.Contains(t, string(md), "| duplicate calls | 0 ")

	// The logs say no phone number either; the database is gone.
	dir := regexp.MustCompile(`logs in (\S+)`).FindStringSubmatch(out)
	require.NotNil(t, dir, out)
	t.Cleanup(func() { os.RemoveAll(dir[1]) })
	for _, f := range []string{"node1.log", "node2.log", "soak.log"} {
		log, err := os.ReadFile(filepath.Join(dir[1], f))
		require.NoError(t, err)
		require.NotRegexp(t, `\+?331990\d{5}`, string(log), f)
	}
	conn, err := pgx.Connect(context.Background(), dbtest.ServerURL())
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var left bool
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&left))
	require.False(t, left, "the soak's database is dropped")
}
