package calling

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/switchboard"
)

// CalledIn is what a person's key at the service's voice menu did.
type CalledIn struct {
	// CheckIn is the check-in missed today that the key confirmed (1) or
	// flagged (2); 0 if none was missed.
	CheckIn int64
	State   wellcheck.CheckInState
	// Case is the case a call back asked with no check-in missed went to.
	Case int64
}

// CalledIn applies the key a person pressed at the voice menu of a call to
// the service (nobody took it, or the service was closed): 1, all is well,
// confirms the check-in they missed today (in their time zone); 2, call
// me back, flags it, or, with none missed, puts them on a listener's list
// as a flag does. Any other key does nothing. Like a call's outcome, it is
// tried until the database has it (keep); a check-in being dialled at that
// moment is left to its call.
func (c *Calls) CalledIn(ctx context.Context, personID int64, key byte) (CalledIn, error) {
	var outcome wellcheck.Outcome
	switch key {
	case '1':
		outcome = wellcheck.OutcomeOK
	case '2':
		outcome = wellcheck.OutcomeHelpRequested
	default:
		return CalledIn{}, nil
	}
	var out CalledIn
	err := c.keep(ctx, "person_id", personID, func(q *store.Queries) error {
		out = CalledIn{}
		now := c.now()
		person, err := q.PersonForCase(ctx, personID)
		if err != nil {
			return err
		}
		loc, err := scheduler.LoadZone(person.TimeZone)
		if err != nil {
			loc = time.UTC // enrolment checked it: never seen
		}
		y, m, d := now.In(loc).Date()
		from := time.Date(y, m, d, 0, 0, 0, 0, loc)
		id, err := q.MissedCheckIn(ctx, personID, from, from.AddDate(0, 0, 1))
		if err == nil {
			ci, err := q.LockCheckInForCall(ctx, id)
			if err != nil {
				return err
			}
			// A call to them may have started meanwhile: its own call
			// decides, and a call back asked still reaches a list.
			if next, ok := wellcheck.Corrected(ci.State, outcome); ok && ci.CallingSince == nil {
				next.Reason = wellcheck.ReasonCalledIn
				out.CheckIn, out.State = ci.ID, next.State
				if err := c.finish(ctx, q, ci, next, now); err != nil {
					return err
				}
			}
		} else if !errors.Is(err, wellcheck.ErrNotFound) {
			return err
		}
		switch {
		case out.CheckIn != 0:
		case outcome == wellcheck.OutcomeHelpRequested:
			cs, err := c.Care.CallBackRequested(ctx, q, personID, now)
			if err != nil {
				return err
			}
			out.Case = cs.ID
		}
		return q.Audit(ctx, wellcheck.SystemActor("calls"), "person.called_in", &personID, nil,
			map[string]any{"key": string(key), "check_in_id": out.CheckIn})
	})
	if err != nil {
		return CalledIn{}, fmt.Errorf("apply person %d's key at the service's menu: %w", personID, err)
	}
	return out, nil
}

// Desk answers what calls to the service ask of wellcheck
// (switchboard.Desk): who calls, whether the service is open, and records
// what they did.
type Desk struct{ Calls *Calls }

// Caller returns the enrolled person whose number is number.
func (d Desk) Caller(ctx context.Context, number wellcheck.Phone) (switchboard.Caller, error) {
	p, err := d.Calls.Store.Queries().PersonByPhone(ctx, number)
	if err != nil {
		return switchboard.Caller{}, err
	}
	return switchboard.Caller{ID: p.ID, Name: p.Name, Language: p.Language}, nil
}

// Open reports whether the service is open now.
func (d Desk) Open(ctx context.Context) (bool, error) {
	now := d.Calls.now()
	cal, _, err := d.Calls.calendar(ctx, d.Calls.Store.Queries(), now)
	if err != nil {
		return false, err
	}
	return cal.OpenAt(now), nil
}

// TakeCall logs person's call that by took (care.Cases.TakeCall).
func (d Desk) TakeCall(ctx context.Context, by wellcheck.User, person int64, number string) (wellcheck.CaseCall, error) {
	return d.Calls.Care.TakeCall(ctx, by, person, number)
}

// CalledIn applies person's key at the voice menu (Calls.CalledIn).
func (d Desk) CalledIn(ctx context.Context, person int64, key byte) error {
	_, err := d.Calls.CalledIn(ctx, person, key)
	return err
}

var _ switchboard.Desk = Desk{}
