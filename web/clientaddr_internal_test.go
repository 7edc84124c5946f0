package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// The client a proxy on this host names is the address sign-in attempts
// count against: written with a port, in brackets, or not an address at all,
// it must never fall back to the proxy's loopback address, which every
// client would then share.
func TestTheClientAProxyNames(t *testing.T) {
	s := &Server{}
	for forwarded, want := range map[string]string{
		"203.0.113.5":               "203.0.113.5",
		"198.51.100.1, 203.0.113.5": "203.0.113.5",
		"203.0.113.5:4711":          "203.0.113.5",
		"[2001:db8::7]:4711":        "2001:db8::7",
		"[2001:db8::7]":             "2001:db8::7",
		"::ffff:203.0.113.5":        "203.0.113.5",
		"unknown":                   "forwarded:unknown",
		"":                          "127.0.0.1",
	} {
		require.Equal(t, want, s.clientAddr(from("127.0.0.1:50000", forwarded)), forwarded)
	}
	require.Equal(t, "192.0.2.9", s.clientAddr(from("192.0.2.9:50000", "203.0.113.5")),
		"a proxy elsewhere is not believed unless named")
}

// A proxy the operator names (--trusted-proxies) is believed like one on
// this host; the proxies it passes through are stepped over, and what the
// client wrote before them is not believed.
func TestTheClientATrustedProxyNames(t *testing.T) {
	s := &Server{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:1::/48")}}
	for _, c := range []struct{ peer, forwarded, want, why string }{
		{"10.1.2.3:443", "203.0.113.5", "203.0.113.5", "a trusted proxy names its client"},
		{"[2001:db8:1::9]:443", "203.0.113.5", "203.0.113.5", "by IPv6 too"},
		{"10.1.2.3:443", "198.51.100.1, 203.0.113.5", "203.0.113.5", "what the client wrote before is not believed"},
		{"10.1.2.3:443", "203.0.113.5, 10.9.9.9", "203.0.113.5", "a trusted proxy before it is stepped over"},
		{"127.0.0.1:5000", "203.0.113.5, 10.9.9.9", "203.0.113.5", "a proxy here behind a trusted one"},
		{"10.1.2.3:443", "10.7.7.7, 10.9.9.9", "10.7.7.7", "every hop trusted: the first"},
		{"10.1.2.3:443", "", "10.1.2.3", "no header: the proxy itself"},
		{"192.0.2.9:443", "203.0.113.5", "192.0.2.9", "an address not named is the client itself"},
	} {
		require.Equal(t, c.want, s.clientAddr(from(c.peer, c.forwarded)), c.why)
	}
}

func from(peer, forwarded string) *http.Request {
	r := httptest.NewRequest("GET", "/login", nil)
	r.RemoteAddr = peer
	if forwarded != "" {
		r.Header.Set("X-Forwarded-For", forwarded)
	}
	return r
}
