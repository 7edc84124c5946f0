package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// MaxCaseCalls is how many of a case's calls CaseCalls returns at most.
const MaxCaseCalls = 200

func caseCallOf(r dbsqlc.CaseCall) wellcheck.CaseCall {
	return wellcheck.CaseCall{
		ID: r.ID, CaseID: r.CaseID, PersonID: r.PersonID, UserID: r.UserID, Direction: wellcheck.CallDirection(r.Direction),
		Number: wellcheck.Phone(deref(r.Number)), Node: r.Node, SIPCallID: deref(r.SipCallID), StartedAt: r.StartedAt,
		AnsweredAt: r.AnsweredAt, EndedAt: r.EndedAt, Outcome: wellcheck.CallOutcome(deref(r.Outcome)), HungUpBy: wellcheck.HungUpBy(deref(r.HungUpBy)),
	}
}

// StartCaseCall records a call starting on a case (CaseID, PersonID, UserID,
// Direction, Number, Node, StartedAt) and returns it with its id.
func (q *Queries) StartCaseCall(ctx context.Context, c wellcheck.CaseCall) (wellcheck.CaseCall, error) {
	r, err := q.q.StartCaseCall(ctx, dbsqlc.StartCaseCallParams{CaseID: c.CaseID, PersonID: c.PersonID, UserID: c.UserID,
		Direction: string(c.Direction), Number: optString(c.Number.E164()), Node: c.Node, StartedAt: c.StartedAt})
	if err != nil {
		return wellcheck.CaseCall{}, translate(err, fmt.Sprintf("start a call on case %d", c.CaseID))
	}
	return caseCallOf(r), nil
}

// CaseCall returns a call.
func (q *Queries) CaseCall(ctx context.Context, id int64) (wellcheck.CaseCall, error) {
	r, err := q.q.GetCaseCall(ctx, id)
	if err != nil {
		return wellcheck.CaseCall{}, translate(err, fmt.Sprintf("call %d", id))
	}
	return caseCallOf(r), nil
}

// LockCaseCall returns a call, locked until the transaction ends.
func (q *Queries) LockCaseCall(ctx context.Context, id int64) (wellcheck.CaseCall, error) {
	r, err := q.q.LockCaseCall(ctx, id)
	if err != nil {
		return wellcheck.CaseCall{}, translate(err, fmt.Sprintf("lock call %d", id))
	}
	return caseCallOf(r), nil
}

// SetCaseCallSIPID records the SIP Call-ID of a call's leg to the person;
// a call that has one keeps it, and changed is false.
func (q *Queries) SetCaseCallSIPID(ctx context.Context, id int64, sipCallID string) (c wellcheck.CaseCall, changed bool, err error) {
	r, err := q.q.SetCaseCallSIPID(ctx, dbsqlc.SetCaseCallSIPIDParams{ID: id, SipCallID: &sipCallID})
	return q.changedOnce(ctx, id, r, err, "set the SIP call id of call")
}

// AnswerCaseCall records that a call in progress was answered at at; a call
// answered or ended already is returned as it is, and changed is false.
func (q *Queries) AnswerCaseCall(ctx context.Context, id int64, at time.Time) (c wellcheck.CaseCall, changed bool, err error) {
	r, err := q.q.AnswerCaseCall(ctx, dbsqlc.AnswerCaseCallParams{ID: id, At: &at})
	return q.changedOnce(ctx, id, r, err, "answer call")
}

// EndCaseCall ends a call in progress at at with an outcome and who hung up
// ("" not known); an ended call keeps its first ending, is returned as it
// is, and changed is false. "answered" on a call whose answer was never
// recorded counts it answered at at.
func (q *Queries) EndCaseCall(ctx context.Context, id int64, at time.Time, outcome wellcheck.CallOutcome, by wellcheck.HungUpBy) (c wellcheck.CaseCall, changed bool, err error) {
	o := string(outcome)
	r, err := q.q.EndCaseCall(ctx, dbsqlc.EndCaseCallParams{ID: id, At: &at, Outcome: &o, HungUpBy: optString(string(by))})
	return q.changedOnce(ctx, id, r, err, "end call")
}

// changedOnce reads what an update that changes a call once returned: the
// call changed, or (no row) the call as it is, unchanged (ErrNotFound if
// there is no such call).
func (q *Queries) changedOnce(ctx context.Context, id int64, r dbsqlc.CaseCall, err error, doing string) (wellcheck.CaseCall, bool, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		c, err := q.CaseCall(ctx, id)
		return c, false, err
	}
	if err != nil {
		return wellcheck.CaseCall{}, false, translate(err, fmt.Sprintf("%s %d", doing, id))
	}
	return caseCallOf(r), true, nil
}

// CaseCalls returns a case's calls, newest first, with the listeners'
// names (at most MaxCaseCalls).
func (q *Queries) CaseCalls(ctx context.Context, caseID int64) ([]wellcheck.CaseCall, error) {
	rows, err := q.q.ListCaseCalls(ctx, dbsqlc.ListCaseCallsParams{CaseID: caseID, Max: MaxCaseCalls})
	if err != nil {
		return nil, translate(err, fmt.Sprintf("calls of case %d", caseID))
	}
	out := make([]wellcheck.CaseCall, len(rows))
	for i, r := range rows {
		out[i] = caseCallOf(r.CaseCall)
		out[i].UserName = r.UserName
	}
	return out, nil
}

// EndLostCaseCalls ends, as failed at at, the calls in progress whose node
// died, as LostCalls judges it (judge, gap, deadAfter; a node that never beat
// by the call's start, before startedBefore), and returns them.
func (q *Queries) EndLostCaseCalls(ctx context.Context, judge string, gap, deadAfter time.Duration, startedBefore, at time.Time) ([]wellcheck.CaseCall, error) {
	rows, err := q.q.EndLostCaseCalls(ctx, dbsqlc.EndLostCaseCallsParams{At: at, Judge: judge, Gap: interval(gap), DeadAfter: interval(deadAfter),
		StartedBefore: startedBefore})
	if err != nil {
		return nil, translate(err, "end the calls whose node died")
	}
	out := make([]wellcheck.CaseCall, len(rows))
	for i, r := range rows {
		out[i] = caseCallOf(r)
	}
	return out, nil
}
