package media

import (
	crand "crypto/rand"
	"encoding/base64"
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// RTCP (RFC 3550 §6): what each side tells the other of the audio it gets.
// A stream sends a compound packet — a sender report (SR) while it sends
// audio, a receiver report (RR) otherwise, then an SDES with its CNAME — a
// short while after it starts (calls last 10–20 s: the first report must come
// early), then every report interval — each wait drawn between half and one and
// a half times its length —, and a last one with BYE when it closes.
// Each report carries a reception report block on the peer's stream. From the
// peer's reports it learns how our audio reaches them (loss, jitter) and the
// round trip (LSR and DLSR, RFC 3550 §6.4.1).

// DefaultRTCPInterval is the time between two reports; the first leaves
// after a fifth of it.
const DefaultRTCPInterval = 5 * time.Second

// reportIn is when the next report leaves: d, drawn at random between half
// and one and a half times it (RFC 3550 §6.3.1), so that the reports of calls
// that started together do not all leave in the same instant.
func reportIn(d time.Duration) time.Duration {
	return d/2 + rand.N(d+1)
}

// Quality is what a stream learned of its call's audio, both ways. Our side
// (Received…) is measured on the peer's RTP; their side (Sent…) and the round
// trip come from their reports, when they send any.
type Quality struct {
	// Expected and Lost count the peer's packets: expected from the sequence
	// numbers, lost those that never came (RFC 3550 A.3; duplicates can make
	// it negative). Zero Expected: no RTP came from the peer.
	Expected, Lost int
	// Jitter is the peer's interarrival jitter as we measured it (RFC 3550
	// A.8).
	Jitter time.Duration
	// Reported says a report on our stream came from the peer: SentLoss and
	// SentJitter are theirs.
	Reported bool
	// SentLoss is the share of our packets lost on the way to the peer, from
	// its last report's cumulative count (0–1).
	SentLoss float64
	// SentJitter is our stream's jitter as the peer measured it.
	SentJitter time.Duration
	// RTT is the last round trip measured from the peer's reports; zero if
	// none could be (the peer echoes none of our sender reports).
	RTT time.Duration
}

// ReceivedLoss is the share of the peer's packets that never reached us (0–1),
// or zero if none was expected.
func (q Quality) ReceivedLoss() float64 {
	if q.Expected <= 0 || q.Lost <= 0 {
		return 0
	}
	return min(float64(q.Lost)/float64(q.Expected), 1)
}

// reception follows the peer's RTP stream for the reports: its sequence
// numbers with their wraparound, what was expected and received, and the
// interarrival jitter (RFC 3550 A.1, A.3, A.8). One source at a time: a new
// SSRC (the peer restarted its stream) starts the count again.
type reception struct {
	started  bool
	ssrc     uint32
	baseSeq  uint32 // the first sequence number, extended
	maxSeq   uint16
	cycles   uint32 // sequence number wraparounds, shifted left 16
	received uint32

	expectedPrior, receivedPrior uint32 // at the last report, for the fraction lost

	// transit is the last packet's arrival (in timestamp units) less its
	// timestamp; jitter the running estimate in timestamp units (A.8).
	transit     int64
	haveTransit bool
	jitter      float64

	// The peer's last sender report: its NTP timestamp's middle 32 bits and
	// when it came, for LSR and DLSR.
	lsr   uint32
	lsrAt time.Time
}

// The bounds of A.1: a jump of more than maxDropout ahead, or more than
// maxMisorder behind, is a restart, counted from there.
const (
	maxDropout  = 3000
	maxMisorder = 100
)

// packet counts one RTP packet of the peer's: seq, its timestamp ts, and
// whether it is audio (jitter is measured on audio only: a telephone event's
// packets all carry the timestamp of its start). arrival is when it came,
// in timestamp units on our clock.
func (r *reception) packet(ssrc uint32, seq uint16, ts uint32, audio bool, arrival int64) {
	if !r.started || ssrc != r.ssrc {
		r.restart(ssrc, seq)
	} else {
		delta := seq - r.maxSeq
		switch {
		case delta == 0:
			// A duplicate: counted as received, as A.3 does.
		case delta < maxDropout:
			if seq < r.maxSeq {
				r.cycles += 1 << 16
			}
			r.maxSeq = seq
		case delta <= math.MaxUint16-maxMisorder:
			// A jump too far: the peer restarted its sequence.
			r.restart(ssrc, seq)
		default:
			// Late or out of order: counted, the highest stays.
		}
	}
	r.received++
	if !audio {
		return
	}
	transit := arrival - int64(ts)
	if r.haveTransit {
		d := transit - r.transit
		// Timestamps wrap at 32 bits: a difference that big is a wrap.
		d = int64(int32(d))
		if d < 0 {
			d = -d
		}
		r.jitter += (float64(d) - r.jitter) / 16
	}
	r.transit, r.haveTransit = transit, true
}

// restart counts the peer's stream afresh from seq (a new source, or a
// jump in its sequence); what its sender reports said is kept.
func (r *reception) restart(ssrc uint32, seq uint16) {
	*r = reception{started: true, ssrc: ssrc, baseSeq: uint32(seq), maxSeq: seq, lsr: r.lsr, lsrAt: r.lsrAt}
}

// extendedMax is the highest sequence number received, with its cycles.
func (r *reception) extendedMax() uint32 { return r.cycles + uint32(r.maxSeq) }

func (r *reception) expected() uint32 { return r.extendedMax() - r.baseSeq + 1 }

// lost is expected less received, which duplicates can make negative.
func (r *reception) lost() int64 { return int64(r.expected()) - int64(r.received) }

// block is the reception report on the peer's stream sent at now; it moves
// the interval the fraction lost is counted over.
func (r *reception) block(now time.Time) rtcp.ReceptionReport {
	expected := r.expected()
	expectedInterval := expected - r.expectedPrior
	receivedInterval := r.received - r.receivedPrior
	r.expectedPrior, r.receivedPrior = expected, r.received
	var fraction uint8
	if lost := int64(expectedInterval) - int64(receivedInterval); expectedInterval > 0 && lost > 0 {
		fraction = uint8(min(lost<<8/int64(expectedInterval), 255))
	}
	b := rtcp.ReceptionReport{
		SSRC:               r.ssrc,
		FractionLost:       fraction,
		TotalLost:          uint32(min(max(r.lost(), 0), 0x7fffff)),
		LastSequenceNumber: r.extendedMax(),
		Jitter:             uint32(r.jitter),
	}
	if !r.lsrAt.IsZero() {
		b.LastSenderReport = r.lsr
		b.Delay = uint32(now.Sub(r.lsrAt) * 65536 / time.Second)
	}
	return b
}

// ntp is t as a 64-bit NTP timestamp: seconds since 1900 and a binary fraction.
func ntp(t time.Time) uint64 {
	const unixToNTP = 2208988800
	sec := uint64(t.Unix()) + unixToNTP
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return sec<<32 | frac
}

// middle32 is the middle of an NTP timestamp: the compact form LSR and the
// round trip are reckoned in, in 1/65536 s.
func middle32(n uint64) uint32 { return uint32(n >> 16) }

// roundTrip is the round trip a report block tells, received at now
// (RFC 3550 §6.4.1: arrival less LSR less DLSR); ok is false when the block
// echoes no sender report of ours or the figure cannot be right.
func roundTrip(b rtcp.ReceptionReport, now time.Time) (time.Duration, bool) {
	if b.LastSenderReport == 0 {
		return 0, false
	}
	rtt := int64(int32(middle32(ntp(now)) - b.LastSenderReport - b.Delay))
	if rtt < 0 || rtt > 60<<16 { // a minute: a forged or garbled block
		return 0, false
	}
	return time.Duration(rtt) * time.Second / 65536, true
}

// newCNAME is a stream's canonical name: a random token per call, never a
// number or a name (the SDES goes in the clear to whoever the peer is).
func newCNAME() string {
	var b [12]byte
	_, _ = crand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// isRTCP says whether a packet on a multiplexed port is RTCP: its second
// byte is an RTCP packet type from 200 to 204 (SR, RR, SDES, BYE, APP),
// which RTP payload types cannot be once the marker bit is set aside
// (RFC 5761 §4).
func isRTCP(b []byte) bool {
	return len(b) >= 2 && b[0]>>6 == 2 && b[1] >= 200 && b[1] <= 204
}

// report sends a compound RTCP packet at now: an SR once we have sent audio,
// an RR before, with a block on the peer's stream once it has sent any; our
// CNAME; and BYE when the stream is closing.
func (s *Stream) report(now time.Time, bye bool) {
	s.mu.Lock()
	var blocks []rtcp.ReceptionReport
	if s.rx.started {
		blocks = []rtcp.ReceptionReport{s.rx.block(now)}
	}
	var first rtcp.Packet = &rtcp.ReceiverReport{SSRC: s.ssrc, Reports: blocks}
	if s.tx.packets > 0 {
		first = &rtcp.SenderReport{
			SSRC: s.ssrc, NTPTime: ntp(now), RTPTime: s.tx.ts + uint32(now.Sub(s.tx.start)*SampleRate/time.Second),
			PacketCount: s.tx.packets, OctetCount: s.tx.octets, Reports: blocks,
		}
	}
	conn, to := s.conn, s.media.peer
	if s.rtcpConn != nil {
		conn, to = s.rtcpConn, s.rtcpPeer
	}
	s.mu.Unlock()
	if !to.IsValid() {
		return
	}
	pkts := []rtcp.Packet{first, rtcp.NewCNAMESourceDescription(s.ssrc, s.cname)}
	if bye {
		pkts = append(pkts, &rtcp.Goodbye{Sources: []uint32{s.ssrc}})
	}
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		return
	}
	if _, err := conn.WriteToUDPAddrPort(b, to); err == nil {
		s.mu.Lock()
		s.stats.RTCPSent++
		s.mu.Unlock()
	}
}

// receiveRTCP reads RTCP's own socket, when it is not multiplexed.
func (s *Stream) receiveRTCP() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, from, err := s.rtcpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.readRTCP(unmap(from), buf[:n])
	}
}

// readRTCP takes a compound RTCP packet from src: the peer's counts, anyone
// else's is dropped and counted, and so is one that cannot be read. Nothing a
// peer sends can do more than that.
func (s *Stream) readRTCP(src netip.AddrPort, b []byte) {
	now := time.Now()
	s.mu.Lock()
	maybe := s.rtcpFromPeer(src)
	if !maybe {
		s.stats.RTCPStranger++
	}
	s.mu.Unlock()
	if !maybe {
		return
	}
	pkts, err := rtcp.Unmarshal(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.rtcpAdmit(src, pkts) {
		s.stats.RTCPStranger++
		return
	}
	if err != nil {
		s.stats.RTCPMalformed++
		return
	}
	s.stats.RTCPReceived++
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			s.rx.lsr, s.rx.lsrAt = middle32(p.NTPTime), now
			s.theirBlocks(p.Reports, now)
		case *rtcp.ReceiverReport:
			s.theirBlocks(p.Reports, now)
		}
	}
}

// rtcpFromPeer says, with s.mu held, whether RTCP from src may be the
// peer's: from the media peer when multiplexed; from the peer's RTCP address,
// or another port of the media peer's address (see rtcpAdmit), when not.
func (s *Stream) rtcpFromPeer(src netip.AddrPort) bool {
	if s.rtcpConn == nil {
		return src == s.media.peer
	}
	return src == s.rtcpPeer || !s.rtcpHeard && src.Addr() == s.media.peer.Addr()
}

// rtcpAdmit decides, with s.mu held, whether RTCP from src is the peer's.
// Multiplexed, it is when it comes from the media peer (described or
// latched). On its own port, it is when it comes from the peer's RTCP
// address; or, behind NAT, before any came from there, from another port of
// the media peer's address when it speaks for the very stream we receive
// (its sender's SSRC): the stream then latches onto that source, as it does
// for RTP.
func (s *Stream) rtcpAdmit(src netip.AddrPort, pkts []rtcp.Packet) bool {
	if s.rtcpConn == nil {
		return src == s.media.peer
	}
	if src == s.rtcpPeer {
		s.rtcpHeard = true
		return true
	}
	if s.rtcpHeard || !s.media.settled || src.Addr() != s.media.peer.Addr() || !s.rx.started || len(pkts) == 0 {
		return false
	}
	var sender uint32
	switch p := pkts[0].(type) {
	case *rtcp.SenderReport:
		sender = p.SSRC
	case *rtcp.ReceiverReport:
		sender = p.SSRC
	default:
		return false
	}
	if sender != s.rx.ssrc {
		return false
	}
	s.rtcpPeer, s.rtcpHeard = src, true
	return true
}

// theirBlocks reads, with s.mu held, the peer's report on our stream among
// blocks: how much of it was lost, its jitter, and the round trip.
func (s *Stream) theirBlocks(blocks []rtcp.ReceptionReport, now time.Time) {
	for _, b := range blocks {
		if b.SSRC != s.ssrc {
			continue
		}
		q := &s.stats.Quality
		q.Reported = true
		q.SentJitter = time.Duration(b.Jitter) * time.Second / SampleRate
		q.SentLoss = float64(b.FractionLost) / 256
		// The cumulative count over what they expected, from our first
		// sequence number to the highest they saw; a negative count
		// (duplicates) is none lost.
		expected := int64(b.LastSequenceNumber) - int64(s.tx.baseSeq) + 1
		if s.tx.packets > 0 && expected > 0 && expected <= int64(s.tx.packets)+maxDropout {
			lost := int64(b.TotalLost)
			if lost >= 0x800000 {
				lost = 0
			}
			q.SentLoss = min(float64(lost)/float64(expected), 1)
		}
		if rtt, ok := roundTrip(b, now); ok {
			q.RTT = rtt
		}
	}
}
