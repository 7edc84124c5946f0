package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// TestCall is a call an admin asked for from the settings page, to hear the
// prompts through the trunk: its request, and how it went once placed.
type TestCall struct {
	ID          int64
	RequestedBy *int64
	// RequestedByName is the admin's name, when listed.
	RequestedByName string
	// Target is an E.164 number or a sip: URI.
	Target, Lang string
	// Script is the dialer's script: "" a check-in, "escalation" a contact's call.
	Script             string
	RequestedAt        time.Time
	StartedAt, EndedAt *time.Time
	Outcome            wellcheck.Outcome // "" until it ends
	SIPStatus          int
	Digits, Reason     string
	Ring, Talk         time.Duration
	Quality            wellcheck.CallQuality
}

// ErrTestCallUnderway is RequestTestCall's refusal while the admin's last
// test call has not ended.
var ErrTestCallUnderway = &wellcheck.Error{Code: wellcheck.EConflict, Message: wellcheck.Message{Key: "test_call_underway"}}

// testCallLife is how long a test call is kept; one asked longer ago than
// testCallStuck and never ended (its node died) no longer blocks a new one.
const (
	testCallLife  = 30 * 24 * time.Hour
	testCallStuck = 30 * time.Minute
)

func testCallOf(t dbsqlc.TestCall) TestCall {
	c := TestCall{ID: t.ID, RequestedBy: t.RequestedBy, Target: t.Target, Lang: t.Lang, Script: t.Script,
		RequestedAt: t.RequestedAt, StartedAt: t.StartedAt, EndedAt: t.EndedAt, SIPStatus: int(t.SipStatus),
		Digits: t.Digits, Reason: t.Reason, Ring: time.Duration(t.RingMs) * time.Millisecond, Talk: time.Duration(t.TalkMs) * time.Millisecond,
		Quality: wellcheck.CallQuality{LossReceivedPct: t.LossReceivedPct, LossSentPct: t.LossSentPct, JitterMS: t.JitterMs,
			RTTMS: t.RttMs, MOS: t.Mos}}
	if t.Outcome != nil {
		c.Outcome = wellcheck.Outcome(*t.Outcome)
	}
	return c
}

// RequestTestCall records c's request and returns its id; the caller enqueues
// its job in the same transaction. While the same admin's last test call has
// not ended it returns ErrTestCallUnderway: a double click calls once.
func (q *Queries) RequestTestCall(ctx context.Context, c TestCall) (int64, error) {
	id, err := q.q.RequestTestCall(ctx, dbsqlc.RequestTestCallParams{RequestedBy: c.RequestedBy, Target: c.Target, Lang: c.Lang,
		Script: c.Script, RequestedAt: c.RequestedAt, Since: c.RequestedAt.Add(-testCallStuck)})
	if err = translate(err, "request a test call"); errors.Is(err, wellcheck.ErrNotFound) {
		return 0, ErrTestCallUnderway
	}
	return id, err
}

// TestCall returns a test call.
func (q *Queries) TestCall(ctx context.Context, id int64) (TestCall, error) {
	t, err := q.q.GetTestCall(ctx, id)
	if err != nil {
		return TestCall{}, translate(err, fmt.Sprintf("test call %d", id))
	}
	return testCallOf(t), nil
}

// StartTestCall marks a test call placed; ErrNotFound if it was already (a
// job run twice places it once).
func (q *Queries) StartTestCall(ctx context.Context, id int64, at time.Time) error {
	_, err := q.q.StartTestCall(ctx, dbsqlc.StartTestCallParams{ID: id, At: &at})
	return translate(err, fmt.Sprintf("start test call %d", id))
}

// EndTestCall records how a test call ended (EndedAt must be set); an ended
// one keeps its first ending.
func (q *Queries) EndTestCall(ctx context.Context, c TestCall) error {
	outcome := string(c.Outcome)
	c.Quality = c.Quality.Checked()
	return translate(q.q.EndTestCall(ctx, dbsqlc.EndTestCallParams{ID: c.ID, EndedAt: c.EndedAt, Outcome: &outcome,
		SipStatus: int32(c.SIPStatus), Digits: c.Digits, Reason: c.Reason, RingMs: c.Ring.Milliseconds(), TalkMs: c.Talk.Milliseconds(),
		LossReceivedPct: c.Quality.LossReceivedPct, LossSentPct: c.Quality.LossSentPct, JitterMs: c.Quality.JitterMS,
		RttMs: c.Quality.RTTMS, Mos: c.Quality.MOS}),
		fmt.Sprintf("end test call %d", c.ID))
}

// RecentTestCalls returns the latest max test calls, newest first.
func (q *Queries) RecentTestCalls(ctx context.Context, max int) ([]TestCall, error) {
	rows, err := q.q.RecentTestCalls(ctx, int32(max))
	if err != nil {
		return nil, translate(err, "recent test calls")
	}
	calls := make([]TestCall, len(rows))
	for i, r := range rows {
		calls[i] = testCallOf(r.TestCall)
		calls[i].RequestedByName = r.RequestedByName
	}
	return calls, nil
}

// PurgeTestCalls deletes the test calls asked more than 30 days before now.
func (q *Queries) PurgeTestCalls(ctx context.Context, now time.Time) (int64, error) {
	n, err := q.q.PurgeTestCalls(ctx, now.Add(-testCallLife))
	return n, translate(err, "purge test calls")
}
