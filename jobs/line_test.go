package jobs_test

// A node whose keep-alives go unanswered sees the trunk down: its calls are
// not sent one by one into a dead trunk. They wait, counting against
// nobody, as in a storm, and go out once the trunk answers again; a call
// held until no time is left ends as trunk_down, as in a storm.

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/internal/metricstest"
	"github.com/wellcheck/wellcheck/metrics"
)

func TestCallsWaitWhileTheTrunkIsDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	q := b.store.Queries()
	phone := func(addr string) *callee.Callee {
		ce, err := callee.New(callee.Config{Listen: addr, Behaviour: callee.PressOne, Ring: 20 * time.Millisecond, KeyDelay: 100 * time.Millisecond})
		require.NoError(t, err)
		return ce
	}
	ce := phone("127.0.0.1:0")
	addr := ce.Addr().String()
	m := metrics.New(metrics.Config{})
	d, err := dialer.New(dialer.Config{
		Trunk:  dialer.Trunk{Host: ce.Addr().Addr().String(), Port: int(ce.Addr().Port())},
		Listen: "127.0.0.1:0", CallerNumber: "+33199000000", RingTimeout: 2 * time.Second, KeyTimeout: 400 * time.Millisecond,
		Keepalive: 100 * time.Millisecond, Observer: m, Logger: b.calls.Logger,
	}, dialertest.ShortPrompts())
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	b.calls.Dialer, b.calls.Line = d, d
	trunkUp := func() float64 { return metricstest.Value(t, metricstest.Scrape(t, m.Handler()), "wellcheck_trunk_up") }
	waitFor := func(state dialer.TrunkState) {
		t.Helper()
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			assert.Equal(c, state, d.TrunkHealth().State)
		}, 10*time.Second, 5*time.Millisecond)
	}
	waitFor(dialer.TrunkUp)
	require.Equal(t, 1.0, trunkUp())

	// 10:00: two persons due; the trunk stops answering.
	later, laterNumber := b.enrol(t, person{})
	laterID := b.checkIn(t, later, at(10, 0), at(17, 0))
	soon, soonNumber := b.enrol(t, person{})
	soonID := b.checkIn(t, soon, at(10, 0), at(10, 30))
	require.NoError(t, ce.Close())
	waitFor(dialer.TrunkDown)
	require.Equal(t, 0.0, trunkUp())
	require.Error(t, b.run(ctx, laterID, 1), "held: the job comes back later")
	require.Error(t, b.run(ctx, soonID, 1), "held")
	for _, p := range []int64{later, soon} {
		attempts, err := q.AttemptsForPerson(ctx, p)
		require.NoError(t, err)
		require.Empty(t, attempts, "no call placed, nothing counted against the person")
	}
	require.Contains(t, b.logs.String(), "the trunk does not answer this node's keep-alives")

	// 10:29, still down: the check-in due by 10:30 can no longer be called;
	// it ends as the trunk's failure, for a listener to call by hand.
	b.clock.Set(at(10, 29))
	require.NoError(t, b.run(ctx, soonID, 1))
	st, reason := b.state(t, soon, soonID)
	require.Equal(t, wellcheck.CheckInSystemError, st)
	require.Equal(t, wellcheck.ReasonTrunkDown, reason)
	c, _, err := q.OpenCase(ctx, soon)
	require.NoError(t, err, "a listener calls them by hand")
	require.Equal(t, wellcheck.CaseMissed, c.OpenedReason)

	// The trunk answers again: the other person's call goes out, and all is
	// well.
	back := phone(addr)
	t.Cleanup(func() { back.Close() })
	waitFor(dialer.TrunkUp)
	require.Equal(t, 1.0, trunkUp())
	b.clock.Set(at(10, 30))
	require.NoError(t, b.run(ctx, laterID, 1))
	st, _ = b.state(t, later, laterID)
	require.Equal(t, wellcheck.CheckInConfirmed, st)
	recs := back.Records()
	require.Len(t, recs, 1, "one call, once the trunk was back")
	require.Equal(t, laterNumber, recs[0].To)
	require.NotEqual(t, soonNumber, recs[0].To)
	require.Contains(t, b.logs.String(), "the trunk answers again")
}
