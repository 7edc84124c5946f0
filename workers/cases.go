package workers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// Cases is what listeners and coordinators do with a person's case: open it by
// hand, claim it from the shared pool, record a follow-up, schedule the next
// one, close it, hand it to someone else. It shares the calls' store, jobs,
// clock and calendar; the web pages and the JSON API call it, so that both
// follow the same rules.
type Cases struct{ c *Calls }

// Cases returns the case service.
func (c *Calls) Cases() *Cases { return &Cases{c} }

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

// actorOf labels a user in the audit log.
func actorOf(u wellcheck.User) wellcheck.Actor {
	return wellcheck.Actor{UserID: &u.ID, Label: fmt.Sprintf("user:%d", u.ID)}
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
	c := s.c
	now := c.now()
	if err := r.check(now); err != nil {
		return Recorded{}, err
	}
	var out Recorded
	err := c.Store.WithTx(ctx, func(q *store.Queries) error {
		cs, err := lockOpen(ctx, q, by, caseID)
		if err != nil {
			return err
		}
		if r.PartnerID != nil {
			p, err := q.Partner(ctx, *r.PartnerID)
			if errors.Is(err, wellcheck.ErrNotFound) || err == nil && p.ArchivedAt != nil {
				return wellcheck.Problems{{Field: "partner", Message: wellcheck.Message{Key: "partner_unknown"}}}.Err()
			}
			if err != nil {
				return err
			}
		}
		d := store.Done{Reached: r.Reached, PartnerID: r.PartnerID, EmergencyServicesCalled: r.EmergencyServicesCalled, At: now, By: &by.ID}
		pending, err := q.LockCaseFollowUp(ctx, cs.ID, "pending")
		switch {
		case errors.Is(err, wellcheck.ErrNotFound):
			out.FollowUp, err = q.InsertDoneFollowUp(ctx, cs, d)
		case err == nil:
			out.FollowUp, err = q.CompleteFollowUp(ctx, pending.ID, d)
		}
		if err != nil {
			return err
		}
		out.FollowUp.PersonID = cs.PersonID
		if r.Note != "" {
			if _, err := q.AddNote(ctx, cs.PersonID, &cs.ID, &out.FollowUp.ID, &by.ID, r.Note, now); err != nil {
				return err
			}
		}
		details := map[string]any{"follow_up_id": out.FollowUp.ID, "reached": r.Reached, "emergency_services_called": r.EmergencyServicesCalled}
		if r.PartnerID != nil {
			details["partner_id"] = *r.PartnerID
		}
		if err := q.Audit(ctx, actorOf(by), "follow_up.record", &cs.PersonID, &cs.ID, details); err != nil {
			return err
		}
		if r.Reached {
			if err := c.reached(ctx, q, cs.PersonID, now); err != nil {
				return err
			}
		}
		if r.Close != nil {
			out.Case, err = closeCase(ctx, q, by, cs, *r.Close, now)
			return err
		}
		person, err := q.PersonForCase(ctx, cs.PersonID)
		if err != nil {
			return err
		}
		cal, _, err := c.calendar(ctx, q, now)
		if err != nil {
			return err
		}
		due := *r.Next
		if !cal.OpenAt(due) {
			due, out.Moved = cal.NextOpen(due), true
		}
		priority := cs.Priority
		if r.Reached {
			priority = wellcheck.PriorityNormal
			if person.RiskLevel == wellcheck.RiskHigh {
				priority = wellcheck.PriorityHigh
			}
		}
		if out.Case, err = q.SettleCase(ctx, cs.ID, priority, due); err != nil {
			return err
		}
		// The callback is for whoever follows the person: the listener who set
		// it, or the case's listener when a coordinator did.
		assignee := cs.AssigneeID
		if by.Has(wellcheck.RoleListener) {
			assignee = &by.ID
		}
		next, err := q.ScheduleFollowUp(ctx, wellcheck.FollowUp{CaseID: cs.ID, AssigneeID: assignee, Priority: priority, DueAt: due})
		if err != nil {
			return err
		}
		next.PersonID = cs.PersonID
		out.Next = &next
		if _, err := c.Jobs.client.InsertTx(ctx, q.Tx(), FollowUpDueArgs{FollowUpID: next.ID}, &river.InsertOpts{ScheduledAt: c.wall(due)}); err != nil {
			return fmt.Errorf("enqueue follow-up %d: %w", next.ID, err)
		}
		return q.Audit(ctx, actorOf(by), "follow_up.schedule", &cs.PersonID, &cs.ID, map[string]any{"follow_up_id": next.ID, "due_at": due})
	})
	return out, err
}

// wall converts a time on the service's clock (Now) to the machine's, for
// River's schedule: they differ only in tests that run the service's clock
// elsewhere.
func (c *Calls) wall(t time.Time) time.Time { return time.Now().Add(t.Sub(c.now())) }

// Close closes a case with a reason and whether the person agreed; its
// pending and scheduled follow-ups leave every list.
func (s *Cases) Close(ctx context.Context, by wellcheck.User, caseID int64, cl Closure) (wellcheck.Case, error) {
	r := FollowUpRecord{Reached: true, Close: &cl}
	if err := r.check(s.c.now()); err != nil {
		return wellcheck.Case{}, err
	}
	var out wellcheck.Case
	err := s.c.Store.WithTx(ctx, func(q *store.Queries) error {
		cs, err := lockOpen(ctx, q, by, caseID)
		if err != nil {
			return err
		}
		out, err = closeCase(ctx, q, by, cs, cl, s.c.now())
		return err
	})
	return out, err
}

func closeCase(ctx context.Context, q *store.Queries, by wellcheck.User, cs wellcheck.Case, cl Closure, now time.Time) (wellcheck.Case, error) {
	closed, err := q.CloseCase(ctx, cs.ID, string(cl.Reason), cl.PersonAgreed, &by.ID, now)
	if err != nil {
		return closed, err
	}
	if _, err := q.CancelCaseFollowUps(ctx, cs.ID); err != nil {
		return closed, err
	}
	return closed, q.Audit(ctx, actorOf(by), "case.close", &cs.PersonID, &cs.ID, map[string]any{"reason": cl.Reason, "person_agreed": cl.PersonAgreed})
}

// Claim takes a case from the shared pool onto a listener's list.
func (s *Cases) Claim(ctx context.Context, by wellcheck.User, caseID int64) (wellcheck.Case, error) {
	var out wellcheck.Case
	err := s.c.Store.WithTx(ctx, func(q *store.Queries) error {
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
		return q.Audit(ctx, actorOf(by), "case.claim", &cs.PersonID, &cs.ID, nil)
	})
	return out, err
}

// Reassign hands a case and its pending follow-up to another active listener
// (nil: the shared pool). Coordinators and admins may move any case; a
// listener, their own.
func (s *Cases) Reassign(ctx context.Context, by wellcheck.User, caseID int64, to *int64) (wellcheck.Case, error) {
	var out wellcheck.Case
	err := s.c.Store.WithTx(ctx, func(q *store.Queries) error {
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
		return reassign(ctx, q, actorOf(by), cs, to, &out)
	})
	return out, err
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
	c := s.c
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
	now := c.now()
	var out wellcheck.Case
	err := c.Store.WithTx(ctx, func(q *store.Queries) error {
		person, err := q.PersonForCase(ctx, personID)
		if err != nil {
			return err
		}
		cal, _, err := c.calendar(ctx, q, now)
		if err != nil {
			return err
		}
		ev := caseEvent{personID: personID, referent: person.ReferentID, language: person.Language,
			caseReason: wellcheck.CaseManual, reason: wellcheck.FollowUpManual, priority: priority, due: now, actor: actorOf(by)}
		if out, err = assign(ctx, q, cal, ev, now); err != nil {
			return err
		}
		if note != "" {
			if _, err := q.AddNote(ctx, personID, &out.ID, nil, &by.ID, note, now); err != nil {
				return err
			}
		}
		if priority == wellcheck.PriorityUrgent {
			return c.escalate(ctx, q, out)
		}
		return nil
	})
	return out, err
}

// FollowUpDueArgs is the job that puts a scheduled follow-up on its list when
// its time comes.
type FollowUpDueArgs struct {
	FollowUpID int64 `json:"follow_up_id"`
}

func (FollowUpDueArgs) Kind() string { return "follow_up_due" }

func (FollowUpDueArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCalls, MaxAttempts: 25}
}

// FollowUpDue puts a scheduled follow-up on a list: the case's listener's
// while on shift and present, else by the usual rules. A case with a task already on a
// list keeps that one, brought up to date. A follow-up rescheduled later, done
// or cancelled meanwhile is left alone.
func (c *Calls) FollowUpDue(ctx context.Context, followUpID int64) error {
	now := c.now()
	err := c.inTx(ctx, func(q *store.Queries) error {
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
			return errDone
		}
		if now.Before(f.DueAt) {
			return &waitError{f.DueAt}
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
		cal, _, err := c.calendar(ctx, q, now)
		if err != nil {
			return err
		}
		ev := caseEvent{personID: cs.PersonID, referent: person.ReferentID, language: person.Language,
			caseReason: wellcheck.CaseManual, reason: wellcheck.FollowUpCallback, priority: cs.Priority, due: f.DueAt}
		_, err = assign(ctx, q, cal, ev, now)
		return err
	})
	_, err = c.stopped(err)
	return err
}

// ReassignArgs is the periodic job that hands on follow-ups whose listener
// went away or off shift.
type ReassignArgs struct{}

func (ReassignArgs) Kind() string { return "reassign_follow_ups" }

func (ReassignArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCalls, MaxAttempts: 3, UniqueOpts: notQueuedTwice}
}

// ReassignOrphans hands on the pending follow-ups that have come due on the
// list of a listener who is away, off shift or disabled, to whoever can take
// them now by the assignment rules (the referent, then who speaks the
// language): nothing waits on the list of someone who is not there while
// someone else is. When nobody can, a follow-up stays with its listener (the
// person keeps theirs overnight), unless their account is disabled: then it
// goes to the shared pool. It returns how many moved.
func (c *Calls) ReassignOrphans(ctx context.Context) (int, error) {
	now := c.now()
	moved := 0
	var after *store.Orphan
	for {
		var orphans []store.Orphan
		var batch int
		err := c.Store.WithTx(ctx, func(q *store.Queries) error {
			cal, _, err := c.calendar(ctx, q, now)
			if err != nil {
				return err
			}
			if orphans, err = q.OrphanedFollowUps(ctx, now, cal.Loc, after); err != nil {
				return err
			}
			batch = 0
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
				c.log().InfoContext(ctx, "follow-up handed on: its listener is away or off shift", "case_id", cs.ID, "to_pool", to == nil)
			}
			return nil
		})
		if err != nil {
			return moved, err
		}
		moved += batch
		if len(orphans) < store.OrphanPage {
			return moved, nil
		}
		// The next page: those nobody could take stay behind.
		after = &orphans[len(orphans)-1]
	}
}
