package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/store"
)

// What one node publishes, every node listening hears, in order; a
// listener whose connection the database cuts connects again and hears
// what is published after.
func TestSignalsReachEveryNodeAndSurviveALostConnection(t *testing.T) {
	t.Parallel()
	st := store.New(dbtest.New(t))
	ctx := context.Background()
	heard := [2]chan string{make(chan string, 16), make(chan string, 16)}
	for _, h := range heard {
		sub := st.Signals("wellcheck_test").Listen(func(p []byte) { h <- string(p) }, nil)
		t.Cleanup(sub.Close)
		select {
		case <-sub.Ready():
		case <-time.After(10 * time.Second):
			t.Fatal("not listening")
		}
	}
	next := func(h chan string) string {
		t.Helper()
		select {
		case p := <-h:
			return p
		case <-time.After(10 * time.Second):
			t.Fatal("nothing heard")
			return ""
		}
	}
	signals := st.Signals("wellcheck_test")
	for _, p := range []string{`{"type":"ring"}`, `{"type":"over"}`} {
		require.NoError(t, signals.Publish(ctx, []byte(p)))
	}
	for _, h := range heard {
		require.Equal(t, `{"type":"ring"}`, next(h))
		require.Equal(t, `{"type":"over"}`, next(h))
	}
	require.NoError(t, st.Signals("wellcheck_other").Publish(ctx, []byte("elsewhere")))

	// The database cuts the listeners' connections (a restart, a
	// failover): they come back, and hear what follows.
	listening := func() []int32 {
		var pids []int32
		rows, err := st.Pool().Query(ctx, `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%' AND state = 'idle'`)
		require.NoError(t, err)
		for rows.Next() {
			var pid int32
			require.NoError(t, rows.Scan(&pid))
			pids = append(pids, pid)
		}
		require.NoError(t, rows.Err())
		return pids
	}
	before := listening()
	require.Len(t, before, 2)
	for _, pid := range before {
		_, err := st.Pool().Exec(ctx, "SELECT pg_terminate_backend($1)", pid)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		now := listening()
		return len(now) == 2 && !slices.Contains(now, before[0]) && !slices.Contains(now, before[1])
	}, 10*time.Second, 20*time.Millisecond, "both listen again, on new connections")
	require.NoError(t, signals.Publish(ctx, []byte("after")))
	for _, h := range heard {
		require.Equal(t, "after", next(h), "nothing from another channel; what follows the cut")
	}
}
