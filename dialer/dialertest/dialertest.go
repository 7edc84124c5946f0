// Package dialertest is a fake dialer for the tests of what calls: it claims
// as the real one does, then answers each number as told, without SIP.
package dialertest

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/internal/media"
)

// Dialer answers calls from a script. Its zero value answers every call "ok".
type Dialer struct {
	// Answer returns how the n-th call (from 1) placed to a number goes; nil:
	// every call ends with the person pressing 1.
	Answer func(to string, n int) dialer.Result
	// During, when set, runs while a call is "in progress" (after its claim).
	During func(ctx context.Context, req dialer.Request)
	// Languages, when set, are the only languages it has prompts in (for
	// every script); by default it speaks all.
	Languages []string

	mu     sync.Mutex
	placed []dialer.Request
	perTo  map[string]int
}

// Place claims (if the request says so), then returns the scripted result.
func (d *Dialer) Place(ctx context.Context, req dialer.Request) (dialer.Result, error) {
	if req.Claim != nil {
		if err := req.Claim(ctx); err != nil {
			return dialer.Result{}, err
		}
	}
	d.mu.Lock()
	if d.perTo == nil {
		d.perTo = map[string]int{}
	}
	d.perTo[req.To]++
	n := d.perTo[req.To]
	d.placed = append(d.placed, dialer.Request{To: req.To, Lang: req.Lang, Script: req.Script, LeaveMessage: req.LeaveMessage})
	d.mu.Unlock()
	if d.During != nil {
		d.During(ctx, req)
	}
	if d.Answer == nil {
		return dialer.Result{Outcome: wellcheck.OutcomeOK, Digits: "1"}, nil
	}
	return d.Answer(req.To, n), nil
}

// Speaks reports whether the fake has prompts in lang, as the real dialer does.
func (d *Dialer) Speaks(_ dialer.Script, lang string) bool {
	return d.Languages == nil || slices.Contains(d.Languages, lang)
}

// Calls returns the calls placed (past their claim), in order.
func (d *Dialer) Calls() []dialer.Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]dialer.Request(nil), d.placed...)
}

// CallsTo counts the calls placed to a number.
func (d *Dialer) CallsTo(to string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.perTo[to]
}

// Result is a result with just an outcome, and the digits it implies.
func Result(o wellcheck.Outcome) dialer.Result {
	r := dialer.Result{Outcome: o}
	switch o {
	case wellcheck.OutcomeOK:
		r.Digits = "1"
	case wellcheck.OutcomeHelpRequested:
		r.Digits = "2"
	}
	return r
}

// Tone is ms of a quiet 440 Hz tone: a prompt recognisable in captures, never
// mistaken for DTMF.
func Tone(ms int) *media.Sound {
	return media.NewSound(media.Sine(440, time.Duration(ms)*time.Millisecond, 3000))
}

// Hears reports whether pcm holds more than frames 20 ms frames of sound,
// mostly (four in five) a tone of hz: a voice heard long enough.
func Hears(pcm []int16, hz float64, frames int) bool {
	loud, tone := ToneFrames(pcm, hz)
	return loud > frames && tone > loud*8/10
}

// ToneFrames counts the 20 ms frames of pcm louder than -30 dBFS, and among
// them those mostly made of a tone of hz (Goertzel): what a test finds of a
// known tone in what a phone heard.
func ToneFrames(pcm []int16, hz float64) (loud, tone int) {
	c := 2 * math.Cos(2*math.Pi*hz/media.SampleRate)
	for i := 0; i+160 <= len(pcm); i += 160 {
		var s1, s2, energy float64
		for _, v := range pcm[i : i+160] {
			x := float64(v)
			s1, s2 = x+c*s1-s2, s1
			energy += x * x
		}
		if energy/160 < 1000*1000 { // quieter than -30 dBFS
			continue
		}
		loud++
		if 2*(s1*s1+s2*s2-c*s1*s2)/(160*energy) > 0.5 {
			tone++
		}
	}
	return loud, tone
}

// ShortPrompts are French and English prompts of a fraction of a second each,
// for calls that should end quickly. The escalation script's closing after 1
// lasts EscalationOK, so a test can tell from the audio a contact received
// that the escalation prompts were played.
func ShortPrompts() *dialer.Prompts {
	set := &dialer.PromptSet{Greeting: Tone(150), Menu: Tone(150), OK: Tone(100), Help: Tone(100), NoResponse: Tone(100),
		Voicemail: Tone(int(VoicemailMessage / time.Millisecond)), Transfer: Tone(200)}
	escalation := *set
	escalation.Voicemail, escalation.Transfer = nil, nil
	escalation.OK = Tone(int(EscalationOK / time.Millisecond))
	incoming := &dialer.PromptSet{Greeting: Tone(150), Menu: set.Menu, OK: set.OK, Help: Tone(100), NoResponse: Tone(100),
		Unavailable: Tone(int(Unavailable / time.Millisecond))}
	return dialer.NewPrompts(map[string]*dialer.PromptSet{"fr": set, "en": set}).
		WithEscalation(map[string]*dialer.PromptSet{"fr": &escalation, "en": &escalation}).
		WithIncoming(map[string]*dialer.PromptSet{"fr": incoming, "en": incoming})
}

// Unavailable is how long ShortPrompts' message to callers the service
// does not know lasts.
const Unavailable = 600 * time.Millisecond

// VoicemailMessage is how long ShortPrompts' message for answering machines
// lasts.
const VoicemailMessage = time.Second

// EscalationOK is how long ShortPrompts' escalation closing after 1 lasts.
const EscalationOK = time.Second
