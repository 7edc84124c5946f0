package store

import (
	"context"

	"github.com/wellcheck/wellcheck"
)

// OpenCase returns the person's open case, if any, with its follow-ups.
func (q *Queries) OpenCase(ctx context.Context, personID int64) (wellcheck.Case, []wellcheck.FollowUp, error) {
	rows, err := q.q.ListOpenCases(ctx, personID)
	if err != nil {
		return wellcheck.Case{}, nil, translate(err, "read open case")
	}
	if len(rows) == 0 {
		return wellcheck.Case{}, nil, wellcheck.ErrNotFound
	}
	r := rows[0]
	c := wellcheck.Case{
		ID: r.ID, PersonID: r.PersonID, State: wellcheck.CaseState(r.State), Priority: wellcheck.Priority(r.Priority),
		OpenedReason: wellcheck.CaseReason(r.OpenedReason), DueAt: r.DueAt, AssigneeID: r.AssigneeID,
		OpenedAt: r.OpenedAt, ClosedAt: r.ClosedAt, ClosureReason: deref(r.ClosureReason), PersonAgreed: r.PersonAgreed,
	}
	followUps := make([]wellcheck.FollowUp, len(rows))
	for i, r := range rows {
		followUps[i] = wellcheck.FollowUp{
			ID: r.FollowUpID, CaseID: r.ID, PersonID: r.PersonID, AssigneeID: r.FollowUpAssignee, Reason: wellcheck.FollowUpReason(r.FollowUpReason),
			Priority: wellcheck.Priority(r.Priority), DueAt: r.DueAt, State: r.FollowUpState,
		}
	}
	return c, followUps, nil
}
