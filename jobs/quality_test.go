package jobs_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/calling"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
)

// A check-in called over SIP keeps its call's audio quality with its attempt:
// the figures the dialer's Result carried, in the attempt's row. A call that
// was never answered learned nothing, and keeps NULLs.
func TestAttemptKeepsItsCallQuality(t *testing.T) {
	t.Parallel()
	b := setup(t)
	answered, n1 := b.enrol(t, person{})
	busy, n2 := b.enrol(t, person{retry: &wellcheck.RetryPolicy{MaxAttempts: 1}})
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Ring: 20 * time.Millisecond, KeyDelay: 800 * time.Millisecond,
		Numbers: map[string]callee.Behaviour{n1: callee.PressOne, n2: callee.Busy}, RTCPInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, ce.Close()) })
	d, err := dialer.New(dialer.Config{
		Trunk:  dialer.Trunk{Host: ce.Addr().Addr().String(), Port: int(ce.Addr().Port())},
		Listen: "127.0.0.1:0", CallerNumber: "+33199000000", RingTimeout: 2 * time.Second, KeyTimeout: 400 * time.Millisecond,
		RTCPInterval: 200 * time.Millisecond,
	}, dialertest.ShortPrompts())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	calls := &calling.Calls{Store: b.store, Dialer: d, Queue: b.queue, Care: b.care, Logger: b.calls.Logger, Node: "test", Now: b.clock.Now}

	ctx := context.Background()
	for _, pid := range []int64{answered, busy} {
		id := b.checkIn(t, pid, at(10, 0), at(17, 0))
		_, err := calls.Run(ctx, id, 1)
		require.NoError(t, err)
	}

	q := b.store.Queries()
	attempts, err := q.AttemptsForPerson(ctx, answered)
	require.NoError(t, err)
	require.Len(t, attempts, 1)
	a := attempts[0]
	require.Equal(t, wellcheck.OutcomeOK, a.Outcome)
	quality := a.Quality
	for name, v := range map[string]*float64{"loss received": quality.LossReceivedPct, "loss sent": quality.LossSentPct,
		"jitter": quality.JitterMS, "round trip": quality.RTTMS, "MOS": quality.MOS} {
		require.NotNil(t, v, "%s stored", name)
	}
	require.Zero(t, *quality.LossReceivedPct)
	require.Positive(t, *quality.RTTMS)
	require.Greater(t, *quality.MOS, 4.0)

	attempts, err = q.AttemptsForPerson(ctx, busy)
	require.NoError(t, err)
	require.Len(t, attempts, 1)
	require.Equal(t, wellcheck.OutcomeBusy, attempts[0].Outcome)
	require.False(t, attempts[0].Quality.Known(), "nothing learned, nothing stored: %+v", attempts[0].Quality)
}

// An outcome held in the node's journal keeps its call's quality until it is
// recorded; a journal written before the figures existed still reads.
func TestJournalKeepsCallQuality(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := `{"attempt":{"id":7,"check_in_id":3,"number":1,"started_at":"2026-12-01T09:00:00Z","ended_at":"2026-12-01T09:00:20Z","outcome":"ok","digits":"1"}}` + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "outcomes.jsonl"), []byte(old), 0o600))
	j, err := calling.OpenJournal(dir)
	require.NoError(t, err)
	f := func(v float64) *float64 { return &v }
	ended := time.Date(2026, 12, 1, 9, 1, 0, 0, time.UTC)
	held := wellcheck.Attempt{ID: 8, CheckInID: 4, Number: 1, StartedAt: ended.Add(-20 * time.Second), EndedAt: &ended,
		Outcome: wellcheck.OutcomeHelpRequested, Digits: "2",
		Quality: wellcheck.CallQuality{LossReceivedPct: f(1.5), JitterMS: f(4), MOS: f(4.2)}}
	require.NoError(t, j.Hold(held))
	require.NoError(t, j.Close())

	j, err = calling.OpenJournal(dir)
	require.NoError(t, err)
	t.Cleanup(func() { j.Close() })
	pending := map[int64]wellcheck.Attempt{}
	for _, a := range j.Pending() {
		pending[a.ID] = a
	}
	require.Len(t, pending, 2)
	require.False(t, pending[7].Quality.Known(), "an old line: nothing learned")
	require.Equal(t, held.Quality, pending[8].Quality)
}
