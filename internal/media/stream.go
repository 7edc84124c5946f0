package media

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"
)

// SampleRate is G.711's and telephone-event's clock: 8,000 samples a second.
const SampleRate = 8000

// Sound is audio ready to send, encoded once in both G.711 laws so that every call
// playing it shares the same bytes.
type Sound struct {
	pcmu, pcma []byte
}

// NewSound encodes 8 kHz linear PCM.
func NewSound(pcm []int16) *Sound {
	lin := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(lin[2*i:], uint16(v))
	}
	return &Sound{pcmu: g711.EncodeUlaw(lin), pcma: g711.EncodeAlaw(lin)}
}

// Duration is how long the sound plays.
func (s *Sound) Duration() time.Duration {
	return time.Duration(len(s.pcmu)) * time.Second / SampleRate
}

func (s *Sound) encoded(c Codec) []byte {
	if c.Name == PCMA.Name {
		return s.pcma
	}
	return s.pcmu
}

// silence returns the encoding of linear zero in c's law.
func silence(c Codec) byte {
	if c.Name == PCMA.Name {
		return g711.EncodeAlawFrame(0)
	}
	return g711.EncodeUlawFrame(0)
}

// StreamConfig says how a Stream behaves.
type StreamConfig struct {
	// Remote is the peer's description: where to send, codec, event type, ptime,
	// and whether it sends or receives at all.
	Remote Description
	// DetectKeys turns on key detection: RFC 4733 events when Remote.Events, in-band
	// tones (Goertzel on the decoded audio) otherwise.
	DetectKeys bool
	// Lateness, if set, is told how late each packet left against its due time.
	Lateness func(time.Duration)
	// SuppressSilence sends nothing while there is nothing to play, as phones with
	// voice activity detection do; timestamps keep counting and the next talkspurt
	// starts with the marker bit.
	SuppressSilence bool
	// RTCPInterval is the time between two RTCP reports (default
	// DefaultRTCPInterval); the first leaves after a fifth of it.
	RTCPInterval time.Duration
}

// Stream is one call's RTP audio over one UDP socket (sent from the port it receives
// on, as symmetric RTP expects), and its RTCP on the same socket when the peer
// multiplexes it or on a second one (see rtcp.go). Its peer is the description's
// address until media comes from elsewhere (see latch). While the peer receives, it sends a packet every
// ptime from the moment Start is called until Close: what Play gives it, silence
// otherwise. Send times follow a fixed schedule from the start, so the pace never
// drifts however late one wake-up is; timestamps advance by one packet's samples
// each time, and only the first packet carries the marker bit.
type Stream struct {
	conn     *net.UDPConn
	rtcpConn *net.UDPConn // RTCP's own socket; nil when multiplexed on conn
	cfg      StreamConfig
	keys     chan byte
	epoch    time.Time // arrival times for jitter count from here
	ssrc     uint32
	cname    string
	interval time.Duration

	mu      sync.Mutex
	playing []byte        // what is left of the current sound
	done    chan struct{} // closed when the current sound ends or is replaced
	events  []EventPacket // key presses waiting to go out, one per tick
	stats   StreamStats
	media   latch
	rx      reception // the peer's RTP, for our reports
	tx      sending   // ours, for our sender reports
	// rtcpPeer is where our RTCP goes and whose RTCP counts when it is not
	// multiplexed; rtcpHeard says RTCP came from there.
	rtcpPeer  netip.AddrPort
	rtcpHeard bool

	stop     chan struct{}
	sendDone chan struct{} // closed when send returns
	started  bool
	wg       sync.WaitGroup
	once     sync.Once
}

// sending is what our sender reports say of our stream.
type sending struct {
	start   time.Time // when the first packet was due
	ts      uint32    // its timestamp
	baseSeq uint16    // its sequence number
	packets uint32
	octets  uint32
}

// StreamStats counts what a stream saw.
type StreamStats struct {
	Sent, Received   int
	ReceivedAudio    int // packets of the negotiated codec
	ReceivedEvents   int // telephone-event packets
	ReceivedUnknown  int // other payload types or unparsable packets
	ReceivedStranger int // packets from an address other than the peer's
	// LatchedTo is the source the stream latched onto, its media having come
	// from there rather than from the description's address; zero if none.
	LatchedTo netip.AddrPort
	// RTCP compound packets sent and taken from the peer; RTCPStranger
	// counts those dropped for coming from elsewhere, RTCPMalformed the
	// peer's that could not be read.
	RTCPSent, RTCPReceived      int
	RTCPStranger, RTCPMalformed int
	// Quality is what the stream learned of the audio both ways.
	Quality Quality
}

// Symmetric RTP ("comedia", RFC 4961). Behind NAT or an SBC, a peer's media
// often comes from an address other than the one its SDP names — a private
// address, a port its NAT rewrote — and our packets must go back there to
// reach it. Until a packet has come from the description's address, a source
// that sends latchRun packets in a row (consecutive sequence numbers) of a
// negotiated payload type becomes the peer, for receiving and for sending.
// Once the peer is heard, or a source latched, it is kept for the call: a
// stranger's packets later can neither speak for the person nor take the
// audio away.
const latchRun = 2

// latch is a stream's peer and the source it may latch onto.
type latch struct {
	peer      netip.AddrPort // where we send, whose packets we take
	settled   bool           // the peer was heard or latched: no latching now
	candidate netip.AddrPort // another source sending negotiated media
	next      uint16         // the sequence number expected next from it
	run       int            // its packets in a row so far
}

// admit reports whether a packet from src, with sequence number seq and a
// negotiated payload type when negotiated, is the peer's; it latches onto
// src when src has sent latchRun such packets in a row before the peer
// was heard.
func (l *latch) admit(src netip.AddrPort, seq uint16, negotiated bool) (ok, latched bool) {
	if src == l.peer {
		l.settled = true
		return true, false
	}
	if l.settled || !negotiated {
		return false, false
	}
	if src != l.candidate || seq != l.next {
		l.candidate, l.run = src, 0
	}
	l.run++
	l.next = seq + 1
	if l.run < latchRun {
		return false, false
	}
	l.peer, l.settled = src, true
	return true, true
}

// Conn is a stream's sockets, open before the offer or answer names them: RTP,
// and RTCP's own in case the peer does not multiplex RTCP with RTP.
type Conn struct {
	rtp, rtcp *net.UDPConn
}

// Listen opens the UDP sockets a stream will use, on ip with ports the system
// picks (RTCP's the next one up when it is free, as peers that ignore a=rtcp
// expect), so the local address can go into the SDP before the peer's
// description is known.
func Listen(ip netip.Addr) (*Conn, error) {
	for tries := 0; ; tries++ {
		rtp, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			return nil, err
		}
		port := 0
		if p := rtp.LocalAddr().(*net.UDPAddr).Port; tries < 4 && p < 65535 {
			port = p + 1
		}
		if tries >= 4 {
			port = 0 // any port will do: a=rtcp names it
		}
		rtcp, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err == nil {
			return &Conn{rtp: rtp, rtcp: rtcp}, nil
		}
		rtp.Close()
		if port == 0 {
			return nil, err
		}
	}
}

// ListenMux opens the RTP socket alone, for an answer that accepts the
// offer's rtcp-mux: RTCP will share it, and a second socket would be opened
// only to be closed.
func ListenMux(ip netip.Addr) (*Conn, error) {
	rtp, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		return nil, err
	}
	return &Conn{rtp: rtp}, nil
}

// Ports are where the sockets receive: RTP and, unmultiplexed, RTCP (0 from
// ListenMux).
func (c *Conn) Ports() (rtp, rtcp uint16) {
	rtp = c.rtp.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	if c.rtcp != nil {
		rtcp = c.rtcp.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	}
	return rtp, rtcp
}

// Close closes the sockets (a stream closes them itself).
func (c *Conn) Close() error {
	if c.rtcp == nil {
		return c.rtp.Close()
	}
	return errors.Join(c.rtp.Close(), c.rtcp.Close())
}

// NewStream wraps conn (from Listen or ListenMux); it owns conn from now on,
// even on error. RTCP shares the RTP socket when cfg.Remote multiplexes it
// (its own socket, if any, is closed) or conn has no RTCP socket.
func NewStream(conn *Conn, cfg StreamConfig) *Stream {
	peer := unmapped(cfg.Remote.Addr)
	s := &Stream{
		conn: conn.rtp, cfg: cfg, keys: make(chan byte, 16), stop: make(chan struct{}), sendDone: make(chan struct{}),
		media: latch{peer: peer}, epoch: time.Now(), ssrc: rand.Uint32(), cname: newCNAME(), interval: cfg.RTCPInterval,
	}
	if s.interval <= 0 {
		s.interval = DefaultRTCPInterval
	}
	if cfg.Remote.RTCPMux || conn.rtcp == nil {
		if conn.rtcp != nil {
			conn.rtcp.Close()
		}
	} else {
		s.rtcpConn = conn.rtcp
		s.rtcpPeer = unmapped(cfg.Remote.RTCP)
		if !s.rtcpPeer.IsValid() && peer.Port() < 65535 {
			s.rtcpPeer = netip.AddrPortFrom(peer.Addr(), peer.Port()+1)
		}
	}
	return s
}

func unmapped(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }

// LocalAddr is where the stream receives.
func (s *Stream) LocalAddr() netip.AddrPort {
	return s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// LocalRTCPAddr is where the stream receives RTCP: LocalAddr when multiplexed.
func (s *Stream) LocalRTCPAddr() netip.AddrPort {
	if s.rtcpConn == nil {
		return s.LocalAddr()
	}
	return s.rtcpConn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Start begins sending and receiving.
func (s *Stream) Start() {
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
	s.wg.Add(2)
	go s.send()
	go s.receive()
	if s.rtcpConn != nil {
		s.wg.Add(1)
		go s.receiveRTCP()
	}
}

// Keys delivers detected key presses, each once.
func (s *Stream) Keys() <-chan byte { return s.keys }

// Play replaces what the stream plays with sound; the channel it returns closes when
// sound has been sent in full, replaced, stopped, or the stream closed.
func (s *Stream) Play(sound *Sound) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endPlayback()
	done := make(chan struct{})
	s.done = done
	s.playing = sound.encoded(s.cfg.Remote.Codec)
	if !s.cfg.Remote.Receives() {
		s.endPlayback() // nobody listens: the sound is over at once
	}
	return done
}

// StopPlaying cuts the current sound short (a key was pressed during a prompt).
func (s *Stream) StopPlaying() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endPlayback()
}

func (s *Stream) endPlayback() {
	s.playing = nil
	if s.done != nil {
		close(s.done)
		s.done = nil
	}
}

// SendKey queues an RFC 4733 key press of duration d; it reports false if the peer
// takes no telephone events or key is not a DTMF key.
func (s *Stream) SendKey(key byte, d time.Duration) bool {
	if !s.cfg.Remote.Events {
		return false
	}
	pkts, ok := EventPackets(key, d, 10)
	if !ok {
		return false
	}
	s.mu.Lock()
	s.events = append(s.events, pkts...)
	s.mu.Unlock()
	return true
}

// Stats returns what the stream has counted so far.
func (s *Stream) Stats() StreamStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	if s.rx.started {
		st.Quality.Expected, st.Quality.Lost = int(s.rx.expected()), int(s.rx.lost())
		st.Quality.Jitter = time.Duration(s.rx.jitter * float64(time.Second) / SampleRate)
	}
	return st
}

// Close stops the stream — its last RTCP report says goodbye —, closes its
// sockets and waits for its goroutines.
func (s *Stream) Close() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		s.mu.Lock()
		started := s.started
		s.mu.Unlock()
		if started {
			<-s.sendDone
			s.report(time.Now(), true)
		}
		err = s.conn.Close()
		if s.rtcpConn != nil {
			err = errors.Join(err, s.rtcpConn.Close())
		}
		s.wg.Wait()
		s.mu.Lock()
		s.endPlayback()
		s.mu.Unlock()
	})
	return err
}

// maxCatchUp is how far behind schedule the sender may fall before it skips ahead
// instead of bursting the missed packets.
const maxCatchUp = 200 * time.Millisecond

func (s *Stream) send() {
	defer s.wg.Done()
	defer close(s.sendDone)
	remote := s.cfg.Remote
	if !remote.Receives() {
		s.reportOnly()
		return
	}
	ptime := remote.Ptime
	samples := uint32(ptime * SampleRate / time.Second)
	quiet := silence(remote.Codec)
	frame := make([]byte, samples)
	buf := make([]byte, 12+len(frame))
	pkt := rtp.Packet{Header: rtp.Header{
		Version:        2,
		Marker:         true,
		SequenceNumber: uint16(rand.Uint32()),
		Timestamp:      rand.Uint32(),
		SSRC:           s.ssrc,
	}}
	var eventTS uint32

	timer := time.NewTimer(0)
	defer timer.Stop()
	start := time.Now()
	s.mu.Lock()
	s.tx = sending{start: start, ts: pkt.Timestamp, baseSeq: pkt.SequenceNumber}
	s.mu.Unlock()
	nextReport := start.Add(reportIn(s.interval / 5))
	for n := time.Duration(0); ; n++ {
		due := start.Add(n * ptime)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-s.stop:
				return
			case <-timer.C:
			}
		} else if -wait > maxCatchUp {
			skip := -wait / ptime
			n += skip
			pkt.Timestamp += uint32(skip) * samples
			due = due.Add(skip * ptime)
		}
		select {
		case <-s.stop:
			return
		default:
		}
		if !due.Before(nextReport) {
			s.report(time.Now(), false)
			nextReport = due.Add(reportIn(s.interval))
		}

		s.mu.Lock()
		out, ok := s.next(&pkt, frame, &eventTS, quiet)
		to := s.media.peer
		s.mu.Unlock()
		if !ok {
			pkt.Timestamp += samples
			pkt.Marker = true // whatever comes next starts a talkspurt
			continue
		}
		m, err := out.MarshalTo(buf)
		if err == nil {
			_, err = s.conn.WriteToUDPAddrPort(buf[:m], to)
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if s.cfg.Lateness != nil {
			s.cfg.Lateness(time.Since(due))
		}
		pkt.SequenceNumber++
		pkt.Timestamp += samples
		pkt.Marker = false
	}
}

// next decides, with s.mu held, what this tick sends: the next key event
// (the press's first packet marks its start, eventTS), else the next frame of
// the sound playing, silence after its end; ok is false when silence is
// suppressed and there is nothing to play. pkt is the stream's running
// header; frame holds the audio sent.
func (s *Stream) next(pkt *rtp.Packet, frame []byte, eventTS *uint32, quiet byte) (out rtp.Packet, ok bool) {
	remote := s.cfg.Remote
	switch {
	case len(s.events) > 0:
		ev := s.events[0]
		s.events = s.events[1:]
		if ev.Marker { // a new press: its timestamp is the moment it starts
			*eventTS = pkt.Timestamp
		}
		pkt.PayloadType = remote.EventType
		hdr := pkt.Header
		hdr.Timestamp, hdr.Marker = *eventTS, ev.Marker
		s.stats.Sent++
		s.tx.packets++
		s.tx.octets += 4
		return rtp.Packet{Header: hdr, Payload: ev.Event.Marshal()}, true
	case s.cfg.SuppressSilence && len(s.playing) == 0:
		return rtp.Packet{}, false
	}
	k := copy(frame, s.playing)
	s.playing = s.playing[k:]
	if s.done != nil && len(s.playing) == 0 {
		s.endPlayback()
	}
	for i := k; i < len(frame); i++ {
		frame[i] = quiet
	}
	s.stats.Sent++
	s.tx.packets++
	s.tx.octets += uint32(len(frame))
	pkt.PayloadType = remote.Codec.PayloadType
	pkt.Payload = frame
	return *pkt, true
}

func (s *Stream) receive() {
	defer s.wg.Done()
	remote := s.cfg.Remote
	var events EventDetector
	var tones *ToneDetector
	if s.cfg.DetectKeys && !remote.Events {
		tones = NewToneDetector()
	}
	buf := make([]byte, 1500)
	var pcm []int16
	var pkt rtp.Packet
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // ICMP unreachable and the like: the peer may still come
		}
		from = unmapped(from)
		if s.rtcpConn == nil && isRTCP(buf[:n]) {
			s.readRTCP(from, buf[:n])
			continue
		}
		parsed := pkt.Unmarshal(buf[:n]) == nil
		negotiated := parsed && (pkt.PayloadType == remote.Codec.PayloadType || remote.Events && s.isEvent(pkt.PayloadType))
		if !s.admit(from, pkt.SequenceNumber, negotiated) {
			continue
		}
		if !parsed {
			s.count(func(st *StreamStats) { st.ReceivedUnknown++ })
			continue
		}
		switch {
		case remote.Events && s.isEvent(pkt.PayloadType):
			s.heard(&pkt, false)
			if key, ok := events.Packet(&pkt); ok && s.cfg.DetectKeys {
				s.deliver(key)
			}
		case pkt.PayloadType == remote.Codec.PayloadType:
			s.heard(&pkt, true)
			if tones == nil {
				continue
			}
			pcm = decode(pcm[:0], remote.Codec, pkt.Payload)
			for _, key := range tones.Write(pcm) {
				s.deliver(key)
			}
		default:
			s.count(func(st *StreamStats) { st.ReceivedUnknown++ })
		}
	}
}

// isEvent reports whether pt is telephone-event's: the answer's number, or
// the one our offer named (endpoints send events under either).
func (s *Stream) isEvent(pt uint8) bool {
	r := s.cfg.Remote
	return pt == r.EventType || pt == EventPayloadType && r.Codec.PayloadType != EventPayloadType
}

// admit passes a packet to the latch; one not admitted is counted as a
// stranger's.
func (s *Stream) admit(from netip.AddrPort, seq uint16, negotiated bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, latched := s.media.admit(from, seq, negotiated)
	if latched {
		s.stats.LatchedTo = from
	}
	if !ok {
		s.stats.Received++
		s.stats.ReceivedStranger++
	}
	return ok
}

// heard counts a packet of the peer's, audio or a telephone event, for the
// stats and the reports.
func (s *Stream) heard(pkt *rtp.Packet, audio bool) {
	arrival := int64(time.Since(s.epoch) * SampleRate / time.Second)
	s.mu.Lock()
	s.stats.Received++
	if audio {
		s.stats.ReceivedAudio++
	} else {
		s.stats.ReceivedEvents++
	}
	s.rx.packet(pkt.SSRC, pkt.SequenceNumber, pkt.Timestamp, audio, arrival)
	s.mu.Unlock()
}

func (s *Stream) count(f func(*StreamStats)) {
	s.mu.Lock()
	s.stats.Received++
	f(&s.stats)
	s.mu.Unlock()
}

func (s *Stream) deliver(key byte) {
	select {
	case s.keys <- key:
	default: // nobody reads sixteen keys behind: a stuck key, not a person
	}
}

func decode(dst []int16, c Codec, payload []byte) []int16 {
	if c.Name == PCMA.Name {
		for _, b := range payload {
			dst = append(dst, g711.DecodeAlawFrame(b))
		}
		return dst
	}
	for _, b := range payload {
		dst = append(dst, g711.DecodeUlawFrame(b))
	}
	return dst
}
