package dialer_test

import (
	"cmp"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/internal/media"
)

// listenerVoice is the pitch the test's listener speaks at (Hz).
const listenerVoice = 440

// testLeg is a listener's side of a bridged call as a test plays it: it says
// a 440 Hz tone every 20 ms from the answer, presses keys when told, and
// keeps what it heard.
type testLeg struct {
	done   chan struct{}
	hangUp sync.Once
	ctx    context.Context
	wg     *sync.WaitGroup
	voice  float64 // the pitch it speaks at (default listenerVoice)

	mu       sync.Mutex
	rang     int
	person   *dialer.Person
	answered chan struct{}
	heard    []int16
	pressed  string
	ended    int
}

func newTestLeg(t *testing.T) *testLeg {
	ctx, cancel := context.WithCancel(context.Background())
	l := &testLeg{done: make(chan struct{}), answered: make(chan struct{}), ctx: ctx, wg: &sync.WaitGroup{}}
	t.Cleanup(func() { cancel(); l.wg.Wait() })
	return l
}

func (l *testLeg) Ringing() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rang++
}

func (l *testLeg) Answered(p *dialer.Person) {
	l.mu.Lock()
	l.person = p
	l.mu.Unlock()
	close(l.answered)
	voice := media.Sine(cmp.Or(l.voice, listenerVoice), time.Second, 8000)
	frame := make([]byte, 160)
	l.wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-l.ctx.Done():
				return
			case <-l.done:
				return
			case <-tick.C:
			}
			for i := range frame {
				frame[i] = g711.EncodeUlawFrame(voice[(n*160+i)%len(voice)])
			}
			p.Say(frame, uint32(n*160))
		}
	})
}

func (l *testLeg) Hear(ulaw []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range ulaw {
		l.heard = append(l.heard, g711.DecodeUlawFrame(b))
	}
}

func (l *testLeg) Pressed(key byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pressed += string(key)
}

func (l *testLeg) Done() <-chan struct{} { return l.done }

func (l *testLeg) Ended() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ended++
}

func (l *testLeg) hang() { l.hangUp.Do(func() { close(l.done) }) }

func (l *testLeg) press(t *testing.T, key byte) {
	l.mu.Lock()
	p := l.person
	l.mu.Unlock()
	require.True(t, p.Press(key))
}

func (l *testLeg) snapshot() (heard []int16, pressed string, rang int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int16(nil), l.heard...), l.pressed, l.rang
}

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
			leg := newTestLeg(t)
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
			case <-leg.answered:
			case <-ctx.Done():
				t.Fatal("the person's answer never reached the listener")
			}
			leg.press(t, '7')
			require.Eventually(t, func() bool {
				_, pressed, _ := leg.snapshot()
				return pressed == "5"
			}, 5*time.Second, 20*time.Millisecond, "the person's key reaches the listener")
			require.Eventually(t, func() bool { // they talk a second
				recs := b.callee.Records()
				heard, _, _ := leg.snapshot()
				return len(recs) == 1 && dialertest.Hears(recs[0].Heard, listenerVoice, 50) && dialertest.Hears(heard, callee.VoiceTone, 50)
			}, 10*time.Second, 20*time.Millisecond, "each hears the other")
			leg.hang()
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

			heard, _, rang := leg.snapshot()
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
	leg := newTestLeg(t)
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
			leg := newTestLeg(t)
			res, err := b.dialer.Connect(context.Background(), dialer.ConnectRequest{To: person, Leg: leg})
			require.NoError(t, err)
			require.Equal(t, c.outcome, res.Outcome)
			select {
			case <-leg.answered:
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
	leg := newTestLeg(t)
	go func() {
		require.Eventually(t, func() bool { _, _, rang := leg.snapshot(); return rang > 0 }, 5*time.Second, 10*time.Millisecond)
		leg.hang()
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
