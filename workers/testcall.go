package workers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/store"
)

// TestCallArgs is the job that places a test call an admin asked for on the
// settings page. It is tried once: a test call is never repeated unasked.
type TestCallArgs struct {
	TestCallID int64 `json:"test_call_id"`
}

func (TestCallArgs) Kind() string { return "test_call" }

func (TestCallArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCalls, Priority: 1, MaxAttempts: 1}
}

// EnqueueTestCall adds, in q's transaction, the job that places test call id.
func (j *Jobs) EnqueueTestCall(ctx context.Context, q *store.Queries, id int64) error {
	if _, err := j.client.InsertTx(ctx, q.Tx(), TestCallArgs{TestCallID: id}, nil); err != nil {
		return fmt.Errorf("enqueue test call %d: %w", id, err)
	}
	return nil
}

// TestCall places test call id with the dialer check-in calls use, through
// the trunk's limits, and records how it ended. It is placed at any hour: it
// calls staff, not a person. A test call already placed (its job run again
// after its node died) is not placed again; it is recorded as interrupted.
func (c *Calls) TestCall(ctx context.Context, id int64) error {
	tc, err := c.Store.Queries().TestCall(ctx, id)
	if errors.Is(err, wellcheck.ErrNotFound) {
		return nil // purged meanwhile
	} else if err != nil {
		return err
	}
	if tc.EndedAt != nil {
		return nil
	}
	end := func(res dialer.Result) error {
		ended := c.now()
		tc.EndedAt, tc.Outcome, tc.SIPStatus, tc.Digits, tc.Reason, tc.Ring, tc.Talk =
			&ended, res.Outcome, res.SIPStatus, res.Digits, res.Reason, res.Ring, res.Talk
		return c.Store.Queries().EndTestCall(context.WithoutCancel(ctx), tc)
	}
	if tc.StartedAt != nil {
		return end(dialer.Result{Outcome: wellcheck.OutcomeFailed, Reason: ReasonInterrupted})
	}
	claim := func(ctx context.Context) error { return c.Store.Queries().StartTestCall(ctx, id, c.now()) }
	res, err := c.place(ctx, metrics.TestCall, dialer.Request{To: tc.Target, Lang: tc.Lang, Script: dialer.Script(tc.Script), Claim: claim}, time.Time{})
	if errors.Is(err, errHandedBack) {
		return river.JobSnooze(time.Second)
	}
	if err != nil {
		// Refused before any INVITE (a bad target, no prompts in that
		// language, no channel before the job's end): the admin reads why.
		res = dialer.Result{Outcome: wellcheck.OutcomeFailed, Reason: err.Error()}
	}
	c.log().InfoContext(ctx, "test call ended", "test_call_id", id, "outcome", res.Outcome, "status", res.SIPStatus)
	return end(res)
}
