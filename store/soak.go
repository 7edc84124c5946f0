package store

import (
	"context"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// What the soak (wellcheck soak) watches and checks: the check-ins whose
// slot is before before, on the machine's clock, read-only.

// SoakDue counts the check-ins waiting for their first call and due at now,
// and gives the next one due after now (zero if none).
func (q *Queries) SoakDue(ctx context.Context, now, before time.Time) (int, time.Time, error) {
	r, err := q.q.SoakCheckInsDue(ctx, dbsqlc.SoakCheckInsDueParams{Now: now, Before: before})
	if err != nil || !r.Next.Before(before) {
		return int(r.Due), time.Time{}, translate(err, "count the check-ins due")
	}
	return int(r.Due), r.Next, nil
}

// SoakOutcomes counts the attempts whose outcome is recorded.
func (q *Queries) SoakOutcomes(ctx context.Context) (int, error) {
	n, err := q.q.SoakAttemptsEnded(ctx)
	return int(n), translate(err, "count the outcomes recorded")
}

// SoakOpen counts the check-ins not yet ended.
func (q *Queries) SoakOpen(ctx context.Context, before time.Time) (int, error) {
	n, err := q.q.SoakCheckInsOpen(ctx, before)
	return int(n), translate(err, "count the check-ins going on")
}

// SoakCheckIns returns each check-in's state, by id.
func (q *Queries) SoakCheckIns(ctx context.Context, before time.Time) (map[int64]wellcheck.CheckInState, error) {
	rows, err := q.q.SoakCheckIns(ctx, before)
	out := make(map[int64]wellcheck.CheckInState, len(rows))
	for _, r := range rows {
		out[r.ID] = wellcheck.CheckInState(r.State)
	}
	return out, translate(err, "read the check-ins")
}

// A SoakAttempt is an attempt and the number it called.
type SoakAttempt struct {
	wellcheck.Attempt
	Phone string
}

// SoakAttempts returns every attempt, oldest first, with the number called.
func (q *Queries) SoakAttempts(ctx context.Context, before time.Time) ([]SoakAttempt, error) {
	rows, err := q.q.SoakAttempts(ctx, before)
	out := make([]SoakAttempt, len(rows))
	for i, r := range rows {
		out[i] = SoakAttempt{Attempt: wellcheck.Attempt{CheckInID: r.CheckInID, Number: int(r.Number), StartedAt: r.StartedAt,
			Outcome: wellcheck.Outcome(r.Outcome), CallID: r.CallID, FailureReason: r.FailureReason}, Phone: r.Phone}
	}
	return out, translate(err, "read the attempts")
}
