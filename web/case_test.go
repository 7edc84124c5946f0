package web_test

// The listener's case page and list as they read them: the numbers they dial,
// what an escalation to the emergency contacts came to, a closed case, and
// forms that keep what was typed when they are refused.

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// closeCase closes a case as user by did, the person agreeing.
func (s *site) closeCase(t *testing.T, caseID, by int64) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.store.WithTx(ctx, func(q *store.Queries) error {
		if _, err := q.CloseCase(ctx, caseID, string(wellcheck.ClosureResolved), true, &by, s.clock.Now()); err != nil {
			return err
		}
		_, err := q.CancelCaseFollowUps(ctx, caseID)
		return err
	}))
}

// recorded has user by record a follow-up on a case: the person reached.
func (s *site) recorded(t *testing.T, caseID, by int64) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.store.WithTx(ctx, func(q *store.Queries) error {
		c, err := q.LockCase(ctx, caseID)
		if err != nil {
			return err
		}
		_, err = q.InsertDoneFollowUp(ctx, c, store.Done{Reached: true, At: s.clock.Now(), By: &by})
		return err
	}))
}
