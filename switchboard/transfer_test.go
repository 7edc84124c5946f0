package switchboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/dialer/webphone/webphonetest"
)

// listenerPage opens a listener's phone and, when it rings, takes the
// call from a browser saying 440 Hz.
func (b *bundle) listenerPage(t *testing.T, take bool) (*page, *webphonetest.Browser, func()) {
	t.Helper()
	pg := newPage()
	session := b.board.Open(b.listener, pg.send)
	t.Cleanup(session.Close)
	br := webphonetest.New(t, webphonetest.Options{})
	if !take {
		return pg, br, session.HangUp
	}
	go func() {
		ring := pg.waitTB(t, "ring", 20*time.Second)
		session.Accept(context.Background(), ring.Ring, br.Offer(t))
		answer := pg.waitTB(t, "answer", 10*time.Second)
		br.Accept(t, answer.SDP)
		br.Say(listenerVoice)
	}()
	return pg, br, session.HangUp
}

// A person who presses 2 while a listener is free is put through there and
// then: their listener's page rings with their name, the listener takes the
// call, and each hears the other. The check-in's outcome is still the
// person's request for help (their case opens as usual, for the note). The
// page may be served by the node that placed the check-in, or by another
// (nodes_test.go): the listener hanging up there ends the person's call
// all the same.
func TestPressTwoPutsThroughAFreeListener(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"this node", "another node"} {
		t.Run(where, func(t *testing.T) {
			t.Parallel()
			b := setup(t, callee.Config{Behaviour: callee.Talk, TalkKey: '2', KeyDelay: 300 * time.Millisecond})
			board := b.board
			if where == "another node" {
				board = b.secondNode(t)
			}
			pg, br, session := takeOn(t, board, b.listener)
			if board != b.board {
				b.awaitPagesOn(t)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			go func() {
				pg.waitTB(t, "answered", 20*time.Second)
				br.Await(10*time.Second, func() bool { // they talk a second
					recs := b.callee.Records()
					return len(recs) == 1 && dialertest.Hears(recs[0].Heard, listenerVoice, 50) && dialertest.Hears(br.Heard(), callee.VoiceTone, 50)
				})
				session.HangUp()
			}()
			res, err := b.dialer.Place(ctx, dialer.Request{To: "+33612345678", Lang: "fr", Transfer: b.board.Transfer(b.personID, "Jeanne Martin")})
			require.NoError(t, err)
			require.Equal(t, wellcheck.OutcomeHelpRequested, res.Outcome, "%+v", res)
			require.True(t, res.Transferred)
			require.Equal(t, b.listener.ID, res.TakenBy, "who took it: the case that follows goes to them")
			require.Equal(t, "us", res.HungUpBy, "the listener hung up, and our BYE ended the person's side")

			ring := pg.wait(t, "ring", time.Second)
			require.Equal(t, b.personID, ring.Person)
			require.Equal(t, "Jeanne Martin", ring.Name)
			ended := pg.wait(t, "ended", 10*time.Second)
			require.Equal(t, wellcheck.CallAnswered, ended.Outcome)
			require.Equal(t, []string{"ready", "ring", "answer", "answered", "ended"}, pg.types())

			recs, err := b.callee.Wait(ctx, 1)
			require.NoError(t, err)
			loud, tone := dialertest.ToneFrames(recs[0].Heard, listenerVoice)
			require.Greater(t, loud, 50, "the person heard the listener")
			require.Greater(t, tone, loud*7/10, "and it was the listener's voice (the prompts are 440 Hz too: a second of listener is over 50 frames)")
			loud, tone = dialertest.ToneFrames(br.Heard(), callee.VoiceTone)
			require.Greater(t, loud, 50, "the listener heard the person")
			require.Greater(t, tone, loud*8/10)
		})
	}
}

// Nobody taking the call within the wait, the person hears they will be
// called back, as without a switchboard, and the page stops ringing.
func TestPressTwoNobodyTakesIt(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.PressTwo})
	b.board.RingFor = 700 * time.Millisecond
	pg, _, _ := b.listenerPage(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	res, err := b.dialer.Place(ctx, dialer.Request{To: "+33612345678", Lang: "fr", Transfer: b.board.Transfer(b.personID, "Jeanne Martin")})
	require.NoError(t, err)
	require.Equal(t, wellcheck.OutcomeHelpRequested, res.Outcome)
	require.False(t, res.Transferred)
	require.Less(t, time.Since(start), 8*time.Second)
	pg.wait(t, "ring", time.Second)
	pg.wait(t, "ring_over", time.Second)
}

// With no listener's page open, nothing rings and the call goes on at once.
func TestPressTwoNobodyThere(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.PressTwo})
	res, err := b.dialer.Place(context.Background(), dialer.Request{To: "+33612345678", Lang: "fr", Transfer: b.board.Transfer(b.personID, "Jeanne Martin")})
	require.NoError(t, err)
	require.Equal(t, wellcheck.OutcomeHelpRequested, res.Outcome)
	require.False(t, res.Transferred)
}

// A listener already on a call, or a coordinator, is not rung; of two free
// listeners, the first to take the call gets it, the other's page stops
// ringing.
func TestPressTwoRingsTheFreeAndTheFirstTakesIt(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Talk, TalkKey: '2', KeyDelay: 300 * time.Millisecond})
	pg, _, hangUp := b.listenerPage(t, true)
	other := newPage()
	s2 := b.board.Open(b.other, other.send)
	t.Cleanup(s2.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		pg.waitTB(t, "answered", 20*time.Second)
		// The other listener accepts late: the call is gone.
		ring := other.waitTB(t, "ring", time.Second)
		s2.Accept(ctx, ring.Ring, "v=0")
		hangUp()
	}()
	res, err := b.dialer.Place(ctx, dialer.Request{To: "+33612345678", Lang: "fr", Transfer: b.board.Transfer(b.personID, "Jeanne Martin")})
	require.NoError(t, err)
	require.True(t, res.Transferred)
	require.Contains(t, other.types(), "ring_over")
	require.NotContains(t, other.types(), "answer")
}

// Only a listener present on their shift is rung, as the account is now:
// one whose page is open but who is off duty, or was disabled since, is not.
func TestPressTwoRingsOnlyListenersOnDuty(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.PressTwo, KeyDelay: 100 * time.Millisecond})
	b.board.RingFor = 300 * time.Millisecond
	q := b.store.Queries()
	b.board.Users = q.UsersByID
	pg, _, _ := b.listenerPage(t, false)
	place := func() dialer.Result {
		t.Helper()
		res, err := b.dialer.Place(context.Background(), dialer.Request{To: "+33612345678", Lang: "fr", Transfer: b.board.Transfer(b.personID, "Jeanne Martin")})
		require.NoError(t, err)
		return res
	}
	place()
	require.NotContains(t, pg.types(), "ring", "off duty: not rung")

	require.NoError(t, q.SetPresent(context.Background(), b.listener.ID, true))
	place()
	require.Contains(t, pg.types(), "ring", "on duty: rung")

	disabled := b.listener
	disabled.Disabled = true
	require.NoError(t, q.SaveAccount(context.Background(), disabled, time.Now()))
	rung := len(pg.types())
	place()
	require.Len(t, pg.types(), rung, "disabled since the page opened: not rung")
}
