package wellcheck_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

// Figures that cannot be right are dropped, the rest kept.
func TestCallQualityChecked(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	q := wellcheck.CallQuality{LossReceivedPct: f(math.NaN()), LossSentPct: f(101), JitterMS: f(math.Inf(1)), RTTMS: f(-1), MOS: f(4.4)}.Checked()
	require.Nil(t, q.LossReceivedPct)
	require.Nil(t, q.LossSentPct)
	require.Nil(t, q.JitterMS)
	require.Nil(t, q.RTTMS)
	require.Equal(t, 4.4, *q.MOS)
	require.True(t, q.Known())
	require.False(t, wellcheck.CallQuality{}.Checked().Known())
}

// Points computed by hand from the formula in docs/calls.md.
func TestEstimateMOS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		loss, jitter, rtt float64
		r, mos            float64
	}{
		// d = 20: Id = 0.48, Ie = 0.
		{"a perfect line", 0, 0, 0, 92.72, 4.3998},
		// d = 30 + 10 + 20 = 60: Id = 1.44; Ie = 95 × 1 / 26.1 = 3.6398.
		{"a good mobile line", 1, 5, 60, 88.1202, 4.2903},
		// d = 150 + 40 + 20 = 210: Id = 5.04 + 0.11 × 32.7 = 8.637; Ie = 95 × 5 / 30.1 = 15.7807.
		{"a poor line, far", 5, 20, 300, 68.7823, 3.5394},
		// Ie = 95 × 20 / 45.1 = 42.1286.
		{"a fifth lost", 20, 0, 0, 50.5914, 2.6061},
		{"nothing gets through", 100, 0, 2000, -99.9162, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, mos := wellcheck.EstimateMOS(tt.loss, tt.jitter, tt.rtt)
			require.InDelta(t, tt.r, r, 0.001)
			require.InDelta(t, tt.mos, mos, 0.0001)
		})
	}
	_, worse := wellcheck.EstimateMOS(2, 0, 0)
	_, better := wellcheck.EstimateMOS(1, 0, 0)
	require.Less(t, worse, better, "more loss, lower score")
	_, clamped := wellcheck.EstimateMOS(-5, -1, -1)
	_, perfect := wellcheck.EstimateMOS(0, 0, 0)
	require.Equal(t, perfect, clamped, "a garbled figure is not better than none")
}
