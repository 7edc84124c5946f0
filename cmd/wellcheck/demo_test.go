package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/internal/dbtest"
)

// lockedBuffer is a buffer the demo writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// wellcheck demo, as a visitor runs it: it prints where to go and the
// accounts, the pages say it is a demo, the first calls are answered by the
// simulator within the minute (pressed 1, pressed 2), and Ctrl-C stops it
// cleanly. (The escalation, minutes later, is measured by hand: see the
// README.)
func TestDemo(t *testing.T) {
	t.Parallel()
	absent, err := url.Parse(dbtest.AbsentURL(t))
	require.NoError(t, err)
	name := strings.TrimPrefix(absent.Path, "/")
	env := map[string]string{"WELLCHECK_DATABASE_URL": dbtest.ServerURL()}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var stdout, stderr lockedBuffer
	logFile := filepath.Join(t.TempDir(), "demo.log")
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--http-addr", "127.0.0.1:0", "demo", "--database", name, "--first-call", "0s", "--persons", "12", "--log-file", logFile},
			func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	}()

	var site, password string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`open (http://\S+)`).FindStringSubmatch(stdout.String())
		p := regexp.MustCompile(`coordinator\s+coordinatrice@example.org\s+(\S+)`).FindStringSubmatch(stdout.String())
		if m == nil || p == nil {
			return false
		}
		site, password = m[1], p[1]
		return true
	}, time.Minute, 50*time.Millisecond, "stdout: %s\nstderr: %s", &stdout, &stderr)
	require.Contains(t, stdout.String(), "12 fictitious persons are enrolled")
	require.Regexp(t, `come due from \d\d:\d\d \(Europe/Paris time\)`, stdout.String(), "times say their zone")
	require.Contains(t, stdout.String(), "The log goes to "+logFile)

	// The coordinator signs in with the printed password; the pages say demo.
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}
	res, err := c.Get(site + "/login")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(body))
	require.NotNil(t, csrf)
	req, err := http.NewRequest(http.MethodPost, site+"/login", strings.NewReader(url.Values{
		"csrf": {csrf[1]}, "email": {"coordinatrice@example.org"}, "password": {password}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", site)
	res, err = c.Do(req)
	require.NoError(t, err)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	require.Contains(t, string(body), "Démonstration : les personnes sont fictives")
	require.Contains(t, string(body), "Camille Coordinatrice")

	// Within the minute and a bit: the simulator answers the first wave.
	dsn, err := url.Parse(dbtest.ServerURL())
	require.NoError(t, err)
	dsn.Path = "/" + name
	conn, err := pgx.Connect(ctx, dsn.String())
	require.NoError(t, err)
	defer conn.Close(context.Background())
	require.Eventually(t, func() bool {
		var confirmed, flagged int
		err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'confirmed'), count(*) FILTER (WHERE state = 'flagged') FROM check_ins`).Scan(&confirmed, &flagged)
		return err == nil && confirmed > 0 && flagged > 0
	}, 150*time.Second, time.Second, "stderr: %s", &stderr)

	// Partners are in the directory, to orient persons to.
	var partners int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM partners").Scan(&partners))
	require.Equal(t, 3, partners)

	stop()
	select {
	case err := <-done:
		require.True(t, err == nil || errors.Is(err, context.Canceled), "%v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not stop within 30 s of Ctrl-C")
	}
	// The terminal stays quiet: the calls' log lines are in the file.
	require.Empty(t, stderr.String())
	log, err := os.ReadFile(logFile)
	require.NoError(t, err)
	require.Contains(t, string(log), "check-in finished")
}

// Without a reachable Postgres the demo says how to get one; bad flags say
// what is wrong; it never drops the database the service is configured with.
func TestDemoExplainsWhatIsMissing(t *testing.T) {
	t.Parallel()
	c := newCLI(t, "postgres://postgres@127.0.0.1:1/wellcheck?sslmode=disable&connect_timeout=2")
	r := c.run("", "demo")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "cannot reach Postgres at postgres://postgres@127.0.0.1:1/wellcheck")
	require.Contains(t, r.stderr, "apt-get install postgresql")

	c = newCLI(t, dbtest.ServerURL())
	r = c.run("", "demo", "--persons", "5")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "--persons: between 12 and 200")
	c = newCLI(t, "postgres://postgres@127.0.0.1:5432/wellcheck?sslmode=disable")
	r = c.run("", "demo", "--database", "wellcheck")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "give it one of its own")
}
