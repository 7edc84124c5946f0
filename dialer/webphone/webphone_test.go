package webphone_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"
	"go.uber.org/goleak"

	"github.com/wellcheck/wellcheck/dialer/webphone"
	"github.com/wellcheck/wellcheck/dialer/webphone/webphonetest"
	"github.com/wellcheck/wellcheck/internal/media"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

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

// setup starts an engine with cfg and a browser with opts, and calls the
// engine from the browser.
func setup(t *testing.T, cfg webphone.Config, opts webphonetest.Options) (*webphone.Engine, *webphonetest.Browser, *webphone.Call) {
	t.Helper()
	e := newEngine(t, cfg)
	b := webphonetest.New(t, opts)
	return e, b, call(t, e, b)
}

// call makes a call of b on e and waits until both sides are connected.
func call(t testing.TB, e *webphone.Engine, b *webphonetest.Browser) *webphone.Call {
	t.Helper()
	return answer(t, e, b, b.Offer(t))
}

// answer answers offer, made by b, on e, and waits until both sides are
// connected.
func answer(t testing.TB, e *webphone.Engine, b *webphonetest.Browser, offer string) *webphone.Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	c, err := e.Answer(ctx, offer)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	b.Accept(t, c.Answer())
	b.WaitState(t, wait, func(s webrtc.PeerConnectionState) bool { return s == webrtc.PeerConnectionStateConnected })
	select {
	case <-c.Connected():
	case <-time.After(wait):
		t.Fatal("the server's side never connected")
	}
	return c
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

// say has the server's side of c say a freq Hz tone, a 20 ms frame at a time,
// until the call ends, stop is called or the test ends; stop returns once it
// has stopped.
func say(t *testing.T, c *webphone.Call, freq float64) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		tone := make([]byte, media.SampleRate) // a whole second: whole periods of any whole freq
		for i, v := range media.Sine(freq, time.Second, 16384) {
			tone[i] = g711.EncodeUlawFrame(v)
		}
		tick := time.NewTicker(media.DefaultPtime)
		defer tick.Stop()
		for off := 0; ; off = (off + 160) % len(tone) {
			if err := c.WriteAudio(tone[off : off+160]); err != nil {
				return
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	})
	stop = sync.OnceFunc(func() { cancel(); wg.Wait() })
	t.Cleanup(stop)
	return stop
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

// heard returns the payloads of the first n packets of audio b received.
func heard(t *testing.T, b *webphonetest.Browser, n int) []byte {
	t.Helper()
	if !b.Await(wait, func() bool { return len(b.Audio()) >= n }) {
		t.Fatalf("%d packets of audio after %s, want %d", len(b.Audio()), wait, n)
	}
	var all []byte
	for _, p := range b.Audio()[:n] {
		all = append(all, p.Payload...)
	}
	return all
}

// requirePort requires candidates over network (udp, tcp) in an SDP, all on
// port, and returns their addresses.
func requirePort(t *testing.T, desc, network string, port uint16) []netip.AddrPort {
	t.Helper()
	addrs := candidates(t, desc, network)
	require.NotEmpty(t, addrs)
	for _, a := range addrs {
		require.Equal(t, port, a.Port())
	}
	return addrs
}

func TestAudioBothWays(t *testing.T) {
	t.Parallel()
	_, b, c := setup(t, webphone.Config{}, webphonetest.Options{})

	b.Say(440)
	say(t, c, 1000)

	require.InDelta(t, 440, frequency(collect(t, c.Audio(), 25)), 15, "the browser's tone, heard by the server")
	require.InDelta(t, 1000, frequency(heard(t, b, 25)), 15, "the server's tone, heard by the browser")
}

func TestKeys(t *testing.T) {
	t.Parallel()
	_, b, c := setup(t, webphone.Config{}, webphonetest.Options{})
	pt, ok := c.EventPayloadType()
	require.True(t, ok)
	require.EqualValues(t, webphonetest.ChromeEventPT, pt)
	require.Contains(t, c.Answer(), "a=rtpmap:126 telephone-event/8000")

	t.Run("from the browser", func(t *testing.T) {
		// The browser presses 5 then #, each as a whole RFC 4733 press (marker,
		// updates, three ends): the server reports 5 once, then #.
		for i, key := range []byte{'5', '#'} {
			pkts, ok := media.EventPackets(key, 100*time.Millisecond, 10)
			require.True(t, ok)
			for _, p := range pkts {
				require.NoError(t, b.WriteRTP(webphonetest.ChromeEventPT, p.Marker, uint32(1000+i*8000), p.Event.Marshal()))
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
		deadline := time.Now().Add(wait)
		for i := 0; ends < 3; i++ {
			if !b.Await(time.Until(deadline), func() bool { return len(b.Events()) > i }) {
				t.Fatalf("%d end packets of the key, want 3", ends)
			}
			p := b.Events()[i]
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
		}
	})
}

// TestNoEvents checks a browser that offers no telephone-event: the call goes on,
// without keys.
func TestNoEvents(t *testing.T) {
	t.Parallel()
	_, _, c := setup(t, webphone.Config{}, webphonetest.Options{NoEvents: true})
	_, ok := c.EventPayloadType()
	require.False(t, ok)
	require.NotContains(t, c.Answer(), "telephone-event")
	require.ErrorIs(t, c.SendKey(t.Context(), '1', 100*time.Millisecond), webphone.ErrNoEvents)
}

func TestBrowserHangsUp(t *testing.T) {
	t.Parallel()
	_, b, c := setup(t, webphone.Config{}, webphonetest.Options{})

	require.NoError(t, b.Close())
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
	_, b, c := setup(t, webphone.Config{}, webphonetest.Options{})

	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Err(), webphone.ErrClosed)
	b.WaitState(t, wait, func(s webrtc.PeerConnectionState) bool { return s != webrtc.PeerConnectionStateConnected })
}

// TestBrowserVanishes checks that a browser gone silent without a word (a laptop
// closed, a network lost) ends the call once the grace has run out.
func TestBrowserVanishes(t *testing.T) {
	t.Parallel()
	conn := newCuttableConn(t)
	_, _, c := setup(t, webphone.Config{Disconnected: 300 * time.Millisecond, Grace: 300 * time.Millisecond}, webphonetest.Options{Conn: conn})

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
	b := webphonetest.New(t, webphonetest.Options{})
	c := call(t, e, b)
	b.Say(440)
	stop := say(t, c, 1000)
	collect(t, c.Audio(), 5)
	heard(t, b, 5)
	require.NoError(t, c.SendKey(t.Context(), '9', 40*time.Millisecond))
	stop()

	require.NoError(t, c.Close())
	require.NoError(t, b.Close())
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
			b := webphonetest.New(t, webphonetest.Options{})
			var offer strings.Builder
			for line := range strings.Lines(b.Offer(t)) {
				offer.WriteString(tc.change(line))
			}
			answer(t, e, b, offer.String())
		})
	}
}

// TestCallsShareOnePort checks that every call's candidates name the engine's one UDP
// port, so that one firewall rule serves all.
func TestCallsShareOnePort(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{})
	b1, b2 := webphonetest.New(t, webphonetest.Options{}), webphonetest.New(t, webphonetest.Options{})
	c1, c2 := call(t, e, b1), call(t, e, b2)
	for _, c := range []*webphone.Call{c1, c2} {
		requirePort(t, c.Answer(), "udp", e.Port())
	}
	// Both carry audio at once, each to its own browser.
	say(t, c1, 1000)
	say(t, c2, 440)
	require.InDelta(t, 1000, frequency(heard(t, b1, 10)), 25)
	require.InDelta(t, 440, frequency(heard(t, b2, 10)), 25)
}

// TestTwoAddresses checks a server with two addresses: the one port on each, both
// offered.
func TestTwoAddresses(t *testing.T) {
	t.Parallel()
	ips := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")}
	e, _, c := setup(t, webphone.Config{IPs: ips}, webphonetest.Options{})
	got := requirePort(t, c.Answer(), "udp", e.Port())
	for _, ip := range ips {
		require.Contains(t, got, netip.AddrPortFrom(ip, e.Port()))
	}
}

// TestICETCP checks the fallback for networks that block UDP: a browser that may
// only use TCP still gets a call.
func TestICETCP(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{TCP: netip.MustParseAddrPort("127.0.0.1:0")})
	require.NotZero(t, e.TCPPort())
	b := webphonetest.New(t, webphonetest.Options{Networks: []webrtc.NetworkType{webrtc.NetworkTypeTCP4}})
	c := call(t, e, b)
	requirePort(t, c.Answer(), "tcp", e.TCPPort())

	say(t, c, 1000)
	require.InDelta(t, 1000, frequency(heard(t, b, 10)), 25)
}

func TestPublicIP(t *testing.T) {
	t.Parallel()
	e := newEngine(t, webphone.Config{PublicIP: netip.MustParseAddr("203.0.113.7")})
	b := webphonetest.New(t, webphonetest.Options{})
	c, err := e.Answer(t.Context(), b.Offer(t))
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
	f.Add(webphonetest.New(f, webphonetest.Options{}).Offer(f))
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
		br := webphonetest.New(b, webphonetest.Options{})
		c := call(b, e, br)
		require.NoError(b, c.Close())
		require.NoError(b, br.Close())
	}
}
