package dialer_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
)

// Another node is heard while Trust lets it in, and only then, and only
// its hand-off: its OPTIONS, or an INVITE posing as a person's call, get
// no answer, as before and after.
func TestTrustLetsAnotherNodeInForAWhile(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{}, dialer.Config{})
	to := b.dialer.Addr()
	handOff := func(n int) string {
		r := strings.Replace(options(to, n), "OPTIONS sip:wellcheck@", "INVITE sip:handoff-ab12-7@", 1)
		return strings.Replace(r, "CSeq: 1 OPTIONS", "CSeq: 1 INVITE", 1)
	}
	call := func(n int) string { // to the service's number
		return strings.Replace(handOff(n), "handoff-ab12-7", "+33199000000", 1)
	}
	node := netip.MustParseAddr("127.0.0.2")
	require.Empty(t, ask(t, "127.0.0.2", to, handOff(1)), "not yet trusted")
	untrust := b.dialer.Trust(node)
	again := b.dialer.Trust(node) // a second ring from the same node
	require.NotEmpty(t, ask(t, "127.0.0.2", to, handOff(2)), "trusted: its hand-off is answered")
	require.Empty(t, ask(t, "127.0.0.2", to, options(to, 3)), "nothing else")
	require.Empty(t, ask(t, "127.0.0.2", to, call(4)), "not a call posing as a person's")
	require.Empty(t, ask(t, "127.0.0.3", to, handOff(5)), "that node only")
	untrust()
	untrust() // once is once
	require.NotEmpty(t, ask(t, "127.0.0.2", to, handOff(6)), "the second ring still lets it in")
	again()
	require.Empty(t, ask(t, "127.0.0.2", to, handOff(7)), "no ring left: a stranger again")
}

// A hand-off's address names the ring's token and the listener who takes
// the call; anything else is not one.
func TestHandOffURI(t *testing.T) {
	t.Parallel()
	uri := dialer.HandOffURI("10.0.0.7:5062;transport=tcp", "a1b2c3", 42)
	require.Equal(t, "sip:handoff-a1b2c3-42@10.0.0.7:5062;transport=tcp", uri)
	require.Equal(t, netip.MustParseAddr("10.0.0.7"), dialer.HostOf("10.0.0.7:5062;transport=tcp"))
	require.False(t, dialer.HostOf("node-b:5062").IsValid(), "a name is not an address")
	token, listener, ok := dialer.ParseHandOff("handoff-a1b2c3-42")
	require.True(t, ok)
	require.Equal(t, "a1b2c3", token)
	require.EqualValues(t, 42, listener)
	for _, user := range []string{"+33199000000", "handoff-", "handoff-a1b2c3", "handoff--42", "handoff-a1b2c3-x", "handoff-a1b2c3-0", "handoff-a1b2c3--4"} {
		_, _, ok := dialer.ParseHandOff(user)
		require.False(t, ok, user)
	}
}
