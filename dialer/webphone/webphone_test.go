package webphone_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"
	"go.uber.org/goleak"

	"github.com/wellcheck/wellcheck/dialer/webphone"
	"github.com/wellcheck/wellcheck/internal/media"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// chromeEventPT is the payload type Chrome usually gives telephone-event/8000.
const chromeEventPT = 126

// wait bounds every wait on an event in these tests: far above what loopback needs.
const wait = 10 * time.Second

func newEngine(t testing.TB, cfg webphone.Config) *webphone.Engine {
	t.Helper()
	if len(cfg.IPs) == 0 {
		cfg.IPs = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	}
	e, err := webphone.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.Close()) })
	return e
}

// browser plays the listener's browser: a pion peer offering the audio codecs Chrome
// offers, in its order and with its payload types (Opus first, G.722, PCMU, PCMA,
// comfort noise, telephone-event at 48 kHz on 110 and at 8 kHz on 126), sending raw
// RTP on its track.
type browser struct {
	pc     *webrtc.PeerConnection
	track  *rawTrack
	audio  chan *rtp.Packet // PCMU received
	events chan *rtp.Packet // telephone-event received
	states chan webrtc.PeerConnectionState
	reader sync.WaitGroup
}

// browserOpts changes a browser from the usual Chrome on loopback UDP.
type browserOpts struct {
	conn     net.PacketConn       // its UDP socket, if not its own
	networks []webrtc.NetworkType // UDP4 if none
	noEvents bool                 // offer no telephone-event
}

func newBrowser(t testing.TB, opts browserOpts) *browser {
	t.Helper()
	var m webrtc.MediaEngine
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeG722, ClockRate: 8000, Channels: 1}, PayloadType: 9},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}, PayloadType: 0},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000, Channels: 1}, PayloadType: 8},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/CN", ClockRate: 8000, Channels: 1}, PayloadType: 13},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 48000, Channels: 1, SDPFmtpLine: "0-16"}, PayloadType: 110},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, Channels: 1, SDPFmtpLine: "0-16"}, PayloadType: chromeEventPT},
	} {
		if opts.noEvents && strings.HasSuffix(c.MimeType, "telephone-event") {
			continue
		}
		require.NoError(t, m.RegisterCodec(c, webrtc.RTPCodecTypeAudio))
	}
	var s webrtc.SettingEngine
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if len(opts.networks) == 0 {
		opts.networks = []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	}
	s.SetNetworkTypes(opts.networks)
	if opts.conn != nil {
		mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: opts.conn})
		t.Cleanup(func() { require.NoError(t, mux.Close()) })
		s.SetICEUDPMux(mux)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(&m), webrtc.WithSettingEngine(s)).NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	b := &browser{
		pc:     pc,
		track:  &rawTrack{},
		audio:  make(chan *rtp.Packet, 1000),
		events: make(chan *rtp.Packet, 1000),
		states: make(chan webrtc.PeerConnectionState, 100),
	}
	t.Cleanup(func() {
		require.NoError(t, pc.Close())
		b.reader.Wait()
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) { b.states <- s })
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
			switch p.PayloadType {
			case 0:
				b.audio <- p
			case chromeEventPT:
				b.events <- p
			}
		}
	})
	_, err = pc.AddTransceiverFromTrack(b.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	require.NoError(t, err)
	return b
}

// offer returns the browser's complete offer.
func (b *browser) offer(t testing.TB) string {
	t.Helper()
	offer, err := b.pc.CreateOffer(nil)
	require.NoError(t, err)
	gathered := webrtc.GatheringCompletePromise(b.pc)
	require.NoError(t, b.pc.SetLocalDescription(offer))
	<-gathered
	return b.pc.LocalDescription().SDP
}

// call makes a call of b on e and waits until the browser is connected.
func (b *browser) call(t testing.TB, e *webphone.Engine) *webphone.Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	c, err := e.Answer(ctx, b.offer(t))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	require.NoError(t, b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: c.Answer()}))
	b.waitState(t, func(s webrtc.PeerConnectionState) bool { return s == webrtc.PeerConnectionStateConnected })
	select {
	case <-c.Connected():
	case <-time.After(wait):
		t.Fatal("the server's side never connected")
	}
	return c
}

func (b *browser) waitState(t testing.TB, want func(webrtc.PeerConnectionState) bool) webrtc.PeerConnectionState {
	t.Helper()
	timeout := time.After(wait)
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

// rawTrack is a local track that writes whole RTP headers, as a browser sends audio
// and telephone-event on one stream.
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

// sine returns n samples of a freq Hz sine in PCMU, at -6 dBFS.
func sine(freq float64, n int) []byte {
	pcm := make([]byte, 2*n)
	for i := range n {
		v := int16(16384 * math.Sin(2*math.Pi*freq*float64(i)/media.SampleRate))
		pcm[2*i], pcm[2*i+1] = byte(v), byte(v>>8)
	}
	return g711.EncodeUlaw(pcm)
}

// frequency estimates the frequency of a PCMU tone by its zero crossings.
func frequency(pcmu []byte) float64 {
	lin := g711.DecodeUlaw(pcmu)
	crossings := 0
	prev := int16(lin[0]) | int16(lin[1])<<8
	for i := 2; i+1 < len(lin); i += 2 {
		v := int16(lin[i]) | int16(lin[i+1])<<8
		if (prev < 0) != (v < 0) {
			crossings++
		}
		prev = v
	}
	seconds := float64(len(pcmu)) / media.SampleRate
	return float64(crossings) / 2 / seconds
}

// play writes a tone in 20 ms frames until ctx ends, through write.
func play(ctx context.Context, wg *sync.WaitGroup, freq float64, write func(ts uint32, frame []byte) error) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		tone := sine(freq, media.SampleRate) // a whole second: 1000 Hz and 440 Hz loop on it
		tick := time.NewTicker(media.DefaultPtime)
		defer tick.Stop()
		for ts := uint32(0); ; ts += 160 {
			off := int(ts) % len(tone)
			if err := write(ts, tone[off:off+160]); err != nil {
				return
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()
}

// collect returns the payloads of n packets from ch, in order of arrival.
func collect(t *testing.T, ch <-chan *rtp.Packet, n int) []byte {
	t.Helper()
	var all []byte
	timeout := time.After(wait)
	for range n {
		select {
		case p, ok := <-ch:
			require.True(t, ok, "audio closed")
			all = append(all, p.Payload...)
		case <-timeout:
			t.Fatalf("%d packets of audio after %s, want %d", len(all)/160, wait, n)
		}
	}
	return all
}

func TestAudioBothWays(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{})
	b := newBrowser(t, browserOpts{})
	c := b.call(t, e)

	ctx, cancel := context.WithCancel(t.Context())
	var players sync.WaitGroup
	defer players.Wait()
	defer cancel()
	play(ctx, &players, 440, func(ts uint32, frame []byte) error { return b.track.write(0, ts == 0, ts, frame) })
	play(ctx, &players, 1000, func(_ uint32, frame []byte) error { return c.WriteAudio(frame) })

	heard := collect(t, c.Audio(), 25)
	require.InDelta(t, 440, frequency(heard), 15, "the browser's tone, heard by the server")
	heard = collect(t, b.audio, 25)
	require.InDelta(t, 1000, frequency(heard), 15, "the server's tone, heard by the browser")
}

func TestKeys(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{})
	b := newBrowser(t, browserOpts{})
	c := b.call(t, e)
	pt, ok := c.EventPayloadType()
	require.True(t, ok)
	require.EqualValues(t, chromeEventPT, pt)
	require.Contains(t, c.Answer(), "a=rtpmap:126 telephone-event/8000")

	t.Run("from the browser", func(t *testing.T) {
		// The browser presses 5 then #, each as a whole RFC 4733 press (marker,
		// updates, three ends): the server reports 5 once, then #.
		for i, key := range []byte{'5', '#'} {
			pkts, ok := media.EventPackets(key, 100*time.Millisecond, 10)
			require.True(t, ok)
			for _, p := range pkts {
				require.NoError(t, b.track.write(chromeEventPT, p.Marker, uint32(1000+i*8000), p.Event.Marshal()))
			}
		}
		for _, want := range []byte{'5', '#'} {
			select {
			case got := <-c.Keys():
				require.Equal(t, string(want), string(got))
			case <-time.After(wait):
				t.Fatalf("no key %q", want)
			}
		}
	})

	t.Run("to the browser", func(t *testing.T) {
		require.NoError(t, c.SendKey(t.Context(), '7', 100*time.Millisecond))
		var ends int
		var ts uint32
		timeout := time.After(wait)
		for ends < 3 {
			select {
			case p := <-b.events:
				ev, err := media.ParseTelephoneEvent(p.Payload)
				require.NoError(t, err)
				require.EqualValues(t, 7, ev.Event, "event code of key 7")
				if ts == 0 {
					ts = p.Timestamp
				}
				require.Equal(t, ts, p.Timestamp, "one press, one timestamp")
				if ev.End {
					ends++
					require.EqualValues(t, 800, ev.Duration, "100 ms in 8 kHz ticks")
				}
			case <-timeout:
				t.Fatalf("%d end packets of the key, want 3", ends)
			}
		}
	})
}

// TestNoEvents checks a browser that offers no telephone-event: the call goes on,
// without keys.
func TestNoEvents(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{})
	b := newBrowser(t, browserOpts{noEvents: true})
	c := b.call(t, e)
	_, ok := c.EventPayloadType()
	require.False(t, ok)
	require.NotContains(t, c.Answer(), "telephone-event")
	require.ErrorIs(t, c.SendKey(t.Context(), '1', 100*time.Millisecond), webphone.ErrNoEvents)
}

func TestBrowserHangsUp(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{})
	b := newBrowser(t, browserOpts{})
	c := b.call(t, e)

	require.NoError(t, b.pc.Close())
	select {
	case <-c.Done():
	case <-time.After(wait):
		t.Fatal("the call goes on after the browser hung up")
	}
	require.ErrorIs(t, c.Err(), webphone.ErrHungUp)
	_, open := <-c.Audio()
	require.False(t, open, "audio still open after the end")
	require.ErrorIs(t, c.WriteAudio(make([]byte, 160)), webphone.ErrHungUp)
}

func TestServerHangsUp(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{})
	b := newBrowser(t, browserOpts{})
	c := b.call(t, e)

	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Err(), webphone.ErrClosed)
	b.waitState(t, func(s webrtc.PeerConnectionState) bool { return s != webrtc.PeerConnectionStateConnected })
}

// TestBrowserVanishes checks that a browser gone silent without a word (a laptop
// closed, a network lost) ends the call once the grace has run out.
func TestBrowserVanishes(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{Disconnected: 300 * time.Millisecond, Grace: 300 * time.Millisecond})
	conn := newCuttableConn(t)
	b := newBrowser(t, browserOpts{conn: conn})
	c := b.call(t, e)

	conn.cut()
	select {
	case <-c.Done():
	case <-time.After(wait):
		t.Fatal("the call goes on after the browser vanished")
	}
	require.ErrorIs(t, c.Err(), webphone.ErrDisconnected)
}

// cuttableConn is a loopback UDP socket whose traffic can be cut both ways at once,
// as when a network is lost: nothing is sent or received any more, nothing says so.
type cuttableConn struct {
	*net.UDPConn
	gone atomic.Bool
}

func newCuttableConn(t *testing.T) *cuttableConn {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	return &cuttableConn{UDPConn: conn}
}

func (c *cuttableConn) cut() { c.gone.Store(true) }

// ReadFrom and WriteTo are all the mux uses of a net.PacketConn that is not a
// *net.UDPConn: the embedding struct hides the rest behind these two.
func (c *cuttableConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFrom(b)
		if err != nil || !c.gone.Load() {
			return n, addr, err
		}
	}
}

func (c *cuttableConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.gone.Load() {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

// TestCloseLeavesNothing checks that a call's Close stops all it started, with
// audio and keys flowing both ways until then. It is not parallel, so that the
// goroutines it finds are its own; the whole package is checked again at the end.
func TestCloseLeavesNothing(t *testing.T) {
	e := newEngine(t, webphone.Config{})
	before := goleak.IgnoreCurrent()
	b := newBrowser(t, browserOpts{})
	c := b.call(t, e)
	ctx, cancel := context.WithCancel(t.Context())
	var players sync.WaitGroup
	play(ctx, &players, 440, func(ts uint32, frame []byte) error { return b.track.write(0, ts == 0, ts, frame) })
	play(ctx, &players, 1000, func(_ uint32, frame []byte) error { return c.WriteAudio(frame) })
	collect(t, c.Audio(), 5)
	collect(t, b.audio, 5)
	require.NoError(t, c.SendKey(t.Context(), '9', 40*time.Millisecond))
	cancel()
	players.Wait()

	require.NoError(t, c.Close())
	require.NoError(t, b.pc.Close())
	b.reader.Wait()
	goleak.VerifyNone(t, before)
}

// TestBrowserCandidates checks offers whose candidates the server cannot use: Chrome
// hides its addresses behind mDNS names (.local), and a page may send its offer
// before gathering any. The browser's checks reach the server anyway, which answers
// them as peer-reflexive candidates.
func TestBrowserCandidates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(line string) string
	}{
		{"mDNS names", func(line string) string {
			f := strings.Fields(line)
			if len(f) < 5 || !strings.HasPrefix(line, "a=candidate:") {
				return line
			}
			f[4] = "3f9d1c1e-8a3b-4f7e-9d1c-1e8a3b4f7e9d.local"
			return strings.Join(f, " ") + "\r\n"
		}},
		{"none", func(line string) string {
			if strings.HasPrefix(line, "a=candidate:") {
				return ""
			}
			return line
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t, webphone.Config{})
			b := newBrowser(t, browserOpts{})
			var offer strings.Builder
			for line := range strings.Lines(b.offer(t)) {
				offer.WriteString(tc.change(line))
			}
			ctx, cancel := context.WithTimeout(t.Context(), wait)
			defer cancel()
			c, err := e.Answer(ctx, offer.String())
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, c.Close()) })
			require.NoError(t, b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: c.Answer()}))
			b.waitState(t, func(s webrtc.PeerConnectionState) bool { return s == webrtc.PeerConnectionStateConnected })
			select {
			case <-c.Connected():
			case <-time.After(wait):
				t.Fatal("the server's side never connected")
			}
		})
	}
}

// TestCallsShareOnePort checks that every call's candidates name the engine's one UDP
// port, so that one firewall rule serves all.
func TestCallsShareOnePort(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{})
	b1, b2 := newBrowser(t, browserOpts{}), newBrowser(t, browserOpts{})
	c1, c2 := b1.call(t, e), b2.call(t, e)
	for _, c := range []*webphone.Call{c1, c2} {
		addrs := candidates(t, c.Answer(), "udp")
		require.NotEmpty(t, addrs)
		for _, a := range addrs {
			require.Equal(t, e.Port(), a.Port())
		}
	}
	// Both carry audio at once, each to its own browser.
	ctx, cancel := context.WithCancel(t.Context())
	var players sync.WaitGroup
	defer players.Wait()
	defer cancel()
	play(ctx, &players, 1000, func(_ uint32, frame []byte) error { return c1.WriteAudio(frame) })
	play(ctx, &players, 440, func(_ uint32, frame []byte) error { return c2.WriteAudio(frame) })
	require.InDelta(t, 1000, frequency(collect(t, b1.audio, 10)), 25)
	require.InDelta(t, 440, frequency(collect(t, b2.audio, 10)), 25)
}

// TestTwoAddresses checks a server with two addresses: the one port on each, both
// offered.
func TestTwoAddresses(t *testing.T) {
	t.Parallel()
	ips := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")}
	e := newEngine(t, webphone.Config{IPs: ips})
	b := newBrowser(t, browserOpts{})
	c := b.call(t, e)
	got := candidates(t, c.Answer(), "udp")
	for _, ip := range ips {
		require.Contains(t, got, netip.AddrPortFrom(ip, e.Port()))
	}
	for _, a := range got {
		require.Equal(t, e.Port(), a.Port())
	}
}

// TestICETCP checks the fallback for networks that block UDP: a browser that may
// only use TCP still gets a call.
func TestICETCP(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{TCP: netip.MustParseAddrPort("127.0.0.1:0")})
	require.NotZero(t, e.TCPPort())
	b := newBrowser(t, browserOpts{networks: []webrtc.NetworkType{webrtc.NetworkTypeTCP4}})
	c := b.call(t, e)
	addrs := candidates(t, c.Answer(), "tcp")
	require.NotEmpty(t, addrs)
	for _, a := range addrs {
		require.Equal(t, e.TCPPort(), a.Port())
	}

	ctx, cancel := context.WithCancel(t.Context())
	var players sync.WaitGroup
	defer players.Wait()
	defer cancel()
	play(ctx, &players, 1000, func(_ uint32, frame []byte) error { return c.WriteAudio(frame) })
	require.InDelta(t, 1000, frequency(collect(t, b.audio, 10)), 25)
}

func TestPublicIP(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{PublicIP: netip.MustParseAddr("203.0.113.7")})
	b := newBrowser(t, browserOpts{})
	c, err := e.Answer(t.Context(), b.offer(t))
	require.NoError(t, err)
	defer func() { require.NoError(t, c.Close()) }()
	addrs := candidates(t, c.Answer(), "udp")
	require.NotEmpty(t, addrs)
	for _, a := range addrs {
		require.Equal(t, netip.AddrPortFrom(netip.MustParseAddr("203.0.113.7"), e.Port()), a)
	}
}

func TestICEServers(t *testing.T) {
	t.Parallel()
	servers := []webrtc.ICEServer{
		{URLs: []string{"stun:stun.example.org:3478"}},
		{URLs: []string{"turn:turn.example.org:3478?transport=udp"}, Username: "u", Credential: "p"},
	}
	e := newEngine(t, webphone.Config{ICEServers: servers})
	require.Equal(t, servers, e.ICEServers())
}

// Offers a browser should not send.
var (
	videoOnly = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\n"
	opusOnly = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 0.0.0.0\r\n" +
		"a=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\n"
	// An offer that parses, with PCMU, but no ICE credentials nor fingerprint: pion
	// refuses it only once the connection exists.
	noICE = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
)

func TestBadOffer(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{})
	for _, tc := range []struct {
		name  string
		offer string
		want  error
	}{
		{"empty", "", webphone.ErrBadOffer},
		{"garbage", "hello, I am a browser", webphone.ErrBadOffer},
		{"video only", videoOnly, webphone.ErrNoAudio},
		{"opus only", opusOnly, webphone.ErrNoPCMU},
		{"no ICE", noICE, webphone.ErrBadOffer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := e.Answer(t.Context(), tc.offer)
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, c)
		})
	}
}

// candidates returns the addresses of an SDP's candidates over network (udp, tcp).
func candidates(t *testing.T, desc, network string) []netip.AddrPort {
	t.Helper()
	var addrs []netip.AddrPort
	for line := range strings.Lines(desc) {
		f := strings.Fields(strings.TrimPrefix(line, "a=candidate:"))
		if !strings.HasPrefix(line, "a=candidate:") || len(f) < 6 || !strings.EqualFold(f[2], network) {
			continue
		}
		a, err := netip.ParseAddrPort(net.JoinHostPort(f[4], f[5]))
		require.NoError(t, err)
		addrs = append(addrs, a)
	}
	return addrs
}

// FuzzAnswer feeds Answer offers a browser, or someone posing as one, might send:
// whatever comes, Answer returns a call or an error, and leaks nothing. An offer that
// passes makes a whole peer connection, so minimising one takes long: fuzz with
// -fuzzminimizetime 0 (300,000 offers in 30 s on two cores, none failing).
func FuzzAnswer(f *testing.F) {
	e := newEngine(f, webphone.Config{})
	f.Add(newBrowser(f, browserOpts{}).offer(f))
	for _, o := range []string{"", "v=0\r\n", videoOnly, opusOnly, noICE} {
		f.Add(o)
	}
	f.Fuzz(func(t *testing.T, offer string) {
		ctx, cancel := context.WithTimeout(t.Context(), wait)
		defer cancel()
		c, err := e.Answer(ctx, offer)
		if err != nil {
			require.Nil(t, c)
			return
		}
		require.NotEmpty(t, c.Answer())
		require.NoError(t, c.Close())
	})
}

// BenchmarkWebphoneCalls measures a call from the browser's offer to connected audio and back
// to hung up, on loopback: what one listener's click costs the node.
func BenchmarkWebphoneCalls(b *testing.B) {
	e := newEngine(b, webphone.Config{})
	for b.Loop() {
		br := newBrowser(b, browserOpts{})
		c := br.call(b, e)
		require.NoError(b, c.Close())
		require.NoError(b, br.pc.Close())
	}
}
