package webphone

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/internal/media"
)

// recorder is the stream a bound sendTrack writes to.
type recorder struct{ pkts []rtp.Packet }

func (r *recorder) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	r.pkts = append(r.pkts, rtp.Packet{Header: *h, Payload: append([]byte(nil), payload...)})
	return len(payload), nil
}

func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }

// TestSendTrackTiming checks the stamps the browser's jitter buffer goes by: frames
// 160 ticks apart, a pause in the writer's frames carried into the timestamps (a new
// talk-spurt, marked), jitter in its pacing not, and a key press taking its place in
// the audio's time.
func TestSendTrackTiming(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	tr := newSendTrack()
	tr.w, tr.ssrc = rec, 42
	frame := make([]byte, 160)
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	write := func(d time.Duration) {
		at = at.Add(d)
		require.NoError(t, tr.writeAudio(frame, at))
	}

	write(0)
	write(20 * time.Millisecond)
	write(45 * time.Millisecond)  // 25 ms late: jitter
	write(220 * time.Millisecond) // 200 ms of silence
	start := tr.eventStart(at.Add(20 * time.Millisecond))
	pkts, ok := media.EventPackets('1', 100*time.Millisecond, 10)
	require.True(t, ok)
	for _, p := range pkts {
		require.NoError(t, tr.writeEvent(126, start, p))
	}
	at = at.Add(180 * time.Millisecond)
	tr.eventEnd(start, 100*time.Millisecond, at)
	write(20 * time.Millisecond)

	p := rec.pkts
	ts0 := p[0].Timestamp
	require.True(t, p[0].Marker, "the first frame starts a talk-spurt")
	require.Equal(t, ts0+160, p[1].Timestamp)
	require.Equal(t, ts0+320, p[2].Timestamp, "jitter is not a pause")
	require.False(t, p[2].Marker)
	require.Equal(t, ts0+480+1600, p[3].Timestamp, "a 200 ms pause is 1,600 ticks")
	require.True(t, p[3].Marker, "after a pause, a new talk-spurt")
	for i, ev := range p[4 : 4+len(pkts)] {
		require.EqualValues(t, 126, ev.PayloadType)
		require.Equal(t, ts0+640+1600, ev.Timestamp, "the press starts where the audio stands")
		require.Equal(t, i == 0, ev.Marker)
	}
	last := p[len(p)-1]
	require.EqualValues(t, 0, last.PayloadType)
	require.True(t, last.Marker, "audio after a key starts a talk-spurt")
	require.Equal(t, ts0+640+1600+800, last.Timestamp, "audio resumes after the 100 ms press")
	for i := 1; i < len(p); i++ {
		require.Equal(t, p[i-1].SequenceNumber+1, p[i].SequenceNumber, "one sequence for audio and keys")
		require.EqualValues(t, 42, p[i].SSRC)
	}
}
