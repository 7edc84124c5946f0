package calling

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/metrics"
)

// TestCall places test call id with the dialer check-in calls use, through
// the trunk's limits, and records how it ended. It is placed at any hour: it
// calls staff, not a person. A test call already placed (its job run again
// after its node died) is not placed again; it is recorded as interrupted. A
// call its node hands back as it stops must come back after wait.
func (c *Calls) TestCall(ctx context.Context, id int64) (wait time.Duration, err error) {
	tc, err := c.Store.Queries().TestCall(ctx, id)
	if errors.Is(err, wellcheck.ErrNotFound) {
		return 0, nil // purged meanwhile
	} else if err != nil {
		return 0, fmt.Errorf("read test call %d: %w", id, err)
	}
	if tc.EndedAt != nil {
		return 0, nil
	}
	end := func(res dialer.Result) error {
		ended := c.now()
		tc.EndedAt, tc.Outcome, tc.SIPStatus, tc.Digits, tc.Reason, tc.Ring, tc.Talk, tc.Quality =
			&ended, res.Outcome, res.SIPStatus, res.Digits, res.Reason, res.Ring, res.Talk, res.Quality
		if err := c.Store.Queries().EndTestCall(context.WithoutCancel(ctx), tc); err != nil {
			return fmt.Errorf("record how test call %d ended: %w", id, err)
		}
		return nil
	}
	if tc.StartedAt != nil {
		return 0, end(dialer.Result{Outcome: wellcheck.OutcomeFailed, Reason: wellcheck.Interrupted})
	}
	claim := func(ctx context.Context) error { return c.Store.Queries().StartTestCall(ctx, id, c.now()) }
	res, err := c.place(ctx, metrics.TestCall, dialer.Request{To: tc.Target, Lang: tc.Lang, Script: dialer.Script(tc.Script), Claim: claim}, time.Time{})
	if errors.Is(err, errHandedBack) {
		return time.Second, nil
	}
	if err != nil {
		// Refused before any INVITE (a bad target, no prompts in that
		// language, no channel before the job's end): the admin reads why.
		res = dialer.Result{Outcome: wellcheck.OutcomeFailed, Reason: err.Error()}
	}
	c.log().InfoContext(ctx, "test call ended", "test_call_id", id, "outcome", res.Outcome, "status", res.SIPStatus)
	return 0, end(res)
}
