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

// An answering machine takes the call: its greeting plays over our menu,
// which it does not hear; at its beep the call leaves the message (the
// service's setting), which the machine records whole, or hangs up. Either
// way the call is a voicemail, not a person who pressed nothing. An
// escalation call never leaves one.
func TestAnsweringMachine(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		req      dialer.Request
		recorded time.Duration
	}{
		{"hang up", dialer.Request{To: person, Lang: "fr"}, 0},
		{"leave the message", dialer.Request{To: person, Lang: "fr", LeaveMessage: true}, dialertest.VoicemailMessage},
		{"an escalation leaves none", dialer.Request{To: person, Lang: "fr", LeaveMessage: true, Script: dialer.ScriptEscalation}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// Short prompts: the key timeout keeps the menu waiting past the
			// machine's greeting, as the real prompts' length does.
			b := setup(t, callee.Config{Behaviour: callee.Voicemail}, dialer.Config{KeyTimeout: 10 * time.Second})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			res, err := b.dialer.Place(ctx, c.req)
			require.NoError(t, err)
			took := time.Since(start)
			recs, err := b.callee.Wait(ctx, 1)
			require.NoError(t, err)
			rec := recs[0]
			require.Equal(t, wellcheck.OutcomeVoicemail, res.Outcome, "%+v", res)
			require.Equal(t, "caller", rec.ByeFrom)
			require.Empty(t, res.Digits)
			require.Positive(t, rec.SoundDuringGreeting, "our greeting and menu played over the machine's")
			require.InDelta(t, c.recorded.Seconds(), rec.Recorded.Seconds(), 0.15, "what the machine recorded after its beep")
			greeting := callee.DefaultGreeting().Duration()
			require.Less(t, took, greeting+c.recorded+2*time.Second, "the call ends at the beep, not after the menu's wait")
		})
	}
}

// A line that answers and stays silent is no machine: no response.
func TestASilentLineIsNoMachine(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Silent}, dialer.Config{KeyTimeout: 3 * time.Second})
	res, _ := b.call(t, person)
	require.Equal(t, wellcheck.OutcomeNoResponse, res.Outcome)
}
