package dialer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
)

// A call to the simulator ends with its audio's quality in the Result: what
// we measured of the person's side, what their reports said of ours, the
// round trip and the MOS — with RTCP multiplexed when the callee accepts it,
// on a port of its own when it refuses.
func TestCallMeasuresQuality(t *testing.T) {
	t.Parallel()
	for _, refuse := range []bool{false, true} {
		name := "rtcp-mux"
		if refuse {
			name = "two sockets"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t,
				callee.Config{Behaviour: callee.PressOne, KeyDelay: 1200 * time.Millisecond, NoRTCPMux: refuse, RTCPInterval: 200 * time.Millisecond},
				dialer.Config{RTCPInterval: 200 * time.Millisecond})
			res, rec := b.call(t, person)
			require.Equal(t, wellcheck.OutcomeOK, res.Outcome)
			require.Equal(t, !refuse, rec.RTCPMux)
			require.Positive(t, rec.RTCPReceived, "the callee took our reports")
			require.True(t, rec.Quality.Reported, "and learned from them how its audio reached us")

			q := res.Quality
			t.Logf("quality: %s", fmtQuality(q))
			require.NotNil(t, q.LossReceivedPct)
			require.NotNil(t, q.LossSentPct, "the callee's reports came")
			require.NotNil(t, q.JitterMS)
			require.NotNil(t, q.RTTMS, "a round trip from the callee's reports")
			require.NotNil(t, q.MOS)
			require.InDelta(t, 0, *q.LossReceivedPct, 1, "loopback loses next to nothing")
			require.InDelta(t, 0, *q.LossSentPct, 1)
			require.Positive(t, *q.RTTMS)
			require.Greater(t, *q.MOS, 4.0, "a clean line scores as G.711 does")
		})
	}
}

func fmtQuality(q wellcheck.CallQuality) string {
	f := func(v *float64) any {
		if v == nil {
			return "NULL"
		}
		return *v
	}
	return fmt.Sprintf("loss received %v %%, sent %v %%, jitter %v ms, rtt %v ms, MOS %v",
		f(q.LossReceivedPct), f(q.LossSentPct), f(q.JitterMS), f(q.RTTMS), f(q.MOS))
}
