package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/callee"
)

// An operator tests a line: wellcheck call prints the outcome as one JSON object
// and exits 0 whatever the outcome; bad configuration exits non-zero with a message.
func TestCallPrintsTheOutcome(t *testing.T) {
	t.Parallel()
	ce, err := callee.New(callee.Config{
		Listen: "127.0.0.1:0", KeyDelay: 500 * time.Millisecond,
		Numbers: map[string]callee.Behaviour{"+33612345678": callee.PressTwo, "+33698765432": callee.Busy},
	})
	require.NoError(t, err)
	t.Cleanup(func() { ce.Close() })
	c := newCLI(t, "")
	c.env["WELLCHECK_SIP_TRUNK"] = ce.Addr().String()
	c.env["WELLCHECK_SIP_LISTEN"] = "127.0.0.1:0"

	r := c.run("", "call", "--lang", "en", "06 12 34 56 78")
	require.Equal(t, exitOK, r.code, r.stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	require.Equal(t, "help_requested", got["outcome"])
	require.Equal(t, float64(200), got["sip_status"])
	require.Equal(t, "2", got["digits"])
	require.NotEmpty(t, got["call_id"])
	require.Contains(t, got, "ring_ms")
	require.Contains(t, got, "talk_ms")
	// How the call sounded, as far as it learned: at least what we measured
	// of the callee's audio.
	quality, ok := got["quality"].(map[string]any)
	require.True(t, ok, r.stdout)
	require.Contains(t, quality, "loss_received_pct")
	require.Contains(t, quality, "mos")

	r = c.run("", "call", "sip:+33698765432@"+ce.Addr().String())
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, `"outcome":"busy"`)
	require.Contains(t, r.stdout, `"sip_status":486`)
	require.NotContains(t, r.stdout, `"quality"`, "a call not answered learned nothing of its audio")

	recs, err := ce.Wait(context.Background(), 2)
	require.NoError(t, err)
	require.Equal(t, "+33199000000", recs[0].FromUser, "the configured caller number")

	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{args: []string{"call", "06 12"}, want: "numéro"},
		{args: []string{"call", "--lang", "de", "0612345678"}, want: `no check-in prompts in language "de"`},
		{args: []string{"call"}, want: "usage: wellcheck call"},
		{args: []string{"call", "--trunk", "127.0.0.1:99999", "0612345678"}, want: "port"},
		{args: []string{"--sip-transport", "sctp", "call", "0612345678"}, want: "not udp, tcp or tls"},
		{args: []string{"--caller-number", "0123", "call", "0612345678"}, want: "E.164"},
		{args: []string{"--ring-timeout", "1h", "call", "0612345678"}, want: "ring timeout"},
		{args: []string{"--trunk-cps", "0", "call", "0612345678"}, want: "trunk cps"},
	} {
		r := c.run("", tt.args...)
		require.NotEqual(t, exitOK, r.code, "%v", tt.args)
		require.Contains(t, r.stderr, tt.want, "%v", tt.args)
		require.Empty(t, r.stdout)
	}
}

func TestCalleeRefusesUnknownBehaviours(t *testing.T) {
	t.Parallel()
	c := newCLI(t, "")
	for args, want := range map[string][]string{
		"unknown behaviour": {"callee", "--behaviour", "dance"},
		"unknown key mode":  {"callee", "--keys", "morse"},
		"weights":           {"callee", "--weights", "ok=lots"},
		"NUMBER=BEHAVIOUR":  {"callee", "--number", "+33612345678"},
	} {
		r := c.run("", want...)
		require.NotEqual(t, exitOK, r.code, fmt.Sprint(want))
		require.Contains(t, r.stderr, args)
	}
}
