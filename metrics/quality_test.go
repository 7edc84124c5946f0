package metrics_test

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/metrics"
)

// A call's quality shows in /metrics; what it did not learn is not counted
// as zero.
func TestCallQualityMetrics(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{})
	f := func(v float64) *float64 { return &v }
	m.CallQuality(wellcheck.CallQuality{LossReceivedPct: f(2), LossSentPct: f(0), JitterMS: f(12), RTTMS: f(80), MOS: f(4.1)})
	m.CallQuality(wellcheck.CallQuality{LossReceivedPct: f(0), JitterMS: f(1)}) // no RTCP from the peer
	m.CallQuality(wellcheck.CallQuality{})                                      // not answered

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	for _, line := range []string{
		`wellcheck_call_packet_loss_ratio_count{direction="received"} 2`,
		`wellcheck_call_packet_loss_ratio_bucket{direction="received",le="0"} 1`,
		`wellcheck_call_packet_loss_ratio_bucket{direction="received",le="0.02"} 2`,
		`wellcheck_call_packet_loss_ratio_count{direction="sent"} 1`,
		`wellcheck_call_jitter_seconds_count 2`,
		`wellcheck_call_jitter_seconds_bucket{le="0.01"} 1`,
		`wellcheck_call_rtt_seconds_count 1`,
		`wellcheck_call_rtt_seconds_bucket{le="0.1"} 1`,
		`wellcheck_call_mos_count 1`,
		`wellcheck_call_mos_bucket{le="4.2"} 1`,
	} {
		require.Contains(t, string(body), line+"\n")
	}
}
