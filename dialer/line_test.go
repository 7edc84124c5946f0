package dialer_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/internal/netsim"
)

// Keys still count on a poor line: 5 % and 10 % of packets lost both ways,
// up to 60 ms of jitter (packets reordered), as RFC 4733 events and as
// in-band tones. The rates go to docs/calls.md.
func TestKeysThroughAPoorLine(t *testing.T) {
	t.Parallel()
	const calls = 50
	for _, c := range []struct {
		keys callee.KeyMode
		loss float64
		want int // calls out of 50 whose key must count
	}{
		{callee.RFC4733, 0.05, calls}, {callee.RFC4733, 0.10, calls},
		{callee.InBand, 0.05, calls - 2}, {callee.InBand, 0.10, calls - 3},
	} {
		t.Run(fmt.Sprintf("%s, %.0f %% lost", c.keys, 100*c.loss), func(t *testing.T) {
			t.Parallel()
			line := &netsim.Config{Loss: c.loss, Delay: 20 * time.Millisecond, Jitter: 60 * time.Millisecond}
			b := setup(t, callee.Config{Behaviour: callee.PressOne, Keys: c.keys, Line: line}, dialer.Config{KeyTimeout: 2 * time.Second})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var (
				mu      sync.Mutex
				counted int
				wg      sync.WaitGroup
			)
			for range calls {
				wg.Go(func() {
					res, err := b.dialer.Call(ctx, person, "fr")
					if err == nil && res.Outcome == wellcheck.OutcomeOK {
						mu.Lock()
						counted++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			recs, err := b.callee.Wait(ctx, calls)
			require.NoError(t, err)
			for _, r := range recs {
				require.Equal(t, "1", r.KeysSent, "every phone pressed 1")
			}
			t.Logf("%s, %.0f %% lost, 60 ms of jitter: %d of %d keys counted", c.keys, 100*c.loss, counted, calls)
			require.GreaterOrEqual(t, counted, c.want)
		})
	}
}

// A poor line shows in the call's quality: the loss measured both ways (the
// callee's reports cross the line with its audio, multiplexed), and a MOS
// below a clean line's.
func TestQualityThroughAPoorLine(t *testing.T) {
	t.Parallel()
	line := &netsim.Config{Loss: 0.10, Delay: 20 * time.Millisecond, Jitter: 10 * time.Millisecond, Seed: 3}
	b := setup(t, callee.Config{Behaviour: callee.PressOne, KeyDelay: 2500 * time.Millisecond, Line: line, RTCPInterval: 200 * time.Millisecond},
		dialer.Config{RTCPInterval: 200 * time.Millisecond, KeyTimeout: 5 * time.Second})
	res, rec := b.call(t, person)
	require.Equal(t, wellcheck.OutcomeOK, res.Outcome, "%+v", res)
	require.True(t, rec.RTCPMux)
	q := res.Quality
	t.Logf("10 %% lost both ways: %s", fmtQuality(q))
	require.NotNil(t, q.LossReceivedPct)
	require.NotNil(t, q.LossSentPct, "some of the callee's reports crossed the line")
	require.NotNil(t, q.MOS)
	require.InDelta(t, 10, *q.LossReceivedPct, 7)
	require.Greater(t, *q.LossSentPct, 1.0)
	require.Less(t, *q.MOS, 4.0, "a tenth lost is heard")
}
