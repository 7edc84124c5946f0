package faultproxy_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/internal/faultproxy"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitFor bounds every wait on an event.
const waitFor = 5 * time.Second

type bundle struct {
	proxy *faultproxy.Proxy
	url   string // the test's database, through the proxy
	pool  *pgxpool.Pool
}

// setup puts a proxy between a pool and a fresh database of the test's own.
func setup(t *testing.T) bundle {
	t.Helper()
	direct := dbtest.NewURL(t)
	cfg, err := pgx.ParseConfig(direct)
	require.NoError(t, err)
	p, err := faultproxy.New(net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	u := p.URL(direct)
	return bundle{proxy: p, url: u, pool: dbtest.Connect(t, u)}
}

// acquire takes a connection from b's pool and returns the function that
// gives it back, also called when t ends: a pool closes only once every
// connection is back.
func (b bundle) acquire(t *testing.T) (*pgxpool.Conn, func()) {
	t.Helper()
	conn, err := b.pool.Acquire(t.Context())
	require.NoError(t, err)
	release := sync.OnceFunc(conn.Release)
	t.Cleanup(release)
	return conn, release
}

func selectOne(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) error {
	var one int
	return q.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// connectionLost reports whether err is a connection that broke, not a
// timeout nor an answer from Postgres. pgx reports a connection reset under a
// simple-protocol query as ErrConnClosed: it closes the connection on the
// read error, then reads again.
func connectionLost(err error) bool {
	var pgErr *pgconn.PgError
	return err != nil && !pgconn.Timeout(err) && !errors.As(err, &pgErr) &&
		(errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
			errors.Is(err, syscall.EPIPE) || errors.Is(err, pgconn.ErrConnClosed))
}

func TestPassThrough(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, selectOne(t.Context(), b.pool))
	s := b.proxy.Stats()
	require.Equal(t, int64(1), s.Accepted)
	require.Positive(t, s.ToTarget)
	require.Positive(t, s.FromTarget)
}

func TestResetBreaksConnectionsUntilHeal(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn, release := b.acquire(t)
	// So that Postgres ends the query below when the proxy drops it, and the
	// session does not outlive the test.
	_, err := conn.Exec(t.Context(), "SET client_connection_check_interval = '100ms'")
	require.NoError(t, err)

	// A query in flight when the database restarts fails at once, well
	// before its own deadline.
	sent := b.proxy.Stats().ToTarget
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	queryErr := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "SELECT pg_sleep(60)")
		queryErr <- err
	}()
	require.Eventually(t, func() bool { return b.proxy.Stats().ToTarget > sent }, waitFor, time.Millisecond)
	b.proxy.Reset()
	err = <-queryErr
	require.True(t, connectionLost(err), "query in flight: %v", err)
	release()

	// While it restarts, new connections fail at once too.
	ctx, cancel = context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	_, err = pgx.Connect(ctx, b.url)
	require.True(t, connectionLost(err), "connect while reset: %v", err)
	require.Error(t, b.pool.Ping(ctx))

	b.proxy.Heal()
	require.NoError(t, selectOne(t.Context(), b.pool), "the pool reconnects by itself")
	s := b.proxy.Stats()
	require.Equal(t, int64(1), s.Reset)
	require.GreaterOrEqual(t, s.Refused, int64(2))
}

func TestBlackHoleHangsUntilHeal(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn, release := b.acquire(t)

	b.proxy.BlackHole()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	err := selectOne(ctx, conn)
	require.True(t, pgconn.Timeout(err), "query across a partition gets no answer: %v", err)
	release()

	u, err := url.Parse(b.url)
	require.NoError(t, err)
	q := u.Query()
	q.Set("connect_timeout", "1")
	u.RawQuery = q.Encode()
	_, err = pgx.Connect(t.Context(), u.String())
	require.True(t, pgconn.Timeout(err), "connect across a partition: %v", err)

	b.proxy.Heal()
	fresh, err := pgx.Connect(t.Context(), u.String())
	require.NoError(t, err)
	defer fresh.Close(context.Background())
	require.NoError(t, selectOne(t.Context(), fresh))
	require.NoError(t, selectOne(t.Context(), b.pool), "the pool drops the broken connection and makes a new one")
	require.Positive(t, b.proxy.Stats().Dropped)
}

func TestURL(t *testing.T) {
	t.Parallel()
	p, err := faultproxy.New("127.0.0.1:5432")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	for _, dsn := range []string{
		"postgres://postgres@127.0.0.1:5432/wellcheck?sslmode=disable",
		"postgresql://postgres@db.example:5432/wellcheck?sslmode=disable",
		"host=127.0.0.1 port=5432 user=postgres dbname=wellcheck sslmode=disable",
	} {
		cfg, err := pgconn.ParseConfig(p.URL(dsn))
		require.NoError(t, err, dsn)
		require.Equal(t, p.Addr(), net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), dsn)
		require.Equal(t, "wellcheck", cfg.Database, dsn)
		require.Equal(t, "postgres", cfg.User, dsn)
	}
}

// echo is a server on loopback that sends back what it reads.
type echo struct {
	ln net.Listener
	wg sync.WaitGroup
}

func newEcho(t *testing.T) *echo {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	e := &echo{ln: ln}
	e.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.wg.Go(func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			})
		}
	})
	return e
}

// close stops the server once every connection to it has closed.
func (e *echo) close() {
	e.ln.Close()
	e.wg.Wait()
}

// echoSetup starts an echo server behind a proxy and returns a connection to
// it through the proxy.
func echoSetup(t *testing.T) (*faultproxy.Proxy, net.Conn) {
	t.Helper()
	e := newEcho(t)
	t.Cleanup(e.close)
	p, err := faultproxy.New(e.ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	c := dial(t, p)
	roundTrip(t, c, "hello")
	return p, c
}

func dial(t *testing.T, p *faultproxy.Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip sends msg through c and requires the same bytes back.
func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	_, err := c.Write([]byte(msg))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(waitFor)))
	got := make([]byte, len(msg))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	require.Equal(t, msg, string(got))
}

func TestBlackHoleDropsBytes(t *testing.T) {
	t.Parallel()
	p, c := echoSetup(t)

	p.BlackHole()
	_, err := c.Write([]byte("lost"))
	require.NoError(t, err, "a partition does not refuse what is sent")
	require.Eventually(t, func() bool { return p.Stats().Dropped == 4 }, waitFor, time.Millisecond)

	late := dial(t, p) // accepted, held until Heal
	_, err = late.Write([]byte("early"))
	require.NoError(t, err)

	p.Heal()
	roundTrip(t, c, "kept") // not "lostkept": what the black hole took is gone
	require.NoError(t, late.SetReadDeadline(time.Now().Add(waitFor)))
	got := make([]byte, 5)
	_, err = io.ReadFull(late, got)
	require.NoError(t, err)
	require.Equal(t, "early", string(got), "a connection held during the black hole goes through at Heal")
}

func TestResetSendsRST(t *testing.T) {
	t.Parallel()
	p, c := echoSetup(t)

	p.Reset()
	_, err := c.Read(make([]byte, 1))
	require.ErrorIs(t, err, syscall.ECONNRESET)

	// The reset comes right after the TCP handshake: connect itself may
	// already see it.
	refused, err := net.Dial("tcp", p.Addr())
	if err == nil {
		defer refused.Close()
		_, err = refused.Read(make([]byte, 1))
	}
	require.ErrorIs(t, err, syscall.ECONNRESET)

	p.Heal()
	roundTrip(t, dial(t, p), "back")
	require.Equal(t, faultproxy.Stats{Accepted: 3, Refused: 1, Reset: 1, ToTarget: 9, FromTarget: 9}, p.Stats(),
		"every byte the client saw is counted")
}

// TestCloseLeavesNoGoroutine is not parallel: it counts every goroutine.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	e := newEcho(t)
	defer e.close()
	p, err := faultproxy.New(e.ln.Addr().String())
	require.NoError(t, err)

	open := dial(t, p)
	roundTrip(t, open, "open")
	p.BlackHole()
	held := dial(t, p)
	_, err = held.Write([]byte("held"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.Stats().Accepted == 2 }, waitFor, time.Millisecond)

	require.NoError(t, p.Close())
	_, err = open.Read(make([]byte, 1))
	require.Error(t, err, "Close closes the connections it carried")
	_, err = net.Dial("tcp", p.Addr())
	require.Error(t, err, "Close stops listening")
}

// TestFaultsWhileBusy changes state under clients that keep sending, for the
// race detector; the package's TestMain then checks that Close left no
// goroutine behind.
func TestFaultsWhileBusy(t *testing.T) {
	t.Parallel()
	e := newEcho(t)
	t.Cleanup(e.close)
	p, err := faultproxy.New(e.ln.Addr().String())
	require.NoError(t, err)

	var clients sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		clients.Go(func() {
			buf := make([]byte, 64)
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.Dial("tcp", p.Addr())
				if err != nil {
					continue // refused during a reset
				}
				for range 10 {
					_ = c.SetDeadline(time.Now().Add(10 * time.Millisecond))
					if _, err := c.Write(buf); err != nil {
						break
					}
					if _, err := c.Read(buf); err != nil {
						break
					}
				}
				c.Close()
			}
		})
	}
	faults := []func(){p.Reset, p.BlackHole, p.Heal, p.BlackHole, p.Reset, p.Heal}
	for i := range 60 {
		faults[i%len(faults)]()
		before := p.Stats().Accepted
		require.Eventually(t, func() bool { return p.Stats().Accepted > before }, waitFor, time.Millisecond)
	}
	require.NoError(t, p.Close())
	close(stop)
	clients.Wait()
	s := p.Stats()
	require.Positive(t, s.Refused)
	require.Positive(t, s.Reset)
	require.Positive(t, s.Dropped)
	require.Positive(t, s.FromTarget)
}
