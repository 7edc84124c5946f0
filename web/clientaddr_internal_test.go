package web

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// The client a proxy on this host names is the address sign-in attempts
// count against: written with a port, in brackets, or not an address at all,
// it must never fall back to the proxy's loopback address, which every
// client would then share.
func TestTheClientAProxyNames(t *testing.T) {
	for forwarded, want := range map[string]string{
		"203.0.113.5":               "203.0.113.5",
		"198.51.100.1, 203.0.113.5": "203.0.113.5",
		"203.0.113.5:4711":          "203.0.113.5",
		"[2001:db8::7]:4711":        "2001:db8::7",
		"[2001:db8::7]":             "2001:db8::7",
		"::ffff:203.0.113.5":        "203.0.113.5",
		"unknown":                   "forwarded:unknown",
	} {
		r := httptest.NewRequest("GET", "/login", nil)
		r.RemoteAddr = "127.0.0.1:50000"
		r.Header.Set("X-Forwarded-For", forwarded)
		require.Equal(t, want, clientAddr(r), forwarded)
	}
	r := httptest.NewRequest("GET", "/login", nil)
	r.RemoteAddr = "192.0.2.9:50000"
	r.Header.Set("X-Forwarded-For", "203.0.113.5")
	require.Equal(t, "192.0.2.9", clientAddr(r), "only a proxy on this host is believed")
}
