// Package faultproxy is a TCP proxy that stands between wellcheck's nodes and
// Postgres and fails on demand the way a network or a database does: a restart
// that resets every connection (Reset), a partition that lets no byte through
// (BlackHole), and the recovery from either (Heal).
//
// It serves the fault-injection tests that check that no key a person pressed
// is lost when the database fails, and the soak command that fails the
// database again and again while calls go on. It uses nothing but the
// standard library and listens on loopback only.
package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// state is what the proxy does with the bytes and connections it is handed.
type state int32

const (
	passing   state = iota // bytes pass both ways
	resetting              // connections are reset, new ones refused
	blackHole              // nothing passes, nothing is closed
)

// dialTimeout bounds a connection to the target, which is on this machine.
const dialTimeout = 5 * time.Second

// Proxy forwards the connections made to Addr to its target. Its methods are
// safe to call from several goroutines.
type Proxy struct {
	target string
	ln     net.Listener
	ctx    context.Context // cancelled by Close: ends dials under way
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop and every connection's goroutines

	st atomic.Int32 // state, read on every chunk; written under mu

	mu     sync.Mutex
	closed bool
	links  map[*link]struct{}
	healed chan struct{} // closed when a black hole ends (Heal, Reset, Close)

	accepted, refused, reset atomic.Int64
	toTarget, fromTarget     atomic.Int64
	dropped                  atomic.Int64
}

// link is one client's connection and, once dialled, its connection to the
// target. Its fields are guarded by the proxy's mu.
type link struct {
	client   *net.TCPConn
	upstream net.Conn // nil until the target is dialled
	closed   bool
}

// Stats counts what the proxy has done since New.
type Stats struct {
	Accepted   int64 // connections accepted, refused ones included
	Refused    int64 // connections accepted and reset at once, during a Reset
	Reset      int64 // open connections that a Reset closed
	ToTarget   int64 // bytes passed from clients to the target, counted as they are sent on
	FromTarget int64 // bytes passed from the target to clients, likewise
	Dropped    int64 // bytes read during a black hole and thrown away, both ways
}

// New listens on 127.0.0.1:0 and forwards every connection to target
// (host:port). The proxy passes bytes until told otherwise.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{target: target, ln: ln, ctx: ctx, cancel: cancel, links: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the host:port to connect to instead of the target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns dbURL with its host and port replaced by Addr. A keyword/value
// connection string ("host=… dbname=…") gets host and port keywords appended,
// which override the ones it has.
func (p *Proxy) URL(dbURL string) string {
	host, port, _ := net.SplitHostPort(p.Addr())
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dbURL + " host=" + host + " port=" + port
	}
	u.Host = p.Addr()
	return u.String()
}

// Reset acts out a database restart: every open connection is closed at once
// with a TCP reset, and every new one is accepted and reset straight away,
// until Heal. The connections it closed stay closed.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setState(resetting)
	for l := range p.links {
		p.closeLink(l, true)
		p.reset.Add(1)
	}
}

// BlackHole acts out a network partition: open connections stay open but no
// byte passes either way, and new connections are accepted (the client's TCP
// connect succeeds) but go no further, so a Postgres handshake hangs, until
// Heal.
//
// The bytes that arrive during a black hole are read and dropped, as a
// partition drops packets, not held and delivered late: a connection that was
// open across a black hole has lost part of its stream, and its client must
// give up on it and reconnect. A connection accepted during a black hole is
// different: it has not reached the target yet, so what its client sent waits
// unread and goes through at Heal, as a retransmitted SYN would.
func (p *Proxy) BlackHole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setState(blackHole)
}

// Heal makes the proxy pass bytes again. Connections accepted during a black
// hole reach the target now; those that were reset are gone.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setState(passing)
}

// Close stops listening, closes every connection and returns once every
// goroutine of the proxy has ended.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.setState(passing) // wakes the connections waiting out a black hole
	for l := range p.links {
		p.closeLink(l, false)
	}
	p.mu.Unlock()
	p.cancel()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	return Stats{
		Accepted:   p.accepted.Load(),
		Refused:    p.refused.Load(),
		Reset:      p.reset.Load(),
		ToTarget:   p.toTarget.Load(),
		FromTarget: p.fromTarget.Load(),
		Dropped:    p.dropped.Load(),
	}
}

// setState moves to s, ending a black hole if there was one. p.mu is held.
func (p *Proxy) setState(s state) {
	old := state(p.st.Swap(int32(s)))
	switch {
	case old != blackHole && s == blackHole:
		p.healed = make(chan struct{})
	case old == blackHole && s != blackHole:
		close(p.healed)
	}
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil { // out of file descriptors, say: wait and retry, as net/http does
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.accepted.Add(1)
		l := &link{client: c.(*net.TCPConn)}
		p.mu.Lock()
		switch {
		case p.closed:
			p.mu.Unlock()
			c.Close()
			return
		case state(p.st.Load()) == resetting:
			p.mu.Unlock()
			_ = l.client.SetLinger(0)
			c.Close()
			p.refused.Add(1)
			continue
		}
		p.links[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(l)
	}
}

// serve waits out a black hole, dials the target and passes bytes both ways
// until either side closes.
func (p *Proxy) serve(l *link) {
	defer p.wg.Done()
	if !p.awaitPassing() {
		return // Reset or Close has closed l
	}
	d := net.Dialer{Timeout: dialTimeout}
	up, err := d.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		p.close(l, true) // as a client of a database that is down sees it
		return
	}
	p.mu.Lock()
	if l.closed {
		p.mu.Unlock()
		up.Close()
		return
	}
	l.upstream = up
	p.mu.Unlock()

	done := make(chan struct{})
	go func() {
		defer close(done)
		p.pipe(l.client, up, &p.fromTarget)
		p.close(l, false)
	}()
	p.pipe(up, l.client, &p.toTarget)
	p.close(l, false)
	<-done
}

// awaitPassing returns true once bytes may pass, false if the proxy was
// reset or closed first.
func (p *Proxy) awaitPassing() bool {
	for {
		p.mu.Lock()
		s, healed, closed := state(p.st.Load()), p.healed, p.closed
		p.mu.Unlock()
		switch {
		case closed || s == resetting:
			return false
		case s == passing:
			return true
		}
		<-healed
	}
}

// pipe copies src to dst until either fails, dropping what it reads during a
// black hole.
func (p *Proxy) pipe(dst, src net.Conn, passed *atomic.Int64) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if state(p.st.Load()) == blackHole {
				p.dropped.Add(int64(n))
			} else {
				passed.Add(int64(n)) // before the peer can see them, so Stats never lag
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// close closes l, with a TCP reset to the client if rst.
func (p *Proxy) close(l *link, rst bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLink(l, rst)
}

// closeLink closes l once and forgets it. p.mu is held.
func (p *Proxy) closeLink(l *link, rst bool) {
	if l.closed {
		return
	}
	l.closed = true
	delete(p.links, l)
	if rst {
		_ = l.client.SetLinger(0)
	}
	l.client.Close()
	if l.upstream != nil {
		l.upstream.Close()
	}
}
