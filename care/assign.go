package care

import (
	"context"
	"errors"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// caseEvent is something that needs a listener: a flag, a miss, our failure.
type caseEvent struct {
	personID   int64
	checkInID  *int64
	referent   *int64
	language   string
	caseReason wellcheck.CaseReason     // why a case opens, if none is open
	reason     wellcheck.FollowUpReason // what the listener's list says
	priority   wellcheck.Priority
	due        time.Time
	keep       *int64          // who to keep while on shift and present (default: the case's assignee)
	opener     *int64          // who to keep, as keep, when the event opens the case (an open one keeps its assignee)
	actor      wellcheck.Actor // who acted (default: the system)
}

// assign attaches ev to the person's open case, or opens one, and puts the
// case's follow-up on a list, in q's transaction. At most one case is open per
// person: a new event raises its priority and brings its due time forward.
// The assignee is the case's current one while on shift and present, else the
// person's referent listener if on shift, present and below capacity, else the
// on-shift, present listener speaking the person's language with the fewest
// pending follow-ups, else the shared pool, due when the next shift starts.
//
// No listener goes above capacity when given a new person, however many flags
// arrive at once on however many nodes: the choice is serialised until commit
// (store.PickListener says how, and why it cannot deadlock with the case and
// check-in locks held here). The case's own listener is kept whatever their
// load: a new event on their person's case is not a new person. If that case
// already has its task on their list (a second flag, a miss after a flag), the
// task is brought up to date and their load does not change; if it has none
// (its next follow-up is only scheduled), a task is added and may take them
// above capacity, deliberately: the person stays with the listener who knows
// them, and a listener at or above capacity is given nobody new.
func assign(ctx context.Context, q *store.Queries, cal *scheduler.Calendar, ev caseEvent, now time.Time) (wellcheck.Case, error) {
	open, err := q.LockOpenCase(ctx, ev.personID)
	exists := err == nil
	if err != nil && !errors.Is(err, wellcheck.ErrNotFound) {
		return wellcheck.Case{}, err
	}
	keep := ev.keep
	switch {
	case keep != nil:
	case exists:
		keep = open.AssigneeID
	default:
		keep = ev.opener
	}
	assignee, err := q.PickListener(ctx, store.Pick{Keep: keep, Referent: ev.referent, Language: ev.language, At: now.In(cal.Loc)})
	if err != nil {
		return wellcheck.Case{}, err
	}
	if assignee == nil {
		shifts, err := q.ListenerShifts(ctx)
		if err != nil {
			return wellcheck.Case{}, err
		}
		// Nobody on shift: the pool is due when the next shift starts.
		if next := nextShift(shifts, cal, now); next.After(now) {
			ev.due = next
		}
	}

	var c wellcheck.Case
	action := "case.raise"
	if exists {
		c, err = q.RaiseCase(ctx, open.ID, ev.priority, ev.due, assignee)
	} else {
		action = "case.open"
		c, err = q.CreateCase(ctx, wellcheck.Case{PersonID: ev.personID, Priority: ev.priority, OpenedReason: ev.caseReason, OpenedAt: now, DueAt: ev.due, AssigneeID: assignee})
	}
	if err != nil {
		return wellcheck.Case{}, err
	}
	_, err = q.PutFollowUp(ctx, wellcheck.FollowUp{
		CaseID: c.ID, PersonID: ev.personID, AssigneeID: assignee, Reason: ev.reason, Priority: c.Priority, DueAt: c.DueAt, CheckInID: ev.checkInID,
	}, ev.priority)
	if err != nil {
		return wellcheck.Case{}, err
	}
	details := map[string]any{"reason": ev.reason, "priority": c.Priority}
	if ev.checkInID != nil {
		details["check_in_id"] = *ev.checkInID
	}
	if assignee != nil {
		details["assignee_id"] = *assignee
	}
	if ev.actor.Label == "" {
		ev.actor = systemActor
	}
	return c, q.Audit(ctx, ev.actor, action, &ev.personID, &c.ID, details)
}

// nextShift returns now if a listener's shift covers now, else when the next
// one starts on a day the service is open (now if there is none in the next
// two weeks: the pool is due at once, and the admins see it).
func nextShift(shifts []store.Shift, cal *scheduler.Calendar, now time.Time) time.Time {
	from, _, ok := cal.FirstStretch(now, 14, func(d time.Weekday) []wellcheck.Window {
		var on []wellcheck.Window
		for _, s := range shifts {
			if s.Weekday == d {
				on = append(on, s.Window)
			}
		}
		return on
	})
	if !ok {
		return now
	}
	return from
}
