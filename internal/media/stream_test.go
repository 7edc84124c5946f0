package media_test

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"

	"github.com/wellcheck/wellcheck/internal/media"
)

// A phone on loopback: a UDP socket that sends RTP as a phone would and
// counts what reaches it.
type phone struct {
	conn *net.UDPConn
	seq  uint16
	ts   uint32
}

func newPhone(t *testing.T) *phone { return newPhoneOn(t, "127.0.0.1") }

func (p *phone) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *phone) send(t *testing.T, to netip.AddrPort, pt uint8, marker bool, ts uint32, payload []byte) {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, Marker: marker, SequenceNumber: p.seq, Timestamp: ts, SSRC: 7},
		Payload: payload}).Marshal()
	require.NoError(t, err)
	p.seq++
	_, err = p.conn.WriteToUDPAddrPort(b, to)
	require.NoError(t, err)
}

// audio sends n packets of 20 ms of silence.
func (p *phone) audio(t *testing.T, to netip.AddrPort, n int) {
	t.Helper()
	for range n {
		p.send(t, to, 0, false, p.ts, make([]byte, 160))
		p.ts += 160
		time.Sleep(2 * time.Millisecond)
	}
}

// press sends key as RFC 4733 events, interleaved with comfort noise (13)
// and a payload type nobody negotiated (96), as some phones do.
func (p *phone) press(t *testing.T, to netip.AddrPort, key byte) {
	t.Helper()
	pkts, ok := media.EventPackets(key, 200*time.Millisecond, 10)
	require.True(t, ok)
	start := p.ts
	for i, ev := range pkts {
		p.send(t, to, media.EventPayloadType, ev.Marker, start, ev.Event.Marshal())
		if i%3 == 0 {
			p.send(t, to, 13, false, p.ts, []byte{40})
			p.send(t, to, 96, false, p.ts, []byte{1, 2, 3, 4})
		}
		time.Sleep(2 * time.Millisecond)
	}
	p.ts += 1600
}

// received counts the packets that reach the phone within d.
func (p *phone) received(t *testing.T, d time.Duration) int {
	t.Helper()
	n := 0
	buf := make([]byte, 1500)
	deadline := time.Now().Add(d)
	for {
		require.NoError(t, p.conn.SetReadDeadline(deadline))
		if _, _, err := p.conn.ReadFromUDPAddrPort(buf); err != nil {
			return n
		}
		n++
	}
}

func stream(t *testing.T, remote netip.AddrPort) *media.Stream {
	t.Helper()
	c, err := media.Listen(netip.MustParseAddr("127.0.0.1"))
	require.NoError(t, err)
	s := media.NewStream(c, media.StreamConfig{DetectKeys: true, Remote: media.Description{
		Addr: remote, Codec: media.PCMU, Events: true, EventType: media.EventPayloadType,
		Ptime: 20 * time.Millisecond, Direction: media.SendRecv,
	}})
	s.Start()
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func key(t *testing.T, s *media.Stream) byte {
	t.Helper()
	select {
	case k := <-s.Keys():
		return k
	case <-time.After(2 * time.Second):
		return 0
	}
}

// Behind NAT the SDP names an address the media never comes from: the
// stream latches onto where it does come from, hears the key, and sends its
// audio back there rather than into the void.
func TestStreamLatchesOntoMediaFromElsewhere(t *testing.T) {
	t.Parallel()
	described, real := newPhone(t), newPhone(t) // the SDP's address, and the NAT's
	s := stream(t, described.addr())
	require.Positive(t, described.received(t, 100*time.Millisecond), "before any media, audio goes where the SDP says")

	// A source sending a type nobody negotiated is not followed.
	stranger := newPhone(t)
	for range 5 {
		stranger.send(t, s.LocalAddr(), 96, false, 0, []byte{1})
	}
	real.audio(t, s.LocalAddr(), 3)
	real.press(t, s.LocalAddr(), '1')
	require.Equal(t, byte('1'), key(t, s), "the key from the NAT's address is heard")
	require.Equal(t, real.addr(), s.Stats().LatchedTo)
	require.Positive(t, real.received(t, 100*time.Millisecond), "our audio follows the media")
	described.received(t, 50*time.Millisecond) // what was in flight
	require.Zero(t, described.received(t, 100*time.Millisecond), "and no longer goes to the SDP's address")
	require.Positive(t, s.Stats().ReceivedUnknown, "comfort noise and the unknown type are set aside")

	// Latched, the stream keeps its peer: a stranger cannot press a key.
	stranger.audio(t, s.LocalAddr(), 5)
	stranger.press(t, s.LocalAddr(), '2')
	require.Zero(t, key(t, s))
	require.Zero(t, stranger.received(t, 100*time.Millisecond))
}

// Once media has come from the SDP's address, a stranger sending the
// negotiated types takes nothing: neither the keys nor the audio.
func TestStreamKeepsThePeerItHeard(t *testing.T) {
	t.Parallel()
	peer, stranger := newPhone(t), newPhone(t)
	s := stream(t, peer.addr())
	peer.audio(t, s.LocalAddr(), 2)
	stranger.audio(t, s.LocalAddr(), 5)
	stranger.press(t, s.LocalAddr(), '2')
	require.Zero(t, key(t, s), "a stranger's key")
	require.Zero(t, stranger.received(t, 100*time.Millisecond), "a stranger gets no audio")
	require.Positive(t, s.Stats().ReceivedStranger)
	require.Equal(t, netip.AddrPort{}, s.Stats().LatchedTo)

	peer.press(t, s.LocalAddr(), '1')
	require.Equal(t, byte('1'), key(t, s), "the peer's key, among comfort noise and unknown types")
}

// tone sends key as 200 ms of in-band tones, PCMU.
func (p *phone) tone(t *testing.T, to netip.AddrPort, key byte) {
	t.Helper()
	pcm, ok := media.GenerateTone(key, 200*time.Millisecond)
	require.True(t, ok)
	lin := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(lin[2*i:], uint16(v))
	}
	ulaw := g711.EncodeUlaw(lin)
	for i := 0; i+160 <= len(ulaw); i += 160 {
		p.send(t, to, 0, false, p.ts, ulaw[i:i+160])
		p.ts += 160
		time.Sleep(2 * time.Millisecond)
	}
}

// Many phones and gateways send keys as tones even when events were
// negotiated: they count. One that sends a press both ways has it counted
// once.
func TestKeysComeAsTonesOrBoth(t *testing.T) {
	t.Parallel()
	p := newPhone(t)
	s := stream(t, p.addr())
	p.audio(t, s.LocalAddr(), 2)
	p.tone(t, s.LocalAddr(), '2')
	require.Equal(t, byte('2'), key(t, s), "a tone, events negotiated")

	p.audio(t, s.LocalAddr(), 10)
	p.press(t, s.LocalAddr(), '1')
	p.tone(t, s.LocalAddr(), '1')
	require.Equal(t, byte('1'), key(t, s))
	require.Zero(t, key(t, s), "the same press, both ways: once")
}

// In a conversation (NoTones) tones are the voices' business: only keys
// sent as events count.
func TestNoTonesCountsOnlyEvents(t *testing.T) {
	t.Parallel()
	p := newPhone(t)
	c, err := media.Listen(netip.MustParseAddr("127.0.0.1"))
	require.NoError(t, err)
	s := media.NewStream(c, media.StreamConfig{DetectKeys: true, NoTones: true, Remote: media.Description{
		Addr: p.addr(), Codec: media.PCMU, Events: true, EventType: media.EventPayloadType,
		Ptime: 20 * time.Millisecond, Direction: media.SendRecv,
	}})
	s.Start()
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	p.audio(t, s.LocalAddr(), 2)
	p.tone(t, s.LocalAddr(), '2')
	require.Zero(t, key(t, s), "a tone is not a key here")
	p.press(t, s.LocalAddr(), '3')
	require.Equal(t, byte('3'), key(t, s), "an event is")
}

// A re-INVITE puts us on hold and takes us off it: nothing is sent while
// held, the prompt waits where it was and goes on after, and a key pressed
// while held is heard.
func TestStreamHold(t *testing.T) {
	t.Parallel()
	p := newPhone(t)
	s := stream(t, p.addr())
	desc := s.Remote()
	require.Positive(t, p.received(t, 100*time.Millisecond), "before the hold")

	held := desc
	held.Direction = media.SendOnly
	s.Update(held)
	p.received(t, 50*time.Millisecond)                                  // what was in flight
	played := s.Play(media.NewSound(make([]int16, media.SampleRate/5))) // 200 ms
	require.Zero(t, p.received(t, 300*time.Millisecond), "nothing is sent while held")
	select {
	case <-played:
		t.Fatal("the prompt was not heard: it must wait for the end of the hold")
	default:
	}
	p.press(t, s.LocalAddr(), '1')
	require.Equal(t, byte('1'), key(t, s), "a key pressed while we are held")

	inactive := desc
	inactive.Direction = media.Inactive
	s.Update(inactive)
	require.Zero(t, p.received(t, 100*time.Millisecond), "nor while inactive")

	s.Update(desc)
	require.Positive(t, p.received(t, 100*time.Millisecond), "off hold")
	select {
	case <-played:
	case <-time.After(2 * time.Second):
		t.Fatal("the prompt went on after the hold")
	}
}

// An SBC re-anchors the media: the new address is the peer from then on,
// for its keys (among comfort noise and unknown types) and our audio; the
// old one is a stranger.
func TestStreamFollowsANewAddress(t *testing.T) {
	t.Parallel()
	old, moved := newPhone(t), newPhone(t)
	s := stream(t, old.addr())
	old.audio(t, s.LocalAddr(), 2)
	require.Positive(t, old.received(t, 100*time.Millisecond))

	desc := s.Remote()
	desc.Addr = moved.addr()
	desc.EventType = 96 // the new offer names events otherwise
	s.Update(desc)
	old.received(t, 50*time.Millisecond) // what was in flight
	require.Positive(t, moved.received(t, 100*time.Millisecond), "our audio goes to the new address")
	require.Zero(t, old.received(t, 100*time.Millisecond), "and no longer to the old one")

	old.press(t, s.LocalAddr(), '2')
	require.Zero(t, key(t, s), "the old address is nobody now")
	moved.press(t, s.LocalAddr(), '1') // under 101, the type our offer named
	require.Equal(t, byte('1'), key(t, s))

	// A hold with c=0.0.0.0 names no address: the peer stays.
	hold := desc
	hold.Addr, hold.Direction = netip.MustParseAddrPort("0.0.0.0:4000"), media.SendOnly
	s.Update(hold)
	require.Equal(t, moved.addr(), s.Remote().Addr)
	s.Update(desc)
	moved.received(t, 50*time.Millisecond)
	require.Positive(t, moved.received(t, 100*time.Millisecond))
}

// A re-INVITE that changes the codec mid-prompt: the rest of the prompt
// goes out in the new law, not the old law's bytes under the new type.
func TestStreamChangesCodecMidSound(t *testing.T) {
	t.Parallel()
	p := newPhone(t)
	s := stream(t, p.addr())
	pcm := make([]int16, media.SampleRate) // a second of a steady level
	for i := range pcm {
		pcm[i] = 3000
	}
	s.Play(media.NewSound(pcm))
	desc := s.Remote()
	desc.Codec = media.PCMA
	s.Update(desc)

	want := g711.EncodeAlawFrame(3000)
	require.NoError(t, p.conn.SetReadDeadline(time.Now().Add(2*time.Second)))
	buf := make([]byte, 1500)
	for {
		n, _, err := p.conn.ReadFromUDPAddrPort(buf)
		require.NoError(t, err, "no A-law packet of the prompt came")
		var pkt rtp.Packet
		require.NoError(t, pkt.Unmarshal(buf[:n]))
		if pkt.PayloadType != media.PCMA.PayloadType {
			continue // sent before the update
		}
		require.Equal(t, want, pkt.Payload[0], "A-law bytes under the A-law type")
		return
	}
}

// Only addresses the caller allows may be latched onto: a stranger who
// sends first, from an address that is neither the description's nor one
// the dialer trusts, takes nothing — the real far end, sending from an
// allowed address, is latched onto and its key heard.
func TestStreamLatchesOnlyOntoAllowedAddresses(t *testing.T) {
	t.Parallel()
	c, err := media.Listen(netip.MustParseAddr("127.0.0.1"))
	require.NoError(t, err)
	described := netip.MustParseAddrPort("10.99.0.1:4000") // a private address in the SDP
	stranger := newPhoneOn(t, "127.0.0.3")
	real := newPhoneOn(t, "127.0.0.2")
	s := media.NewStream(c, media.StreamConfig{DetectKeys: true, Remote: media.Description{
		Addr: described, Codec: media.PCMU, Events: true, EventType: media.EventPayloadType,
		Ptime: 20 * time.Millisecond, Direction: media.SendRecv,
	}, MayLatch: func(ip netip.Addr) bool { return ip == netip.MustParseAddr("127.0.0.2") }})
	s.Start()
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	stranger.audio(t, s.LocalAddr(), 5)
	stranger.press(t, s.LocalAddr(), '1')
	require.Zero(t, key(t, s), "the stranger's key")
	real.audio(t, s.LocalAddr(), 3)
	real.press(t, s.LocalAddr(), '2')
	require.Equal(t, byte('2'), key(t, s), "the far end's key")
	require.Equal(t, real.addr(), s.Stats().LatchedTo)
}

func newPhoneOn(t *testing.T, ip string) *phone {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(ip), 0)))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &phone{conn: c, seq: 1000, ts: 5000}
}

// fedStream is a Fed stream sending to p in codec, telephone events
// negotiated, started.
func fedStream(t *testing.T, p *phone, codec media.Codec) *media.Stream {
	t.Helper()
	c, err := media.Listen(netip.MustParseAddr("127.0.0.1"))
	require.NoError(t, err)
	s := media.NewStream(c, media.StreamConfig{Fed: true, Remote: media.Description{
		Addr: p.addr(), Codec: codec, Events: true, EventType: media.EventPayloadType,
		Ptime: 20 * time.Millisecond, Direction: media.SendRecv,
	}})
	s.Start()
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// A Fed stream (a bridged call) sends each frame fed at once, with the
// stream's own numbering, A-law for a peer that takes it; while nothing is
// fed it keeps its own pace, a key press included.
func TestFedStreamSendsWhatComesWhenItComes(t *testing.T) {
	t.Parallel()
	p := newPhone(t)
	s := fedStream(t, p, media.Codec{Name: "PCMA", PayloadType: 8})

	read := func() rtp.Packet {
		t.Helper()
		buf := make([]byte, 1500)
		require.NoError(t, p.conn.SetReadDeadline(time.Now().Add(2*time.Second)))
		n, _, err := p.conn.ReadFromUDPAddrPort(buf)
		require.NoError(t, err)
		var pkt rtp.Packet
		require.NoError(t, pkt.Unmarshal(buf[:n]))
		return pkt
	}
	ulaw := make([]byte, 160)
	for i := range ulaw {
		ulaw[i] = g711.EncodeUlawFrame(int16(1000 * (i%2*2 - 1)))
	}
	quiet := g711.EncodeAlawFrame(0)
	var prev uint16
	for i := range 5 {
		time.Sleep(7 * time.Millisecond) // the browser's own pace, not the stream's
		s.Feed(ulaw)
		pkt := read()
		for pkt.Payload[0] == quiet { // the stream's own silence, on a machine too busy to feed in time
			pkt = read()
		}
		require.Equal(t, uint8(8), pkt.PayloadType)
		require.Equal(t, g711.Ulaw2Alaw(ulaw), pkt.Payload, "in the peer's law")
		if i > 0 {
			require.Greater(t, pkt.SequenceNumber-prev, uint16(0), "one numbering")
			require.Less(t, pkt.SequenceNumber-prev, uint16(10))
		}
		prev = pkt.SequenceNumber
	}
	// Nothing fed: a key still goes out, and silence at the stream's pace.
	require.True(t, s.SendKey('4', 100*time.Millisecond))
	events := 0
	start := time.Now()
	for time.Since(start) < 500*time.Millisecond {
		if read().PayloadType == media.EventPayloadType {
			events++
		}
	}
	require.GreaterOrEqual(t, events, 5, "the key's events went out though nothing was fed")
	n := p.received(t, 400*time.Millisecond)
	require.Less(t, n, 30, "about one packet every 20 ms, not a flood")
	require.Greater(t, n, 5, "about one packet every 20 ms")
}

// A Fed stream keeps its source's timeline: frames held up on the way
// (Wi-Fi's jitter) go out late but stamped as the browser stamped them, with
// no silence of the stream's own spliced into the speech; a frame the
// source lost leaves its gap in the timestamps.
func TestFedStreamKeepsTheSourcesTimeline(t *testing.T) {
	t.Parallel()
	p := newPhone(t)
	s := fedStream(t, p, media.PCMU)

	speech := make([]byte, 160)
	for i := range speech {
		speech[i] = g711.EncodeUlawFrame(int16(4000 * (i%4 - 2)))
	}
	const base = 123456
	var sent []uint32 // the source's timestamps, in order
	for n := range 40 {
		if n == 25 {
			continue // lost on the way
		}
		if n%8 == 7 {
			time.Sleep(70 * time.Millisecond) // held up, then a burst
		} else {
			time.Sleep(20 * time.Millisecond)
		}
		ts := uint32(base + n*160)
		s.FeedAt(speech, ts)
		sent = append(sent, ts)
	}
	buf := make([]byte, 1500)
	var got []rtp.Packet
	for len(got) < len(sent) {
		require.NoError(t, p.conn.SetReadDeadline(time.Now().Add(2*time.Second)))
		n, _, err := p.conn.ReadFromUDPAddrPort(buf)
		require.NoError(t, err, "after %d packets", len(got))
		var pkt rtp.Packet
		require.NoError(t, pkt.Unmarshal(buf[:n]))
		got = append(got, pkt)
	}
	for i, pkt := range got {
		require.Equal(t, speech, pkt.Payload, "packet %d is speech, not the stream's own silence", i)
		require.Equal(t, sent[i]-sent[0], pkt.Timestamp-got[0].Timestamp, "packet %d keeps the source's timeline", i)
	}
}

// A key pressed on a Fed stream goes out at once and at the stream's pace,
// though no frame comes (a browser sends no audio while its key's events
// go): the whole press within about its length, not a packet per fedIdle.
func TestFedStreamSendsAKeyWithoutFrames(t *testing.T) {
	t.Parallel()
	p := newPhone(t)
	s := fedStream(t, p, media.PCMU)
	time.Sleep(10 * time.Millisecond)
	pressed := time.Now()
	require.True(t, s.SendKey('7', 100*time.Millisecond))
	buf := make([]byte, 1500)
	var first time.Duration
	for ends := 0; ends == 0; {
		require.NoError(t, p.conn.SetReadDeadline(time.Now().Add(2*time.Second)))
		n, _, err := p.conn.ReadFromUDPAddrPort(buf)
		require.NoError(t, err)
		var pkt rtp.Packet
		require.NoError(t, pkt.Unmarshal(buf[:n]))
		if pkt.PayloadType != media.EventPayloadType {
			continue
		}
		if first == 0 {
			first = time.Since(pressed)
		}
		if pkt.Payload[1]&0x80 != 0 {
			ends++
		}
	}
	require.Less(t, first, 150*time.Millisecond, "the press went out at once, not when the stream would have sent on its own")
	require.Less(t, time.Since(pressed), 600*time.Millisecond, "and ended in about its length")
}
