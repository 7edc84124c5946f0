package dialer_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
)

// listenerVoice is the pitch the test's listener speaks at (Hz).
const listenerVoice = 440

// A listener's call joins them to the person both ways: each hears the
// other (their voices' pitch found in what reached each side), each one's
// keys reach the other, through a µ-law or an A-law trunk; the call goes
// out with the service's number, and the listener hanging up ends it with
// our BYE.
func TestConnectJoinsTheListenerAndThePerson(t *testing.T) {
	t.Parallel()
	for _, codec := range []string{"PCMU", "PCMA"} {
		t.Run(codec, func(t *testing.T) {
			t.Parallel()
			b := setup(t, callee.Config{Behaviour: callee.Talk, TalkKey: '5', KeyDelay: 600 * time.Millisecond, Codec: codec}, dialer.Config{})
			leg := dialertest.NewLeg(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			type connected struct {
				res dialer.Result
				err error
			}
			ended := make(chan connected, 1)
			go func() {
				res, err := b.dialer.Connect(ctx, dialer.ConnectRequest{To: person, Leg: leg})
				ended <- connected{res, err}
			}()
			select {
			case <-leg.Picked():
			case <-ctx.Done():
				t.Fatal("the person's answer never reached the listener")
			}
			leg.Press(t, '7')
			require.Eventually(t, func() bool {
				_, pressed, _ := leg.Snapshot()
				return pressed == "5"
			}, 5*time.Second, 20*time.Millisecond, "the person's key reaches the listener")
			require.Eventually(t, func() bool { // they talk a second
				recs := b.callee.Records()
				heard, _, _ := leg.Snapshot()
				return len(recs) == 1 && dialertest.Hears(recs[0].Heard, listenerVoice, 50) && dialertest.Hears(heard, callee.VoiceTone, 50)
			}, 10*time.Second, 20*time.Millisecond, "each hears the other")
			leg.HangUp()
			got := <-ended
			require.NoError(t, got.err)
			require.Equal(t, wellcheck.OutcomeAnswered, got.res.Outcome, "%+v", got.res)
			require.Equal(t, "us", got.res.HungUpBy)

			recs, err := b.callee.Wait(ctx, 1)
			require.NoError(t, err)
			rec := recs[0]
			require.Equal(t, "caller", rec.ByeFrom)
			require.Equal(t, callerNumber, rec.FromUser, "the service's number, never the listener's")
			require.Equal(t, "7", rec.KeysHeard, "the listener's key reaches the person, once")
			loud, tone := dialertest.ToneFrames(rec.Heard, listenerVoice)
			require.Greater(t, loud, 50, "the person heard the listener for over a second")
			require.Greater(t, tone, loud*8/10, "what the person heard is the listener's voice")

			heard, _, rang := leg.Snapshot()
			require.Positive(t, rang, "the listener was told the phone rang")
			loud, tone = dialertest.ToneFrames(heard, callee.VoiceTone)
			require.Greater(t, loud, 50, "the listener heard the person for over a second")
			require.Greater(t, tone, loud*8/10, "what the listener heard is the person's voice")
		})
	}
}

// The person hanging up ends the listener's call: Connect returns, the
// person's BYE answered.
func TestConnectEndsWhenThePersonHangsUp(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Talk, TalkFor: time.Second}, dialer.Config{})
	leg := dialertest.NewLeg(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := b.dialer.Connect(ctx, dialer.ConnectRequest{To: person, Leg: leg})
	require.NoError(t, err)
	require.Equal(t, wellcheck.OutcomeAnswered, res.Outcome)
	require.Equal(t, "them", res.HungUpBy)
	recs, err := b.callee.Wait(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "callee", recs[0].ByeFrom)
}

// A person who does not answer, or whose line is busy, is not reached: the
// listener is never joined to anyone, and hears why.
func TestConnectNotReached(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		behaviour callee.Behaviour
		outcome   wellcheck.Outcome
	}{
		{callee.Busy, wellcheck.OutcomeBusy},
		{callee.NeverAnswer, wellcheck.OutcomeNoAnswer},
		{callee.NotFound, wellcheck.OutcomeInvalidNumber},
	} {
		t.Run(string(c.behaviour), func(t *testing.T) {
			t.Parallel()
			b := setup(t, callee.Config{Behaviour: c.behaviour}, dialer.Config{RingTimeout: time.Second})
			leg := dialertest.NewLeg(t)
			res, err := b.dialer.Connect(context.Background(), dialer.ConnectRequest{To: person, Leg: leg})
			require.NoError(t, err)
			require.Equal(t, c.outcome, res.Outcome)
			select {
			case <-leg.Picked():
				t.Fatal("joined to nobody")
			default:
			}
		})
	}
}

// The listener hanging up while the phone rings cancels the call: the
// person was not reached.
func TestConnectCancelledWhileRinging(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.NeverAnswer}, dialer.Config{RingTimeout: 10 * time.Second})
	leg := dialertest.NewLeg(t)
	go func() {
		require.Eventually(t, func() bool { _, _, rang := leg.Snapshot(); return rang > 0 }, 5*time.Second, 10*time.Millisecond)
		leg.HangUp()
	}()
	start := time.Now()
	res, err := b.dialer.Connect(context.Background(), dialer.ConnectRequest{To: person, Leg: leg})
	require.NoError(t, err)
	require.Less(t, time.Since(start), 3*time.Second, "cancelled at once, not at the ring timeout")
	require.Equal(t, wellcheck.OutcomeNoAnswer, res.Outcome, "%+v", res)
	recs, err := b.callee.Wait(context.Background(), 1)
	require.NoError(t, err)
	require.True(t, recs[0].Cancelled, "the phone stopped ringing")
}
