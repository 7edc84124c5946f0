package care

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// The calls of a case from the listener's browser phone are logged by
// themselves — start, answer, end, who hung up — so that the listener only
// writes the note. The browser phone's signalling reports them here; the
// times are the service's clock. Their audio is never recorded.

// e164 is a number as the browser phone dials it or reads a caller's.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// StartCall logs a call starting on a case from by's browser phone:
// direction "out" by calling the person (number "" dials the person's own),
// "in" the person calling the service (number "" for a withheld number).
// Only who may act on the case may call from it (a listener, their cases and
// the shared pool's; coordinators and admins, any), and a closed case calls
// nobody; a person's call is logged on their case even once it is closed.
func (s *Cases) StartCall(ctx context.Context, by wellcheck.User, caseID int64, direction, number string) (wellcheck.CaseCall, error) {
	dir := wellcheck.CallDirection(direction)
	var ps wellcheck.Problems
	if dir != wellcheck.CallOut && dir != wellcheck.CallIn {
		ps.Add("direction", "choice_invalid", direction, "out, in")
	}
	if number != "" && !e164.MatchString(number) {
		ps.Add("number", "phone_invalid", wellcheck.Secret(number))
	}
	if err := ps.Err(); err != nil {
		return wellcheck.CaseCall{}, err
	}
	now := s.now()
	var out wellcheck.CaseCall
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		cs, err := q.LockCase(ctx, caseID)
		if err != nil {
			return err
		}
		// Who they are now: a page left open keeps the account it
		// signed in with, which an admin may have disabled since.
		current, err := q.User(ctx, by.ID)
		if err != nil {
			return wellcheck.Errorf(wellcheck.EForbidden, "case_forbidden")
		}
		if err := mayAct(current, cs); err != nil {
			return err
		}
		if dir == wellcheck.CallOut && cs.State == wellcheck.CaseClosed {
			return wellcheck.Errorf(wellcheck.EConflict, "case_closed")
		}
		if dir == wellcheck.CallOut && number == "" {
			p, _, err := q.Person(ctx, cs.PersonID)
			if err != nil {
				return err
			}
			number = p.Phone.E164()
		}
		out, err = q.StartCaseCall(ctx, wellcheck.CaseCall{CaseID: cs.ID, PersonID: cs.PersonID, UserID: by.ID,
			Direction: dir, Number: wellcheck.Phone(number), Node: s.Node, StartedAt: now})
		if err != nil {
			return err
		}
		return q.Audit(ctx, actorOf(ctx, by), "call.start", &cs.PersonID, &cs.ID, map[string]any{"call_id": out.ID, "direction": string(dir)})
	})
	if err != nil {
		return wellcheck.CaseCall{}, fmt.Errorf("start a call on case %d: %w", caseID, err)
	}
	return out, nil
}

// CallSIPID records the SIP Call-ID of a call's leg to the person, once: a
// call that has one keeps it.
func (s *Cases) CallSIPID(ctx context.Context, id int64, sipCallID string) (wellcheck.CaseCall, error) {
	c, _, err := s.Store.Queries().SetCaseCallSIPID(ctx, id, sipCallID)
	if err != nil {
		return c, fmt.Errorf("set the SIP call id of call %d: %w", id, err)
	}
	return c, nil
}

// CallAnswered logs that a call in progress was answered: the person picked
// up, or the listener took the person's call. An answer reported again, or
// after the call ended, changes nothing.
func (s *Cases) CallAnswered(ctx context.Context, id int64) (wellcheck.CaseCall, error) {
	c, _, err := s.Store.Queries().AnswerCaseCall(ctx, id, s.now())
	if err != nil {
		return c, fmt.Errorf("answer call %d: %w", id, err)
	}
	return c, nil
}

// EndCall logs how a call ended, and who hung up ("" when not known), in
// the audit log as the act of the call's listener. Ending an ended call
// changes nothing: it is returned as it first ended.
func (s *Cases) EndCall(ctx context.Context, id int64, outcome wellcheck.CallOutcome, hungUpBy wellcheck.HungUpBy) (wellcheck.CaseCall, error) {
	var ps wellcheck.Problems
	if !outcome.Valid() {
		ps.Add("outcome", "choice_invalid", string(outcome), "answered, no_answer, busy, declined, invalid_number, failed")
	}
	if hungUpBy != "" && hungUpBy != wellcheck.HungUpByListener && hungUpBy != wellcheck.HungUpByPerson {
		ps.Add("hung_up_by", "choice_invalid", string(hungUpBy), "listener, person")
	}
	if err := ps.Err(); err != nil {
		return wellcheck.CaseCall{}, err
	}
	now := s.now()
	var out wellcheck.CaseCall
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		var ended bool
		var err error
		if out, ended, err = q.EndCaseCall(ctx, id, now, outcome, hungUpBy); err != nil || !ended {
			return err
		}
		return q.Audit(ctx, wellcheck.UserActor(out.UserID, wellcheck.ViaOf(ctx)), "call.end", &out.PersonID, &out.CaseID, callEnded(out))
	})
	if err != nil {
		return out, fmt.Errorf("end call %d: %w", id, err)
	}
	return out, nil
}

// callEnded is what the audit log keeps of a call's end: never its number.
func callEnded(c wellcheck.CaseCall) map[string]any {
	d := map[string]any{"call_id": c.ID, "call_outcome": string(c.Outcome), "reached": c.Reached(),
		"duration_s": int64(c.Duration() / time.Second)}
	if c.HungUpBy != "" {
		d["hung_up_by"] = string(c.HungUpBy)
	}
	return d
}

// Calls returns a case's calls, newest first, with their listeners' names.
// Who may read them is the caller's to check, as for the case itself.
func (s *Cases) Calls(ctx context.Context, caseID int64) ([]wellcheck.CaseCall, error) {
	calls, err := s.Store.Queries().CaseCalls(ctx, caseID)
	if err != nil {
		return nil, fmt.Errorf("calls of case %d: %w", caseID, err)
	}
	return calls, nil
}

// EndLostCalls ends the calls whose node died mid-call (their audio went
// with it), as calling's recovery judges nodes dead: judge is the node that
// asks, alive throughout; gap, deadAfter and startedBefore as in
// store.LostCalls. They end as failed now (an answered call, no earlier
// than its answer), and the audit log says the system ended them. It
// returns how many it ended.
func (s *Cases) EndLostCalls(ctx context.Context, judge string, gap, deadAfter time.Duration, startedBefore time.Time) (int, error) {
	var n int
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		calls, err := q.EndLostCaseCalls(ctx, judge, gap, deadAfter, startedBefore, s.now())
		if err != nil {
			return err
		}
		n = len(calls)
		for _, c := range calls {
			if err := q.Audit(ctx, systemActor, "call.end", &c.PersonID, &c.CaseID, callEnded(c)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("end the browser phone's calls whose node died: %w", err)
	}
	if n > 0 {
		s.log().WarnContext(ctx, "calls of the browser phone whose node stopped mid-call ended as failed", "calls", n)
	}
	return n, nil
}

// TakeCall logs a person's call to the service that by, a listener, took:
// the call is logged in (CallAnswered says when it is answered) on the
// person's open case, which keeps its listener; with none open, one opens
// for it (reason "called"), for by's note, and goes to by while on shift
// and present. The person is reached: a running escalation stops. number
// is the caller's, in E.164.
func (s *Cases) TakeCall(ctx context.Context, by wellcheck.User, personID int64, number string) (wellcheck.CaseCall, error) {
	if number != "" && !e164.MatchString(number) {
		return wellcheck.CaseCall{}, wellcheck.Problems{{Field: "number", Message: wellcheck.Message{Key: "phone_invalid", Args: []any{wellcheck.Secret(number)}}}}.Err()
	}
	now := s.now()
	var out wellcheck.CaseCall
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		ev, _, cal, err := s.eventFor(ctx, q, personID, now)
		if err != nil {
			return err
		}
		taker := by.ID // a case opened for the call goes to who took it
		ev.caseReason, ev.reason, ev.priority, ev.due, ev.opener, ev.actor = wellcheck.CaseCalled, wellcheck.FollowUpCalled, wellcheck.PriorityNormal, now, &taker, actorOf(ctx, by)
		cs, err := assign(ctx, q, cal, ev, now)
		if err != nil {
			return err
		}
		if err := s.reached(ctx, q, personID, now); err != nil {
			return err
		}
		if out, err = q.StartCaseCall(ctx, wellcheck.CaseCall{CaseID: cs.ID, PersonID: personID, UserID: by.ID,
			Direction: wellcheck.CallIn, Number: wellcheck.Phone(number), Node: s.Node, StartedAt: now}); err != nil {
			return err
		}
		return q.Audit(ctx, actorOf(ctx, by), "call.start", &personID, &cs.ID, map[string]any{"call_id": out.ID, "direction": string(wellcheck.CallIn)})
	})
	if err != nil {
		return wellcheck.CaseCall{}, fmt.Errorf("log a call from person %d: %w", personID, err)
	}
	return out, nil
}

// CallBackRequested puts a person who asked to be called back, calling the
// service, on a listener's list as a flag does (open or raise their case,
// due within two opening hours), in q's transaction: for a person with no
// check-in missed today, whose flag has no check-in to carry it. The
// person is reached: a running escalation stops.
func (s *Cases) CallBackRequested(ctx context.Context, q *store.Queries, personID int64, now time.Time) (wellcheck.Case, error) {
	ev, person, cal, err := s.eventFor(ctx, q, personID, now)
	if err != nil {
		return wellcheck.Case{}, err
	}
	care := wellcheck.CareAfter(wellcheck.CheckInFlagged, wellcheck.ReasonCalledIn, person.RiskLevel, nil, 0)
	ev.caseReason, ev.reason, ev.priority, ev.due = care.CaseReason, care.FollowUp, care.Priority, care.Due.At(cal, now)
	cs, err := assign(ctx, q, cal, ev, now)
	if err != nil {
		return wellcheck.Case{}, fmt.Errorf("a call back asked by person %d: %w", personID, err)
	}
	s.Metrics.Listed(s.now().Sub(now), cs.AssigneeID == nil)
	return cs, s.reached(ctx, q, personID, now)
}
