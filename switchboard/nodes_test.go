package switchboard_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/dialer/webphone"
	"github.com/wellcheck/wellcheck/dialer/webphone/webphonetest"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/switchboard"
)

// Calls across nodes: the bundle's switchboard is node A, which holds the
// person's call (its dialer calls the callee simulator, or is called); a
// second node, with a dialer, browser phones and switchboard of its own on
// the same database, serves the listener's page. They tell each other of
// their rings over the real Postgres's NOTIFY, and hand the call over in
// SIP on loopback.

// secondNode is node B, linked with the bundle's node A.
func (b *bundle) secondNode(t testing.TB) *switchboard.Switchboard {
	t.Helper()
	d, err := dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Port: int(b.callee.Addr().Port())}, Listen: "127.0.0.1:0",
		CallerNumber: "+33199000000", RingTimeout: 5 * time.Second}, dialertest.ShortPrompts())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	phones, err := webphone.New(webphone.Config{IPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, phones.Close()) })
	cases := &care.Cases{Store: b.store, Now: b.cases.Now, Node: "node-b"}
	nodeB := &switchboard.Switchboard{Phones: phones, Line: d, Log: cases, Metrics: metrics.New(metrics.Config{})}
	t.Cleanup(nodeB.Close)
	// Each node's dialer hands the calls it is given to its switchboard,
	// as serve wires them: the other node's hand-offs among them.
	b.dialer.TakeCalls(b.board)
	d.TakeCalls(nodeB)
	for _, sb := range []*switchboard.Switchboard{b.board, nodeB} {
		signals := b.store.Signals("wellcheck_switchboard")
		sb.Peers = signals
		sub := signals.Listen(sb.Heard, nil)
		t.Cleanup(sub.Close)
		select {
		case <-sub.Ready():
		case <-time.After(10 * time.Second):
			t.Fatal("not listening to the other nodes")
		}
	}
	return nodeB
}

// awaitPagesOn waits until node A knows another node has pages open (one
// opened there): only then do its calls wait for that node's pages.
func (b *bundle) awaitPagesOn(t testing.TB) {
	t.Helper()
	require.Eventually(t, b.board.PagesElsewhere, 10*time.Second, 5*time.Millisecond, "node A heard that node B has pages open")
}

// takeOn opens the listener's page on board and, when it rings, takes the
// call from a browser saying 440 Hz.
func takeOn(t *testing.T, board *switchboard.Switchboard, user wellcheck.User) (*page, *webphonetest.Browser, *switchboard.Session) {
	t.Helper()
	pg := newPage()
	session := board.Open(user, pg.send)
	t.Cleanup(session.Close)
	br := webphonetest.New(t, webphonetest.Options{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		ring := pg.waitTB(t, "ring", 20*time.Second)
		session.Accept(context.Background(), ring.Ring, br.Offer(t))
		// The page is told the answer, or that another listener took the
		// call.
		e, ok := pg.first(10*time.Second, "answer", "ring_over")
		if !ok {
			t.Error("the page was told neither the answer nor that the call went elsewhere")
			return
		}
		if e.Type == "answer" {
			br.Accept(t, e.SDP)
			br.Say(listenerVoice)
		}
	}()
	t.Cleanup(func() { <-done })
	return pg, br, session
}

// A person's call to node A's number is taken by the listener on node B:
// each hears the other, each one's keys reach the other, and the call is
// logged on the person's case, taken by that listener, hung up by the
// person.
func TestCallToTheServiceTakenOnAnotherNode(t *testing.T) {
	t.Parallel()
	b := setup(t, dummyCallee())
	b.takeCalls(nil)
	nodeB := b.secondNode(t)
	pg, br, _ := takeOn(t, nodeB, b.listener)
	b.awaitPagesOn(t)
	caller := dialertest.NewLeg(t)
	caller.Voice = callerVoice
	ended := dialertest.CallIn(t, b.dialer, "+33612345678", caller)

	ring := pg.wait(t, "ring", 10*time.Second)
	require.True(t, ring.Incoming)
	require.Equal(t, b.personID, ring.Person)
	require.Equal(t, "Jeanne Martin", ring.Name)
	<-caller.Picked()
	pg.wait(t, "answered", 10*time.Second)
	require.Eventually(t, func() bool {
		heard, _, _ := caller.Snapshot()
		return dialertest.Hears(heard, listenerVoice, 50) && dialertest.Hears(br.Heard(), callerVoice, 50)
	}, 10*time.Second, 20*time.Millisecond, "each hears the other")

	caller.Press(t, '4')
	require.Equal(t, "4", pg.wait(t, "key", 5*time.Second).Key, "the caller's key shows on the page")
	require.True(t, br.Await(5*time.Second, func() bool { return len(br.Events()) > 0 }), "and reaches the browser as telephone events")
	require.Equal(t, byte(4), br.Events()[0].Payload[0])
	br.PressKey(t, '7', 100*time.Millisecond)
	require.Eventually(t, func() bool {
		_, pressed, _ := caller.Snapshot()
		return pressed == "7"
	}, 5*time.Second, 10*time.Millisecond, "the listener's key reached the caller, once")

	caller.HangUp()
	require.Equal(t, wellcheck.OutcomeAnswered, (<-ended).Outcome)
	end := pg.wait(t, "ended", 10*time.Second)
	require.Equal(t, wellcheck.CallAnswered, end.Outcome)

	var calls []wellcheck.CaseCall
	require.Eventually(t, func() bool {
		var err error
		calls, err = b.cases.Calls(context.Background(), b.caseID)
		require.NoError(t, err)
		return len(calls) == 1 && calls[0].EndedAt != nil
	}, 10*time.Second, 20*time.Millisecond, "the call is on the case, ended")
	c := calls[0]
	require.Equal(t, wellcheck.CallIn, c.Direction)
	require.Equal(t, b.listener.ID, c.UserID, "taken by the listener on node B")
	require.Equal(t, "node-a", c.Node, "held by node A, which logs it")
	require.True(t, c.Reached())
	require.Equal(t, wellcheck.CallAnswered, c.Outcome)
	require.Equal(t, wellcheck.HungUpByPerson, c.HungUpBy)
}

// Listeners on both nodes take the same call at once: one of them gets
// it, the other's page is told it went elsewhere, and nobody is joined
// twice.
func TestACallIsTakenOnceAcrossNodes(t *testing.T) {
	t.Parallel()
	b := setup(t, dummyCallee())
	b.takeCalls(nil)
	nodeB := b.secondNode(t)
	pgA, _, _ := takeOn(t, b.board, b.other)
	pgB, _, _ := takeOn(t, nodeB, b.listener)
	caller := dialertest.NewLeg(t)
	ended := dialertest.CallIn(t, b.dialer, "+33612345678", caller)
	<-caller.Picked()
	require.Eventually(t, func() bool {
		a, b := pgA.types(), pgB.types()
		return (slices.Contains(a, "answered") && slices.Contains(b, "ring_over")) ||
			(slices.Contains(b, "answered") && slices.Contains(a, "ring_over"))
	}, 15*time.Second, 20*time.Millisecond, "one took it, the other was told: A %v, B %v", pgA.types(), pgB.types())
	caller.HangUp()
	<-ended
	winner := pgA
	if slices.Contains(pgB.types(), "answered") {
		winner = pgB
	}
	winner.wait(t, "ended", 10*time.Second) // the last of it
	require.False(t, slices.Contains(pgA.types(), "answered") && slices.Contains(pgB.types(), "answered"), "joined once")
	require.Equal(t, 1, caller.EndedTimes())
}

// With no free listener on any node (node B's page is open, but its
// listener is off duty), a person who presses 2 is not kept waiting for
// the ring's whole length: no node says a page rings.
func TestPressTwoNobodyOnAnyNode(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.PressTwo})
	b.board.RingFor = time.Minute
	nodeB := b.secondNode(t)
	nodeB.Users = b.store.Queries().UsersByID
	pg := newPage()
	session := nodeB.Open(b.listener, pg.send)
	t.Cleanup(session.Close)
	b.awaitPagesOn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := b.dialer.Place(ctx, dialer.Request{To: "+33612345678", Lang: "fr", Transfer: b.board.Transfer(b.personID, "Jeanne Martin")})
	require.NoError(t, err)
	require.Equal(t, wellcheck.OutcomeHelpRequested, res.Outcome)
	require.False(t, res.Transferred)
	require.NoError(t, ctx.Err(), "over well before the minute the ring could last")
	require.Equal(t, []string{"ready"}, pg.types(), "the listener off duty was not rung")
}

// A call to node A that names no ring of its own — a token never offered,
// or one already over — is refused: only a ring's token takes a call.
func TestHandOffWithoutARingIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, dummyCallee())
	b.takeCalls(nil)
	other, err := dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Port: int(b.callee.Addr().Port())}, Listen: "127.0.0.1:0",
		CallerNumber: "+33199000000", RingTimeout: 5 * time.Second}, dialertest.ShortPrompts())
	require.NoError(t, err)
	defer other.Close()
	leg := dialertest.NewLeg(t)
	res, err := other.Connect(context.Background(), dialer.ConnectRequest{
		To: dialer.HandOffURI(b.dialer.SIPAddress(), "0123456789abcdef0123456789abcdef", b.listener.ID), Leg: leg, Peer: true})
	require.NoError(t, err)
	require.NotEqual(t, wellcheck.OutcomeAnswered, res.Outcome)
	require.Equal(t, 480, res.SIPStatus)
}
