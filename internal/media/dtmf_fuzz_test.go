package media

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// FuzzEventDetector feeds a stream of arbitrary packets, each a length byte and that
// many bytes, to one detector: parsing must not panic, only keys come out, and no
// event (sender and timestamp) is reported twice in a row.
func FuzzEventDetector(f *testing.F) {
	var stream []byte
	for i, key := range []byte("1#") {
		evs, _ := EventPackets(key, 60*time.Millisecond, 10)
		for _, ev := range evs {
			p := rtp.Packet{
				Header:  rtp.Header{Version: 2, Marker: ev.Marker, PayloadType: 101, Timestamp: uint32(i) * 1600, SSRC: 1},
				Payload: ev.Event.Marshal(),
			}
			b, err := p.Marshal()
			if err != nil {
				f.Fatal(err)
			}
			stream = append(append(stream, byte(len(b))), b...)
		}
	}
	f.Add(stream)
	f.Add([]byte{15, 0x80, 0xe5, 0, 1, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 1, 200, 0, 0})
	f.Add([]byte{16, 0xa0, 0x65, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 11, 0x8a, 0, 2, 0})

	f.Fuzz(func(t *testing.T, data []byte) {
		var d EventDetector
		var p rtp.Packet
		var last struct {
			ssrc, ts uint32
			ok       bool
		}
		for len(data) > 0 {
			n := min(int(data[0]), len(data)-1)
			b := data[1 : 1+n]
			data = data[1+n:]
			if err := p.Unmarshal(b); err != nil {
				continue
			}
			key, ok := d.Packet(&p)
			if !ok {
				continue
			}
			if _, valid := KeyEvent(key); !valid {
				t.Fatalf("reported %q, not a key", key)
			}
			if last.ok && last.ssrc == p.SSRC && last.ts == p.Timestamp {
				t.Fatalf("event at %d of %x reported twice", p.Timestamp, p.SSRC)
			}
			last.ssrc, last.ts, last.ok = p.SSRC, p.Timestamp, true
		}
	})
}

// FuzzToneDetector feeds arbitrary bytes as little-endian samples, in chunks whose
// sizes the first byte varies: no panic, and only keys come out.
func FuzzToneDetector(f *testing.F) {
	pcm, _ := GenerateTone('5', 60*time.Millisecond)
	key := make([]byte, 1, 1+2*len(pcm))
	key[0] = 37
	for _, v := range pcm {
		key = binary.LittleEndian.AppendUint16(key, uint16(v))
	}
	f.Add(key)
	f.Add([]byte{160, 0xff, 0x7f, 0x00, 0x80, 0xff, 0x7f, 0x00, 0x80})
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		chunk := int(data[0]) + 1
		samples := make([]int16, (len(data)-1)/2)
		for i := range samples {
			samples[i] = int16(binary.LittleEndian.Uint16(data[1+2*i:]))
		}
		d := NewToneDetector()
		for len(samples) > 0 {
			n := min(chunk, len(samples))
			for _, k := range d.Write(samples[:n]) {
				if _, ok := KeyEvent(k); !ok {
					t.Fatalf("reported %q, not a key", k)
				}
			}
			samples = samples[n:]
		}
	})
}
