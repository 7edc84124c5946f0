package store_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/internal/faultproxy"
	"github.com/wellcheck/wellcheck/store"
)

// Two nodes dialling through one trunk never hold more than its channels between
// them, and together start calls no faster than its calls-per-second.
func TestTrunkLimitsHoldAcrossNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewURL(t)
	cfg := store.TrunkLimitsConfig{Trunk: "trunk.example:5060", Channels: 3, CPS: 20, Lease: time.Minute}
	gap := time.Second / 20
	var nodes []*store.TrunkLimits
	for range 2 {
		st := store.New(dbtest.Connect(t, url))
		l, err := st.NewTrunkLimits(ctx, cfg)
		require.NoError(t, err)
		nodes = append(nodes, l)
	}
	// The trunk's pacing runs on the database's clock: so do the test's
	// readings, taken as each call may start.
	clock := dbtest.Connect(t, url)
	before := dbNow(t, clock)

	type call struct {
		start time.Time // on the database's clock
		held  int       // channels held by every node, this one's included
		err   error
	}
	calls := make([]call, 16)
	var inUse, most atomic.Int32
	var wg sync.WaitGroup
	for i := range calls {
		node := nodes[i%2]
		wg.Go(func() {
			c := &calls[i]
			release, err := node.Acquire(ctx)
			if err != nil {
				c.err = err
				return
			}
			defer release()
			n := inUse.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			if c.err = clock.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&c.start); c.err != nil {
				return
			}
			if c.held, c.err = node.InUse(ctx); c.err != nil {
				return
			}
			time.Sleep(200 * time.Millisecond) // the call: long enough that channels, not the rate, run out
			inUse.Add(-1)
		})
	}
	wg.Wait()
	starts := make([]time.Time, len(calls))
	for i, c := range calls {
		require.NoError(t, c.err, "call %d", i)
		require.LessOrEqual(t, c.held, 3, "call %d", i)
		starts[i] = c.start
	}
	require.LessOrEqual(t, most.Load(), int32(3))
	require.Equal(t, int32(3), most.Load(), "the channels were used")
	// Each call reserves its start on the trunk's row, 1/CPS after the one
	// before, whichever node placed it, and waits for it: the n-th call to
	// start does so at least n-1 gaps after the first could.
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	for i, at := range starts {
		require.False(t, at.Before(before.Add(time.Duration(i)*gap)), "call %d of 16 started %s after the first could, before its turn", i+1, at.Sub(before))
	}
	held, err := nodes[0].InUse(ctx)
	require.NoError(t, err)
	require.Zero(t, held, "every channel was released")
}

// A 503 on one node stops every node for the backoff.
func TestTrunkBackoffStopsEveryNode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewURL(t)
	cfg := store.TrunkLimitsConfig{Trunk: "trunk", Channels: 5, CPS: 100, Lease: time.Minute}
	a, err := store.New(dbtest.Connect(t, url)).NewTrunkLimits(ctx, cfg)
	require.NoError(t, err)
	b, err := store.New(dbtest.Connect(t, url)).NewTrunkLimits(ctx, cfg)
	require.NoError(t, err)
	clock := dbtest.Connect(t, url) // the trunk's: the database's

	before := dbNow(t, clock)
	require.NoError(t, a.Backoff(ctx, 600*time.Millisecond))
	var until time.Time
	require.NoError(t, clock.QueryRow(ctx, "SELECT backoff_until FROM trunk_limits WHERE trunk = $1", cfg.Trunk).Scan(&until))
	require.False(t, until.Before(before.Add(600*time.Millisecond)), "the backoff is the trunk's, for every node")
	release, err := b.Acquire(ctx)
	require.NoError(t, err)
	started := dbNow(t, clock)
	release()
	require.False(t, started.Before(until), "the other node's call started %s before the backoff ended", until.Sub(started))
}

// dbNow reads the database's clock, which the trunk's limits run on.
func dbNow(t *testing.T, db *pgxpool.Pool) time.Time {
	t.Helper()
	var now time.Time
	require.NoError(t, db.QueryRow(context.Background(), "SELECT clock_timestamp()").Scan(&now))
	return now
}

// A call holds its channel for as long as it lasts, however longer than the
// lease (a conversation with a listener); a node that died mid-call frees
// its channel when the lease runs out; a call that gives up waiting takes
// no channel.
func TestTrunkChannelLease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(dbtest.New(t))
	l, err := st.NewTrunkLimits(ctx, store.TrunkLimitsConfig{Trunk: "t", Channels: 1, CPS: 100, Lease: 300 * time.Millisecond, Poll: 20 * time.Millisecond})
	require.NoError(t, err)
	long, err := l.Acquire(ctx)
	require.NoError(t, err)
	held, cancel0 := context.WithTimeout(ctx, time.Second) // three leases
	defer cancel0()
	_, err = l.Acquire(held)
	require.ErrorIs(t, err, context.DeadlineExceeded, "a long call keeps its channel")
	long()

	dying, die := context.WithCancel(ctx)
	_, err = l.Acquire(dying) // never released: the node died, and its renewals with it
	require.NoError(t, err)
	die()

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = l.Acquire(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	wait, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	release, err := l.Acquire(wait)
	require.NoError(t, err, "the dead node's channel came free")
	release()
}

func TestTrunkLimitsRefuseNonsense(t *testing.T) {
	t.Parallel()
	st := store.New(dbtest.New(t))
	for _, cfg := range []store.TrunkLimitsConfig{
		{Trunk: "", Channels: 1, CPS: 1, Lease: time.Minute},
		{Trunk: "t", Channels: 0, CPS: 1, Lease: time.Minute},
		{Trunk: "t", Channels: 1, CPS: 0, Lease: time.Minute},
		{Trunk: "t", Channels: 1, CPS: 1},
	} {
		_, err := st.NewTrunkLimits(context.Background(), cfg)
		require.Error(t, err, "%+v", cfg)
	}
}

// A call that ends while the database is away frees its channel once the
// database is back, not when its lease runs out: the morning's calls do not
// wait minutes after an outage for channels nobody uses.
func TestAChannelFreedDuringAnOutageIsFreedWhenItEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	direct := dbtest.New(t)
	proxy, err := faultproxy.New(direct.Config().ConnConfig.Host + ":" + strconv.Itoa(int(direct.Config().ConnConfig.Port)))
	require.NoError(t, err)
	t.Cleanup(func() { proxy.Close() })
	through, err := pgxpool.New(ctx, proxy.URL(direct.Config().ConnString()))
	require.NoError(t, err)
	t.Cleanup(through.Close)

	cfg := store.TrunkLimitsConfig{Trunk: "t", Channels: 1, CPS: 100, Lease: 10 * time.Minute, Poll: 20 * time.Millisecond}
	node, err := store.New(through).NewTrunkLimits(ctx, cfg)
	require.NoError(t, err)
	other, err := store.New(direct).NewTrunkLimits(ctx, cfg)
	require.NoError(t, err)
	release, err := node.Acquire(ctx)
	require.NoError(t, err)

	proxy.Reset()
	release() // the call ends; the database is away
	proxy.Heal()

	wait, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	again, err := other.Acquire(wait)
	require.NoError(t, err, "the channel came free once the database was back, long before its 10-minute lease")
	again()
}
