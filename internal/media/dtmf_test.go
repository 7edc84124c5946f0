package media

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"
)

const allKeys = "0123456789*#ABCD"

func TestEventKeyRoundTrip(t *testing.T) {
	t.Parallel()
	for code := range 256 {
		key, ok := EventKey(uint8(code))
		require.Equal(t, code < 16, ok, "code %d", code)
		if !ok {
			continue
		}
		back, ok := KeyEvent(key)
		require.True(t, ok, "key %q", key)
		require.Equal(t, uint8(code), back)
	}
	for k := range 256 {
		_, ok := KeyEvent(byte(k))
		require.Equal(t, slices.Contains([]byte(allKeys), byte(k)), ok, "key %q", byte(k))
	}
	code, _ := KeyEvent('*')
	require.Equal(t, uint8(10), code)
	code, _ = KeyEvent('#')
	require.Equal(t, uint8(11), code)
	code, _ = KeyEvent('D')
	require.Equal(t, uint8(15), code)
}

func TestTelephoneEventMarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ev   TelephoneEvent
		want []byte
		back TelephoneEvent
	}{
		{"update", TelephoneEvent{Event: 1, Volume: 10, Duration: 160}, []byte{1, 10, 0, 160}, TelephoneEvent{Event: 1, Volume: 10, Duration: 160}},
		{"end", TelephoneEvent{Event: 11, End: true, Volume: 63, Duration: 0x1234}, []byte{11, 0xbf, 0x12, 0x34}, TelephoneEvent{Event: 11, End: true, Volume: 63, Duration: 0x1234}},
		{"volume cut to 6 bits", TelephoneEvent{Event: 5, Volume: 0xff, Duration: 1}, []byte{5, 0x3f, 0, 1}, TelephoneEvent{Event: 5, Volume: 63, Duration: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := tt.ev.Marshal()
			require.Equal(t, tt.want, b)
			got, err := ParseTelephoneEvent(b)
			require.NoError(t, err)
			require.Equal(t, tt.back, got)
		})
	}
}

func TestParseTelephoneEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload []byte
		want    TelephoneEvent
		wantErr bool
	}{
		{"nil", nil, TelephoneEvent{}, true},
		{"three bytes", []byte{1, 2, 3}, TelephoneEvent{}, true},
		{"reserved bit ignored", []byte{9, 0x40 | 7, 0, 80}, TelephoneEvent{Event: 9, Volume: 7, Duration: 80}, false},
		{"redundant events after the first ignored", []byte{3, 0x8a, 3, 32, 2, 0x8a, 1, 0}, TelephoneEvent{Event: 3, End: true, Volume: 10, Duration: 800}, false},
		{"non-DTMF code parses", []byte{200, 0, 0, 0}, TelephoneEvent{Event: 200}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTelephoneEvent(tt.payload)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestEventPackets(t *testing.T) {
	t.Parallel()
	type pkt struct {
		dur    uint16
		end    bool
		marker bool
	}
	tests := []struct {
		name string
		key  byte
		d    time.Duration
		want []pkt
	}{
		{"100 ms", '5', 100 * time.Millisecond, []pkt{
			{160, false, true}, {320, false, false}, {480, false, false}, {640, false, false},
			{800, true, false}, {800, true, false}, {800, true, false},
		}},
		{"50 ms", '#', 50 * time.Millisecond, []pkt{
			{160, false, true}, {320, false, false},
			{400, true, false}, {400, true, false}, {400, true, false},
		}},
		{"shorter than a packet", 'A', 10 * time.Millisecond, []pkt{
			{80, true, true}, {80, true, false}, {80, true, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pkts, ok := EventPackets(tt.key, tt.d, 10)
			require.True(t, ok)
			code, _ := KeyEvent(tt.key)
			got := make([]pkt, len(pkts))
			for i, p := range pkts {
				require.Equal(t, code, p.Event.Event)
				require.Equal(t, uint8(10), p.Event.Volume)
				got[i] = pkt{p.Event.Duration, p.Event.End, p.Marker}
			}
			require.Equal(t, tt.want, got)
		})
	}

	t.Run("long press capped", func(t *testing.T) {
		t.Parallel()
		pkts, ok := EventPackets('1', 20*time.Second, 10)
		require.True(t, ok)
		require.Equal(t, uint16(math.MaxUint16), pkts[len(pkts)-1].Event.Duration)
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			key byte
			d   time.Duration
		}{{'x', time.Second}, {'a', time.Second}, {0, time.Second}, {'1', 0}, {'1', -time.Second}, {'1', 100 * time.Microsecond}} {
			_, ok := EventPackets(c.key, c.d, 10)
			require.False(t, ok, "key %q for %v", c.key, c.d)
		}
	})
}

// press returns the RTP packets of one key press starting at timestamp ts.
func press(t *testing.T, key byte, ts uint32, d time.Duration) []*rtp.Packet {
	t.Helper()
	evs, ok := EventPackets(key, d, 10)
	require.True(t, ok)
	pkts := make([]*rtp.Packet, len(evs))
	for i, ev := range evs {
		pkts[i] = &rtp.Packet{
			Header: rtp.Header{
				Version:        2,
				Marker:         ev.Marker,
				PayloadType:    EventPayloadType,
				SequenceNumber: uint16(ts/160) + uint16(i),
				Timestamp:      ts,
				SSRC:           0x5eed,
			},
			Payload: ev.Event.Marshal(),
		}
	}
	return pkts
}

// detectEvents feeds pkts to a fresh detector, through the wire format, and returns the
// keys it reports.
func detectEvents(t *testing.T, pkts []*rtp.Packet) string {
	t.Helper()
	var d EventDetector
	var keys []byte
	for _, p := range pkts {
		b, err := p.Marshal()
		require.NoError(t, err)
		var q rtp.Packet
		require.NoError(t, q.Unmarshal(b))
		if key, ok := d.Packet(&q); ok {
			keys = append(keys, key)
		}
	}
	return string(keys)
}

func TestEventDetectorEachKey(t *testing.T) {
	t.Parallel()
	for _, key := range []byte(allKeys) {
		t.Run(string(key), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, string(key), detectEvents(t, press(t, key, 48000, 120*time.Millisecond)))
		})
	}
}

func TestEventDetector(t *testing.T) {
	t.Parallel()
	const ms = 8 // clock ticks per millisecond
	withPayload := func(p *rtp.Packet, payload []byte) *rtp.Packet {
		q := *p
		q.Payload = payload
		return &q
	}
	tests := []struct {
		name    string
		packets func(t *testing.T) []*rtp.Packet
		want    string
	}{
		{"duplicated packets", func(t *testing.T) []*rtp.Packet {
			var out []*rtp.Packet
			for _, p := range press(t, '7', 1000, 200*time.Millisecond) {
				out = append(out, p, p, p)
			}
			return out
		}, "7"},
		{"shuffled press", func(t *testing.T) []*rtp.Packet {
			pkts := press(t, '3', 1000, 200*time.Millisecond)
			rand.New(rand.NewPCG(4, 733)).Shuffle(len(pkts), func(i, j int) { pkts[i], pkts[j] = pkts[j], pkts[i] })
			return pkts
		}, "3"},
		{"shuffled presses stay apart", func(t *testing.T) []*rtp.Packet {
			a := press(t, '1', 1000, 100*time.Millisecond)
			b := press(t, '1', 1000+300*ms, 100*time.Millisecond)
			rng := rand.New(rand.NewPCG(1, 2))
			rng.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] })
			rng.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
			return append(a, b...)
		}, "11"},
		{"marker lost", func(t *testing.T) []*rtp.Packet {
			return press(t, '9', 1000, 100*time.Millisecond)[1:]
		}, "9"},
		{"only the ends arrive", func(t *testing.T) []*rtp.Packet {
			pkts := press(t, '0', 1000, 100*time.Millisecond)
			return pkts[len(pkts)-3:]
		}, "0"},
		{"update after the ends", func(t *testing.T) []*rtp.Packet {
			pkts := press(t, '4', 1000, 100*time.Millisecond)
			return append(pkts, pkts[1])
		}, "4"},
		{"ends lost then the same key again", func(t *testing.T) []*rtp.Packet {
			a := press(t, '2', 1000, 100*time.Millisecond)
			b := press(t, '2', 1000+250*ms, 100*time.Millisecond)
			return slices.Concat(a[:len(a)-3], b)
		}, "22"},
		{"late packet of an earlier press", func(t *testing.T) []*rtp.Packet {
			a := press(t, '1', 1000, 100*time.Millisecond)
			b := press(t, '2', 1000+250*ms, 100*time.Millisecond)
			return slices.Concat(a, b[:2], []*rtp.Packet{a[len(a)-1], a[1]}, b[2:])
		}, "12"},
		{"first sight of an earlier press after a newer one", func(t *testing.T) []*rtp.Packet {
			a := press(t, '1', 1000, 100*time.Millisecond)
			b := press(t, '2', 1000+250*ms, 100*time.Millisecond)
			return append(b, a...) // a was all delayed: too late to be told apart from a stray
		}, "2"},
		{"late packet of a press gone from the history", func(t *testing.T) []*rtp.Packet {
			var out []*rtp.Packet
			var first []*rtp.Packet
			for i := range eventHistory + 4 {
				p := press(t, allKeys[i%10], 1000+uint32(i)*200*ms, 100*time.Millisecond)
				if i == 0 {
					first = p
				}
				out = append(out, p...)
			}
			return append(out, first...)
		}, "0123456789012345678" + "9"},
		{"timestamps wrap around", func(t *testing.T) []*rtp.Packet {
			a := press(t, '1', math.MaxUint32-100*ms, 100*time.Millisecond)
			b := press(t, '2', 150*ms, 100*time.Millisecond) // 250 ms later, across 2^32
			c := press(t, '3', 400*ms, 100*time.Millisecond)
			// a's rest arrives after b's start, and stray copies after c.
			return slices.Concat(a[:3], b[:2], a[3:], b[2:], c, []*rtp.Packet{a[1], b[0]})
		}, "123"},
		{"history wraps around 2^32 too", func(t *testing.T) []*rtp.Packet {
			var out []*rtp.Packet
			start := uint32(math.MaxUint32 - 5*200*ms)
			for i := range eventHistory + 2 {
				out = append(out, press(t, '5', start+uint32(i)*200*ms, 40*time.Millisecond)...)
			}
			return append(out, press(t, '5', start, 40*time.Millisecond)...)
		}, "555555555555555555"},
		{"garbage ignored", func(t *testing.T) []*rtp.Packet {
			good := press(t, '8', 1000, 40*time.Millisecond)
			return []*rtp.Packet{
				withPayload(good[0], nil),
				withPayload(good[0], []byte{8, 10, 0}),
				withPayload(good[0], []byte{200, 10, 0, 160}),
				withPayload(good[0], []byte{16, 0x8a, 0, 160}),
				withPayload(good[0], []byte{255, 0xff, 0xff, 0xff}),
				good[0],
			}
		}, "8"},
		{"new sender starts afresh", func(t *testing.T) []*rtp.Packet {
			a := press(t, '1', 5000, 100*time.Millisecond)
			b := press(t, '1', 5000, 100*time.Millisecond) // same timestamp, other SSRC
			for _, p := range b {
				p.SSRC++
			}
			return append(a, b...)
		}, "11"},
		{"late packet of a press long ago, still remembered", func(t *testing.T) []*rtp.Packet {
			a := press(t, '1', 1000, 100*time.Millisecond)
			b := press(t, '2', 1000+12_000*ms, 100*time.Millisecond)
			return slices.Concat(a, b, a[3:4])
		}, "12"},
		{"clock restarted far behind", func(t *testing.T) []*rtp.Packet {
			a := press(t, '1', 1<<30, 100*time.Millisecond)
			b := press(t, '2', 1<<20, 100*time.Millisecond)
			c := press(t, '3', 1<<20+300*ms, 100*time.Millisecond)
			return slices.Concat(a, b, c)
		}, "123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, detectEvents(t, tt.packets(t)))
		})
	}

	t.Run("nil packet", func(t *testing.T) {
		t.Parallel()
		var d EventDetector
		_, ok := d.Packet(nil)
		require.False(t, ok)
	})
}

func TestGenerateTone(t *testing.T) {
	t.Parallel()
	for _, key := range []byte(allKeys) {
		pcm, ok := GenerateTone(key, 60*time.Millisecond)
		require.True(t, ok)
		require.Len(t, pcm, 480)
		peak := 0
		for _, v := range pcm {
			peak = max(peak, abs(int(v)))
		}
		require.Greater(t, peak, 15000, "key %q", key) // the sines meet in phase within 60 ms
		require.Less(t, peak, 21000, "key %q", key)    // two sines at -10 dBFS: at most -4 dBFS
	}
	for _, key := range []byte("xa \x00") {
		_, ok := GenerateTone(key, time.Second)
		require.False(t, ok, "key %q", key)
	}
	pcm, ok := GenerateTone('1', 0)
	require.True(t, ok)
	require.Empty(t, pcm)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// G.711 round trips, as the detector hears tones on a real call.
func ulaw(pcm []int16) []int16   { return fromBytes(g711.DecodeUlaw(g711.EncodeUlaw(toBytes(pcm)))) }
func alaw(pcm []int16) []int16   { return fromBytes(g711.DecodeAlaw(g711.EncodeAlaw(toBytes(pcm)))) }
func linear(pcm []int16) []int16 { return pcm }

func toBytes(pcm []int16) []byte {
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

func fromBytes(b []byte) []int16 {
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return pcm
}

func quiet(d time.Duration) []int16 { return make([]int16, d/tick) }

func tone(t *testing.T, key byte, d time.Duration) []int16 {
	t.Helper()
	pcm, ok := GenerateTone(key, d)
	require.True(t, ok)
	return pcm
}

// sines returns d of summed sines, each of peak amplitude amp, at the given frequencies.
func sines(d time.Duration, amp float64, freqs ...float64) []int16 {
	pcm := make([]int16, d/tick)
	for n := range pcm {
		var v float64
		for _, f := range freqs {
			v += amp * math.Sin(2*math.Pi*f*float64(n)/SampleRate)
		}
		pcm[n] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return pcm
}

// addNoise adds white Gaussian noise of the given RMS, from a fixed seed.
func addNoise(pcm []int16, rms float64, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 0xd7f))
	out := make([]int16, len(pcm))
	for i, v := range pcm {
		out[i] = int16(max(-32768, min(32767, math.Round(float64(v)+rms*rng.NormFloat64()))))
	}
	return out
}

// detectTones feeds pcm to a fresh detector in chunks of the given size.
func detectTones(pcm []int16, chunk int) string {
	d := NewToneDetector()
	var keys []byte
	for len(pcm) > 0 {
		n := min(chunk, len(pcm))
		keys = append(keys, d.Write(pcm[:n])...)
		pcm = pcm[n:]
	}
	return string(keys)
}

func TestToneDetectorEachKey(t *testing.T) {
	t.Parallel()
	codecs := []struct {
		name  string
		trip  func([]int16) []int16
		chunk int
	}{
		{"linear", linear, 160}, {"ulaw", ulaw, 160}, {"alaw", alaw, 160},
		{"ulaw odd chunks", ulaw, 37}, {"alaw odd chunks", alaw, 37}, {"alaw sample by sample", alaw, 1},
	}
	for _, c := range codecs {
		for _, key := range []byte(allKeys) {
			t.Run(c.name+"/"+string(key), func(t *testing.T) {
				t.Parallel()
				pcm := slices.Concat(quiet(30*time.Millisecond), tone(t, key, 60*time.Millisecond), quiet(100*time.Millisecond))
				require.Equal(t, string(key), detectTones(c.trip(pcm), c.chunk))
			})
		}
	}
}

func TestToneDetector(t *testing.T) {
	t.Parallel()
	const amp = toneAmplitude
	tests := []struct {
		name string
		pcm  func(t *testing.T) []int16
		want string
	}{
		{"500 ms press counts once", func(t *testing.T) []int16 {
			return slices.Concat(quiet(20*time.Millisecond), tone(t, '5', 500*time.Millisecond), quiet(200*time.Millisecond))
		}, "5"},
		{"two presses 60 ms apart count twice", func(t *testing.T) []int16 {
			return slices.Concat(tone(t, '1', 60*time.Millisecond), quiet(60*time.Millisecond), tone(t, '1', 60*time.Millisecond), quiet(60*time.Millisecond))
		}, "11"},
		{"two keys back to back", func(t *testing.T) []int16 {
			return slices.Concat(tone(t, '1', 80*time.Millisecond), tone(t, '2', 80*time.Millisecond), quiet(60*time.Millisecond))
		}, "12"},
		{"10 ms dropout does not split a press", func(t *testing.T) []int16 {
			return slices.Concat(tone(t, '#', 100*time.Millisecond), quiet(10*time.Millisecond), tone(t, '#', 100*time.Millisecond))
		}, "#"},
		{"moderate noise, SNR 15 dB", func(t *testing.T) []int16 {
			// Each tone's power is amp²/2, the pair's amp²; noise at 15 dB below.
			pcm := slices.Concat(quiet(50*time.Millisecond), tone(t, '8', 60*time.Millisecond), quiet(50*time.Millisecond))
			return ulaw(addNoise(pcm, amp*math.Pow(10, -15.0/20), 7))
		}, "8"},
		{"off frequency by 1.5%", func(t *testing.T) []int16 {
			return slices.Concat(sines(60*time.Millisecond, amp, row1*1.015, col4*1.015), quiet(40*time.Millisecond),
				sines(60*time.Millisecond, amp, row1*0.985, col4*0.985))
		}, "AA"},
		{"normal twist of 7 dB", func(t *testing.T) []int16 {
			return mix(sines(60*time.Millisecond, amp, row2), sines(60*time.Millisecond, amp*math.Pow(10, -7.0/20), col2))
		}, "5"},
		{"reverse twist of 3 dB", func(t *testing.T) []int16 {
			return mix(sines(60*time.Millisecond, amp*math.Pow(10, -3.0/20), row2), sines(60*time.Millisecond, amp, col2))
		}, "5"},
		{"quiet key at -30 dBFS", func(t *testing.T) []int16 {
			return sines(60*time.Millisecond, 32767*math.Pow(10, -30.0/20), row3, col3)
		}, "9"},

		{"too short: 20 ms", func(t *testing.T) []int16 {
			return slices.Concat(quiet(35*time.Millisecond), tone(t, '5', 20*time.Millisecond), quiet(100*time.Millisecond))
		}, ""},
		{"silence", func(t *testing.T) []int16 { return quiet(2 * time.Second) }, ""},
		{"white noise", func(t *testing.T) []int16 { return addNoise(quiet(5*time.Second), 6000, 1) }, ""},
		{"loud clipped white noise", func(t *testing.T) []int16 { return addNoise(quiet(5*time.Second), 30000, 2) }, ""},
		{"1000 Hz sine", func(t *testing.T) []int16 { return sines(time.Second, amp, 1000) }, ""},
		{"lone 697 Hz sine", func(t *testing.T) []int16 { return sines(time.Second, amp, row1) }, ""},
		{"lone 1633 Hz sine", func(t *testing.T) []int16 { return sines(time.Second, amp, col4) }, ""},
		{"a second row tone 2 dB down", func(t *testing.T) []int16 {
			return mix(sines(time.Second, amp/2, row1, col1), sines(time.Second, amp/2*math.Pow(10, -2.0/20), row2))
		}, ""},
		{"a second column tone 4 dB down", func(t *testing.T) []int16 {
			return mix(sines(time.Second, amp/2, row1, col2), sines(time.Second, amp/2*math.Pow(10, -4.0/20), col3))
		}, ""},
		{"a weaker third tone passes: row 6 dB, column 9 dB down", func(t *testing.T) []int16 {
			const d = 100 * time.Millisecond
			return slices.Concat(
				mix(sines(d, amp/2, row1, col2), sines(d, amp/2*math.Pow(10, -6.0/20), row3)), quiet(50*time.Millisecond),
				mix(sines(d, amp/2, row1, col2), sines(d, amp/2*math.Pow(10, -9.0/20), col4)))
		}, "22"},
		{"a column tone in a chord", func(t *testing.T) []int16 { return sines(time.Second, amp/2, 440, 554, 659, col1) }, ""},
		{"vowel-like harmonics, pitch gliding 90-300 Hz", func(t *testing.T) []int16 { return vowel(2 * time.Second) }, ""},
		{"normal twist of 10 dB", func(t *testing.T) []int16 {
			return mix(sines(time.Second, amp, row2), sines(time.Second, amp*math.Pow(10, -10.0/20), col2))
		}, ""},
		{"reverse twist of 6 dB", func(t *testing.T) []int16 {
			return mix(sines(time.Second, amp*math.Pow(10, -6.0/20), row2), sines(time.Second, amp, col2))
		}, ""},
		{"below the threshold: -40 dBFS", func(t *testing.T) []int16 {
			return sines(time.Second, 32767*math.Pow(10, -40.0/20), row3, col3)
		}, ""},
		{"key buried in loud noise", func(t *testing.T) []int16 {
			return addNoise(tone(t, '1', time.Second), 2*amp, 3)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pcm := tt.pcm(t)
			for _, chunk := range []int{160, 37} {
				require.Equal(t, tt.want, detectTones(pcm, chunk), "chunks of %d", chunk)
			}
		})
	}
}

// TestToneDetectorDuration checks the guarantee the block size was chosen for, at
// every alignment of the tone with the detector's blocks: 40 ms always counts, once,
// and 20 ms never does.
func TestToneDetectorDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d      time.Duration
		counts bool
	}{
		{40 * time.Millisecond, true},
		{20 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			t.Parallel()
			for _, key := range []byte(allKeys) {
				want := ""
				if tt.counts {
					want = string(key)
				}
				for offset := range toneBlock {
					for _, trip := range []func([]int16) []int16{linear, ulaw, alaw} {
						pcm := slices.Concat(make([]int16, offset), tone(t, key, tt.d), quiet(100*time.Millisecond))
						require.Equal(t, want, detectTones(trip(pcm), 160), "key %q at offset %d", key, offset)
					}
				}
			}
		})
	}
}

// vowel returns a voiced sound: harmonics of a pitch gliding from 90 to 300 Hz, shaped
// by the formants of a neutral vowel (500, 1500 and 2500 Hz), at a speaking level.
func vowel(d time.Duration) []int16 {
	pcm := make([]int16, d/tick)
	var phase float64
	for n := range pcm {
		f0 := 90 + 210*float64(n)/float64(len(pcm))
		phase += 2 * math.Pi * f0 / SampleRate
		var v float64
		for k := 1; float64(k)*f0 < 3400; k++ {
			f := float64(k) * f0
			a := 1 / float64(k)
			for _, formant := range []float64{500, 1500, 2500} {
				a += math.Exp(-math.Pow((f-formant)/120, 2))
			}
			v += 1500 * a * math.Sin(float64(k)*phase)
		}
		pcm[n] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return pcm
}

func mix(a, b []int16) []int16 {
	out := make([]int16, len(a))
	for i := range a {
		out[i] = int16(max(-32768, min(32767, int(a[i])+int(b[i]))))
	}
	return out
}
