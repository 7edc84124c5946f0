package care

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// Cases is the care that follows a call: it hands a finished check-in to
// whoever must act on it (HandOn), and it is what listeners and coordinators
// do with a person's case: open it by hand, claim it from the shared pool,
// record a follow-up, schedule the next one, close it, hand it to someone
// else. The web pages, the JSON API and the calls all go through it, so that
// they follow the same rules.
type Cases struct {
	Store *store.Store
	Queue Queue
	// TimeZone, when set, overrides the service's zone (WELLCHECK_TIME_ZONE).
	TimeZone string
	// Metrics, if set, counts the follow-ups put on lists.
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	Now     func() time.Time
	// Node is this node's name, kept with the browser phone's calls it
	// bridges so that it ends those it left open when it starts again.
	Node string

	calendarsOnce sync.Once
	calendars     *scheduler.Calendars
}

// Queue is where care leaves the work that comes later: the calls to an
// escalation's contacts, a follow-up coming back on its list. Times are on
// the machine's clock.
type Queue interface {
	EnqueueEscalation(ctx context.Context, q *store.Queries, escalationID int64) error
	EnqueueFollowUpDue(ctx context.Context, q *store.Queries, followUpID int64, at time.Time) error
}

// systemActor is who the audit log says acted when nobody did.
var systemActor = wellcheck.SystemActor("calls")

func (s *Cases) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Calendar returns the service's calendar and settings as of now, read in
// q's transaction at most every 30 seconds: the calls and the care that
// follows them read the same copy.
func (s *Cases) Calendar(ctx context.Context, q *store.Queries, now time.Time) (*scheduler.Calendar, wellcheck.Settings, error) {
	s.calendarsOnce.Do(func() { s.calendars = &scheduler.Calendars{TimeZone: s.TimeZone} })
	return s.calendars.At(ctx, q, now)
}

func (s *Cases) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// FollowUpRecord is what a listener records after calling a person about
// their case. Every record either sets the next follow-up or closes the case:
// an open case is never left off every list.
type FollowUpRecord struct {
	Reached                 bool
	Note                    string
	PartnerID               *int64 // the partner service the person was oriented to
	EmergencyServicesCalled bool
	// Next is when to follow up again; a time outside opening hours moves to
	// the next opening.
	Next *time.Time
	// Close closes the case instead.
	Close *Closure
}

// Closure is why a case closes, and whether the person agreed.
type Closure struct {
	Reason       wellcheck.ClosureReason
	PersonAgreed bool
}

// Recorded is what a record did.
type Recorded struct {
	Case     wellcheck.Case
	FollowUp wellcheck.FollowUp  // the one just done
	Next     *wellcheck.FollowUp // the one scheduled, if any
	// Moved is set when Next was moved into opening hours.
	Moved bool
}

// Limits of what a listener types.
const (
	maxNote      = 10000
	maxNextAhead = 90 * 24 * time.Hour
)

// actorOf is u acting with ctx, for the audit log.
func actorOf(ctx context.Context, u wellcheck.User) wellcheck.Actor {
	return wellcheck.UserActor(u.ID, wellcheck.ViaOf(ctx))
}

// mayAct reports whether u may act on a case: a listener on their own cases
// and the shared pool's; coordinators and admins on any.
func mayAct(u wellcheck.User, cs wellcheck.Case) error {
	switch {
	case u.Disabled:
		return wellcheck.Errorf(wellcheck.EForbidden, "case_forbidden")
	case u.Has(wellcheck.RoleCoordinator) || u.Has(wellcheck.RoleAdmin):
		return nil
	case u.Has(wellcheck.RoleListener) && (cs.AssigneeID == nil || *cs.AssigneeID == u.ID):
		return nil
	}
	return wellcheck.Errorf(wellcheck.EForbidden, "case_forbidden")
}

// lockOpen locks a case u may act on and that is still open.
func lockOpen(ctx context.Context, q *store.Queries, u wellcheck.User, caseID int64) (wellcheck.Case, error) {
	cs, err := q.LockCase(ctx, caseID)
	if err != nil {
		return cs, err
	}
	if err := mayAct(u, cs); err != nil {
		return cs, err
	}
	if cs.State == wellcheck.CaseClosed {
		return cs, wellcheck.Errorf(wellcheck.EConflict, "case_closed")
	}
	return cs, nil
}

// check validates a record against now; problems name the field.
func (r *FollowUpRecord) check(now time.Time) error {
	var ps wellcheck.Problems
	r.Note = strings.TrimSpace(r.Note)
	if utf8.RuneCountInString(r.Note) > maxNote {
		ps.Add("note", "too_long", maxNote)
	}
	switch {
	case r.Close != nil && r.Next != nil:
		ps.Add("next", "follow_up_next_and_close")
	case r.Close == nil && r.Next == nil && !r.Reached:
		ps.Add("next", "follow_up_not_reached")
	case r.Close == nil && r.Next == nil:
		ps.Add("next", "follow_up_next_or_close")
	case r.Next != nil && !r.Next.After(now):
		ps.Add("next", "follow_up_next_past", wellcheck.Date(*r.Next))
	case r.Next != nil && r.Next.Sub(now) > maxNextAhead:
		ps.Add("next", "follow_up_next_too_far", int(maxNextAhead.Hours()/24))
	}
	if r.Close != nil && !slices.Contains(wellcheck.ClosureReasons, r.Close.Reason) {
		names := make([]string, len(wellcheck.ClosureReasons))
		for i, c := range wellcheck.ClosureReasons {
			names[i] = string(c)
		}
		ps.Add("close.reason", "choice_invalid", string(r.Close.Reason), strings.Join(names, ", "))
	}
	return ps.Err()
}

// Record writes a listener's follow-up on a case: the task on their list is
// done (or, if there was none, one is recorded), the note is filed, and the
// case either closes — its other tasks leave every list — or gets its next
// follow-up, which comes back on the list at that time. A person reached
// brings the case back to normal priority; a running escalation stops.
func (s *Cases) Record(ctx context.Context, by wellcheck.User, caseID int64, r FollowUpRecord) (Recorded, error) {
	now := s.now()
	if err := r.check(now); err != nil {
		return Recorded{}, err
	}
	var out Recorded
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		cs, err := lockOpen(ctx, q, by, caseID)
		if err != nil {
			return err
		}
		if err := checkPartner(ctx, q, r.PartnerID); err != nil {
			return err
		}
		if out.FollowUp, err = s.done(ctx, q, by, cs, r, now); err != nil {
			return err
		}
		if r.Close != nil {
			out.Case, err = closeCase(ctx, q, by, cs, *r.Close, now)
			return err
		}
		out.Case, out.Next, out.Moved, err = s.scheduleNext(ctx, q, by, cs, r, now)
		return err
	})
	if err != nil {
		return Recorded{}, fmt.Errorf("record a follow-up on case %d: %w", caseID, err)
	}
	return out, nil
}

// checkPartner checks that the partner a person was oriented to, if any,
// exists and is not archived.
func checkPartner(ctx context.Context, q *store.Queries, id *int64) error {
	if id == nil {
		return nil
	}
	p, err := q.Partner(ctx, *id)
	if errors.Is(err, wellcheck.ErrNotFound) || err == nil && p.ArchivedAt != nil {
		return wellcheck.Problems{{Field: "partner", Message: wellcheck.Message{Key: "partner_unknown"}}}.Err()
	}
	return err
}

// done marks the case's pending follow-up done as r says (or records one, if
// none was pending), files the note, writes the audit record and, if the
// person was reached, stops a running escalation.
func (s *Cases) done(ctx context.Context, q *store.Queries, by wellcheck.User, cs wellcheck.Case, r FollowUpRecord, now time.Time) (wellcheck.FollowUp, error) {
	d := store.Done{Reached: r.Reached, PartnerID: r.PartnerID, EmergencyServicesCalled: r.EmergencyServicesCalled, At: now, By: &by.ID}
	var f wellcheck.FollowUp
	pending, err := q.LockCaseFollowUp(ctx, cs.ID, "pending")
	switch {
	case errors.Is(err, wellcheck.ErrNotFound):
		f, err = q.InsertDoneFollowUp(ctx, cs, d)
	case err == nil:
		f, err = q.CompleteFollowUp(ctx, pending.ID, d)
	}
	if err != nil {
		return f, err
	}
	f.PersonID = cs.PersonID
	if r.Note != "" {
		if _, err := q.AddNote(ctx, cs.PersonID, &cs.ID, &f.ID, &by.ID, r.Note, now); err != nil {
			return f, err
		}
	}
	details := map[string]any{"follow_up_id": f.ID, "reached": r.Reached, "emergency_services_called": r.EmergencyServicesCalled}
	if r.PartnerID != nil {
		details["partner_id"] = *r.PartnerID
	}
	if err := q.Audit(ctx, actorOf(ctx, by), "follow_up.record", &cs.PersonID, &cs.ID, details); err != nil {
		return f, err
	}
	if r.Reached {
		return f, s.reached(ctx, q, cs.PersonID, now)
	}
	return f, nil
}

// scheduleNext settles the case's priority after the call and schedules its
// next follow-up at r.Next (moved into opening hours if need be), for whoever
// follows the person: the listener who set it, or the case's listener when a
// coordinator did. A job puts it back on the list when it comes due.
func (s *Cases) scheduleNext(ctx context.Context, q *store.Queries, by wellcheck.User, cs wellcheck.Case, r FollowUpRecord, now time.Time) (settled wellcheck.Case, next *wellcheck.FollowUp, moved bool, err error) {
	person, err := q.PersonForCase(ctx, cs.PersonID)
	if err != nil {
		return cs, nil, false, err
	}
	cal, _, err := s.Calendar(ctx, q, now)
	if err != nil {
		return cs, nil, false, err
	}
	due := *r.Next
	if !cal.OpenAt(due) {
		due, moved = cal.NextOpen(due), true
	}
	priority := wellcheck.PriorityAfterContact(cs.Priority, r.Reached, person.RiskLevel)
	if settled, err = q.SettleCase(ctx, cs.ID, priority, due); err != nil {
		return cs, nil, false, err
	}
	assignee := cs.AssigneeID
	if by.Has(wellcheck.RoleListener) {
		assignee = &by.ID
	}
	f, err := q.ScheduleFollowUp(ctx, wellcheck.FollowUp{CaseID: cs.ID, AssigneeID: assignee, Priority: priority, DueAt: due})
	if err != nil {
		return settled, nil, false, err
	}
	f.PersonID = cs.PersonID
	if err := s.Queue.EnqueueFollowUpDue(ctx, q, f.ID, s.wall(due)); err != nil {
		return settled, nil, false, err
	}
	err = q.Audit(ctx, actorOf(ctx, by), "follow_up.schedule", &cs.PersonID, &cs.ID, map[string]any{"follow_up_id": f.ID, "due_at": due})
	return settled, &f, moved, err
}

// wall converts a time on the service's clock (Now) to the machine's, for
// River's schedule: they differ only in tests that run the service's clock
// elsewhere.
func (s *Cases) wall(t time.Time) time.Time { return time.Now().Add(t.Sub(s.now())) }

// Close closes a case with a reason and whether the person agreed; its
// pending and scheduled follow-ups leave every list.
func (s *Cases) Close(ctx context.Context, by wellcheck.User, caseID int64, cl Closure) (wellcheck.Case, error) {
	r := FollowUpRecord{Reached: true, Close: &cl}
	if err := r.check(s.now()); err != nil {
		return wellcheck.Case{}, err
	}
	var out wellcheck.Case
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		cs, err := lockOpen(ctx, q, by, caseID)
		if err != nil {
			return err
		}
		out, err = closeCase(ctx, q, by, cs, cl, s.now())
		return err
	})
	if err != nil {
		return out, fmt.Errorf("close case %d: %w", caseID, err)
	}
	return out, nil
}

func closeCase(ctx context.Context, q *store.Queries, by wellcheck.User, cs wellcheck.Case, cl Closure, now time.Time) (wellcheck.Case, error) {
	closed, err := q.CloseCase(ctx, cs.ID, string(cl.Reason), cl.PersonAgreed, &by.ID, now)
	if err != nil {
		return closed, err
	}
	if _, err := q.CancelCaseFollowUps(ctx, cs.ID); err != nil {
		return closed, err
	}
	return closed, q.Audit(ctx, actorOf(ctx, by), "case.close", &cs.PersonID, &cs.ID, map[string]any{"reason": cl.Reason, "person_agreed": cl.PersonAgreed})
}

// Claim takes a case from the shared pool onto a listener's list.
func (s *Cases) Claim(ctx context.Context, by wellcheck.User, caseID int64) (wellcheck.Case, error) {
	var out wellcheck.Case
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		if by.Disabled || !by.Has(wellcheck.RoleListener) {
			return wellcheck.Errorf(wellcheck.EForbidden, "case_claim_listeners")
		}
		cs, err := q.LockCase(ctx, caseID)
		switch {
		case err != nil:
			return err
		case cs.State == wellcheck.CaseClosed:
			return wellcheck.Errorf(wellcheck.EConflict, "case_closed")
		case cs.AssigneeID != nil && *cs.AssigneeID != by.ID:
			return wellcheck.Errorf(wellcheck.EConflict, "case_taken")
		}
		if out, err = q.AssignCase(ctx, cs.ID, &by.ID); err != nil {
			return err
		}
		return q.Audit(ctx, actorOf(ctx, by), "case.claim", &cs.PersonID, &cs.ID, nil)
	})
	if err != nil {
		return out, fmt.Errorf("claim case %d: %w", caseID, err)
	}
	return out, nil
}

// Reassign hands a case and its pending follow-up to another active listener
// (nil: the shared pool). Coordinators and admins may move any case; a
// listener, their own.
func (s *Cases) Reassign(ctx context.Context, by wellcheck.User, caseID int64, to *int64) (wellcheck.Case, error) {
	var out wellcheck.Case
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		cs, err := lockOpen(ctx, q, by, caseID)
		if err != nil {
			return err
		}
		if !by.Has(wellcheck.RoleCoordinator) && !by.Has(wellcheck.RoleAdmin) && (cs.AssigneeID == nil || *cs.AssigneeID != by.ID) {
			return wellcheck.Errorf(wellcheck.EForbidden, "case_forbidden") // a listener hands on only their own
		}
		if to == nil && cs.AssigneeID == nil || to != nil && cs.AssigneeID != nil && *to == *cs.AssigneeID {
			out = cs // already theirs: nothing moves, nothing to audit
			return nil
		}
		if to != nil {
			u, err := q.User(ctx, *to)
			if errors.Is(err, wellcheck.ErrNotFound) || err == nil && (u.Disabled || !u.Has(wellcheck.RoleListener)) {
				return wellcheck.Problems{{Field: "assignee", Message: wellcheck.Message{Key: "referent_unknown", Args: []any{*to}}}}.Err()
			}
			if err != nil {
				return err
			}
		}
		return reassign(ctx, q, actorOf(ctx, by), cs, to, &out)
	})
	if err != nil {
		return out, fmt.Errorf("hand case %d on: %w", caseID, err)
	}
	return out, nil
}

func reassign(ctx context.Context, q *store.Queries, actor wellcheck.Actor, cs wellcheck.Case, to *int64, out *wellcheck.Case) error {
	moved, err := q.AssignCase(ctx, cs.ID, to)
	if err != nil {
		return err
	}
	*out = moved
	details := map[string]any{}
	if cs.AssigneeID != nil {
		details["from"] = *cs.AssigneeID
	}
	if to != nil {
		details["to"] = *to
	}
	return q.Audit(ctx, actor, "case.reassign", &cs.PersonID, &cs.ID, details)
}

// Open opens a case by hand (or raises the person's open case) and puts it on
// a list by the usual rules, due now: coordinators and admins do, as a
// referral's concern opens one at enrolment. Urgent escalates.
func (s *Cases) Open(ctx context.Context, by wellcheck.User, personID int64, priority wellcheck.Priority, note string) (wellcheck.Case, error) {
	if !by.CanEnrol() {
		return wellcheck.Case{}, wellcheck.Errorf(wellcheck.EForbidden, "case_open_coordinators")
	}
	if !slices.Contains(wellcheck.Priorities, priority) {
		return wellcheck.Case{}, wellcheck.Problems{{Field: "priority", Message: wellcheck.Message{Key: "choice_invalid", Args: []any{string(priority), "urgent, high, normal, low"}}}}.Err()
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > maxNote {
		return wellcheck.Case{}, wellcheck.Problems{{Field: "note", Message: wellcheck.Message{Key: "too_long", Args: []any{maxNote}}}}.Err()
	}
	now := s.now()
	var out wellcheck.Case
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		ev, _, cal, err := s.eventFor(ctx, q, personID, now)
		if err != nil {
			return err
		}
		ev.caseReason, ev.reason, ev.priority, ev.due, ev.actor = wellcheck.CaseManual, wellcheck.FollowUpManual, priority, now, actorOf(ctx, by)
		if out, err = assign(ctx, q, cal, ev, now); err != nil {
			return err
		}
		if note != "" {
			if _, err := q.AddNote(ctx, personID, &out.ID, nil, &by.ID, note, now); err != nil {
				return err
			}
		}
		if priority == wellcheck.PriorityUrgent {
			return s.escalate(ctx, q, out)
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("open a case for person %d: %w", personID, err)
	}
	return out, nil
}

// eventFor starts an event about a person, with what assigning their
// case needs of them, and gives the person and the service's calendar at
// now.
func (s *Cases) eventFor(ctx context.Context, q *store.Queries, personID int64, now time.Time) (caseEvent, store.CasePerson, *scheduler.Calendar, error) {
	person, err := q.PersonForCase(ctx, personID)
	if err != nil {
		return caseEvent{}, person, nil, err
	}
	cal, _, err := s.Calendar(ctx, q, now)
	if err != nil {
		return caseEvent{}, person, nil, err
	}
	return caseEvent{personID: personID, referent: person.ReferentID, language: person.Language}, person, cal, nil
}

// FollowUpDue puts a scheduled follow-up on a list: the case's listener's
// while on shift and present, else by the usual rules. A case with a task already on a
// list keeps that one, brought up to date. A follow-up rescheduled later, done
// or cancelled meanwhile, or erased with its person, is left alone. A job
// that comes early is told to wait: wait is how long.
func (s *Cases) FollowUpDue(ctx context.Context, followUpID int64) (wait time.Duration, err error) {
	now := s.now()
	err = s.Store.WithTx(ctx, func(q *store.Queries) error {
		f, err := q.FollowUp(ctx, followUpID)
		if err != nil {
			return err
		}
		cs, err := q.LockCase(ctx, f.CaseID) // the case first, as every step on it
		if err != nil {
			return err
		}
		if f, err = q.LockFollowUp(ctx, followUpID); err != nil {
			return err
		}
		if f.State != "scheduled" {
			return nil
		}
		if now.Before(f.DueAt) {
			wait = max(f.DueAt.Sub(now), time.Second)
			return nil
		}
		if cs.State == wellcheck.CaseClosed {
			return q.SetFollowUpState(ctx, f.ID, "cancelled")
		}
		person, err := q.PersonForCase(ctx, cs.PersonID)
		if err != nil {
			return err
		}
		// The scheduled row becomes the pending one, or merges into it.
		state := "pending"
		if _, err := q.LockCaseFollowUp(ctx, cs.ID, "pending"); err == nil {
			state = "cancelled"
		} else if !errors.Is(err, wellcheck.ErrNotFound) {
			return err
		}
		if err := q.SetFollowUpState(ctx, f.ID, state); err != nil {
			return err
		}
		cal, _, err := s.Calendar(ctx, q, now)
		if err != nil {
			return err
		}
		ev := caseEvent{personID: cs.PersonID, referent: person.ReferentID, language: person.Language,
			caseReason: wellcheck.CaseManual, reason: wellcheck.FollowUpCallback, priority: cs.Priority, due: f.DueAt}
		_, err = assign(ctx, q, cal, ev, now)
		return err
	})
	switch {
	case errors.Is(err, wellcheck.ErrNotFound):
		return 0, nil // erased with its person: nothing to put on a list
	case err != nil:
		return 0, fmt.Errorf("put follow-up %d on a list: %w", followUpID, err)
	}
	return wait, nil
}

// ReassignOrphans hands on the pending follow-ups that have come due on the
// list of a listener who is away, off shift or disabled, to whoever can take
// them now by the assignment rules (the referent, then who speaks the
// language): nothing waits on the list of someone who is not there while
// someone else is. When nobody can, a follow-up stays with its listener (the
// person keeps theirs overnight), unless their account is disabled: then it
// goes to the shared pool. It returns how many moved.
func (s *Cases) HandOnOrphans(ctx context.Context) (int, error) {
	now := s.now()
	moved := 0
	var after *store.Orphan
	for {
		var orphans []store.Orphan
		var batch int
		err := s.Store.WithTx(ctx, func(q *store.Queries) error {
			cal, _, err := s.Calendar(ctx, q, now)
			if err != nil {
				return err
			}
			if orphans, err = q.OrphanedFollowUps(ctx, now, cal.Loc, after); err != nil {
				return err
			}
			batch = 0
			// The page's cases first, all at once: picking a listener for one
			// takes the choice of a listener until commit, and whoever holds a
			// later one may be waiting for that choice (see store.PickListener).
			ids := make([]int64, len(orphans))
			for i, o := range orphans {
				ids[i] = o.CaseID
			}
			if err := q.LockCases(ctx, ids, nil); err != nil {
				return err
			}
			for _, o := range orphans {
				cs, err := q.LockCase(ctx, o.CaseID)
				if err != nil {
					return err
				}
				if !wellcheck.SameID(cs.AssigneeID, o.AssigneeID) || cs.State == wellcheck.CaseClosed {
					continue // moved or closed since the list was read
				}
				person, err := q.PersonForCase(ctx, o.PersonID)
				if err != nil {
					return err
				}
				to, err := q.PickListener(ctx, store.Pick{Referent: person.ReferentID, Language: person.Language, At: now.In(cal.Loc)})
				if err != nil {
					return err
				}
				if to == nil {
					// Nobody can take it now: it stays with its listener (who may
					// be back first) unless their account is gone.
					u, err := q.User(ctx, *o.AssigneeID)
					if err != nil {
						return err
					}
					if !u.Disabled {
						continue
					}
				}
				var out wellcheck.Case
				if err := reassign(ctx, q, systemActor, cs, to, &out); err != nil {
					return err
				}
				batch++
				s.log().InfoContext(ctx, "follow-up handed on: its listener is away or off shift", "case_id", cs.ID, "to_pool", to == nil)
			}
			return nil
		})
		if err != nil {
			return moved, fmt.Errorf("hand on follow-ups of absent listeners: %w", err)
		}
		moved += batch
		if len(orphans) < store.OrphanPage {
			return moved, nil
		}
		// The next page: those nobody could take stay behind.
		after = &orphans[len(orphans)-1]
	}
}
