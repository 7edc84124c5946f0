package jobs_test

// The database fails at the moment persons press their keys: a restart that
// resets every connection, and a partition that lets no byte through. The
// node that placed the calls keeps what it heard and records it when the
// database answers again, without restarting.

import (
	"context"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/calling"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/internal/faultproxy"
	"github.com/wellcheck/wellcheck/store"
)

func TestNoKeyPressedIsLostWhileTheDatabaseIsAway(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fail func(p *faultproxy.Proxy)
		// away is how long the database stays away: 30 s for a restart and
		// 2 minutes for a partition, many times one try at recording (15 s).
		// The two run side by side: the suite waits 2 minutes, not 2½.
		away time.Duration
	}{
		{"restart", (*faultproxy.Proxy).Reset, 30 * time.Second},
		{"partition", (*faultproxy.Proxy).BlackHole, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			ctx := context.Background()
			ok, okNumber := b.enrol(t, person{})
			help, helpNumber := b.enrol(t, person{})
			okID := b.checkIn(t, ok, at(10, 0), at(17, 0))
			helpID := b.checkIn(t, help, at(10, 0), at(17, 0))

			// The node reaches the database through the proxy; the test
			// looks directly.
			dbURL := b.store.Pool().Config().ConnString()
			u, err := url.Parse(dbURL)
			require.NoError(t, err)
			proxy, err := faultproxy.New(u.Host)
			require.NoError(t, err)
			t.Cleanup(func() { proxy.Close() })
			pool, err := pgxpool.New(ctx, proxy.URL(dbURL))
			require.NoError(t, err)
			t.Cleanup(pool.Close)
			node := b.node("node")
			node.Store = store.New(pool)
			node.Journal, err = calling.OpenJournal(t.TempDir())
			require.NoError(t, err)
			t.Cleanup(func() { node.Journal.Close() })

			// The database goes away while both persons are on the line, as
			// they press their keys.
			var once sync.Once
			healed := make(chan time.Time, 1)
			b.dialer.Answer = func(to string, _ int) dialer.Result {
				if to == helpNumber {
					return dialertest.Result(wellcheck.OutcomeHelpRequested)
				}
				return dialertest.Result(wellcheck.OutcomeOK)
			}
			var onLine sync.WaitGroup
			onLine.Add(2)
			b.dialer.During = func(context.Context, dialer.Request) {
				onLine.Done()
				onLine.Wait() // both calls are going on
				once.Do(func() {
					tc.fail(proxy)
					time.AfterFunc(tc.away, func() { proxy.Heal(); healed <- time.Now() })
				})
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, id := range []int64{okID, helpID} {
				wg.Go(func() { _, errs[i] = node.Run(ctx, id, 1) })
			}
			wg.Wait()
			back := <-healed
			require.NoError(t, errs[0])
			require.NoError(t, errs[1])
			t.Logf("recorded %s after the database came back", time.Since(back).Round(100*time.Millisecond))

			// What each person said, recorded as they said it; each called once.
			st, _ := b.state(t, ok, okID)
			require.Equal(t, wellcheck.CheckInConfirmed, st)
			st, _ = b.state(t, help, helpID)
			require.Equal(t, wellcheck.CheckInFlagged, st)
			for _, pid := range []int64{ok, help} {
				attempts, err := b.store.Queries().AttemptsForPerson(ctx, pid)
				require.NoError(t, err)
				require.Len(t, attempts, 1)
				require.NotEqual(t, wellcheck.Interrupted, attempts[0].FailureReason)
			}
			require.Equal(t, 1, b.dialer.CallsTo(okNumber))
			require.Equal(t, 1, b.dialer.CallsTo(helpNumber))
			// The person who pressed 2 is on a listener's list (here the pool's).
			_, _, err = b.store.Queries().OpenCase(ctx, help)
			require.NoError(t, err)
			_, _, err = b.store.Queries().OpenCase(ctx, ok)
			require.ErrorIs(t, err, wellcheck.ErrNotFound)

			require.Empty(t, node.Journal.Pending(), "recorded, the journal lets them go")
			logs := b.logs.String()
			require.Contains(t, logs, "the database cannot record a call's outcome: held, and tried again until it can")
			require.Contains(t, logs, "a call's outcome was recorded once the database answered")
			require.Positive(t, proxy.Stats().Accepted, "the node did go through the proxy")
		})
	}
}
