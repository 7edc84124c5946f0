package webphone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/wellcheck/wellcheck/internal/media"
)

// Errors of a bad offer: Answer wraps them, so callers can tell the browser.
var (
	ErrBadOffer = errors.New("webphone: malformed SDP offer")
	ErrNoAudio  = errors.New("webphone: the offer has no audio")
	ErrNoPCMU   = errors.New("webphone: the offer's audio has no PCMU")
)

// Why a call ended, as Call.Err reports it.
var (
	ErrClosed       = errors.New("webphone: call closed")         // by our Close
	ErrHungUp       = errors.New("webphone: the browser hung up") // its connection closed
	ErrFailed       = errors.New("webphone: connection to the browser failed")
	ErrDisconnected = errors.New("webphone: the browser stayed disconnected")
)

// ErrNoEvents is returned by SendKey when the browser negotiated no telephone-event.
var ErrNoEvents = errors.New("webphone: the browser takes no telephone-event")

// Buffers between the call's reader and its consumer. Audio that is not read in time
// is dropped, never queued: late audio is worse than lost audio, and a slow consumer
// must not hold up the keys. Keys are few; 16 waiting means nobody reads them.
const (
	audioBuffer = 50 // 1 s of 20 ms frames
	keyBuffer   = 16
)

// Call is one browser's audio leg, from the browser's offer to hang-up. Its methods
// are safe for concurrent use.
type Call struct {
	pc      *webrtc.PeerConnection
	answer  string
	eventPT uint8
	events  bool // the browser negotiated telephone-event
	send    *sendTrack
	grace   time.Duration
	log     *slog.Logger

	audio chan *rtp.Packet
	keys  chan byte

	up      chan struct{} // closed when the connection is first up
	done    chan struct{} // closed when the call ends
	endOnce sync.Once
	err     error         // why it ended; set before done is closed
	stopped chan struct{} // closed when the monitor has released everything

	changed chan struct{} // a connection state change waits, capacity 1

	mu      sync.Mutex
	closing bool // no reader may start any more
	reading bool // the reader has started
	readers sync.WaitGroup
}

// Answer makes a call from a browser's SDP offer and returns it once its answer is
// ready (Call.Answer). The answer is complete, with every candidate of the server:
// ICE is not trickled. The server's candidates are known at once (host candidates on
// the shared port, no STUN to wait for), so gathering takes a few milliseconds and
// trickling would only add a signalling message per candidate in each direction;
// the browser may still trickle its own candidates in the offer's place or not at
// all, since its checks reach the server as peer-reflexive candidates.
//
// ctx bounds the negotiation only. A bad offer yields an error wrapping ErrBadOffer,
// ErrNoAudio or ErrNoPCMU.
func (e *Engine) Answer(ctx context.Context, offer string) (*Call, error) {
	if err := checkOffer(offer); err != nil {
		return nil, err
	}
	pc, err := e.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("webphone: new peer connection: %w", err)
	}
	c := &Call{
		pc:      pc,
		send:    newSendTrack(),
		grace:   e.grace,
		log:     e.log,
		audio:   make(chan *rtp.Packet, audioBuffer),
		keys:    make(chan byte, keyBuffer),
		up:      make(chan struct{}),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
		changed: make(chan struct{}, 1),
	}
	pc.OnConnectionStateChange(func(webrtc.PeerConnectionState) {
		select {
		case c.changed <- struct{}{}:
		default: // one already waits; the monitor reads the latest state
		}
	})
	pc.OnTrack(c.onTrack)
	if err := c.negotiate(ctx, offer); err != nil {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		_ = pc.Close()
		c.readers.Wait()
		return nil, err
	}
	go c.monitor()
	return c, nil
}

func (c *Call) negotiate(ctx context.Context, offer string) error {
	err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	// Added after the offer, the track takes the transceiver the offer's audio made,
	// which turns sendrecv.
	if _, err := c.pc.AddTrack(c.send); err != nil {
		return fmt.Errorf("webphone: add audio track: %w", err)
	}
	answer, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("webphone: create answer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(answer); err != nil {
		return fmt.Errorf("webphone: set answer: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fmt.Errorf("webphone: gather candidates: %w", context.Cause(ctx))
	}
	c.answer = c.pc.LocalDescription().SDP
	c.eventPT, c.events = eventPayloadType(c.answer)
	return nil
}

// Answer returns the SDP answer for the browser, with all the server's candidates.
func (c *Call) Answer() string { return c.answer }

// EventPayloadType returns the payload type of RFC 4733 telephone-event the browser
// offered and the call uses both ways; ok is false if it offered none (then keys
// neither come nor go). PCMU always has payload type 0.
func (c *Call) EventPayloadType() (pt uint8, ok bool) { return c.eventPT, c.events }

// Audio delivers the browser's audio as received: RTP packets of PCMU (payload type
// 0), with the browser's sequence numbers and timestamps, usually 20 ms each. Packets
// not read in time are dropped. The channel is closed once the call has ended.
func (c *Call) Audio() <-chan *rtp.Packet { return c.audio }

// Keys delivers the keys the browser sends as RFC 4733 events, each press once
// ('0'-'9', '*', '#', 'A'-'D'). The channel is closed once the call has ended.
func (c *Call) Keys() <-chan byte { return c.keys }

// WriteAudio sends one frame of PCMU to the browser, 160 bytes for 20 ms. The caller
// paces the frames; the call numbers and stamps them, and after a pause in the frames
// moves the timestamp on by the pause (a new talk-spurt, marked), as for silence
// suppression. Frames written before the connection is up are dropped.
func (c *Call) WriteAudio(payload []byte) error {
	select {
	case <-c.done:
		return c.Err()
	default:
	}
	return c.send.writeAudio(payload, time.Now())
}

// SendKey sends a press of key lasting d to the browser as RFC 4733 events on the
// browser's payload type: a packet every 20 ms while the key is down, then three end
// packets, so SendKey returns after d and some 60 ms. Audio written meanwhile still
// goes out; the bridge would rather not write any.
func (c *Call) SendKey(ctx context.Context, key byte, d time.Duration) error {
	if !c.events {
		return ErrNoEvents
	}
	pkts, ok := media.EventPackets(key, d, 10)
	if !ok {
		return fmt.Errorf("webphone: no key press %q of %s", key, d)
	}
	start := c.send.eventStart(time.Now())
	tick := time.NewTicker(media.DefaultPtime)
	defer tick.Stop()
	for i, p := range pkts {
		if i > 0 {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return context.Cause(ctx)
			case <-c.done:
				return c.Err()
			}
		}
		if err := c.send.writeEvent(c.eventPT, start, p); err != nil {
			return fmt.Errorf("webphone: send key %q: %w", key, err)
		}
	}
	c.send.eventEnd(start, d, time.Now())
	return nil
}

// Connected is closed once the connection to the browser is up (ICE and DTLS done):
// from then on audio and keys flow both ways. It stays open if the call ends first.
func (c *Call) Connected() <-chan struct{} { return c.up }

// Done is closed when the call ends: the browser hung up, the connection failed or
// stayed disconnected longer than the engine's grace, or Close was called.
func (c *Call) Done() <-chan struct{} { return c.done }

// Err reports why the call ended (ErrClosed, ErrHungUp, ErrFailed, ErrDisconnected),
// nil while it goes on.
func (c *Call) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close hangs up, if the call goes on, and returns once every goroutine of the call
// has stopped and its connection is released. It may be called more than once, and
// must be called even after Done.
func (c *Call) Close() error {
	c.end(ErrClosed)
	<-c.stopped
	return nil
}

func (c *Call) end(err error) {
	c.endOnce.Do(func() {
		c.err = err
		close(c.done)
	})
}

// monitor follows the connection's state until the call ends, then releases it: the
// connection, the reader, the channels.
func (c *Call) monitor() {
	defer close(c.stopped)
	var grace *time.Timer
	var graceC <-chan time.Time
loop:
	for {
		select {
		case <-c.done:
			break loop
		case <-graceC:
			c.end(ErrDisconnected)
		case <-c.changed:
			state := c.pc.ConnectionState()
			c.log.Debug("webphone: connection state", "state", state.String())
			switch state {
			case webrtc.PeerConnectionStateFailed:
				c.end(ErrFailed)
			case webrtc.PeerConnectionStateClosed:
				c.end(ErrHungUp)
			case webrtc.PeerConnectionStateDisconnected:
				if grace == nil {
					grace = time.NewTimer(c.grace)
					graceC = grace.C
				}
			case webrtc.PeerConnectionStateConnected:
				select {
				case <-c.up:
				default:
					close(c.up)
				}
				fallthrough
			default:
				if grace != nil {
					grace.Stop()
					grace, graceC = nil, nil
				}
			}
		}
	}
	if grace != nil {
		grace.Stop()
	}
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	if err := c.pc.Close(); err != nil {
		c.log.Warn("webphone: close peer connection", "err", err)
	}
	c.readers.Wait()
	close(c.audio)
	close(c.keys)
	c.log.Debug("webphone: call ended", "why", c.err)
}

// onTrack runs the reader of the browser's audio track, on pion's goroutine for it.
// Only the first audio track is read: a browser sends one.
func (c *Call) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	c.mu.Lock()
	if c.closing || c.reading || t.Kind() != webrtc.RTPCodecTypeAudio {
		c.mu.Unlock()
		return
	}
	c.reading = true
	c.readers.Add(1)
	c.mu.Unlock()
	defer c.readers.Done()

	var keys media.EventDetector
	for {
		p, _, err := t.ReadRTP()
		if err != nil {
			select {
			case <-c.done:
				return
			default:
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
				return
			}
			continue // a packet of an unknown payload type, or not RTP
		}
		switch {
		case p.PayloadType == pcmuPT:
			select {
			case c.audio <- p:
			default:
			}
		case c.events && p.PayloadType == c.eventPT:
			if key, ok := keys.Packet(p); ok {
				select {
				case c.keys <- key:
				default:
					c.log.Warn("webphone: key dropped, nobody reads them")
				}
			}
		}
	}
}

// checkOffer tells a malformed offer, or one the call could not use, before any
// connection is made.
func checkOffer(offer string) error {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(offer); err != nil {
		return fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	if len(d.MediaDescriptions) == 0 {
		return fmt.Errorf("%w: no media section", ErrBadOffer)
	}
	audio := false
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media != "audio" || m.MediaName.Port.Value == 0 {
			continue
		}
		audio = true
		for _, f := range m.MediaName.Formats {
			if f == strconv.Itoa(pcmuPT) {
				return nil
			}
			if pt, err := strconv.ParseUint(f, 10, 7); err == nil {
				if c, err := d.GetCodecForPayloadType(uint8(pt)); err == nil && strings.EqualFold(c.Name, "PCMU") && c.ClockRate == 8000 {
					return nil
				}
			}
		}
	}
	if !audio {
		return ErrNoAudio
	}
	return ErrNoPCMU
}

// eventPayloadType finds telephone-event/8000 in the first audio section of an SDP.
func eventPayloadType(desc string) (uint8, bool) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(desc); err != nil {
		return 0, false
	}
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media != "audio" {
			continue
		}
		for _, f := range m.MediaName.Formats {
			pt, err := strconv.ParseUint(f, 10, 7)
			if err != nil {
				continue
			}
			c, err := d.GetCodecForPayloadType(uint8(pt))
			if err == nil && strings.EqualFold(c.Name, "telephone-event") && c.ClockRate == 8000 {
				return uint8(pt), true
			}
		}
		return 0, false
	}
	return 0, false
}
