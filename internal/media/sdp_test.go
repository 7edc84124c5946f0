package media

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func sdpLines(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

func TestOfferParsesBack(t *testing.T) {
	t.Parallel()
	addr := netip.MustParseAddrPort("192.0.2.10:40000")
	body, err := Offer(addr, 40007, 42)
	require.NoError(t, err)
	s := string(body)
	require.Contains(t, s, "m=audio 40000 RTP/AVP 0 8 101")
	require.Contains(t, s, "a=rtpmap:101 telephone-event/8000")
	require.Contains(t, s, "a=sendrecv")
	require.Contains(t, s, "a=rtcp:40007\r\n", "RFC 3605: where RTCP goes if not multiplexed")
	require.Contains(t, s, "a=rtcp-mux\r\n", "RFC 5761: multiplexed if the answer accepts")
	d, err := Parse(body)
	require.NoError(t, err)
	require.Equal(t, Description{Addr: addr, Codec: PCMU, Events: true, EventType: 101, Ptime: 20 * time.Millisecond, Direction: SendRecv,
		RTCPMux: true, RTCP: netip.MustParseAddrPort("192.0.2.10:40007")}, d)

	_, err = Offer(addr, 0, 42)
	require.Error(t, err, "an offer always names an RTCP port")
}

func TestParseAnswers(t *testing.T) {
	t.Parallel()
	head := []string{"v=0", "o=- 1 1 IN IP4 198.51.100.7", "s=-", "c=IN IP4 198.51.100.7", "t=0 0"}
	tests := []struct {
		name  string
		media []string
		want  Description
		err   string
	}{
		{name: "PCMA with events under 96, 30 ms, receive only",
			media: []string{"m=audio 5004 RTP/AVP 8 96", "a=rtpmap:8 PCMA/8000", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15", "a=ptime:30", "a=recvonly"},
			want:  Description{Addr: netip.MustParseAddrPort("198.51.100.7:5004"), Codec: PCMA, Events: true, EventType: 96, Ptime: 30 * time.Millisecond, Direction: RecvOnly}},
		{name: "static PCMU without rtpmap, no events",
			media: []string{"m=audio 5006 RTP/AVP 0"},
			want:  Description{Addr: netip.MustParseAddrPort("198.51.100.7:5006"), Codec: PCMU, Ptime: 20 * time.Millisecond, Direction: SendRecv}},
		{name: "PCMU under a dynamic number",
			media: []string{"m=audio 5008 RTP/AVP 110 101", "a=rtpmap:110 pcmu/8000", "a=rtpmap:101 telephone-event/8000"},
			want:  Description{Addr: netip.MustParseAddrPort("198.51.100.7:5008"), Codec: Codec{Name: "PCMU", PayloadType: 110}, Events: true, EventType: 101, Ptime: 20 * time.Millisecond, Direction: SendRecv}},
		{name: "media-level address wins, IPv6",
			media: []string{"m=audio 5010 RTP/AVP 0", "c=IN IP6 2001:db8::1"},
			want:  Description{Addr: netip.MustParseAddrPort("[2001:db8::1]:5010"), Codec: PCMU, Ptime: 20 * time.Millisecond, Direction: SendRecv}},
		{name: "first the peer lists wins",
			media: []string{"m=audio 5012 RTP/AVP 8 0"},
			want:  Description{Addr: netip.MustParseAddrPort("198.51.100.7:5012"), Codec: PCMA, Ptime: 20 * time.Millisecond, Direction: SendRecv}},
		{name: "odd ptime ignored", media: []string{"m=audio 5014 RTP/AVP 0", "a=ptime:7"},
			want: Description{Addr: netip.MustParseAddrPort("198.51.100.7:5014"), Codec: PCMU, Ptime: 20 * time.Millisecond, Direction: SendRecv}},
		{name: "RTCP multiplexed", media: []string{"m=audio 5024 RTP/AVP 0", "a=rtcp-mux"},
			want: Description{Addr: netip.MustParseAddrPort("198.51.100.7:5024"), Codec: PCMU, Ptime: 20 * time.Millisecond, Direction: SendRecv, RTCPMux: true}},
		{name: "RTCP on a port of its own", media: []string{"m=audio 5026 RTP/AVP 0", "a=rtcp:6000"},
			want: Description{Addr: netip.MustParseAddrPort("198.51.100.7:5026"), Codec: PCMU, Ptime: 20 * time.Millisecond, Direction: SendRecv,
				RTCP: netip.MustParseAddrPort("198.51.100.7:6000")}},
		{name: "RTCP at another address", media: []string{"m=audio 5028 RTP/AVP 0", "a=rtcp:6002 IN IP4 203.0.113.9"},
			want: Description{Addr: netip.MustParseAddrPort("198.51.100.7:5028"), Codec: PCMU, Ptime: 20 * time.Millisecond, Direction: SendRecv,
				RTCP: netip.MustParseAddrPort("203.0.113.9:6002")}},
		{name: "a broken a=rtcp is the next port up", media: []string{"m=audio 5030 RTP/AVP 0", "a=rtcp:zero"},
			want: Description{Addr: netip.MustParseAddrPort("198.51.100.7:5030"), Codec: PCMU, Ptime: 20 * time.Millisecond, Direction: SendRecv}},
		{name: "rejected stream", media: []string{"m=audio 0 RTP/AVP 0"}, err: "no usable audio"},
		{name: "only G.729", media: []string{"m=audio 5016 RTP/AVP 18", "a=rtpmap:18 G729/8000"}, err: "no usable audio"},
		{name: "wideband PCMU is not ours", media: []string{"m=audio 5018 RTP/AVP 96", "a=rtpmap:96 PCMU/16000"}, err: "no usable audio"},
		{name: "SRTP only", media: []string{"m=audio 5020 RTP/SAVP 0"}, err: "no usable audio"},
		{name: "video only", media: []string{"m=video 5022 RTP/AVP 96"}, err: "no usable audio"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Parse(sdpLines(append(head, tt.media...)...))
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			if !tt.want.RTCP.IsValid() { // RFC 3550 §11: the next port up
				tt.want.RTCP = netip.AddrPortFrom(tt.want.Addr.Addr(), tt.want.Addr.Port()+1)
			}
			require.Equal(t, tt.want, d)
		})
	}
}

func TestParseRefusesBrokenBodies(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		"",
		"hello",
		"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n", // no c=
		"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 host.example\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
	} {
		_, err := Parse([]byte(body))
		require.Error(t, err, "%q", body)
	}
}

func TestAnswerMirrorsTheOffer(t *testing.T) {
	t.Parallel()
	offer := Description{Addr: netip.MustParseAddrPort("192.0.2.1:4000"), Codec: PCMA, Events: true, EventType: 100, Ptime: 40 * time.Millisecond, Direction: SendOnly,
		RTCPMux: true}
	body, err := Answer(offer, netip.MustParseAddrPort("192.0.2.2:5000"), 0, 7, true)
	require.NoError(t, err)
	d, err := Parse(body)
	require.NoError(t, err)
	require.Equal(t, Description{Addr: netip.MustParseAddrPort("192.0.2.2:5000"), Codec: PCMA, Events: true, EventType: 100, Ptime: 40 * time.Millisecond, Direction: RecvOnly,
		RTCPMux: true, RTCP: netip.MustParseAddrPort("192.0.2.2:5001")}, d)

	body, err = Answer(offer, netip.MustParseAddrPort("192.0.2.2:5000"), 5009, 7, false)
	require.NoError(t, err)
	d, err = Parse(body)
	require.NoError(t, err)
	require.False(t, d.Events)
	require.False(t, d.RTCPMux, "refused: RTCP on its own port")
	require.Equal(t, netip.MustParseAddrPort("192.0.2.2:5009"), d.RTCP)

	offer.RTCPMux = false
	_, err = Answer(offer, netip.MustParseAddrPort("192.0.2.2:5000"), 0, 7, true)
	require.Error(t, err, "no multiplexing the offer did not propose")
}

func FuzzParse(f *testing.F) {
	offer, _ := Offer(netip.MustParseAddrPort("192.0.2.10:40000"), 40001, 1)
	f.Add(offer)
	f.Add(sdpLines("v=0", "o=- 1 1 IN IP4 1.2.3.4", "s=-", "c=IN IP4 1.2.3.4", "t=0 0", "m=audio 5000 RTP/AVP 8 96", "a=rtpmap:96 telephone-event/8000", "a=ptime:30", "a=recvonly"))
	f.Add(sdpLines("v=0", "o=- 1 1 IN IP6 ::1", "s=-", "t=0 0", "m=audio 1 RTP/AVP 0", "c=IN IP6 ::1"))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := Parse(body)
		if err != nil {
			return
		}
		// Whatever parses is something we can use as it is.
		if !d.Addr.IsValid() || d.Addr.Port() == 0 {
			t.Fatalf("unusable address %v", d.Addr)
		}
		if d.Codec.Name != "PCMU" && d.Codec.Name != "PCMA" {
			t.Fatalf("codec %q", d.Codec.Name)
		}
		if d.Codec.PayloadType > 127 || (d.Events && d.EventType > 127) {
			t.Fatalf("payload type out of range: %+v", d)
		}
		if d.RTCP.IsValid() && d.RTCP.Port() == 0 {
			t.Fatalf("RTCP port 0: %v", d.RTCP)
		}
		if d.Ptime < 10*time.Millisecond || d.Ptime > 60*time.Millisecond {
			t.Fatalf("ptime %s", d.Ptime)
		}
		switch d.Direction {
		case SendRecv, SendOnly, RecvOnly, Inactive:
		default:
			t.Fatalf("direction %q", d.Direction)
		}
	})
}

// How phones put a call on hold: a direction for the whole session, or the
// c=0.0.0.0 of RFC 2543.
func TestParseHold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  Direction
	}{
		{"session-wide sendonly", []string{"v=0", "o=- 1 2 IN IP4 198.51.100.7", "s=-", "c=IN IP4 198.51.100.7", "t=0 0", "a=sendonly", "m=audio 5004 RTP/AVP 0"}, SendOnly},
		{"the stream's own direction wins", []string{"v=0", "o=- 1 2 IN IP4 198.51.100.7", "s=-", "c=IN IP4 198.51.100.7", "t=0 0", "a=inactive", "m=audio 5004 RTP/AVP 0", "a=sendrecv"}, SendRecv},
		{"c=0.0.0.0", []string{"v=0", "o=- 1 2 IN IP4 198.51.100.7", "s=-", "c=IN IP4 0.0.0.0", "t=0 0", "m=audio 5004 RTP/AVP 0"}, SendOnly},
		{"c=0.0.0.0 and recvonly", []string{"v=0", "o=- 1 2 IN IP4 198.51.100.7", "s=-", "c=IN IP4 0.0.0.0", "t=0 0", "m=audio 5004 RTP/AVP 0", "a=recvonly"}, Inactive},
	}
	for _, tt := range tests {
		d, err := Parse(sdpLines(tt.lines...))
		require.NoError(t, err, tt.name)
		require.Equal(t, tt.want, d.Direction, tt.name)
	}
}

// Our side keeps one origin for the whole call: the version goes up when
// what we describe changes (a hold, its end), never for a refresh that
// changes nothing.
func TestSessionVersions(t *testing.T) {
	t.Parallel()
	s := NewSession(netip.MustParseAddrPort("192.0.2.10:40000"), 40001, 42)
	origin := func(body []byte) string {
		for _, l := range strings.Split(string(body), "\r\n") {
			if strings.HasPrefix(l, "o=") {
				return l
			}
		}
		return ""
	}
	offer, err := s.Offer()
	require.NoError(t, err)
	require.Equal(t, "o=wellcheck 42 42 IN IP4 192.0.2.10", origin(offer))

	peer := Description{Addr: netip.MustParseAddrPort("198.51.100.7:5004"), Codec: PCMU, Events: true, EventType: 101, Ptime: 20 * time.Millisecond, Direction: SendRecv}
	steps := []struct {
		name    string
		offer   func() Description
		version uint64
		dir     Direction
	}{
		{"an answer names one codec: changed", func() Description { return peer }, 43, SendRecv},
		{"a refresh with the same SDP: unchanged", func() Description { return peer }, 43, SendRecv},
		{"hold", func() Description { d := peer; d.Direction = SendOnly; return d }, 44, RecvOnly},
		{"hold refreshed", func() Description { d := peer; d.Direction = SendOnly; return d }, 44, RecvOnly},
		{"inactive", func() Description { d := peer; d.Direction = Inactive; return d }, 45, Inactive},
		{"taken off hold", func() Description { return peer }, 46, SendRecv},
		{"moved elsewhere by an SBC: our side is the same", func() Description {
			d := peer
			d.Addr = netip.MustParseAddrPort("203.0.113.9:7000")
			return d
		}, 46, SendRecv},
	}
	for _, st := range steps {
		body, err := s.Answer(st.offer())
		require.NoError(t, err, st.name)
		require.Equal(t, fmt.Sprintf("o=wellcheck 42 %d IN IP4 192.0.2.10", st.version), origin(body), st.name)
		require.Equal(t, st.version, s.Version(), st.name)
		d, err := Parse(body)
		require.NoError(t, err, st.name)
		require.Equal(t, st.dir, d.Direction, st.name)
		require.Equal(t, netip.MustParseAddrPort("192.0.2.10:40000"), d.Addr, st.name)
	}
	offer, err = s.Offer()
	require.NoError(t, err)
	require.Equal(t, "o=wellcheck 42 47 IN IP4 192.0.2.10", origin(offer), "a new offer (for a re-INVITE without one) lists every codec again")
}

// Every description of a call names the RTCP its first offer and answer
// settled: a re-INVITE's 200 says what the INVITE did, and an offer that
// does not multiplex, once we do, is told our RTP port for RTCP.
func TestSessionKeepsRTCP(t *testing.T) {
	t.Parallel()
	addr := netip.MustParseAddrPort("192.0.2.10:40000")
	peer := Description{Addr: netip.MustParseAddrPort("198.51.100.7:5004"), Codec: PCMU, Ptime: 20 * time.Millisecond, Direction: SendRecv}

	s := NewSession(addr, 40001, 42)
	offer, err := s.Offer()
	require.NoError(t, err)
	d, err := Parse(offer)
	require.NoError(t, err)
	require.True(t, d.RTCPMux, "the INVITE proposes rtcp-mux")
	require.Equal(t, netip.MustParseAddrPort("192.0.2.10:40001"), d.RTCP)

	// The answer refused mux: RTCP stays on its own port.
	s.SettleRTCP(false)
	body, err := s.Answer(peer)
	require.NoError(t, err)
	d, err = Parse(body)
	require.NoError(t, err)
	require.False(t, d.RTCPMux)
	require.Equal(t, netip.MustParseAddrPort("192.0.2.10:40001"), d.RTCP, "the re-INVITE's 200 names the INVITE's RTCP port")
	body, err = s.Offer()
	require.NoError(t, err)
	d, err = Parse(body)
	require.NoError(t, err)
	require.False(t, d.RTCPMux, "a new offer does not propose mux again")
	require.Equal(t, netip.MustParseAddrPort("192.0.2.10:40001"), d.RTCP)

	// The answer accepted mux: every later description multiplexes.
	s = NewSession(addr, 40001, 42)
	_, err = s.Offer()
	require.NoError(t, err)
	s.SettleRTCP(true)
	muxed := peer
	muxed.RTCPMux = true
	body, err = s.Answer(muxed)
	require.NoError(t, err)
	d, err = Parse(body)
	require.NoError(t, err)
	require.True(t, d.RTCPMux)
	require.NotContains(t, string(body), "a=rtcp:", "the RTCP socket is closed: not named")
	body, err = s.Answer(peer)
	require.NoError(t, err)
	d, err = Parse(body)
	require.NoError(t, err)
	require.False(t, d.RTCPMux, "not offered: not answered")
	require.Equal(t, addr, d.RTCP, "RTCP to our RTP port, where we demultiplex it")
}
