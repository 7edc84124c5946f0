package web

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

// A call's audio in words: only what it learned, never an unknown shown as 0.
func TestQualityText(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	all := wellcheck.CallQuality{LossReceivedPct: f(0), LossSentPct: f(1.25), JitterMS: f(3.4), RTTMS: f(48.2), MOS: f(4.33)}
	require.Equal(t, "MOS 4.3 — perte 0.0 % reçue, 1.2 % envoyée — gigue 3 ms — aller-retour 48 ms", qualityText(wellcheck.French, all))
	require.Equal(t, "MOS 4.3 — loss 0.0 % received, 1.2 % sent — jitter 3 ms — round trip 48 ms", qualityText(wellcheck.English, all))
	noRTCP := wellcheck.CallQuality{LossReceivedPct: f(2), JitterMS: f(12), MOS: f(4.1)}
	require.Equal(t, "MOS 4.1 — perte 2.0 % reçue — gigue 12 ms", qualityText(wellcheck.French, noRTCP))
	require.Equal(t, "—", qualityText(wellcheck.French, wellcheck.CallQuality{}))
}
