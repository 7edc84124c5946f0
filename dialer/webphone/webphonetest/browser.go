// Package webphonetest plays a listener's browser for tests of the
// in-browser phone: a pion peer that offers what Chrome offers, says a tone
// into its microphone (or sends whatever RTP a test wants), and keeps what it
// hears.
package webphonetest

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/wellcheck/wellcheck/internal/media"
)

// ChromeEventPT is the payload type Chrome usually gives telephone-event/8000.
const ChromeEventPT = 126

// Browser is a listener's browser on loopback: a pion peer offering the
// audio codecs Chrome offers, in its order and with its payload types (Opus
// first, G.722, PCMU, PCMA, comfort noise, telephone-event at 48 kHz on 110
// and at 8 kHz on 126), sending raw RTP on one track as Chrome does.
type Browser struct {
	pc     *webrtc.PeerConnection
	track  *rawTrack
	states chan webrtc.PeerConnectionState
	reader sync.WaitGroup
	talk   sync.WaitGroup
	stop   context.CancelFunc
	ctx    context.Context

	mu     sync.Mutex
	audio  []*rtp.Packet // PCMU received
	events []*rtp.Packet // telephone-event received
	more   chan struct{} // closed, and made anew, when a packet comes
	// Clicks sent, and loud frames received, when.
	clicks, loud []time.Time
}

// Options change a Browser from the usual Chrome on loopback UDP.
type Options struct {
	Conn     net.PacketConn       // its UDP socket, if not its own
	Networks []webrtc.NetworkType // UDP4 if none
	NoEvents bool                 // offer no telephone-event
}

// New starts a browser; the test's end closes it.
func New(t testing.TB, opts Options) *Browser {
	t.Helper()
	var m webrtc.MediaEngine
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeG722, ClockRate: 8000, Channels: 1}, PayloadType: 9},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000, Channels: 1}, PayloadType: 8},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/CN", ClockRate: 8000, Channels: 1}, PayloadType: 13},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 48000, Channels: 1, SDPFmtpLine: "0-16"}, PayloadType: 110},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, Channels: 1, SDPFmtpLine: "0-16"}, PayloadType: ChromeEventPT},
	} {
		if opts.NoEvents && strings.HasSuffix(c.MimeType, "telephone-event") {
			continue
		}
		require.NoError(t, m.RegisterCodec(c, webrtc.RTPCodecTypeAudio))
	}
	var s webrtc.SettingEngine
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if len(opts.Networks) == 0 {
		opts.Networks = []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	}
	s.SetNetworkTypes(opts.Networks)
	if opts.Conn != nil {
		mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: opts.Conn})
		t.Cleanup(func() { require.NoError(t, mux.Close()) })
		s.SetICEUDPMux(mux)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(&m), webrtc.WithSettingEngine(s)).NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	b := &Browser{
		pc:     pc,
		track:  &rawTrack{},
		states: make(chan webrtc.PeerConnectionState, 100),
		ctx:    ctx,
		stop:   stop,
		more:   make(chan struct{}),
	}
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		select {
		case b.states <- s:
		default:
		}
	})
	var once sync.Once
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		first := false
		once.Do(func() { first = true; b.reader.Add(1) })
		if !first {
			return
		}
		defer b.reader.Done()
		for {
			p, _, err := tr.ReadRTP()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				continue
			}
			p = p.Clone() // keep the packet, not the whole buffer it was read into
			b.mu.Lock()
			switch p.PayloadType {
			case 0:
				b.audio = append(b.audio, p)
				peak := int16(0)
				for _, v := range p.Payload {
					x := g711.DecodeUlawFrame(v)
					peak = max(peak, x, -x)
				}
				if peak > clickLevel/2 {
					b.loud = append(b.loud, time.Now())
				}
			case ChromeEventPT:
				b.events = append(b.events, p)
			}
			close(b.more)
			b.more = make(chan struct{})
			b.mu.Unlock()
		}
	})
	_, err = pc.AddTransceiverFromTrack(b.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	require.NoError(t, err)
	return b
}

// Offer returns the browser's complete offer (its candidates gathered).
func (b *Browser) Offer(t testing.TB) string {
	t.Helper()
	offer, err := b.pc.CreateOffer(nil)
	require.NoError(t, err)
	gathered := webrtc.GatheringCompletePromise(b.pc)
	require.NoError(t, b.pc.SetLocalDescription(offer))
	<-gathered
	return b.pc.LocalDescription().SDP
}

// Accept takes the server's answer.
func (b *Browser) Accept(t testing.TB, answer string) {
	t.Helper()
	require.NoError(t, b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}))
}

// WaitState waits, up to d, for a connection state want accepts, and
// returns it.
func (b *Browser) WaitState(t testing.TB, d time.Duration, want func(webrtc.PeerConnectionState) bool) webrtc.PeerConnectionState {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case s := <-b.states:
			if want(s) {
				return s
			}
		case <-timeout:
			t.Fatalf("browser: connection state still %s", b.pc.ConnectionState())
		}
	}
}

// Say says a tone of hz into the microphone, a 20 ms frame of PCMU at a
// time, until the browser closes.
func (b *Browser) Say(hz float64) {
	tone := media.Sine(hz, time.Second, 16384) // a whole second: whole periods of any whole hz
	b.speak(func(ts uint32, frame []byte) {
		off := int(ts) % len(tone)
		for i := range frame {
			frame[i] = g711.EncodeUlawFrame(tone[off+i])
		}
	})
}

// clickLevel is a click's peak: loud, where speech is seldom.
const clickLevel = 16000

// Clicks sends a 20 ms click every so often, silence between, until the
// browser closes: with an echo at the far end, RoundTrips measures the
// path.
func (b *Browser) Clicks(every time.Duration) {
	click := media.Sine(1000, media.DefaultPtime, clickLevel)
	quiet := g711.EncodeUlawFrame(0)
	next := time.Now()
	b.speak(func(_ uint32, frame []byte) {
		clicked := !time.Now().Before(next)
		for i := range frame {
			frame[i] = quiet
			if clicked {
				frame[i] = g711.EncodeUlawFrame(click[i])
			}
		}
		if clicked {
			next = next.Add(every)
			b.mu.Lock()
			b.clicks = append(b.clicks, time.Now())
			b.mu.Unlock()
		}
	})
}

// speak sends a 20 ms frame of PCMU every 20 ms until the browser closes,
// the first marked as a talkspurt's start, as Chrome does; fill makes each
// frame, given its timestamp.
func (b *Browser) speak(fill func(ts uint32, frame []byte)) {
	frame := make([]byte, 160)
	b.talk.Go(func() {
		tick := time.NewTicker(media.DefaultPtime)
		defer tick.Stop()
		for ts := uint32(0); ; ts += 160 {
			fill(ts, frame)
			if err := b.track.write(0, ts == 0, ts, frame); err != nil {
				return
			}
			select {
			case <-tick.C:
			case <-b.ctx.Done():
				return
			}
		}
	})
}

// RoundTrips are, for each click that came back (a loud frame received
// after it and before the next), how long it took.
func (b *Browser) RoundTrips() []time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []time.Duration
	j := 0
	for i, sent := range b.clicks {
		for j < len(b.loud) && b.loud[j].Before(sent) {
			j++
		}
		if j < len(b.loud) && (i+1 == len(b.clicks) || b.loud[j].Before(b.clicks[i+1])) {
			out = append(out, b.loud[j].Sub(sent))
		}
	}
	return out
}

// Heard is the audio received so far, decoded.
func (b *Browser) Heard() []int16 {
	var pcm []int16
	for _, p := range b.Audio() {
		for _, v := range p.Payload {
			pcm = append(pcm, g711.DecodeUlawFrame(v))
		}
	}
	return pcm
}

// Audio are the PCMU packets received so far, in order of arrival.
func (b *Browser) Audio() []*rtp.Packet {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*rtp.Packet(nil), b.audio...)
}

// Events are the telephone-event packets received so far, in order of
// arrival.
func (b *Browser) Events() []*rtp.Packet {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*rtp.Packet(nil), b.events...)
}

// Await waits, up to d, until done holds, asking it again as each packet
// comes, and reports whether it did. done may look at Audio and Events.
func (b *Browser) Await(d time.Duration, done func() bool) bool {
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	for {
		b.mu.Lock()
		more := b.more
		b.mu.Unlock()
		if done() {
			return true
		}
		select {
		case <-more:
		case <-timeout.C:
			return done()
		}
	}
}

// Close hangs up, as a closed tab does, and waits for the browser's
// goroutines. Closing again does nothing.
func (b *Browser) Close() error {
	b.stop()
	err := b.pc.Close()
	b.talk.Wait()
	b.reader.Wait()
	return err
}

// rawTrack is a local track that writes whole RTP headers, as a browser
// sends audio and telephone-event on one stream.
type rawTrack struct {
	mu   sync.Mutex
	w    webrtc.TrackLocalWriter
	ssrc uint32
	seq  uint16
}

func (r *rawTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.w, r.ssrc = ctx.WriteStream(), uint32(ctx.SSRC())
	for _, c := range ctx.CodecParameters() {
		if c.MimeType == webrtc.MimeTypePCMU {
			return c, nil
		}
	}
	return ctx.CodecParameters()[0], nil
}

func (r *rawTrack) Unbind(webrtc.TrackLocalContext) error { return nil }
func (r *rawTrack) ID() string                            { return "mic" }
func (r *rawTrack) RID() string                           { return "" }
func (r *rawTrack) StreamID() string                      { return "browser" }
func (r *rawTrack) Kind() webrtc.RTPCodecType             { return webrtc.RTPCodecTypeAudio }

func (r *rawTrack) write(pt uint8, marker bool, ts uint32, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w == nil {
		return nil
	}
	r.seq++
	h := rtp.Header{Version: 2, Marker: marker, PayloadType: pt, SequenceNumber: r.seq, Timestamp: ts, SSRC: r.ssrc}
	_, err := r.w.WriteRTP(&h, payload)
	return err
}

// WriteRTP sends one packet on the microphone's stream, as it is given: its
// payload type, marker, timestamp and payload, with the stream's SSRC and
// next sequence number. Before the connection is up it sends nothing.
func (b *Browser) WriteRTP(pt uint8, marker bool, ts uint32, payload []byte) error {
	return b.track.write(pt, marker, ts, payload)
}

// PressKey presses key for d as RFC 4733 events on Chrome's payload type,
// as insertDTMF does: a packet every 20 ms, all stamped with the moment the
// press began.
func (b *Browser) PressKey(t testing.TB, key byte, d time.Duration) {
	t.Helper()
	pkts, ok := media.EventPackets(key, d, 10)
	require.True(t, ok)
	ts := uint32(time.Now().UnixNano() / int64(time.Second/media.SampleRate))
	for _, p := range pkts {
		require.NoError(t, b.track.write(ChromeEventPT, p.Marker, ts, p.Event.Marshal()))
		time.Sleep(media.DefaultPtime)
	}
}
