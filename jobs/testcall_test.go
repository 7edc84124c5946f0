package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/store"
)

// A test call is placed once, even if its job runs again; one whose node died
// mid-call is recorded as interrupted, not placed again; after 30 days
// retention deletes it.
func TestTestCallIsPlacedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	q := b.store.Queries()
	ask := func(target string, at time.Time) int64 {
		id, err := q.RequestTestCall(ctx, store.TestCall{Target: target, Lang: "fr", Script: string(dialer.ScriptEscalation), RequestedAt: at})
		require.NoError(t, err)
		return id
	}

	b.dialer.Answer = func(string, int) dialer.Result {
		return dialer.Result{Outcome: wellcheck.OutcomeOK, Digits: "1", SIPStatus: 200, Ring: 1500 * time.Millisecond}
	}
	id := ask("+33612345678", b.clock.Now())
	require.NoError(t, b.testCall(ctx, id))
	require.NoError(t, b.testCall(ctx, id), "its job run again")
	require.Equal(t, 1, b.dialer.CallsTo("+33612345678"))
	require.Equal(t, dialer.ScriptEscalation, b.dialer.Calls()[0].Script)
	tc, err := q.TestCall(ctx, id)
	require.NoError(t, err)
	require.Equal(t, wellcheck.OutcomeOK, tc.Outcome)
	require.Equal(t, "1", tc.Digits)
	require.Equal(t, 1500*time.Millisecond, tc.Ring)
	require.True(t, b.clock.Now().Equal(*tc.EndedAt))

	died := ask("sip:bureau@pbx.example.org", b.clock.Now())
	require.NoError(t, q.StartTestCall(ctx, died, b.clock.Now()))
	require.NoError(t, b.testCall(ctx, died))
	require.Zero(t, b.dialer.CallsTo("sip:bureau@pbx.example.org"))
	tc, err = q.TestCall(ctx, died)
	require.NoError(t, err)
	require.Equal(t, wellcheck.OutcomeFailed, tc.Outcome)
	require.Equal(t, wellcheck.Interrupted, tc.Reason)

	old := ask("+33612345679", b.clock.Now().AddDate(0, 0, -31))
	purged, err := b.admin.Retain(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), purged.TestCalls)
	_, err = q.TestCall(ctx, old)
	require.ErrorIs(t, err, wellcheck.ErrNotFound)
	require.NoError(t, b.testCall(ctx, old), "a job whose test call was purged does nothing")
}
