package media

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"
)

// SampleRate is G.711's and telephone-event's clock: 8,000 samples a second.
const SampleRate = 8000

// ComfortNoisePayloadType is RFC 3389's static payload type, CN.
const ComfortNoisePayloadType = 13

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
	// DetectKeys turns on key detection: RFC 4733 events when Remote.Events, and
	// in-band tones (Goertzel on the decoded audio) always, since many phones and
	// gateways send tones even when events were negotiated. A press that comes
	// both ways counts once (see deliver).
	DetectKeys bool
	// NoTones leaves in-band tones out of DetectKeys: in a conversation, a
	// voice or music could pass for a key, and the other side hears a
	// phone's tones anyway.
	NoTones bool
	// Lateness, if set, is told how late each packet left against its due time.
	Lateness func(time.Duration)
	// Hear, if set, is given the decoded audio of each packet received from
	// the peer (the callee simulator records with it).
	Hear func(pcm []int16)
	// DetectMachine listens for an answering machine (see MachineDetector)
	// during the first machineListen of audio: Heard tells what it finds.
	DetectMachine bool
	// SuppressSilence sends nothing while there is nothing to play, as phones with
	// voice activity detection do; timestamps keep counting and the next talkspurt
	// starts with the marker bit.
	SuppressSilence bool
	// ComfortNoise sends comfort noise (RFC 3389: payload type 13, one
	// byte of level) instead of silence while there is nothing to play, as
	// phones with voice activity detection do, negotiated or not: the
	// callee simulator plays such a phone.
	ComfortNoise bool
	// NotFrom are sources the stream never latches onto unless the
	// description names them: those of the early media before the answer
	// (a carrier's ringback or announcement), whose last packets may still
	// arrive once the call is answered elsewhere.
	NotFrom []netip.AddrPort
	// MayLatch, if set, says which addresses media coming from elsewhere
	// than the description's may be latched onto (another port of the
	// description's address always may): the dialer allows the call's SIP
	// far end and the carrier's addresses, so that nobody else on the
	// network can take a call's media, and press a key for the person, by
	// sending first. Nil: any address.
	MayLatch func(netip.Addr) bool
	// RTCPInterval is the time between two RTCP reports (default
	// DefaultRTCPInterval); the first leaves after a fifth of it.
	RTCPInterval time.Duration
	// Fed makes the stream send at the pace of Feed rather than its own: one
	// packet for each frame fed, as soon as it comes, so that a bridged
	// call adds no wait of its own to the voice it relays (the listener's
	// browser already paces its frames), stamped on the source's timeline
	// (FeedAt); when nothing is fed for fedIdle, it goes on at its own pace
	// until frames come again. A sound playing, and key presses, take the
	// place of fed frames, as they take the place of silence.
	Fed bool
}

// Stream is one call's RTP audio over one UDP socket (sent from the port it receives
// on, as symmetric RTP expects), and its RTCP on the same socket when the peer
// multiplexes it or on a second one (see rtcp.go). Its peer is the description's
// address until media comes from elsewhere (see latch). While the peer receives, it sends a packet every
// ptime from the moment Start is called until Close: what Play gives it, silence
// otherwise (a Fed stream sends one for each frame fed instead, when it comes). Send times follow a fixed schedule from the start, so the pace never
// drifts however late one wake-up is; timestamps advance by one packet's samples
// each time, and only the first packet carries the marker bit.
type Stream struct {
	conn     *net.UDPConn
	rtcpConn *net.UDPConn // RTCP's own socket; nil when multiplexed on conn
	cfg      StreamConfig
	keys     chan byte
	heard    chan Heard
	epoch    time.Time // arrival times for jitter count from here
	ssrc     uint32
	cname    string
	interval time.Duration
	// The last key delivered, how and when: only the receiving goroutine
	// touches them.
	lastKey   byte
	lastEvent bool
	lastAt    time.Time

	mu        sync.Mutex
	remote    Description    // the peer's description in force (cfg.Remote until Update)
	described netip.AddrPort // the address it names
	held      bool           // an update stopped the peer receiving: sound waits
	sound     *Sound         // the sound playing, if any
	playing   []byte         // what is left of it, in the peer's law
	done      chan struct{}  // closed when the current sound ends or is replaced
	events    []EventPacket  // key presses waiting to go out, one per tick
	stats     StreamStats
	media     latch
	rx        reception // the peer's RTP, for our reports
	tx        sending   // ours, for our sender reports
	// rtcpPeer is where our RTCP goes and whose RTCP counts when it is not
	// multiplexed; rtcpHeard says RTCP came from there.
	rtcpPeer  netip.AddrPort
	rtcpHeard bool

	fed      chan fedFrame // frames from Feed, in the peer's law
	kick     chan struct{} // a Fed stream has a key or a sound to send
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
	peer      netip.AddrPort        // where we send, whose packets we take
	refused   []netip.AddrPort      // never latched onto: early media's sources, a peer an update moved from
	settled   bool                  // the peer was heard or latched: no latching now
	may       func(netip.Addr) bool // the addresses it may latch onto (nil: any)
	candidate netip.AddrPort        // another source sending negotiated media
	next      uint16                // the sequence number expected next from it
	run       int                   // its packets in a row so far
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
	if l.settled || !negotiated || slices.Contains(l.refused, src) ||
		src.Addr() != l.peer.Addr() && l.may != nil && !l.may(src.Addr()) {
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

// SetReadDeadline sets the RTP socket's read deadline, for reading it
// before a stream owns it (the dialer drains early media so).
func (c *Conn) SetReadDeadline(t time.Time) error { return c.rtp.SetReadDeadline(t) }

// ReadFromUDPAddrPort reads a packet from the RTP socket, before a stream
// owns it.
func (c *Conn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	return c.rtp.ReadFromUDPAddrPort(b)
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
	peer := unmap(cfg.Remote.Addr)
	var refused []netip.AddrPort
	for _, a := range cfg.NotFrom {
		refused = append(refused, unmap(a))
	}
	s := &Stream{
		conn: conn.rtp, cfg: cfg, keys: make(chan byte, 16), heard: make(chan Heard, 4),
		stop: make(chan struct{}), sendDone: make(chan struct{}), fed: make(chan fedFrame, maxFed), kick: make(chan struct{}, 1),
		remote: cfg.Remote, described: peer, media: latch{peer: peer, refused: refused, may: cfg.MayLatch},
		epoch: time.Now(), ssrc: rand.Uint32(), cname: newCNAME(), interval: cfg.RTCPInterval,
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
		s.rtcpPeer = rtcpAddr(cfg.Remote, peer)
	}
	return s
}

// rtcpAddr is where d takes RTCP when it is not multiplexed: its a=rtcp, else
// the port above its media address addr.
func rtcpAddr(d Description, addr netip.AddrPort) netip.AddrPort {
	if at := unmap(d.RTCP); at.IsValid() && !at.Addr().IsUnspecified() {
		return at
	}
	if addr.IsValid() && addr.Port() < 65535 {
		return netip.AddrPortFrom(addr.Addr(), addr.Port()+1)
	}
	return netip.AddrPort{}
}

func unmap(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }

// Update applies the peer's new description in the middle of the call (a
// re-INVITE or an UPDATE). A new address becomes the peer, for what we hear
// and where we send, and media may latch again from elsewhere, never back
// onto the old peer (an SBC moved the call); the same address, or none (c=0.0.0.0), keeps the peer. A codec
// or telephone-event type it names holds from the next packet; the packet
// interval stays the one the call started with. While the peer does not
// receive (hold: sendonly or inactive) nothing is sent and the sound
// playing waits where it stopped, to go on when the peer receives again;
// what the peer sends, keys included, is heard throughout.
//
// RTCP follows the media. Multiplexed, it goes to and is taken from the
// media peer, whatever that is now. On its own port, a new address moves it
// to the new description's RTCP address (its a=rtcp, else the port above),
// and RTCP may latch again behind NAT as at the start; the same address
// keeps the RTCP peer, latched or not. Whether RTCP is multiplexed is
// settled by the call's first offer and answer and stays so: the sockets
// are those the call began with (RFC 5761 §5.1.3 lets nobody take mux
// back), so an update's rtcp-mux or a=rtcp changes nothing else. Our
// reception statistics go on: a new source restarts them (its SSRC).
func (s *Stream) Update(d Description) {
	s.mu.Lock()
	defer s.mu.Unlock()
	addr := unmap(d.Addr)
	if addr.Addr().IsUnspecified() {
		d.Addr, addr = s.remote.Addr, s.described
	}
	if addr != s.described {
		// The old path may still deliver for a moment: the address it
		// described is not the peer any more, and may not be latched back
		// onto. A source latched behind NAT is not refused: the far end
		// behind it may well go on sending from there.
		s.media = latch{peer: addr, refused: append(s.media.refused, s.described), may: s.media.may}
		s.described = addr
		if s.rtcpConn != nil {
			s.rtcpPeer, s.rtcpHeard = rtcpAddr(d, addr), false
		}
	}
	if d.Codec.Name != s.remote.Codec.Name && len(s.playing) > 0 {
		// The rest of the sound playing, in the law now agreed on (one
		// byte a sample in either).
		at := len(s.sound.encoded(s.remote.Codec)) - len(s.playing)
		s.playing = s.sound.encoded(d.Codec)[at:]
	}
	d.RTCPMux, d.RTCP = s.remote.RTCPMux, s.remote.RTCP
	if s.rtcpConn != nil {
		d.RTCP = s.rtcpPeer
	}
	s.remote = d
	s.held = !d.Receives()
}

// Held reports whether the peer holds the call: an update said it does
// not receive.
func (s *Stream) Held() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// Remote is the peer's description in force.
func (s *Stream) Remote() Description {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote
}

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

// Heard is what the machine detector finds, when StreamConfig.DetectMachine.
type Heard int

const (
	// HeardMachine: the answer sounds like a machine's greeting (a label:
	// a person saying a long sentence may sound so too).
	HeardMachine Heard = iota + 1
	// HeardBeep: a machine's beep, conclusive.
	HeardBeep
)

// machineListen is how long into the call the detector listens: a beep
// after the longest greetings, not the whole call.
const machineListen = 30 * time.Second

// Heard delivers what the machine detector finds: HeardMachine once, at the
// verdict, and HeardBeep at each beep.
func (s *Stream) Heard() <-chan Heard { return s.heard }

// Play replaces what the stream plays with sound; the channel it returns closes when
// sound has been sent in full, replaced, stopped, or the stream closed.
func (s *Stream) Play(sound *Sound) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endPlayback()
	done := make(chan struct{})
	s.done = done
	s.sound, s.playing = sound, sound.encoded(s.remote.Codec)
	if !s.remote.Receives() && !s.held {
		s.endPlayback() // nobody listens, nor ever said they would: the sound is over at once
	}
	if s.cfg.Fed {
		s.wake()
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
	s.sound, s.playing = nil, nil
	if s.done != nil {
		close(s.done)
		s.done = nil
	}
}

// SendKey queues an RFC 4733 key press of duration d; it reports false if the peer
// takes no telephone events or key is not a DTMF key.
func (s *Stream) SendKey(key byte, d time.Duration) bool {
	if !s.Remote().Events {
		return false
	}
	pkts, ok := EventPackets(key, d, 10)
	if !ok {
		return false
	}
	s.mu.Lock()
	s.events = append(s.events, pkts...)
	s.mu.Unlock()
	s.wake()
	return true
}

// wake tells a Fed stream's sender there is something of its own to send
// (a key, a sound): it goes out at once and at the stream's pace, not
// after fedIdle nor only in place of frames fed (a browser sends no audio
// while its own key's events go).
func (s *Stream) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// busy reports whether the stream has something of its own to send.
func (s *Stream) busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events) > 0 || len(s.playing) > 0
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
	// The packet interval is the one the call starts with; while the peer
	// does not receive, ticks pass without a packet (next), and the RTCP
	// reports keep their own schedule all the same.
	ptime := s.cfg.Remote.Ptime
	if ptime <= 0 {
		ptime = DefaultPtime
	}
	o := outgoing{
		samples: uint32(ptime * SampleRate / time.Second),
		pkt: rtp.Packet{Header: rtp.Header{
			Version:        2,
			Marker:         true,
			SequenceNumber: uint16(rand.Uint32()),
			Timestamp:      rand.Uint32(),
			SSRC:           s.ssrc,
		}},
	}
	o.frame = make([]byte, o.samples)
	o.buf = make([]byte, 12+len(o.frame))

	start := time.Now()
	s.mu.Lock()
	s.tx = sending{start: start, ts: o.pkt.Timestamp, baseSeq: o.pkt.SequenceNumber}
	s.mu.Unlock()
	o.nextReport = start.Add(reportIn(s.interval / 5))
	if s.cfg.Fed {
		// While nothing is fed for a while (the listener's browser gone
		// quiet, its network stalled), the stream keeps its own pace, so
		// that keys, a sound and the reports still go out and the peer's
		// NAT stays open; a shorter hold-up (Wi-Fi's jitter) is waited
		// out, the frames keeping the browser's timeline.
		idle := time.NewTimer(fedIdle)
		defer idle.Stop()
		for {
			var fed fedFrame
			select {
			case <-s.stop:
				return
			case fed = <-s.fed:
				o.follow(fed)
			case <-idle.C:
			case <-s.kick:
			}
			if !s.emit(&o, time.Now(), fed.data) {
				return
			}
			// Frames set the pace while they come; a key or a sound of
			// the stream's own does not wait for them long, and once they
			// stop the stream keeps its own pace.
			switch {
			case fed.data == nil:
				idle.Reset(ptime)
			case s.busy():
				idle.Reset(ptime + ptime/4)
			default:
				idle.Reset(fedIdle)
			}
		}
	}

	timer := time.NewTimer(0)
	defer timer.Stop()
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
			o.pkt.Timestamp += uint32(skip) * o.samples
			due = due.Add(skip * ptime)
		}
		select {
		case <-s.stop:
			return
		default:
		}
		if !s.emit(&o, due, s.nextFed().data) {
			return
		}
	}
}

// maxFed is how many frames Feed queues at most: beyond, the oldest wait
// too long to be worth hearing.
const maxFed = 4

// fedIdle is how long a Fed stream waits for its next frame before it
// sends on its own.
const fedIdle = 200 * time.Millisecond

// fedFrame is a frame fed, with the timestamp its source gave it.
type fedFrame struct {
	data    []byte
	ts      uint32
	stamped bool
}

// nextFed is the frame a paced stream sends at this tick, if any was fed
// (a check-in call put through to a listener): when more than two wait,
// the oldest is dropped, so that the voice lags at most two frames behind
// what comes.
func (s *Stream) nextFed() fedFrame {
	if len(s.fed) > 2 {
		select {
		case <-s.fed:
		default:
		}
	}
	select {
	case fed := <-s.fed:
		return fed
	default:
		return fedFrame{}
	}
}

// outgoing is the sender's running state: the packets' header, and the
// buffers it fills.
type outgoing struct {
	pkt        rtp.Packet
	samples    uint32 // per packet
	eventTS    uint32 // the timestamp of the key press going out
	frame, buf []byte
	nextReport time.Time
	// A fed stream's frames keep their source's timeline: our timestamp is
	// dstBase plus how far the source's has gone since srcBase.
	based            bool
	srcBase, dstBase uint32
}

// follow sets the timestamp of the fed frame about to go out from its
// source's: a frame the source lost leaves its gap, and a hold-up on the
// way none. A source whose timeline jumps (a new stream, a clock reset), or
// falls behind what the stream sent on its own meanwhile, starts a new
// talkspurt from where the stream is.
func (o *outgoing) follow(f fedFrame) {
	if !f.stamped {
		return
	}
	if o.based {
		ahead := int32(o.dstBase + (f.ts - o.srcBase) - o.pkt.Timestamp)
		if ahead >= 0 && ahead <= 2*SampleRate {
			o.pkt.Timestamp += uint32(ahead)
			return
		}
		o.pkt.Marker = true
	}
	o.based, o.srcBase, o.dstBase = true, f.ts, o.pkt.Timestamp
}

// emit sends the packet due at due — a key event, the sound playing, the
// frame fed, or silence — and the RTCP report if one is due; it reports
// false once the socket is closed.
func (s *Stream) emit(o *outgoing, due time.Time, fed []byte) bool {
	if !due.Before(o.nextReport) {
		s.report(time.Now(), false)
		o.nextReport = due.Add(reportIn(s.interval))
	}
	s.mu.Lock()
	out, ok := s.next(&o.pkt, o.frame, &o.eventTS, fed)
	to := s.media.peer
	s.mu.Unlock()
	if !ok {
		o.pkt.Timestamp += o.samples
		o.pkt.Marker = true // whatever comes next starts a talkspurt
		return true
	}
	m, err := out.MarshalTo(o.buf)
	if err == nil {
		_, err = s.conn.WriteToUDPAddrPort(o.buf[:m], to)
	}
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	if s.cfg.Lateness != nil {
		s.cfg.Lateness(time.Since(due))
	}
	o.pkt.SequenceNumber++
	o.pkt.Timestamp += o.samples
	o.pkt.Marker = false
	return true
}

// Feed queues a frame of audio, in G.711 µ-law (what browsers speak; turned
// into A-law when the peer takes that): a Fed stream sends it at once as one
// packet, a paced one in place of silence at its next tick. It never
// blocks: when the sender is behind by more than maxFed frames, the frame
// is dropped.
func (s *Stream) Feed(ulaw []byte) { s.feed(fedFrame{data: ulaw}) }

// FeedAt is Feed for a frame its source stamped ts (8 kHz, an RTP
// timestamp): a Fed stream's packets keep the source's timeline, so that a
// frame lost on the way leaves its gap and a hold-up none.
func (s *Stream) FeedAt(ulaw []byte, ts uint32) { s.feed(fedFrame{data: ulaw, ts: ts, stamped: true}) }

func (s *Stream) feed(f fedFrame) {
	// The caller's buffer is theirs again once Feed returns.
	if s.Remote().Codec.Name == PCMA.Name {
		f.data = g711.Ulaw2Alaw(f.data)
	} else {
		f.data = slices.Clone(f.data)
	}
	select {
	case s.fed <- f:
	default:
	}
}

// next decides, with s.mu held, what this tick sends: the next key event
// (the press's first packet marks its start, eventTS), else the next frame of
// the sound playing, else the frame fed (Fed streams), silence after its
// end; ok is false when silence is suppressed and there is nothing to play
// or feed, or the peer does not receive
// (on hold: the sound waits). pkt is the stream's running header; frame
// holds the audio sent.
func (s *Stream) next(pkt *rtp.Packet, frame []byte, eventTS *uint32, fed []byte) (out rtp.Packet, ok bool) {
	remote := s.remote
	switch {
	case !remote.Receives():
		return rtp.Packet{}, false
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
	case s.cfg.SuppressSilence && len(s.playing) == 0 && fed == nil:
		return rtp.Packet{}, false
	case s.cfg.ComfortNoise && len(s.playing) == 0 && fed == nil:
		s.stats.Sent++
		s.tx.packets++
		s.tx.octets++
		hdr := pkt.Header
		hdr.PayloadType = ComfortNoisePayloadType
		return rtp.Packet{Header: hdr, Payload: []byte{70}}, true // -70 dBov
	}
	var k int
	if len(s.playing) > 0 {
		k = copy(frame, s.playing)
		s.playing = s.playing[k:]
		if s.done != nil && len(s.playing) == 0 {
			s.endPlayback()
		}
	} else {
		k = copy(frame, fed)
	}
	quiet := silence(remote.Codec)
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
	var events EventDetector
	var tones *ToneDetector
	if s.cfg.DetectKeys && !s.cfg.NoTones {
		tones = NewToneDetector()
	}
	var machine *MachineDetector
	var heard int // frames the machine detector has heard (of 20 ms)
	if s.cfg.DetectMachine {
		machine = NewMachineDetector()
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
		from = unmap(from)
		// RTCP on this port (RFC 5761) is told apart first: it has a latch
		// of its own (rtcpAdmit), and is never media. Even with RTCP on a
		// port of its own it is not taken for RTP: a session refresh
		// offers our first SDP again, rtcp-mux included, and a peer may
		// accept it then (rtcpFromPeer decides whose it is).
		if isRTCP(buf[:n]) {
			s.readRTCP(from, buf[:n])
			continue
		}
		parsed := pkt.Unmarshal(buf[:n]) == nil
		remote, ok := s.admit(from, parsed, &pkt)
		if !ok {
			continue
		}
		if !parsed {
			s.count(func(st *StreamStats) { st.ReceivedUnknown++ })
			continue
		}
		switch {
		case remote.Events && isEvent(remote, pkt.PayloadType):
			s.tally(&pkt, false)
			if key, ok := events.Packet(&pkt); ok && s.cfg.DetectKeys {
				s.deliver(key, true)
			}
		case pkt.PayloadType == remote.Codec.PayloadType:
			s.tally(&pkt, true)
			if machine != nil && frames(heard) >= machineListen {
				machine = nil
			}
			if tones == nil && machine == nil && s.cfg.Hear == nil {
				continue
			}
			pcm = decode(pcm[:0], remote.Codec, pkt.Payload)
			if tones != nil {
				for _, key := range tones.Write(pcm) {
					s.deliver(key, false)
				}
			}
			if machine != nil {
				heard += len(pcm) / machineFrame
				s.listen(machine, pcm)
			}
			if s.cfg.Hear != nil {
				s.cfg.Hear(pcm)
			}
		case pkt.PayloadType == ComfortNoisePayloadType:
			// Comfort noise shares the audio's sequence numbers: our
			// reports count it, or its packets would read as lost.
			s.count(func(st *StreamStats) { st.ReceivedUnknown++ })
			s.mu.Lock()
			s.rx.packet(pkt.SSRC, pkt.SequenceNumber, pkt.Timestamp, false, s.arrival())
			s.mu.Unlock()
		default:
			s.count(func(st *StreamStats) { st.ReceivedUnknown++ })
		}
	}
}

// isEvent reports whether pt is telephone-event's in r: its number, or the
// one our offer named (endpoints send events under either).
func isEvent(r Description, pt uint8) bool {
	return pt == r.EventType || pt == EventPayloadType && r.Codec.PayloadType != EventPayloadType
}

// admit passes a packet (pkt, if parsed) to the latch and returns the
// description in force; one not admitted is counted as a stranger's.
func (s *Stream) admit(from netip.AddrPort, parsed bool, pkt *rtp.Packet) (Description, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	remote := s.remote
	negotiated := parsed && (pkt.PayloadType == remote.Codec.PayloadType || remote.Events && isEvent(remote, pkt.PayloadType))
	ok, latched := s.media.admit(from, pkt.SequenceNumber, negotiated)
	if latched {
		s.stats.LatchedTo = from
	}
	if !ok {
		s.stats.Received++
		s.stats.ReceivedStranger++
	}
	return remote, ok
}

// tally counts a packet of the peer's, audio or a telephone event, for the
// stats and the reports.
func (s *Stream) tally(pkt *rtp.Packet, audio bool) {
	arrival := s.arrival()
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

// arrival is now in timestamp units since the stream's epoch, for jitter.
func (s *Stream) arrival() int64 { return int64(time.Since(s.epoch) * SampleRate / time.Second) }

func (s *Stream) count(f func(*StreamStats)) {
	s.mu.Lock()
	s.stats.Received++
	f(&s.stats)
	s.mu.Unlock()
}

// listen hears pcm with the machine detector and tells what changed.
func (s *Stream) listen(d *MachineDetector, pcm []int16) {
	was, beeps := d.Verdict(), d.Beeps()
	if v := d.Write(pcm); v == Machine && was != Machine {
		s.tell(HeardMachine)
	}
	if d.Beeps() > beeps {
		s.tell(HeardBeep)
	}
}

func (s *Stream) tell(h Heard) {
	select {
	case s.heard <- h:
	default: // four unread: the call is past caring
	}
}

// bothWays is how close a key heard as an event and as a tone must be to
// count once: a gateway that sends both does so for the same press, the
// tone's detection lagging the event's by its 30 ms or so.
const bothWays = 400 * time.Millisecond

// deliver hands key on, unless the same key just came the other way (event
// or tone): one press sent both ways.
func (s *Stream) deliver(key byte, event bool) {
	now := time.Now()
	if key == s.lastKey && event != s.lastEvent && now.Sub(s.lastAt) < bothWays {
		return
	}
	s.lastKey, s.lastEvent, s.lastAt = key, event, now
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
