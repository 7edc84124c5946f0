package media_test

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/internal/media"
)

// link is one hop of a relay between two streams a and b: what a sends to
// toB reaches b from toA's port, what b sends to toA reaches a from toB's
// port, so each stream hears its peer at the address its description names.
// Each direction may drop or delay packets.
type link struct {
	toB, toA *net.UDPConn // the ports a and b send to
	a, b     netip.AddrPort
	ab, ba   hop
	wg       sync.WaitGroup
}

// hop is what happens to one direction's packets: drop the RTP packets
// whose number (from 1) it says, and delay each packet by delay(n).
type hop struct {
	drop  func(n int) bool
	delay func(n int) time.Duration
}

func newLink(t *testing.T, ab, ba hop) *link {
	t.Helper()
	l := &link{ab: ab, ba: ba}
	for _, c := range []**net.UDPConn{&l.toB, &l.toA} {
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
		require.NoError(t, err)
		*c = conn
	}
	t.Cleanup(func() { l.toB.Close(); l.toA.Close(); l.wg.Wait() })
	return l
}

// connect sets where each side receives and starts relaying.
func (l *link) connect(a, b netip.AddrPort) {
	l.a, l.b = a, b
	l.wg.Add(2)
	go l.forward(l.toB, l.toA, b, l.ab)
	go l.forward(l.toA, l.toB, a, l.ba)
}

func addrOf(c *net.UDPConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

func (l *link) forward(in, out *net.UDPConn, to netip.AddrPort, h hop) {
	defer l.wg.Done()
	buf := make([]byte, 1500)
	n := 0
	for {
		m, _, err := in.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		pkt := append([]byte(nil), buf[:m]...)
		if !isRTCP(pkt) {
			n++
			if h.drop != nil && h.drop(n) {
				continue
			}
		}
		var d time.Duration
		if h.delay != nil {
			d = h.delay(n)
		}
		if d <= 0 {
			_, _ = out.WriteToUDPAddrPort(pkt, to)
			continue
		}
		time.AfterFunc(d, func() { _, _ = out.WriteToUDPAddrPort(pkt, to) })
	}
}

func isRTCP(b []byte) bool { return len(b) > 1 && b[1] >= 200 && b[1] <= 204 }

// pair is two streams talking through relays: one for RTP (and RTCP when
// multiplexed), one for RTCP otherwise.
type pair struct{ a, b *media.Stream }

const testInterval = 250 * time.Millisecond

func newPair(t *testing.T, mux bool, ab, ba hop) pair {
	t.Helper()
	ip := netip.MustParseAddr("127.0.0.1")
	media1 := newLink(t, ab, ba)
	var ctl *link
	if !mux {
		ctl = newLink(t, hop{delay: ab.delay}, hop{delay: ba.delay})
	}
	describe := func(to *net.UDPConn, rtcpTo func() *net.UDPConn) media.Description {
		d := media.Description{Addr: addrOf(to), Codec: media.PCMU, Events: true, EventType: media.EventPayloadType,
			Ptime: 20 * time.Millisecond, Direction: media.SendRecv, RTCPMux: mux}
		if !mux {
			d.RTCP = addrOf(rtcpTo())
		}
		return d
	}
	ca, err := media.Listen(ip)
	require.NoError(t, err)
	listen := media.Listen
	if mux {
		listen = media.ListenMux // the answerer that accepts needs no RTCP socket
	}
	cb, err := listen(ip)
	require.NoError(t, err)
	if _, rtcpPort := cb.Ports(); mux {
		require.Zero(t, rtcpPort)
	}
	a := media.NewStream(ca, media.StreamConfig{Remote: describe(media1.toB, func() *net.UDPConn { return ctl.toB }), RTCPInterval: testInterval})
	b := media.NewStream(cb, media.StreamConfig{Remote: describe(media1.toA, func() *net.UDPConn { return ctl.toA }), RTCPInterval: testInterval})
	media1.connect(a.LocalAddr(), b.LocalAddr())
	if !mux {
		require.NotEqual(t, a.LocalAddr(), a.LocalRTCPAddr())
		ctl.connect(a.LocalRTCPAddr(), b.LocalRTCPAddr())
	} else {
		require.Equal(t, a.LocalAddr(), a.LocalRTCPAddr())
	}
	a.Start()
	b.Start()
	t.Cleanup(func() { require.NoError(t, a.Close()); require.NoError(t, b.Close()) })
	return pair{a, b}
}

// until waits for cond on s's stats, failing after a deadline with what it saw.
func until(t *testing.T, s *media.Stream, what string, cond func(media.StreamStats) bool) media.StreamStats {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := s.Stats()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: never came; last stats %+v", what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Dropping every 10th packet one way and every 20th the other, each side
// measures what it lost of the other's, and learns from the other's
// reports what the other lost of its own: the same figures, seen from both
// ends.
func TestRTCPMeasuresLossBothWays(t *testing.T) {
	t.Parallel()
	p := newPair(t, true,
		hop{drop: func(n int) bool { return n%10 == 0 }},
		hop{drop: func(n int) bool { return n%20 == 0 }})
	b := until(t, p.b, "200 packets at b", func(st media.StreamStats) bool { return st.Quality.Expected >= 200 })
	require.InDelta(t, 0.10, b.Quality.ReceivedLoss(), 0.01, "b lost a tenth of a's: %+v", b.Quality)
	a := until(t, p.a, "200 packets at a", func(st media.StreamStats) bool { return st.Quality.Expected >= 200 })
	require.InDelta(t, 0.05, a.Quality.ReceivedLoss(), 0.01, "a lost a twentieth of b's: %+v", a.Quality)

	// Their reports say the same of our streams, a report later.
	a = until(t, p.a, "b's report on 200 packets", func(st media.StreamStats) bool {
		return st.Quality.Reported && st.RTCPReceived >= 8
	})
	b = p.b.Stats()
	t.Logf("a: %+v\nb: %+v", a.Quality, b.Quality)
	require.InDelta(t, 0.10, a.Quality.SentLoss, 0.02, "b's reports on a's stream: %+v", a.Quality)
	require.InDelta(t, 0.05, b.Quality.SentLoss, 0.02, "a's reports on b's stream: %+v", b.Quality)
	require.Zero(t, a.RTCPStranger+a.RTCPMalformed)
	require.Zero(t, a.ReceivedUnknown, "multiplexed RTCP is not taken for RTP")
}

// Delaying packets irregularly one way shows as jitter at the receiver, and
// in its reports to the sender.
func TestRTCPMeasuresJitter(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	var mu sync.Mutex
	p := newPair(t, true, hop{delay: func(int) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return time.Duration(rng.IntN(30)) * time.Millisecond
	}}, hop{})
	b := until(t, p.b, "100 packets at b", func(st media.StreamStats) bool { return st.Quality.Expected >= 100 })
	require.Greater(t, b.Quality.Jitter, 3*time.Millisecond, "uniform 0–30 ms delays give about 10 ms: %+v", b.Quality)
	a := until(t, p.a, "b's report with jitter", func(st media.StreamStats) bool { return st.Quality.SentJitter > 3*time.Millisecond })
	t.Logf("jitter measured at b: %s; reported to a: %s", b.Quality.Jitter, a.Quality.SentJitter)
}

// With 30 ms each way, the round trip from LSR and DLSR is about 60 ms —
// over RTCP's own ports as well as multiplexed.
func TestRTCPMeasuresRoundTrip(t *testing.T) {
	t.Parallel()
	bothWays(t, func(t *testing.T, mux bool) {
		d := func(int) time.Duration { return 30 * time.Millisecond }
		p := newPair(t, mux, hop{delay: d}, hop{delay: d})
		a := until(t, p.a, "a round trip at a", func(st media.StreamStats) bool { return st.Quality.RTT > 0 })
		b := until(t, p.b, "a round trip at b", func(st media.StreamStats) bool { return st.Quality.RTT > 0 })
		t.Logf("round trip: a %s, b %s", a.Quality.RTT, b.Quality.RTT)
		for _, st := range []media.StreamStats{a, b} {
			require.GreaterOrEqual(t, st.Quality.RTT, 59*time.Millisecond, "%+v", st.Quality)
			// About 60 ms on an idle machine (logged); the bound leaves room
			// for a loaded one. That DLSR is taken off is TestRoundTrip's.
			require.Less(t, st.Quality.RTT, 500*time.Millisecond, "%+v", st.Quality)
			require.Positive(t, st.RTCPReceived)
			require.Zero(t, st.RTCPStranger+st.RTCPMalformed)
			require.Zero(t, st.ReceivedUnknown)
		}
	})
}

// ssrcOf reads, from what a stream sends to c, the stream's SSRC.
func ssrcOf(t *testing.T, c *net.UDPConn) uint32 {
	t.Helper()
	buf := make([]byte, 1500)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	for {
		n, _, err := c.ReadFromUDPAddrPort(buf)
		require.NoError(t, err)
		var p rtp.Packet
		if !isRTCP(buf[:n]) && p.Unmarshal(buf[:n]) == nil {
			return p.SSRC
		}
	}
}

// A stranger's RTCP — even one that names our stream and says it is all
// lost — is dropped and counted; the peer's, the same bytes, is taken.
func TestRTCPFromAStrangerIsIgnored(t *testing.T) {
	t.Parallel()
	bothWays(t, func(t *testing.T, mux bool) {
		peer, peerRTCP, stranger := newPhone(t), newPhone(t), newPhone(t)
		c, err := media.Listen(netip.MustParseAddr("127.0.0.1"))
		require.NoError(t, err)
		s := media.NewStream(c, media.StreamConfig{Remote: media.Description{
			Addr: peer.addr(), Codec: media.PCMU, Ptime: 20 * time.Millisecond, Direction: media.SendRecv,
			RTCPMux: mux, RTCP: peerRTCP.addr(),
		}, RTCPInterval: time.Hour})
		s.Start()
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		peer.audio(t, s.LocalAddr(), 3) // the peer is heard (SSRC 7)
		ours := ssrcOf(t, peer.conn)

		bad, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 99, Reports: []rtcp.ReceptionReport{
			{SSRC: ours, FractionLost: 255, TotalLost: 100000, LastSequenceNumber: 1 << 20, Jitter: 80000},
		}}})
		require.NoError(t, err)
		to := s.LocalRTCPAddr()
		for range 3 {
			_, err = stranger.conn.WriteToUDPAddrPort(bad, to)
			require.NoError(t, err)
		}
		st := until(t, s, "the stranger's RTCP counted", func(st media.StreamStats) bool { return st.RTCPStranger == 3 })
		require.False(t, st.Quality.Reported, "a stranger's report: %+v", st.Quality)
		require.Zero(t, st.RTCPReceived)

		good, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 7, Reports: []rtcp.ReceptionReport{
			{SSRC: ours, FractionLost: 64, Jitter: 80},
		}}})
		require.NoError(t, err)
		from := peerRTCP
		if mux {
			from = peer
		}
		_, err = from.conn.WriteToUDPAddrPort(good, to)
		require.NoError(t, err)
		st = until(t, s, "the peer's RTCP taken", func(st media.StreamStats) bool { return st.Quality.Reported })
		require.Equal(t, 1, st.RTCPReceived)
		require.Equal(t, 10*time.Millisecond, st.Quality.SentJitter, "80 timestamp units at 8 kHz")
		require.Equal(t, 3, st.RTCPStranger)
	})
}

// Our reports carry a random CNAME, an SR once audio was sent, and BYE at
// the end.
func TestRTCPReportsCarryCNAMEAndBye(t *testing.T) {
	t.Parallel()
	peer := newPhone(t)
	c, err := media.Listen(netip.MustParseAddr("127.0.0.1"))
	require.NoError(t, err)
	s := media.NewStream(c, media.StreamConfig{Remote: media.Description{
		Addr: peer.addr(), Codec: media.PCMU, Ptime: 20 * time.Millisecond, Direction: media.SendRecv, RTCPMux: true,
	}, RTCPInterval: 500 * time.Millisecond})
	s.Start()
	peer.audio(t, s.LocalAddr(), 5)

	var reports []rtcp.CompoundPacket
	buf := make([]byte, 1500)
	deadline := time.Now().Add(5 * time.Second)
	closed := false
	for !closed || len(reports) < 2 {
		if len(reports) == 1 && !closed {
			require.NoError(t, s.Close())
			closed = true
		}
		require.NoError(t, peer.conn.SetReadDeadline(deadline))
		n, _, err := peer.conn.ReadFromUDPAddrPort(buf)
		require.NoError(t, err, "reports so far: %d", len(reports))
		if !isRTCP(buf[:n]) {
			continue
		}
		var cp rtcp.CompoundPacket
		require.NoError(t, cp.Unmarshal(buf[:n]))
		require.NoError(t, cp.Validate(), "a valid compound packet")
		reports = append(reports, cp)
	}
	first, last := reports[0], reports[len(reports)-1]
	sr, ok := first[0].(*rtcp.SenderReport)
	require.True(t, ok, "audio was sent: a sender report, got %T", first[0])
	require.Positive(t, sr.PacketCount)
	require.Len(t, sr.Reports, 1, "a block on the peer's stream")
	require.Equal(t, uint32(7), sr.Reports[0].SSRC)
	cname, err := first.CNAME()
	require.NoError(t, err)
	require.Len(t, cname, 16, "a random token")
	require.NotContains(t, cname, "127.0.0.1")
	_, bye := last[len(last)-1].(*rtcp.Goodbye)
	require.True(t, bye, "the last report says goodbye: %v", last)
}

// Behind NAT, RTCP on its own port comes from where the NAT put it, not from
// the answer's a=rtcp: taken from the media peer's address when it speaks for
// the stream we receive, and our reports follow it there.
func TestRTCPLatchesBehindNAT(t *testing.T) {
	t.Parallel()
	peer, described, natted := newPhone(t), newPhone(t), newPhone(t)
	c, err := media.Listen(netip.MustParseAddr("127.0.0.1"))
	require.NoError(t, err)
	s := media.NewStream(c, media.StreamConfig{Remote: media.Description{
		Addr: peer.addr(), Codec: media.PCMU, Ptime: 20 * time.Millisecond, Direction: media.SendRecv, RTCP: described.addr(),
	}, RTCPInterval: 200 * time.Millisecond})
	s.Start()
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	peer.audio(t, s.LocalAddr(), 3) // SSRC 7
	ours := ssrcOf(t, peer.conn)

	rr := func(sender uint32) []byte {
		b, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: sender, Reports: []rtcp.ReceptionReport{{SSRC: ours, Jitter: 16}}}})
		require.NoError(t, err)
		return b
	}
	_, err = natted.conn.WriteToUDPAddrPort(rr(99), s.LocalRTCPAddr())
	require.NoError(t, err)
	until(t, s, "another source's RTCP dropped", func(st media.StreamStats) bool { return st.RTCPStranger == 1 })

	_, err = natted.conn.WriteToUDPAddrPort(rr(7), s.LocalRTCPAddr())
	require.NoError(t, err)
	st := until(t, s, "the peer's RTCP from the NAT's port", func(st media.StreamStats) bool { return st.Quality.Reported })
	require.Equal(t, 2*time.Millisecond, st.Quality.SentJitter)

	// Our reports now go to the NAT's port.
	buf := make([]byte, 1500)
	require.NoError(t, natted.conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, _, err := natted.conn.ReadFromUDPAddrPort(buf)
	require.NoError(t, err, "a report reaches the NAT's port")
	require.True(t, isRTCP(buf[:n]))
}

// A re-INVITE or UPDATE that moves the media moves RTCP with it: to the new
// media address when multiplexed, to the new a=rtcp on its own port; and a
// hold stops the audio, not the reports.
func TestRTCPFollowsAnUpdate(t *testing.T) {
	t.Parallel()
	bothWays(t, func(t *testing.T, mux bool) {
		old, oldRTCP, moved, movedRTCP := newPhone(t), newPhone(t), newPhone(t), newPhone(t)
		c, err := media.Listen(netip.MustParseAddr("127.0.0.1"))
		require.NoError(t, err)
		desc := media.Description{
			Addr: old.addr(), Codec: media.PCMU, Ptime: 20 * time.Millisecond, Direction: media.SendRecv,
			RTCPMux: mux, RTCP: oldRTCP.addr(),
		}
		s := media.NewStream(c, media.StreamConfig{Remote: desc, RTCPInterval: 200 * time.Millisecond})
		s.Start()
		t.Cleanup(func() { require.NoError(t, s.Close()) })

		// Moved, and on hold: the peer sends only.
		desc.Addr, desc.RTCP, desc.Direction = moved.addr(), movedRTCP.addr(), media.SendOnly
		desc.RTCPMux = !mux // an update cannot change how RTCP goes
		s.Update(desc)
		require.Equal(t, mux, s.Remote().RTCPMux)
		sentBefore := s.Stats().Sent

		to := movedRTCP
		if mux {
			to = moved
		}
		buf := make([]byte, 1500)
		require.NoError(t, to.conn.SetReadDeadline(time.Now().Add(5*time.Second)))
		for {
			n, _, err := to.conn.ReadFromUDPAddrPort(buf)
			require.NoError(t, err, "a report reaches the moved peer's RTCP address")
			if isRTCP(buf[:n]) {
				break
			}
			require.Fail(t, "audio sent to the moved peer on hold")
		}
		require.LessOrEqual(t, s.Stats().Sent-sentBefore, 1, "no audio on hold (one may have been on its way)")
	})
}

// bothWays runs test with RTCP multiplexed on the RTP port and on its own,
// each a parallel subtest.
func bothWays(t *testing.T, test func(t *testing.T, mux bool)) {
	for _, mux := range []bool{true, false} {
		name := "two sockets"
		if mux {
			name = "rtcp-mux"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, mux)
		})
	}
}
