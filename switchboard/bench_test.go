package switchboard_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/dialer/webphone/webphonetest"
	"github.com/wellcheck/wellcheck/switchboard"
)

// BenchmarkBridge holds calls bridged calls at once, each from a browser
// (a pion peer) through the switchboard and the trunk to a line that says
// back at once what it hears (callee.Echo), and clicks into each every
// 200 ms for 5 s. A click's round trip crosses the bridge twice, so half of
// it bounds the bridge's one-way latency (the loopback sockets and the
// echo add next to nothing). It reports that half's median, 95th and 99th
// percentiles, the process's CPU per second of call, and the heap each call
// holds. Everything runs in this one process: the browsers and the line
// are counted in the CPU too.
func BenchmarkBridge(b *testing.B) {
	for _, calls := range []int{1, 20, 50, 100} {
		b.Run(fmt.Sprintf("calls=%d", calls), func(b *testing.B) {
			for range b.N {
				bridge(b, calls, 5*time.Second)
			}
		})
	}
}

func bridge(b *testing.B, calls int, talk time.Duration) {
	bd := setup(b, callee.Config{Behaviour: callee.Echo})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	browsers := make([]*webphonetest.Browser, calls)
	// This run's calls end with it: the next run's figures are its own.
	var sessions []*switchboard.Session
	defer func() {
		for i, session := range sessions {
			session.Close()
			if browsers[i] != nil {
				browsers[i].Close()
			}
		}
	}()
	for i := range calls {
		pg := newPage()
		session := bd.board.Open(bd.listener, pg.send)
		sessions = append(sessions, session)
		br := webphonetest.New(b, webphonetest.Options{})
		session.Call(context.Background(), bd.caseID, br.Offer(b))
		answer := pg.waitTB(b, "answer", 10*time.Second)
		br.Accept(b, answer.SDP)
		pg.waitTB(b, "answered", 20*time.Second)
		browsers[i] = br
	}
	runtime.GC()
	var held runtime.MemStats
	runtime.ReadMemStats(&held)
	start, cpu := time.Now(), cpuTime()
	for _, br := range browsers {
		br.Clicks(200 * time.Millisecond)
	}
	time.Sleep(talk)
	used, took := cpuTime()-cpu, time.Since(start)
	var oneWay []time.Duration
	for _, br := range browsers {
		for _, rt := range br.RoundTrips() {
			oneWay = append(oneWay, rt/2)
		}
	}
	require.NotEmpty(b, oneWay)
	expected := calls * int(talk/(200*time.Millisecond))
	require.Greater(b, len(oneWay), expected*9/10, "most clicks came back")
	slices.Sort(oneWay)
	q := func(p float64) float64 {
		return float64(oneWay[min(len(oneWay)-1, int(p*float64(len(oneWay))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.5), "oneway-p50-ms")
	b.ReportMetric(q(0.95), "oneway-p95-ms")
	b.ReportMetric(q(0.99), "oneway-p99-ms")
	b.ReportMetric(float64(used.Microseconds())/1000/float64(calls)/took.Seconds(), "cpu-ms/call-s")
	b.ReportMetric(float64(held.HeapInuse-before.HeapInuse)/1024/float64(calls), "heap-KiB/call")
	b.ReportMetric(float64(len(oneWay))/float64(expected), "clicks-back")
}

// BenchmarkPressTwoToRing measures how long a person who presses 2 waits
// before a free listener's page rings: from the key leaving their phone
// (the callee simulator's, as RFC 4733 events) to the page's ring event,
// through the dialer's key detection, the prompt that says they are put
// through, and the switchboard. Nobody takes the call: it ends after a
// short wait.
func BenchmarkPressTwoToRing(b *testing.B) {
	bd := setup(b, callee.Config{Behaviour: callee.PressTwo, KeyDelay: 50 * time.Millisecond})
	bd.board.RingFor = 100 * time.Millisecond
	var waits []time.Duration
	for i := range b.N {
		pg := newPage()
		session := bd.board.Open(bd.listener, pg.send)
		res, err := bd.dialer.Place(context.Background(), dialer.Request{To: "+33612345678", Lang: "fr",
			Transfer: bd.board.Transfer(bd.personID, "Jeanne Martin")})
		require.NoError(b, err)
		require.Equal(b, wellcheck.OutcomeHelpRequested, res.Outcome)
		session.Close()
		recs, err := bd.callee.Wait(context.Background(), i+1)
		require.NoError(b, err)
		rang := pg.when("ring")
		require.False(b, rang.IsZero(), "the page rang")
		waits = append(waits, rang.Sub(recs[i].PressedAt))
	}
	slices.Sort(waits)
	b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "press-to-ring-p50-ms")
	b.ReportMetric(float64(waits[len(waits)-1].Microseconds())/1000, "press-to-ring-max-ms")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCallToRing measures how long a person calling the service
// waits before a free listener's page rings: from the caller's INVITE
// leaving (a carrier's dialer on loopback) to the page's ring event,
// through the service's dialer, the caller recognised by their number and
// the service's hours read in Postgres, and the switchboard. Nobody takes
// the call: the menu answers, and the caller hangs up.
func BenchmarkCallToRing(b *testing.B) {
	bd := setup(b, callee.Config{Behaviour: callee.PressOne})
	bd.takeCalls(nil)
	callsToRing(b, bd, bd.board)
}

// BenchmarkCallToRingOnAnotherNode is BenchmarkCallToRing with the
// listener's page served by another node: the ring crosses Postgres's
// NOTIFY to it, and that node reads the listener's duty before ringing.
func BenchmarkCallToRingOnAnotherNode(b *testing.B) {
	bd := setup(b, callee.Config{Behaviour: callee.PressOne})
	bd.takeCalls(nil)
	nodeB := bd.secondNode(b)
	nodeB.Users = bd.store.Queries().UsersByID
	require.NoError(b, bd.store.Queries().SetPresent(context.Background(), bd.listener.ID, true))
	callsToRing(b, bd, nodeB)
}

// callsToRing calls the bundle's service b.N times, the listener's page
// open on board, and reports how long the page took to ring.
func callsToRing(b *testing.B, bd *bundle, board *switchboard.Switchboard) {
	bd.board.RingFor = 100 * time.Millisecond
	var waits []time.Duration
	for range b.N {
		pg := newPage()
		session := board.Open(bd.listener, pg.send)
		if board != bd.board {
			bd.awaitPagesOn(b)
		}
		leg := dialertest.NewLeg(b)
		start := time.Now()
		ended := dialertest.CallIn(b, bd.dialer, "+33612345678", leg)
		<-leg.Picked()
		leg.HangUp()
		<-ended
		pg.waitTB(b, "ring_over", 5*time.Second)
		session.Close()
		rang := pg.when("ring")
		require.False(b, rang.IsZero(), "the page rang")
		waits = append(waits, rang.Sub(start))
	}
	slices.Sort(waits)
	b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "call-to-ring-p50-ms")
	b.ReportMetric(float64(waits[len(waits)-1].Microseconds())/1000, "call-to-ring-max-ms")
}
