package store

import (
	"context"
	"fmt"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// Caller is the enrolled person a call to the service comes from.
type Caller struct {
	ID       int64
	Name     string
	Language string
	TimeZone string
	Status   wellcheck.PersonStatus
}

// PersonByPhone returns the enrolled person (not withdrawn) whose number
// is phone, or wellcheck.ErrNotFound.
func (q *Queries) PersonByPhone(ctx context.Context, phone wellcheck.Phone) (Caller, error) {
	r, err := q.q.PersonByPhone(ctx, string(phone))
	if err != nil {
		return Caller{}, translate(err, "the person with a caller's number")
	}
	return Caller{ID: r.ID, Name: r.FullName, Language: r.Language, TimeZone: r.TimeZone, Status: wellcheck.PersonStatus(r.Status)}, nil
}

// MissedCheckIn returns the id of the person's latest check-in with a slot
// in [from, to) that they missed (unreached, our calls failed, or waiting
// to be called again), or wellcheck.ErrNotFound.
func (q *Queries) MissedCheckIn(ctx context.Context, personID int64, from, to time.Time) (int64, error) {
	id, err := q.q.MissedCheckIn(ctx, dbsqlc.MissedCheckInParams{PersonID: personID, FromAt: from, ToAt: to})
	if err != nil {
		return 0, translate(err, fmt.Sprintf("the check-in person %d missed", personID))
	}
	return id, nil
}
