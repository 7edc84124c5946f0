// Package dbtest gives each test its own migrated database on the real Postgres.
//
// The server comes from WELLCHECK_TEST_DATABASE_URL (default: the local cluster).
// A template database is migrated once per schema version, under an advisory lock
// so parallel test binaries share it; each test then gets a copy of its own.
// When the test ends the copy is emptied back to the template's rows and handed
// to the next test of the process, which is much cheaper than copying the
// template again (see recycle.go). If Postgres cannot be reached the test fails, saying how to
// start it: tests never skip.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wellcheck/wellcheck/migrations"
)

// DefaultURL is the local cluster this project's machines run.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns the URL of the test server.
func ServerURL() string {
	if u := os.Getenv("WELLCHECK_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// New returns a pool on a fresh, migrated database of its own, closed when t
// ends; the database is then put back for the next test, or dropped.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return Connect(t, NewURL(t))
}

// Connect opens a pool on url (from NewURL), closed when t ends: a second pool on
// one database stands for a second node.
func Connect(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatalf("dbtest: open pool: %v", err)
	}
	t.Cleanup(pool.Close) // runs before NewURL's cleanup, which needs it closed
	return pool
}

// NewURL returns the URL of a fresh, migrated database of its own, for tests
// that connect by themselves (the CLI). When t ends, after its other cleanups,
// the database is put back as the template left it for the next test of the
// process, under another name; if a session is still connected to it, or the
// test changed its schema, it is dropped instead.
func NewURL(t testing.TB) string {
	t.Helper()
	url, release := acquire(t)
	t.Cleanup(release)
	return url
}

// acquire returns the URL of a fresh, migrated database and the function that
// disposes of it, to be called once nothing is connected to it any more: it
// puts the database back as the template left it for the next test (see
// putBack), or drops it.
func acquire(t testing.TB) (url string, release func()) {
	t.Helper()
	name := takeIdle()
	if name == "" {
		name = create(t)
	}
	return withDatabase(ServerURL(), name), func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := putBack(ctx, name); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	}
}

// create copies the template into a new database and returns its name.
func create(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx) })
	if templateErr != nil {
		t.Fatalf("dbtest: %v", templateErr)
	}
	admin := connect(t, ctx)
	defer admin.Close(context.Background())

	name := testDatabaseName()
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, templateName)); err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	shapeOnce.Do(func() {
		conn, err := pgx.Connect(ctx, withDatabase(ServerURL(), name))
		if err != nil {
			shapeErr = err
			return
		}
		defer conn.Close(context.Background())
		tmpl, shapeErr = readShape(ctx, conn)
	})
	if shapeErr != nil {
		dropDatabase(t, name)
		t.Fatalf("dbtest: read what the template holds: %v", shapeErr)
	}
	return name
}

func dropDatabase(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		t.Errorf("dbtest: drop %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("dbtest: drop %s: %v", name, err)
	}
}

func connect(t testing.TB, ctx context.Context) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		t.Fatalf("dbtest: %v", unreachable(err))
	}
	return conn
}

// unreachable says how to get the test server running.
func unreachable(err error) error {
	return fmt.Errorf("cannot reach the test Postgres at %s: %w\n"+
		"Start the local cluster with:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"+
		"or point WELLCHECK_TEST_DATABASE_URL at a server where this user may CREATE DATABASE", ServerURL(), err)
}

// ensureTemplate makes sure a migrated template for the current schema exists and
// returns its name. The name carries a hash of the migrations, so a changed schema
// gets a new template instead of a stale one.
func ensureTemplate(ctx context.Context) (string, error) {
	all, err := migrations.All()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range all {
		fmt.Fprintf(h, "%d %s\n%s\n", m.Version, m.Name, m.SQL)
	}
	fmt.Fprint(h, migrations.RiverVersion(), migrations.RunnerVersion)
	name := "wellcheck_tmpl_" + hex.EncodeToString(h.Sum(nil))[:12]

	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return "", unreachable(err)
	}
	defer conn.Close(context.Background())
	const lock = 0x77637465737474 // "wctestt"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lock)); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", int64(lock))

	sweepOrphans(ctx, conn)

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// Build under a scratch name and rename when complete, so a crash halfway
	// never leaves a half-migrated template behind under the real name.
	scratch := name + "_building"
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+scratch+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+scratch); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	pool, err := pgxpool.New(ctx, withDatabase(ServerURL(), scratch))
	if err != nil {
		return "", err
	}
	_, err = migrations.Up(ctx, pool)
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+scratch+" RENAME TO "+name); err != nil {
		return "", err
	}
	return name, nil
}

// withDatabase returns dsn with its database replaced by db; it accepts URLs and
// keyword/value strings.
func withDatabase(dsn, db string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + db
		return u.String()
	}
	return dsn + " dbname=" + db
}

// Test databases are named wellcheck_test_<host>_<pid>_<random>, so that the
// databases of a test process that was killed (a CI timeout, Ctrl-C) can be
// recognised and dropped by the next run on the same host.
const testPrefix = "wellcheck_test_"

func testDatabaseName() string {
	return fmt.Sprintf("%s%s_%d_%s", testPrefix, hostTag(), os.Getpid(), randomHex(4))
}

func hostTag() string {
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(host))
	return hex.EncodeToString(sum[:4])
}

// sweepOrphans drops this host's test databases whose process has exited.
func sweepOrphans(ctx context.Context, conn *pgx.Conn) {
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE $1", testPrefix+hostTag()+"_%")
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range names {
		parts := strings.Split(strings.TrimPrefix(name, testPrefix), "_")
		if len(parts) != 3 {
			continue
		}
		pid, err := strconv.Atoi(parts[1])
		if err != nil || processAlive(pid) {
			continue
		}
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AbsentURL returns the URL of a database that does not exist yet (for testing
// what creates one), dropped when t ends if something created it.
func AbsentURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	connect(t, ctx).Close(ctx) // fail early, and clearly, if the server is down
	name := testDatabaseName()
	t.Cleanup(func() { dropDatabase(t, name) })
	return withDatabase(ServerURL(), name)
}
