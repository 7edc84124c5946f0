package care

import (
	"context"
	"fmt"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// HandOn gives a finished check-in to whoever must act on it, in q's
// transaction, as the domain's rule decides (wellcheck.CareAfter): a listener
// for a flag, a miss or our failure, with the person's case opened or raised
// and assigned, and their emergency contacts called when it turns urgent; the
// coordinators for a number that does not work. A person who answered stops a
// running escalation.
func (s *Cases) HandOn(ctx context.Context, q *store.Queries, ci store.CallCheckIn, state wellcheck.CheckInState, reason wellcheck.CheckInReason, now time.Time) error {
	cal, set, err := s.Calendar(ctx, q, now)
	if err != nil {
		return err
	}
	var recent []wellcheck.CheckInState
	if state == wellcheck.CheckInUnreached {
		if recent, err = q.RecentFinalStates(ctx, ci.PersonID, set.UnreachedUrgentAfter); err != nil {
			return fmt.Errorf("hand on check-in %d: %w", ci.ID, err)
		}
	}
	care := wellcheck.CareAfter(state, reason, ci.Person.RiskLevel, recent, set.UnreachedUrgentAfter)
	id := ci.ID
	if care.DataIssue {
		_, err := q.RecordDataIssue(ctx, store.DataIssue{
			PersonID: ci.PersonID, Kind: store.IssueUndeliverable, CheckInID: &id, Detail: string(reason), LastSeenAt: now,
		})
		return err
	}
	if care.Listed {
		ev := caseEvent{personID: ci.PersonID, checkInID: &id, referent: ci.Person.ReferentID, language: ci.Person.Language,
			caseReason: care.CaseReason, reason: care.FollowUp, priority: care.Priority, due: care.Due.At(cal, now)}
		if n := len(ci.Attempts); n > 0 && ci.Attempts[n-1].TakenBy != nil {
			// The listener who took the call there and then keeps the
			// person, while on shift and present: they write the note.
			ev.keep = ci.Attempts[n-1].TakenBy
		}
		cs, err := assign(ctx, q, cal, ev, now)
		if err != nil {
			return fmt.Errorf("hand on check-in %d: %w", ci.ID, err)
		}
		if ev.keep != nil {
			if err := s.logPutThrough(ctx, q, cs, ci, ci.Attempts[len(ci.Attempts)-1], now); err != nil {
				return fmt.Errorf("hand on check-in %d: %w", ci.ID, err)
			}
		}
		s.Metrics.Listed(s.now().Sub(now), cs.AssigneeID == nil)
		if care.Escalate {
			// Urgent: the person's emergency contacts are called.
			if err := s.escalate(ctx, q, cs); err != nil {
				return err
			}
		}
	}
	if care.Reached {
		// They answered: their contacts are not called. (After assign, which
		// locked the case: the case first, as every step on it.)
		return s.reached(ctx, q, ci.PersonID, now)
	}
	return nil
}

// HandOnMissed gives the check-ins the planner's sweep finalised (never called,
// or never called back) to listeners, in q's transaction, as HandOn does for
// the rest: one event per person, their latest; withdrawn persons are not
// handed on. It implements scheduler.HandOn.
func (s *Cases) HandOnMissed(ctx context.Context, q *store.Queries, missed []store.Missed, now time.Time) error {
	latest := map[int64]store.Missed{}
	var persons []int64
	for _, m := range missed { // oldest first
		if _, ok := latest[m.PersonID]; !ok {
			persons = append(persons, m.PersonID)
		}
		latest[m.PersonID] = m
	}
	// Their open cases first, all at once: assigning one takes the choice of
	// a listener until commit, and whoever holds a later one may be waiting
	// for that choice (see store.PickListener).
	if err := q.LockCases(ctx, nil, persons); err != nil {
		return err
	}
	for _, m := range missed {
		if latest[m.PersonID].ID != m.ID {
			continue
		}
		ci, err := q.LockCheckInForCall(ctx, m.ID)
		if err != nil {
			return err
		}
		if ci.Person.Status == wellcheck.PersonWithdrawn {
			continue
		}
		if err := s.HandOn(ctx, q, ci, wellcheck.CheckInSystemError, m.Reason, now); err != nil {
			return err
		}
	}
	return nil
}

// logPutThrough lists on the case the check-in's call that a listener
// took there and then (the person pressed 2): the listener's conversation,
// as one of the case's calls, answered when the person answered the
// check-in, ended with it.
func (s *Cases) logPutThrough(ctx context.Context, q *store.Queries, cs wellcheck.Case, ci store.CallCheckIn, a wellcheck.Attempt, now time.Time) error {
	ended := now
	if a.EndedAt != nil {
		ended = *a.EndedAt
	}
	earliest := func(a, b time.Time) time.Time {
		if a.Before(b) {
			return a
		}
		return b
	}
	started := earliest(a.StartedAt, ended)
	answered := earliest(started.Add(a.Ring), ended)
	c, err := q.StartCaseCall(ctx, wellcheck.CaseCall{CaseID: cs.ID, PersonID: ci.PersonID, UserID: *a.TakenBy,
		Direction: wellcheck.CallOut, Number: wellcheck.Phone(ci.Person.Phone), Node: s.Node, StartedAt: started})
	if err != nil {
		return err
	}
	if a.CallID != "" {
		if c, _, err = q.SetCaseCallSIPID(ctx, c.ID, a.CallID); err != nil {
			return err
		}
	}
	if c, _, err = q.AnswerCaseCall(ctx, c.ID, answered); err != nil {
		return err
	}
	if c, _, err = q.EndCaseCall(ctx, c.ID, ended, wellcheck.CallAnswered, ""); err != nil {
		return err
	}
	return q.Audit(ctx, wellcheck.UserActor(*a.TakenBy, wellcheck.ViaOf(ctx)), "call.end", &c.PersonID, &c.CaseID, callEnded(c))
}
