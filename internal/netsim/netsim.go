// Package netsim is a poor line between two UDP endpoints, for tests: a
// relay that loses, delays and reorders packets as congested networks and
// mobile links do. Each side talks to the relay as if it were the other:
// A sends to AddrForA and hears from it, B likewise with AddrForB.
package netsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Config is how poor the line is, the same both ways.
type Config struct {
	// Loss is the share of packets lost, from 0 to 1.
	Loss float64
	// Delay is every packet's one-way delay; Jitter adds to it a delay drawn
	// uniformly from 0 to Jitter for each packet, so that packets sent less
	// than Jitter apart may arrive out of order.
	Delay, Jitter time.Duration
	// Seed makes the losses and delays repeatable.
	Seed uint64
}

// Stats counts what the relay did, both ways together.
type Stats struct {
	Forwarded, Lost int64
}

// Relay is a running poor line.
type Relay struct {
	cfg        Config
	a, b       netip.AddrPort
	forA, forB *net.UDPConn

	mu  sync.Mutex // guards rng
	rng *rand.Rand

	forwarded, lost atomic.Int64
	wg              sync.WaitGroup
	closing         atomic.Bool
}

// New starts a relay between a and b, listening on loopback ports of a's
// and b's address family.
func New(cfg Config, a, b netip.AddrPort) (*Relay, error) {
	if cfg.Loss < 0 || cfg.Loss > 1 || cfg.Delay < 0 || cfg.Jitter < 0 {
		return nil, fmt.Errorf("netsim: loss %v must be from 0 to 1, delay and jitter 0 or more", cfg.Loss)
	}
	listen := func(ip netip.Addr) (*net.UDPConn, error) {
		return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	}
	forA, err := listen(a.Addr())
	if err != nil {
		return nil, err
	}
	forB, err := listen(b.Addr())
	if err != nil {
		forA.Close()
		return nil, err
	}
	r := &Relay{cfg: cfg, a: a, b: b, forA: forA, forB: forB, rng: rand.New(rand.NewPCG(cfg.Seed, 0x6e6574))}
	r.wg.Add(2)
	go r.pass(forA, forB, b) // what A sends reaches B from the relay's side for B
	go r.pass(forB, forA, a)
	return r, nil
}

// AddrForA is where A sends to reach B; AddrForB where B sends to reach A.
func (r *Relay) AddrForA() netip.AddrPort { return r.forA.LocalAddr().(*net.UDPAddr).AddrPort() }
func (r *Relay) AddrForB() netip.AddrPort { return r.forB.LocalAddr().(*net.UDPAddr).AddrPort() }

// Stats returns what the relay has done so far.
func (r *Relay) Stats() Stats { return Stats{Forwarded: r.forwarded.Load(), Lost: r.lost.Load()} }

// Close stops the relay; packets still delayed are dropped.
func (r *Relay) Close() error {
	r.closing.Store(true)
	err := errors.Join(r.forA.Close(), r.forB.Close())
	r.wg.Wait()
	return err
}

// pass reads what arrives on in and sends it, from out, to to — unless the
// line loses it — after its delay.
func (r *Relay) pass(in, out *net.UDPConn, to netip.AddrPort) {
	defer r.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, _, err := in.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		lose, delay := r.draw()
		if lose {
			r.lost.Add(1)
			continue
		}
		pkt := append([]byte(nil), buf[:n]...)
		r.forwarded.Add(1)
		if delay == 0 {
			_, _ = out.WriteToUDPAddrPort(pkt, to)
			continue
		}
		time.AfterFunc(delay, func() {
			if !r.closing.Load() {
				_, _ = out.WriteToUDPAddrPort(pkt, to)
			}
		})
	}
}

func (r *Relay) draw() (lose bool, delay time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rng.Float64() < r.cfg.Loss {
		return true, 0
	}
	delay = r.cfg.Delay
	if r.cfg.Jitter > 0 {
		delay += time.Duration(r.rng.Int64N(int64(r.cfg.Jitter) + 1))
	}
	return false, delay
}
