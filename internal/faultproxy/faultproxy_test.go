package faultproxy_test

import (
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wellcheck/wellcheck/internal/faultproxy"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitFor bounds every wait on an event.
const waitFor = 5 * time.Second

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
