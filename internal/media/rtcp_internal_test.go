package media

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/stretchr/testify/require"
)

// The sequence count survives the 16-bit wrap, counts a gap as lost, and a
// late packet as received without moving the highest.
func TestReceptionCountsAcrossTheWrap(t *testing.T) {
	t.Parallel()
	var r reception
	seq := uint16(65530)
	for i := range 20 {
		if i == 8 || i == 9 { // two lost across the wrap (65538 and 65539, i.e. 2 and 3)
			seq++
			continue
		}
		r.packet(1, seq, uint32(i)*160, true, int64(i)*160)
		seq++
	}
	require.Equal(t, uint32(1<<16)+uint32(seq-1), r.extendedMax())
	require.Equal(t, uint32(20), r.expected())
	require.Equal(t, int64(2), r.lost())
	b := r.block(time.Now())
	require.Equal(t, uint8(2*256/20), b.FractionLost)
	require.Equal(t, uint32(2), b.TotalLost)

	r.packet(1, 2, 8*160, true, 30*160) // one of the two, late
	require.Equal(t, int64(1), r.lost())
	b = r.block(time.Now())
	require.Zero(t, b.FractionLost, "nothing more lost since the last report")

	r.packet(2, 100, 0, true, 0) // a new source starts afresh
	require.Equal(t, uint32(1), r.expected())
	require.Zero(t, r.lost())
}

// Jitter per A.8: packets due every 160 units arriving alternately 0 and 80
// units late give |D| = 80 each time, and J converges to 80.
func TestReceptionJitter(t *testing.T) {
	t.Parallel()
	var r reception
	for i := range 400 {
		late := int64(0)
		if i%2 == 1 {
			late = 80
		}
		r.packet(1, uint16(i), uint32(i*160), true, int64(i*160)+late)
	}
	require.InDelta(t, 80, r.jitter, 0.5)
	var steady reception
	for i := range 50 {
		steady.packet(1, uint16(i), uint32(i*160)+1e6, true, int64(i*160)) // timestamps offset: no matter
	}
	require.Zero(t, steady.jitter)
	// Events carry their start's timestamp: no jitter from them.
	steady.packet(1, 50, 49*160+1e6, false, 50*160)
	require.Zero(t, steady.jitter)
}

// The round trip is arrival less LSR less DLSR, in 1/65536 s.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	sent := time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)
	now := sent.Add(1100 * time.Millisecond)
	b := rtcp.ReceptionReport{LastSenderReport: middle32(ntp(sent)), Delay: 1 << 16} // they held it 1 s
	rtt, ok := roundTrip(b, now)
	require.True(t, ok)
	require.InDelta(t, 100*time.Millisecond, rtt, float64(50*time.Microsecond))

	_, ok = roundTrip(rtcp.ReceptionReport{}, now)
	require.False(t, ok, "no SR of ours echoed")
	_, ok = roundTrip(rtcp.ReceptionReport{LastSenderReport: middle32(ntp(now.Add(time.Second)))}, now)
	require.False(t, ok, "a report from the future")
}

func TestIsRTCP(t *testing.T) {
	t.Parallel()
	require.True(t, isRTCP([]byte{0x80, 200}))
	require.True(t, isRTCP([]byte{0x81, 204}))
	require.False(t, isRTCP([]byte{0x80, 0}), "PCMU")
	require.False(t, isRTCP([]byte{0x80, 0x80 | 101}), "an event with the marker")
	require.False(t, isRTCP([]byte{0x80, 205}), "a feedback type we do not send")
	require.False(t, isRTCP([]byte{200}))
}

// FuzzReadRTCP feeds arbitrary bytes to the RTCP reader, multiplexed and
// not, from the peer and from a stranger: the peer gets nothing but counted
// drops when it misbehaves, the figures stay in range, and nothing panics.
func FuzzReadRTCP(f *testing.F) {
	sr, _ := rtcp.Marshal([]rtcp.Packet{
		&rtcp.SenderReport{SSRC: 7, NTPTime: 1 << 40, RTPTime: 160, PacketCount: 10, OctetCount: 1600,
			Reports: []rtcp.ReceptionReport{{SSRC: 1, FractionLost: 25, TotalLost: 3, LastSequenceNumber: 1000, Jitter: 40, LastSenderReport: 77, Delay: 5}}},
		rtcp.NewCNAMESourceDescription(7, "peer"),
		&rtcp.Goodbye{Sources: []uint32{7}},
	})
	rr, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 7, Reports: []rtcp.ReceptionReport{{SSRC: 1, TotalLost: 0xffffff}}}})
	f.Add(sr, true)
	f.Add(rr, false)
	f.Add(sr[:20], true)                                   // truncated
	f.Add([]byte{0x81, 200, 0xff, 0xff, 0, 0, 0, 7}, true) // a length far past the end
	f.Add([]byte{0x9f, 201, 0, 1, 0, 0, 0, 7}, false)      // 31 blocks announced, none there
	f.Add([]byte{0x80, 204, 0, 0}, true)                   // APP, empty
	f.Add([]byte{}, false)

	peer := netip.MustParseAddrPort("127.0.0.1:4000")
	stranger := netip.MustParseAddrPort("127.0.0.2:4000")
	f.Fuzz(func(t *testing.T, data []byte, fromPeer bool) {
		for _, mux := range []bool{true, false} {
			c, err := Listen(netip.MustParseAddr("127.0.0.1"))
			if err != nil {
				t.Fatal(err)
			}
			s := NewStream(c, StreamConfig{Remote: Description{Addr: peer, Codec: PCMU, Ptime: 20 * time.Millisecond,
				Direction: SendRecv, RTCPMux: mux, RTCP: peer}})
			s.ssrc = 1
			s.tx = sending{start: time.Now(), baseSeq: 900, packets: 200}
			s.rx.packet(7, 1, 0, true, 0)
			s.media.settled = true
			from := stranger
			if fromPeer {
				from = peer
			}
			s.readRTCP(from, data)
			st := s.Stats()
			if got := st.RTCPReceived + st.RTCPMalformed + st.RTCPStranger; got != 1 {
				t.Fatalf("one packet counted %d times: %+v", got, st)
			}
			if !fromPeer && (st.RTCPStranger != 1 || st.Quality.Reported) {
				t.Fatalf("a stranger's RTCP was taken: %+v", st)
			}
			q := st.Quality
			if q.SentLoss < 0 || q.SentLoss > 1 || q.RTT < 0 || q.RTT > time.Minute || q.SentJitter < 0 {
				t.Fatalf("figures out of range: %+v", q)
			}
			s.report(time.Now(), true) // reports stay writable whatever came
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
