package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/store"
)

// What a call's outcome waits out (the database away or busy), and what it
// does not (a refusal): waiting on a refusal would never end, giving up on a
// lock timeout would lose a "press 2".
func TestUnavailableTellsAWaitFromARefusal(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	// Real errors from the server.
	_, err := pool.Exec(ctx, "SET statement_timeout = '10ms'; SELECT pg_sleep(1)")
	require.True(t, store.Unavailable(err), "a statement timeout: %v", err)
	_, err = pool.Exec(ctx, "SELECT 1/0")
	require.False(t, store.Unavailable(err), "a refusal: %v", err)
	tctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err = pool.Exec(tctx, "SELECT pg_sleep(1)")
	require.True(t, store.Unavailable(err), "a try that ran out of time: %v", err)

	for code, wait := range map[string]bool{"08006": true, "57P01": true, "53300": true, "40001": true, "40P01": true, "55P03": true, "23505": false, "23503": false, "42P01": false} {
		err := fmt.Errorf("record: %w", &pgconn.PgError{Code: code})
		require.Equal(t, wait, store.Unavailable(err), code)
	}
	require.False(t, store.Unavailable(wellcheck.ErrNotFound))
	require.False(t, store.Unavailable(errors.New("the attempt has already ended")))
	require.False(t, store.Unavailable(nil))
}
