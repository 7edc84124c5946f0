package enroll

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// maxPause is the longest pause a coordinator may set in one go.
const maxPause = 366 * 24 * time.Hour

// EditPlan gives person id a new plan, checked like an enrolment's, and
// re-plans them at once: calls the old plan asked for that the new one does not
// are cancelled. An empty zone keeps the person's, and a plan without a retry
// policy keeps theirs: a plan is read in the person's zone, and silently moving
// it to the service's would call someone overseas at night.
func (s *Service) EditPlan(ctx context.Context, id int64, in PlanInput, zone string, by wellcheck.User, via string) (wellcheck.Plan, wellcheck.Problems, error) {
	checker, err := s.planChecker(ctx)
	if err != nil {
		return wellcheck.Plan{}, nil, err
	}
	person, current, err := s.Store.Queries().Person(ctx, id)
	if err != nil {
		return wellcheck.Plan{}, nil, fmt.Errorf("person.plan person %d: %w", id, err)
	}
	plan, loc, warnings, err := checker.planIn(in, zone, person.TimeZone)
	if err != nil {
		return plan, warnings, err
	}
	if plan.Retry == nil {
		plan.Retry = current.Retry
	}
	err = s.change(ctx, id, store.PersonChange{Action: "person.plan", Plan: plan, TimeZone: loc.String()}, by, via)
	return plan, warnings, err
}

// Pause stops calls to person id until until (the first call after it is
// made); the calls meanwhile are cancelled, not moved.
func (s *Service) Pause(ctx context.Context, id int64, until time.Time, by wellcheck.User, via string) error {
	now := s.now()
	var problems wellcheck.Problems
	switch {
	case !until.After(now):
		problems.Add("person.paused_until", "pause_in_past", wellcheck.Date(until))
	case until.Sub(now) > maxPause:
		problems.Add("person.paused_until", "pause_too_long", wellcheck.Date(until))
	}
	if err := problems.Err(); err != nil {
		return err
	}
	return s.change(ctx, id, store.PersonChange{Action: "person.pause", At: until}, by, via)
}

// Resume ends person id's pause now: the calls their plan asks for from now on
// are planned again.
func (s *Service) Resume(ctx context.Context, id int64, by wellcheck.User, via string) error {
	return s.change(ctx, id, store.PersonChange{Action: "person.resume"}, by, via)
}

// Withdraw records that person id withdrew their consent: every call still
// planned is cancelled at once, and they are never planned again.
func (s *Service) Withdraw(ctx context.Context, id int64, by wellcheck.User, via string) error {
	return s.change(ctx, id, store.PersonChange{Action: "person.withdraw", At: s.now()}, by, via)
}

// change applies c and re-plans the person in one transaction.
func (s *Service) change(ctx context.Context, id int64, c store.PersonChange, by wellcheck.User, via string) error {
	actor := actorOf(by, via)
	c.Now = s.now()
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		if err := q.ChangePerson(ctx, id, c, actor); err != nil {
			return err
		}
		return s.Planner.Replan(ctx, q, []int64{id})
	})
	if err != nil {
		return fmt.Errorf("%s person %d: %w", c.Action, id, err)
	}
	s.Logger.InfoContext(ctx, "enrolment changed", "person_id", id, "change", c.Action, "by", actor.Label, "via", via)
	return nil
}

// Erase deletes person id and everything about them (plan, contacts,
// check-ins, cases, notes) at their request, at once: what they counted stays
// in the daily counts, and the audit log keeps the act and the id, never who
// they were.
func (s *Service) Erase(ctx context.Context, id int64, by wellcheck.User, via string) error {
	checker, err := s.planChecker(ctx)
	if err != nil {
		return err
	}
	actor := actorOf(by, via)
	err = s.Store.WithTx(ctx, func(q *store.Queries) error {
		if err := q.ErasePerson(ctx, id, checker.Settings.TimeZone, s.now()); err != nil {
			return err
		}
		return q.Audit(ctx, actor, "person.erase", &id, nil, map[string]any{"on_request": true})
	})
	if err != nil {
		return fmt.Errorf("person.erase person %d: %w", id, err)
	}
	s.Logger.InfoContext(ctx, "person erased on request", "person_id", id, "by", actor.Label, "via", via)
	return nil
}

// DetailsInput corrects who a person is, how they are reached, what a
// listener should know before calling them (Person.Notes, which replaces the
// note there was: empty, none), and whom to call if they stay unreached: a
// wrong number, a new address, a contact who changed phones. The plan, the
// time zone, the referral and the consent are not changed here.
type DetailsInput struct {
	Person   PersonInput    `json:"person"`
	Contacts []ContactInput `json:"emergency_contacts"`
}

// EditDetails checks in as an enrolment's person and contacts are checked,
// and saves it. A number enrolled for someone else is a
// *wellcheck.ConflictError naming them. A new number settles the person's
// open issues with their old one (the coordinators' queue): the next call
// dials it. A contact who agrees to be called keeps the date they first
// agreed while their number stays the same. The audit log names the fields
// changed, never their values.
func (s *Service) EditDetails(ctx context.Context, id int64, in DetailsInput, by wellcheck.User, via string) error {
	checker, err := s.Checker(ctx)
	if err != nil {
		return err
	}
	var problems wellcheck.Problems
	p := checker.personDetails(&problems, in.Person)
	notes := checker.multiline(&problems, "person.notes", in.Person.Notes, maxNotes)
	now := s.now()
	contacts := checker.contacts(&problems, in.Contacts, p.Phone, &now)
	if err := problems.Err(); err != nil {
		return err
	}
	p.ID = id
	actor := actorOf(by, via)
	err = s.Store.WithTx(ctx, func(q *store.Queries) error {
		was, err := q.Enrolment(ctx, id)
		if err != nil {
			return err
		}
		taken, err := q.EnrolledByPhones(ctx, []wellcheck.Phone{p.Phone})
		if err != nil {
			return err
		}
		if ref, ok := taken[p.Phone]; ok && ref.ID != id {
			return &wellcheck.ConflictError{PersonID: ref.ID, PersonName: ref.FullName}
		}
		for i := range contacts {
			if i < len(was.Contacts) && contacts[i].ConsentAt != nil && was.Contacts[i].ConsentAt != nil && was.Contacts[i].Phone == contacts[i].Phone {
				contacts[i].ConsentAt = was.Contacts[i].ConsentAt
			}
		}
		if err := q.SavePersonDetails(ctx, p, contacts); err != nil {
			return err
		}
		if notes != was.Notes {
			if err := q.SetPersonNote(ctx, id, notes, actor.UserID, now); err != nil {
				return err
			}
		}
		details := map[string]any{"changed": changedFields(was, p, notes, contacts)}
		if p.Phone != was.Person.Phone {
			uid := by.ID
			n, err := q.ResolvePersonDataIssues(ctx, id, &uid, now)
			if err != nil {
				return err
			}
			details["number_issues_resolved"] = n
		}
		return q.Audit(ctx, actor, "person.details", &id, nil, details)
	})
	if err != nil {
		return fmt.Errorf("person.details person %d: %w", id, err)
	}
	s.Logger.InfoContext(ctx, "person details corrected", "person_id", id, "by", actor.Label, "via", via)
	return nil
}

// changedFields names what a correction changed, for the audit log.
func changedFields(was wellcheck.Enrolment, p wellcheck.Person, notes string, contacts []wellcheck.EmergencyContact) []string {
	var out []string
	w := was.Person
	for _, f := range []struct {
		name    string
		changed bool
	}{
		{"full_name", w.FullName != p.FullName},
		{"phone", w.Phone != p.Phone},
		{"language", w.Language != p.Language},
		{"address", w.Address != p.Address || w.Postcode != p.Postcode || w.City != p.City},
		{"risk_level", w.RiskLevel != p.RiskLevel},
		{"referent", !wellcheck.SameID(w.ReferentID, p.ReferentID)},
		{"notes", was.Notes != notes},
	} {
		if f.changed {
			out = append(out, f.name)
		}
	}
	if !slices.EqualFunc(was.Contacts, contacts, func(a, b wellcheck.EmergencyContact) bool {
		return a.FullName == b.FullName && a.Relation == b.Relation && a.Phone == b.Phone && a.Language == b.Language && (a.ConsentAt == nil) == (b.ConsentAt == nil)
	}) {
		out = append(out, "emergency_contacts")
	}
	return out
}
