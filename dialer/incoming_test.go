package dialer_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
)

// A person calling the service: a second dialer plays their carrier, and
// its leg their phone (it speaks at 440 Hz), calling the service's number
// from theirs. The service's dialer hands the call to a reception the test
// plays.

// receptionFunc is a Reception as a function.
type receptionFunc func(ctx context.Context, in *dialer.Incoming)

func (f receptionFunc) Receive(ctx context.Context, in *dialer.Incoming) { f(ctx, in) }

// service starts the service's dialer, with reception (nil: none); its
// trunk is on the loopback address callers call from, which is all its
// trust asks.
func service(t *testing.T, reception dialer.Reception) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Port: 9}, Listen: "127.0.0.1:0",
		CallerNumber: callerNumber, KeyTimeout: 400 * time.Millisecond, Reception: reception}, dialertest.ShortPrompts())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return d
}

// A call put through: the listener and the caller hear each other, each
// one's keys reach the other, and the caller hanging up ends it.
func TestCallToTheServicePutThrough(t *testing.T) {
	t.Parallel()
	listener := dialertest.NewLeg(t)
	listener.Voice = 1000
	received := make(chan dialer.Result, 1)
	var caller string
	svc := service(t, receptionFunc(func(ctx context.Context, in *dialer.Incoming) {
		caller = in.Caller()
		received <- in.Bridge(ctx, listener)
	}))
	phone := dialertest.NewLeg(t)
	ended := dialertest.CallIn(t, svc, person, phone)
	select {
	case <-phone.Picked():
	case <-time.After(20 * time.Second):
		t.Fatal("the call to the service was never answered")
	}
	<-listener.Picked()
	phone.Press(t, '3')
	listener.Press(t, '4')
	require.Eventually(t, func() bool {
		heard, pressed, _ := listener.Snapshot()
		theyHeard, theyPressed, _ := phone.Snapshot()
		return pressed == "3" && theyPressed == "4" &&
			dialertest.Hears(heard, listenerVoice, 50) && dialertest.Hears(theyHeard, 1000, 50)
	}, 10*time.Second, 20*time.Millisecond, "each hears the other, and their keys")
	phone.HangUp()

	res := <-received
	require.Equal(t, person, caller, "the caller's number, as their carrier sent it")
	require.Equal(t, wellcheck.OutcomeAnswered, res.Outcome, "%+v", res)
	require.Equal(t, "them", res.HungUpBy)
	require.NotEmpty(t, res.CallID)
	theirs := <-ended
	require.Equal(t, wellcheck.OutcomeAnswered, theirs.Outcome)
	require.Equal(t, "us", theirs.HungUpBy, "the caller's side hung up")
	require.Equal(t, 1, listener.EndedTimes(), "the listener's side was told the call is over")
}

// Nobody taking it, the caller hears the menu: the key they press is the
// call's outcome, and the service hangs up after the closing.
func TestCallToTheServiceMenu(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		key     byte
		outcome wellcheck.Outcome
	}{
		{'1', wellcheck.OutcomeOK},
		{'2', wellcheck.OutcomeHelpRequested},
		{0, wellcheck.OutcomeNoResponse},
	} {
		t.Run(string(c.outcome), func(t *testing.T) {
			t.Parallel()
			received := make(chan dialer.Result, 1)
			svc := service(t, receptionFunc(func(ctx context.Context, in *dialer.Incoming) {
				received <- in.Menu(ctx, "fr")
			}))
			phone := dialertest.NewLeg(t)
			ended := dialertest.CallIn(t, svc, person, phone)
			<-phone.Picked()
			phone.AwaitHeard(t, 440, 10) // the menu
			if c.key != 0 {
				phone.Press(t, c.key)
			}
			res := <-received
			require.Equal(t, c.outcome, res.Outcome, "%+v", res)
			if c.key != 0 {
				require.Equal(t, string(c.key), res.Digits)
			}
			require.Equal(t, "us", res.HungUpBy, "the service hangs up after its closing")
			theirs := <-ended
			require.Equal(t, "them", theirs.HungUpBy)
		})
	}
}

// A caller the service does not know, with nobody free, hears the message
// whole, and the service hangs up.
func TestCallToTheServiceMessage(t *testing.T) {
	t.Parallel()
	received := make(chan dialer.Result, 1)
	svc := service(t, receptionFunc(func(ctx context.Context, in *dialer.Incoming) {
		received <- in.Message(ctx, "en")
	}))
	phone := dialertest.NewLeg(t)
	ended := dialertest.CallIn(t, svc, person, phone)
	res := <-received
	require.Equal(t, "us", res.HungUpBy, "%+v", res)
	require.Equal(t, "them", (<-ended).HungUpBy)
	heard, _, _ := phone.Snapshot()
	loud, _ := dialertest.ToneFrames(heard, 440)
	require.GreaterOrEqual(t, loud, int(dialertest.Unavailable/(20*time.Millisecond))*8/10, "the whole message was heard")
}

// A call the reception does not answer is refused (480), and one whose
// caller hangs up while it rings stops ringing at once for the reception.
func TestCallToTheServiceNotAnswered(t *testing.T) {
	t.Parallel()
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		svc := service(t, receptionFunc(func(context.Context, *dialer.Incoming) {}))
		res := <-dialertest.CallIn(t, svc, person, dialertest.NewLeg(t))
		require.Equal(t, 480, res.SIPStatus)
		require.Equal(t, wellcheck.OutcomeNoAnswer, res.Outcome)
	})
	t.Run("caller hung up", func(t *testing.T) {
		t.Parallel()
		gone := make(chan time.Time, 1)
		svc := service(t, receptionFunc(func(ctx context.Context, in *dialer.Incoming) {
			select {
			case <-ctx.Done():
				gone <- time.Now()
			case <-time.After(10 * time.Second):
				gone <- time.Time{}
			}
			res := in.Menu(ctx, "fr")
			require.Equal(t, wellcheck.OutcomeNoAnswer, res.Outcome, "too late to answer")
		}))
		phone := dialertest.NewLeg(t)
		go func() {
			require.Eventually(t, func() bool { _, _, rang := phone.Snapshot(); return rang > 0 }, 5*time.Second, 10*time.Millisecond)
			phone.HangUp()
		}()
		res := <-dialertest.CallIn(t, svc, person, phone)
		require.Equal(t, wellcheck.OutcomeNoAnswer, res.Outcome)
		at := <-gone
		require.False(t, at.IsZero(), "the reception was told the caller hung up")
	})
	t.Run("no reception", func(t *testing.T) {
		t.Parallel()
		svc := service(t, nil)
		res := <-dialertest.CallIn(t, svc, person, dialertest.NewLeg(t))
		require.Equal(t, 405, res.SIPStatus, "a node that takes no calls says so")
	})
}

// SIPp calls the service as a person's carrier would, and presses 1 at
// the menu with the RFC 4733 packets it ships: the key is heard, the
// closing said, and our BYE ends the call (SIPp's exit code says the
// call went as its scenario, testdata/sipp/call_in_rfc4733.xml, expects).
func TestCallToTheServiceFromSIPp(t *testing.T) {
	t.Parallel()
	received := make(chan dialer.Result, 1)
	var caller string
	svc := service(t, receptionFunc(func(ctx context.Context, in *dialer.Incoming) {
		caller = in.Caller()
		received <- in.Menu(ctx, "fr")
	}))
	_, wait := sipp(t, "call_in_rfc4733.xml", svc.Addr().String())
	wait()
	res := <-received
	require.Equal(t, "+33612345678", caller)
	require.Equal(t, wellcheck.OutcomeOK, res.Outcome, "%+v", res)
	require.Equal(t, "1", res.Digits)
	require.Equal(t, "us", res.HungUpBy)
}

// A call put through too late — its caller hung up as the listener took
// it — tells the listener's leg it is over, and nobody is answered.
func TestCallToTheServiceBridgedTooLate(t *testing.T) {
	t.Parallel()
	listener := dialertest.NewLeg(t)
	received := make(chan dialer.Result, 1)
	svc := service(t, receptionFunc(func(ctx context.Context, in *dialer.Incoming) {
		<-in.Gone()
		received <- in.Bridge(ctx, listener)
	}))
	phone := dialertest.NewLeg(t)
	go func() {
		require.Eventually(t, func() bool { _, _, rang := phone.Snapshot(); return rang > 0 }, 5*time.Second, 10*time.Millisecond)
		phone.HangUp()
	}()
	require.Equal(t, wellcheck.OutcomeNoAnswer, (<-dialertest.CallIn(t, svc, person, phone)).Outcome)
	res := <-received
	require.Equal(t, wellcheck.OutcomeNoAnswer, res.Outcome, "%+v", res)
	require.Equal(t, 1, listener.EndedTimes(), "the listener's side is told it is over")
}

// A node that stops while a call to the service rings refuses it at once
// (503: the trunk may try another node), rather than leave it ringing.
func TestCallToTheServiceWhileTheNodeStops(t *testing.T) {
	t.Parallel()
	ringing := make(chan struct{})
	svc := service(t, receptionFunc(func(ctx context.Context, in *dialer.Incoming) {
		close(ringing)
		<-ctx.Done()
		in.Menu(ctx, "fr")
	}))
	ended := dialertest.CallIn(t, svc, person, dialertest.NewLeg(t))
	<-ringing
	start := time.Now()
	require.NoError(t, svc.Close())
	res := <-ended
	require.Equal(t, 503, res.SIPStatus, "%+v", res)
	require.Less(t, time.Since(start), 5*time.Second, "refused at once")
}
