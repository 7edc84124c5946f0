package store_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/store"
)

// Two nodes dialling through one trunk never hold more than its channels between
// them, and together start calls no faster than its calls-per-second.
func TestTrunkLimitsHoldAcrossNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewURL(t)
	cfg := store.TrunkLimitsConfig{Trunk: "trunk.example:5060", Channels: 3, CPS: 20, Lease: time.Minute}
	var nodes []*store.TrunkLimits
	for range 2 {
		st := store.New(dbtest.Connect(t, url))
		l, err := st.NewTrunkLimits(ctx, cfg)
		require.NoError(t, err)
		nodes = append(nodes, l)
	}

	var inUse, most atomic.Int32
	var mu sync.Mutex
	var starts []time.Time
	var wg sync.WaitGroup
	for i := range 16 {
		node := nodes[i%2]
		wg.Go(func() {
			release, err := node.Acquire(ctx)
			require.NoError(t, err)
			n := inUse.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			mu.Lock()
			starts = append(starts, time.Now())
			mu.Unlock()
			held, err := node.InUse(ctx)
			require.NoError(t, err)
			require.LessOrEqual(t, held, 3)
			time.Sleep(200 * time.Millisecond) // the call: long enough that channels, not the rate, run out
			inUse.Add(-1)
			release()
		})
	}
	wg.Wait()
	require.LessOrEqual(t, most.Load(), int32(3))
	require.Equal(t, int32(3), most.Load(), "the channels were used")
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	// 16 starts at 20 a second take at least 15 gaps of 50 ms, less the first
	// start's own wake-up lateness.
	require.GreaterOrEqual(t, starts[len(starts)-1].Sub(starts[0]), 15*50*time.Millisecond-25*time.Millisecond)
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

	require.NoError(t, a.Backoff(ctx, 600*time.Millisecond))
	began := time.Now()
	release, err := b.Acquire(ctx)
	require.NoError(t, err)
	release()
	require.GreaterOrEqual(t, time.Since(began), 500*time.Millisecond)
}

// A node that died mid-call frees its channel when the lease runs out; a call that
// gives up waiting takes no channel.
func TestTrunkChannelLease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(dbtest.New(t))
	l, err := st.NewTrunkLimits(ctx, store.TrunkLimitsConfig{Trunk: "t", Channels: 1, CPS: 100, Lease: 300 * time.Millisecond, Poll: 20 * time.Millisecond})
	require.NoError(t, err)
	_, err = l.Acquire(ctx) // never released: the node died
	require.NoError(t, err)

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
