package webphone

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/wellcheck/wellcheck/internal/media"
)

// sendTrack is the server's audio track to the browser. pion's static tracks stamp
// every packet with the one payload type of their codec, while RFC 4733 events must
// go on the same stream (SSRC, sequence numbers) as the audio with their own payload
// type; so this track writes whole RTP headers itself, numbering and stamping both.
type sendTrack struct {
	mu     sync.Mutex
	w      webrtc.TrackLocalWriter // nil until bound
	ssrc   uint32
	seq    uint16
	ts     uint32    // timestamp of the next audio frame
	last   time.Time // when the last frame was written, zero before the first
	lastD  time.Duration
	marker bool // the next audio frame starts a talk-spurt
}

func newSendTrack() *sendTrack {
	var b [6]byte
	_, _ = rand.Read(b[:]) // RFC 3550 wants random starts; rand.Read never fails
	return &sendTrack{
		seq:    binary.BigEndian.Uint16(b[:2]),
		ts:     binary.BigEndian.Uint32(b[2:]),
		marker: true,
	}
}

// Bind takes the stream pion negotiated, with PCMU as its codec.
func (t *sendTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, webrtc.MimeTypePCMU) {
			t.mu.Lock()
			t.w, t.ssrc = ctx.WriteStream(), uint32(ctx.SSRC())
			t.mu.Unlock()
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}

// Unbind forgets the stream; later writes are dropped.
func (t *sendTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.w = nil
	t.mu.Unlock()
	return nil
}

func (t *sendTrack) ID() string                { return "audio" }
func (t *sendTrack) RID() string               { return "" }
func (t *sendTrack) StreamID() string          { return "wellcheck" }
func (t *sendTrack) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeAudio }

// gapTicks is the timestamp advance for a pause: how much longer than the last
// frame's own length the wall clock ran since it was written, when that exceeds two
// frames (less is jitter in the writer's pacing, which the timestamps must not copy).
func (t *sendTrack) gapTicks(now time.Time) uint32 {
	if t.last.IsZero() {
		return 0
	}
	gap := now.Sub(t.last) - t.lastD
	if gap <= 2*media.DefaultPtime {
		return 0
	}
	t.marker = true
	return uint32(gap / (time.Second / media.SampleRate))
}

func (t *sendTrack) writeAudio(payload []byte, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ts += t.gapTicks(now)
	h := rtp.Header{
		Version:        2,
		Marker:         t.marker,
		PayloadType:    pcmuPT,
		SequenceNumber: t.seq,
		Timestamp:      t.ts,
		SSRC:           t.ssrc,
	}
	t.seq++
	t.ts += uint32(len(payload)) // PCMU: one byte a sample
	t.last, t.lastD, t.marker = now, time.Duration(len(payload))*time.Second/media.SampleRate, false
	if t.w == nil {
		return nil
	}
	_, err := t.w.WriteRTP(&h, payload)
	return err
}

// eventStart returns the timestamp of a key press starting now: where the audio
// stands.
func (t *sendTrack) eventStart(now time.Time) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ts += t.gapTicks(now)
	t.last, t.lastD = now, 0
	return t.ts
}

// eventEnd moves the audio's timestamp past a press that started at start and lasted
// d, unless audio written meanwhile already did.
func (t *sendTrack) eventEnd(start uint32, d time.Duration, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	end := start + uint32(d/(time.Second/media.SampleRate))
	if int32(end-t.ts) > 0 {
		t.ts = end
	}
	t.last, t.lastD, t.marker = now, 0, true
}

func (t *sendTrack) writeEvent(pt uint8, start uint32, p media.EventPacket) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := rtp.Header{
		Version:        2,
		Marker:         p.Marker,
		PayloadType:    pt,
		SequenceNumber: t.seq,
		Timestamp:      start,
		SSRC:           t.ssrc,
	}
	t.seq++
	if t.w == nil {
		return nil
	}
	_, err := t.w.WriteRTP(&h, p.Event.Marshal())
	return err
}
