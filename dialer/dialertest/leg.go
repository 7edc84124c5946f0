package dialertest

import (
	"cmp"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/internal/media"
)

// Leg is a side of a bridged call as a test plays it (a listener's
// browser, or the phone of a person calling the service): it says a tone
// (Voice, default 440 Hz) every 20 ms from the answer, presses keys when
// told, and keeps what it heard.
type Leg struct {
	done   chan struct{}
	hangUp sync.Once
	ctx    context.Context
	wg     *sync.WaitGroup
	Voice  float64 // the pitch it speaks at (default 440 Hz); set before the call

	mu       sync.Mutex
	rang     int
	person   *dialer.Person
	answered chan struct{} // closed at the answer
	heard    []int16
	pressed  string
	ended    int
}

// NewLeg is a Leg that stops speaking when the test ends.
func NewLeg(t testing.TB) *Leg {
	ctx, cancel := context.WithCancel(context.Background())
	l := &Leg{done: make(chan struct{}), answered: make(chan struct{}), ctx: ctx, wg: &sync.WaitGroup{}}
	t.Cleanup(func() { cancel(); l.wg.Wait() })
	return l
}

func (l *Leg) Ringing() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rang++
}

func (l *Leg) Answered(p *dialer.Person) {
	l.mu.Lock()
	l.person = p
	l.mu.Unlock()
	close(l.answered)
	voice := media.Sine(cmp.Or(l.Voice, 440), time.Second, 8000)
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

func (l *Leg) Hear(ulaw []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range ulaw {
		l.heard = append(l.heard, g711.DecodeUlawFrame(b))
	}
}

func (l *Leg) Pressed(key byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pressed += string(key)
}

func (l *Leg) Done() <-chan struct{} { return l.done }

func (l *Leg) Ended() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ended++
}

// HangUp hangs up this side.
func (l *Leg) HangUp() { l.hangUp.Do(func() { close(l.done) }) }

// Press presses key on this side, once answered.
func (l *Leg) Press(t testing.TB, key byte) {
	l.mu.Lock()
	p := l.person
	l.mu.Unlock()
	require.True(t, p.Press(key))
}

// Snapshot is what this side heard and was pressed so far, and how many
// times it was told the other rang.
func (l *Leg) Snapshot() (heard []int16, pressed string, rang int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int16(nil), l.heard...), l.pressed, l.rang
}

// Picked is closed once the call is answered.
func (l *Leg) Picked() <-chan struct{} { return l.answered }

// EndedTimes is how many times the leg was told the call is over.
func (l *Leg) EndedTimes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ended
}

var _ dialer.Leg = (*Leg)(nil)

// CallIn calls service from number, as a person's carrier would: a dialer
// of its own on loopback, its leg leg (the person's phone), to the
// service's number. Its result comes once the call is over.
func CallIn(t testing.TB, service *dialer.Dialer, number string, leg *Leg) <-chan dialer.Result {
	t.Helper()
	carrier, err := dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Port: service.Addr().(*net.UDPAddr).Port},
		Listen: "127.0.0.1:0", CallerNumber: number, RingTimeout: 30 * time.Second}, ShortPrompts())
	require.NoError(t, err)
	out := make(chan dialer.Result, 1)
	go func() {
		defer carrier.Close()
		res, _ := carrier.Connect(context.Background(), dialer.ConnectRequest{To: "+33199000000", Leg: leg})
		out <- res
	}()
	return out
}

// AwaitHeard waits, up to 10 s, until the leg has heard more than frames
// 20 ms frames of a tone of hz (Hears), and fails the test if it does not.
func (l *Leg) AwaitHeard(t testing.TB, hz float64, frames int) {
	t.Helper()
	require.Eventually(t, func() bool {
		heard, _, _ := l.Snapshot()
		return Hears(heard, hz, frames)
	}, 10*time.Second, 10*time.Millisecond, "the leg hears %v Hz", hz)
}
