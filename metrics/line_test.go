package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/internal/metricstest"
	"github.com/wellcheck/wellcheck/metrics"
)

// The line's series appear once the dialer says how the line fares: a node
// that neither registers nor probes the trunk shows none (an alert on them
// would misfire), one that does shows what it last heard.
func TestLineSeries(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{})
	page := metricstest.Scrape(t, m.Handler())
	require.NotContains(t, page, "wellcheck_sip_registered ")
	require.NotContains(t, page, "wellcheck_trunk_up ")
	require.Equal(t, 0.0, metricstest.Value(t, page, "wellcheck_sip_registration_failures_total"))

	m.SIPRegistrationFailed()
	m.SIPRegistered(false)
	m.TrunkUp(true)
	m.TrunkRTT(3 * time.Millisecond)
	m.TrunkRTT(30 * time.Millisecond)
	page = metricstest.Scrape(t, m.Handler())
	require.Equal(t, 0.0, metricstest.Value(t, page, "wellcheck_sip_registered"))
	require.Equal(t, 1.0, metricstest.Value(t, page, "wellcheck_sip_registration_failures_total"))
	require.Equal(t, 1.0, metricstest.Value(t, page, "wellcheck_trunk_up"))
	require.Equal(t, 2.0, metricstest.Value(t, page, "wellcheck_trunk_options_rtt_seconds_count"))
	require.Equal(t, 1.0, metricstest.Value(t, page, `wellcheck_trunk_options_rtt_seconds_bucket{le="0.005"}`))

	m.SIPRegistered(true)
	m.TrunkUp(false)
	page = metricstest.Scrape(t, m.Handler())
	require.Equal(t, 1.0, metricstest.Value(t, page, "wellcheck_sip_registered"))
	require.Equal(t, 0.0, metricstest.Value(t, page, "wellcheck_trunk_up"))
	require.Equal(t, 1, strings.Count(page, "\nwellcheck_trunk_up "), "one series a node")

	var none *metrics.Metrics // commands without metrics
	none.SIPRegistered(true)
	none.SIPRegistrationFailed()
	none.TrunkUp(true)
	none.TrunkRTT(time.Millisecond)
}
