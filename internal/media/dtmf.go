package media

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pion/rtp"
)

// A key press reaches us one of three ways: as RFC 4733 telephone-event packets, as
// in-band tones in the audio, or as SIP INFO. This file handles the first two, in both
// directions: detection for the dialer, generation for the callee simulator.
//
// A key is one byte: '0'-'9', '*', '#' or 'A'-'D' (the fourth column, which only
// military and test phones have, is kept because RFC 4733 and the tone plan define it).

// tick is one sample period, 125 µs: the unit of RTP timestamps and event durations.
const tick = time.Second / SampleRate

// keypad lists the keys row by row, as the tones lay them out: a key's row is its
// index/4 and its column its index%4. The RFC 4733 event codes follow another order.
const keypad = "123A456B789C*0#D"

// EventKey maps an RFC 4733 event code to its key: 0-9 are the digits, 10 is '*', 11
// is '#', 12-15 are 'A'-'D'. ok is false for the other codes (flash, line events…).
func EventKey(code uint8) (key byte, ok bool) {
	switch {
	case code <= 9:
		return '0' + code, true
	case code == 10:
		return '*', true
	case code == 11:
		return '#', true
	case code <= 15:
		return 'A' + code - 12, true
	}
	return 0, false
}

// KeyEvent is EventKey's inverse; ok is false for anything but the sixteen keys, so
// also for lower-case 'a'-'d': callers normalise what they parse.
func KeyEvent(key byte) (code uint8, ok bool) {
	switch {
	case key >= '0' && key <= '9':
		return key - '0', true
	case key == '*':
		return 10, true
	case key == '#':
		return 11, true
	case key >= 'A' && key <= 'D':
		return key - 'A' + 12, true
	}
	return 0, false
}

// TelephoneEvent is the 4-byte payload of an RFC 4733 packet.
type TelephoneEvent struct {
	Event    uint8  // event code, see EventKey
	End      bool   // the E bit: this packet ends the event
	Volume   uint8  // power level, in -dBm0 (0-63)
	Duration uint16 // since the event's start (its RTP timestamp), in clock ticks
}

// Marshal returns the 4-byte payload. Volume is cut to its 6 bits and the reserved
// bit is always zero, as the RFC asks of senders.
func (e TelephoneEvent) Marshal() []byte {
	b := make([]byte, 4)
	b[0] = e.Event
	b[1] = e.Volume & 0x3f
	if e.End {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], e.Duration)
	return b
}

// ParseTelephoneEvent reads the first event of payload. Anything after the first four
// bytes is ignored: senders may append redundant copies of earlier events there, and
// a key that has been sent already needs no second report. The reserved bit is
// ignored, as receivers must.
func ParseTelephoneEvent(payload []byte) (TelephoneEvent, error) {
	if len(payload) < 4 {
		return TelephoneEvent{}, fmt.Errorf("media: telephone-event payload of %d bytes, want 4", len(payload))
	}
	return TelephoneEvent{
		Event:    payload[0],
		End:      payload[1]&0x80 != 0,
		Volume:   payload[1] & 0x3f,
		Duration: binary.BigEndian.Uint16(payload[2:]),
	}, nil
}

// EventPacket is one packet of a key press as RFC 4733 sends it: the payload, and
// whether the RTP marker bit is set (only on the first packet of an event).
type EventPacket struct {
	Event  TelephoneEvent
	Marker bool
}

// eventPacketTicks is the spacing of event packets: 20 ms, the usual packetisation.
const eventPacketTicks = 20 * time.Millisecond / tick

// endRepeats is how often the end of an event is sent; RFC 4733 asks for three so
// that the end survives the loss of one or two packets.
const endRepeats = 3

// EventPackets returns the payloads a well-behaved endpoint sends, one every 20 ms, for
// a press of key lasting d: updates with growing duration while the key is down, the
// first of them with the marker bit, then three end packets with the final duration.
// All share the RTP timestamp of the press's start, which the caller supplies. The
// duration field counts 16 bits of ticks, so d is cut to 8.19 s; a longer press would
// need RFC 4733's segments, which no check-in call needs. ok is false for an unknown
// key or a d under one tick.
func EventPackets(key byte, d time.Duration, volume uint8) ([]EventPacket, bool) {
	code, ok := KeyEvent(key)
	total := min(d/tick, math.MaxUint16)
	if !ok || total <= 0 {
		return nil, false
	}
	ev := TelephoneEvent{Event: code, Volume: volume & 0x3f}
	var pkts []EventPacket
	// A packet reports the duration up to the moment it leaves: updates at 20, 40…
	// ms while the key is still down, and the ends at the moment it comes up.
	for elapsed := eventPacketTicks; elapsed < total; elapsed += eventPacketTicks {
		ev.Duration = uint16(elapsed)
		pkts = append(pkts, EventPacket{Event: ev})
	}
	ev.End, ev.Duration = true, uint16(total)
	for range endRepeats {
		pkts = append(pkts, EventPacket{Event: ev})
	}
	pkts[0].Marker = true // a press shorter than one packet has only its ends
	return pkts, true
}

// eventHistory is how many recent events an EventDetector remembers. Late packets
// come from the last event or two; sixteen is plenty and keeps the lookup trivial.
const eventHistory = 16

// maxEventLateness is how far, in ticks, a timestamp may lag the newest event and
// still be taken for a late packet of an older one (ignored). A late packet's event
// started at most its own duration (up to 8.19 s, all a 16-bit field can say) plus
// the packet's delay before the newest one, so 10 s. Further back, the sender must
// have restarted its clock, and the event is new.
const maxEventLateness = 10 * SampleRate

// EventDetector turns the RFC 4733 packets of one stream into key presses, each
// reported once. The zero value is ready to use; it is not safe for concurrent use.
//
// An event is known by its RTP timestamp, the moment it started: every packet of it
// (first with the marker bit, updates, three ends) carries the same one. A key is
// reported on the first packet of an event seen, whichever it is, so that a person
// holding the key down is heard at once and a lost marker or lost ends do not matter;
// the next event simply has a new timestamp. Ignored are packets of the last 16
// events, duplicated or late, and packets of any event that started before the newest
// reported: these arrive after their successor only through reordering, and to report
// them then would put keys out of order. A new SSRC means a new sender (RFC 3550), and
// so does a timestamp far behind the newest; both start the history afresh.
type EventDetector struct {
	seen   [eventHistory]uint32 // timestamps of recent events, a ring
	count  int                  // valid entries in seen
	next   int                  // where the next timestamp goes
	newest uint32               // timestamp of the latest event reported
	ssrc   uint32               // the sender those timestamps belong to
}

// Packet reports the key of p, a telephone-event packet (the caller checks the payload
// type), if p belongs to a press not yet reported. Packets whose payload is short or
// carries no key are ignored.
func (d *EventDetector) Packet(p *rtp.Packet) (key byte, ok bool) {
	if p == nil {
		return 0, false
	}
	ev, err := ParseTelephoneEvent(p.Payload)
	if err != nil {
		return 0, false
	}
	key, ok = EventKey(ev.Event)
	if !ok {
		return 0, false
	}
	ts := p.Timestamp
	// Serial-number arithmetic (RFC 1982): lag is how far ts is behind the newest
	// event, across the 2^32 wrap; as an int32 it is negative when ts is ahead.
	lag := d.newest - ts
	behind := int32(lag) > 0
	switch {
	case d.count == 0:
	case p.SSRC != d.ssrc:
		d.count, d.next = 0, 0 // a new sender
	case d.remembers(ts), behind && lag <= maxEventLateness:
		return 0, false
	case behind:
		d.count, d.next = 0, 0 // the sender restarted its clock
	}
	d.seen[d.next] = ts
	d.next = (d.next + 1) % eventHistory
	d.count = min(d.count+1, eventHistory)
	d.newest, d.ssrc = ts, p.SSRC
	return key, true
}

func (d *EventDetector) remembers(ts uint32) bool {
	for _, s := range d.seen[:d.count] {
		if s == ts {
			return true
		}
	}
	return false
}

// The DTMF tones, low (row) group then high (column) group, in Hz.
const (
	row1, row2, row3, row4 = 697, 770, 852, 941
	col1, col2, col3, col4 = 1209, 1336, 1477, 1633
)

// toneFrequencies returns the eight DTMF frequencies: rows 0-3, then columns 4-7.
func toneFrequencies() [8]float64 {
	return [8]float64{row1, row2, row3, row4, col1, col2, col3, col4}
}

// toneAmplitude is the peak of each of a key's two sines: -10 dBFS, so their sum peaks
// at -4 dBFS, loud and clear on a line yet far from clipping, even after G.711.
const toneAmplitude = 10362 // 32767 × 10^(-10/20)

// GenerateTone returns d of 8 kHz linear PCM playing key: its row and column sines
// summed, each at -10 dBFS. ok is false for an unknown key.
func GenerateTone(key byte, d time.Duration) ([]int16, bool) {
	i := strings.IndexByte(keypad, key)
	if i < 0 {
		return nil, false
	}
	freqs := toneFrequencies()
	wr := 2 * math.Pi * freqs[i/4] / SampleRate
	wc := 2 * math.Pi * freqs[4+i%4] / SampleRate
	pcm := make([]int16, max(d/tick, 0))
	for n := range pcm {
		v := toneAmplitude * (math.Sin(wr*float64(n)) + math.Sin(wc*float64(n)))
		pcm[n] = int16(math.Round(v))
	}
	return pcm, true
}

// Sine returns d of 8 kHz linear PCM playing one pure tone of hz at peak
// amplitude: a test's voice, or a prompt recognisable in captures.
func Sine(hz float64, d time.Duration, amplitude float64) []int16 {
	pcm := make([]int16, max(d/tick, 0))
	w := 2 * math.Pi * hz / SampleRate
	for n := range pcm {
		pcm[n] = int16(math.Round(amplitude * math.Sin(w*float64(n))))
	}
	return pcm
}

// Parameters of the in-band detector.
//
// Block size. A press is a tone of at least 40 ms; a blip of 20 ms is none. Blocks
// start wherever the audio happens to, so both bounds must hold at every alignment.
// The classic blocks, N = 205 (25.6 ms) or N = 160 (20 ms), cannot do it: a 40 ms tone
// (320 samples) may hold no whole 205-sample block at all, and only one of 160, so a
// detector on those must accept blocks partly filled with tone, and a 20 ms blip fills
// one of 160 just as well. With N = 80 (10 ms) and three consecutive hits required:
//   - any tone of 40 ms holds three whole blocks, even aligned worst (79 + 3×80 + 1);
//   - three hits need the middle block full and both outer ones about
//     toneMinFraction full (in a block partly silent, the tones hold about the share
//     of its samples they fill), so some 80 + 2×56 = 192 samples, 24 ms.
//
// Measured for every key at every one of the 80 alignments, through G.711 too: 35 ms
// always counts, 22 ms never does. The price is resolution, bins 100 Hz wide, which
// the checks below are set for. It buys tolerance too: tones 2% off frequency still
// count (receivers are commonly required to accept 1.5%), where narrow bins lose much
// of such a tone's power.
const (
	toneBlock        = 80 // samples per Goertzel block, 10 ms
	toneHitsToReport = 3  // consecutive blocks with the same key to report it
	// toneMissesToEnd is how many consecutive blocks without the reported key end the
	// press, so that the same key may count again. A dropout of 10 ms touches at most
	// two blocks and cannot split one press in two, while any pause of 40 ms, the
	// shortest between two presses, holds three whole blocks.
	toneMissesToEnd = 3
)

// Checks each block must pass to be a hit, all as power ratios.
const (
	// toneMinAmplitude is the least peak amplitude of each tone: -34 dBFS, about
	// -31 dBm0, below the -25 dBm0 per tone receivers are commonly required to accept,
	// yet above line noise and the bleed of a quiet voice.
	toneMinAmplitude = 650
	// toneMinFraction is the least share of the block's energy the two tones must
	// carry: a key is two pure tones, while speech, music and noise spread their
	// energy wider. It also makes a block less than 70% filled with tone no hit (see
	// above), yet lets a key through noise at 6 dB SNR.
	toneMinFraction = 0.7
	// toneMinRowDominance and toneMinColDominance are how much the strongest tone
	// of each group must exceed every other of its group. The rows lie 73-89 Hz
	// apart, closer than one 100 Hz bin: even an exact 697 Hz leaks into the 770 Hz
	// bin at about -10 dB, and at -5 dB once 1.5% off, hence only 3 dB for them. The
	// columns, 127-156 Hz apart, leak at -12 dB or less, so 6 dB costs nothing there.
	// Either still rejects the several tones of a chord or of speech harmonics.
	toneMinRowDominance = 2.0  // 10^(3/10)
	toneMinColDominance = 3.98 // 10^(6/10)
	// toneMaxNormalTwist is how much weaker the column tone may be than the row tone:
	// 8 dB, since lines lose more of the high group.
	toneMaxNormalTwist = 6.31 // 10^(8/10)
	// toneMaxReverseTwist is how much weaker the row tone may be: 4 dB.
	toneMaxReverseTwist = 2.51 // 10^(4/10)
)

// ToneDetector finds DTMF keys in 8 kHz linear PCM, for trunks that negotiate no
// telephone-event. It runs the Goertzel algorithm for the eight DTMF frequencies over
// blocks of 10 ms, takes a block as a key when its strongest row and column tones pass
// the checks above, and reports a key once it has held for three blocks (a press of
// 40 ms always does, a blip of 20 ms never does). The key must then go away for three
// blocks, or another key take its place, before it counts again. Create it with
// NewToneDetector; it is not safe for concurrent use.
type ToneDetector struct {
	coeff [8]float64 // 2cos(2πf/rate) for each DTMF frequency
	s1    [8]float64 // Goertzel state: the last output of each filter…
	s2    [8]float64 // …and the one before it
	power float64    // sum of squared samples in the block so far
	n     int        // samples in the block so far

	run      byte // the key of the latest blocks (0 for none)…
	runLen   int  // …and how many blocks in a row it has lasted
	reported byte // the key of the press under way, already reported (0 for none)
	misses   int  // blocks in a row without the reported key
}

// NewToneDetector returns a detector with no audio seen.
func NewToneDetector() *ToneDetector {
	d := &ToneDetector{}
	for i, f := range toneFrequencies() {
		d.coeff[i] = 2 * math.Cos(2*math.Pi*f/SampleRate)
	}
	return d
}

// Write feeds audio in chunks of any size and returns the keys whose press began to
// count in this chunk, usually none (nil).
func (d *ToneDetector) Write(pcm []int16) []byte {
	var keys []byte
	for _, v := range pcm {
		x := float64(v)
		for i, c := range d.coeff {
			s := x + c*d.s1[i] - d.s2[i]
			d.s2[i], d.s1[i] = d.s1[i], s
		}
		d.power += x * x
		d.n++
		if d.n < toneBlock {
			continue
		}
		if key, ok := d.endBlock(); ok {
			keys = append(keys, key)
		}
	}
	return keys
}

// endBlock classifies the block just completed, starts the next one and reports a
// key if its press has just become long enough.
func (d *ToneDetector) endBlock() (byte, bool) {
	var mag [8]float64
	for i, c := range d.coeff {
		mag[i] = d.s1[i]*d.s1[i] + d.s2[i]*d.s2[i] - c*d.s1[i]*d.s2[i]
	}
	key := blockKey(mag, d.power)
	d.s1, d.s2, d.power, d.n = [8]float64{}, [8]float64{}, 0, 0

	if d.reported != 0 {
		if key == d.reported {
			d.misses = 0
		} else if d.misses++; d.misses >= toneMissesToEnd {
			d.reported = 0
		}
	}
	if key == d.run {
		d.runLen++
	} else {
		d.run, d.runLen = key, 1
	}
	if key == 0 || key == d.reported || d.runLen < toneHitsToReport {
		return 0, false
	}
	d.reported, d.misses = key, 0
	return key, true
}

// blockKey returns the key a block holds, or 0, from the squared Goertzel magnitudes
// of the eight frequencies and the block's energy (sum of squared samples). For a
// sine of amplitude A filling the block, the magnitude is (A·N/2)², and its energy
// A²·N/2, so 2·mag/N compares with energy directly.
func blockKey(mag [8]float64, energy float64) byte {
	row, col := strongest(mag[:4]), 4+strongest(mag[4:])
	pr, pc := mag[row], mag[col]
	minMag := toneMinAmplitude * toneBlock / 2.0
	minMag *= minMag
	switch {
	case pr < minMag || pc < minMag:
		return 0
	case pc*toneMaxNormalTwist < pr || pr*toneMaxReverseTwist < pc:
		return 0
	case 2*(pr+pc)/toneBlock < toneMinFraction*energy:
		return 0
	}
	for i := range 4 {
		if i != row && mag[i]*toneMinRowDominance > pr {
			return 0
		}
		if i+4 != col && mag[i+4]*toneMinColDominance > pc {
			return 0
		}
	}
	return keypad[row*4+col-4]
}

// strongest returns the index of the largest of mag.
func strongest(mag []float64) int {
	best := 0
	for i, m := range mag {
		if m > mag[best] {
			best = i
		}
	}
	return best
}
