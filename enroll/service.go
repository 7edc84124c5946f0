package enroll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// Service enrols persons. The CLI uses it now, the web UI later.
type Service struct {
	Store           *store.Store
	Logger          *slog.Logger
	DefaultLanguage string
	// Region and TimeZone, when set, override the service settings for this
	// process (WELLCHECK_REGION, WELLCHECK_TIME_ZONE).
	Region, TimeZone string
	// Planner plans each person as they are enrolled or their enrolment changes,
	// in the same transaction.
	Planner *scheduler.Planner
	Now     func() time.Time // defaults to time.Now
}

// Result is what an enrolment did.
type Result struct {
	PersonID  int64
	Enrolment wellcheck.Enrolment // as recorded, Person.ID set
	Region    string              // the phone region numbers were read in, for display
	Warnings  wellcheck.Problems
	// CaseOpened is set when the referral carried a concern: the person's case is
	// open and on a listener's list (their referent's, or the shared pool).
	CaseOpened bool
}

// Coordinator finds the active coordinator or admin whose e-mail is given: every
// enrolment is taken by someone who answers for it.
func (s *Service) Coordinator(ctx context.Context, email string) (wellcheck.User, error) {
	u, err := s.Store.Queries().UserByEmail(ctx, email)
	if errors.Is(err, wellcheck.ErrNotFound) || err == nil && u.Disabled {
		return wellcheck.User{}, wellcheck.Errorf(wellcheck.EInvalid, "user_unknown", email)
	}
	if err != nil {
		return wellcheck.User{}, err
	}
	if !u.CanEnrol() {
		return wellcheck.User{}, wellcheck.Errorf(wellcheck.EForbidden, "user_not_coordinator", email)
	}
	return u, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Checker returns a validator for the current service settings, which knows
// the active listeners (a person's referent).
func (s *Service) Checker(ctx context.Context) (*Checker, error) {
	c, err := s.planChecker(ctx)
	if err != nil {
		return nil, err
	}
	if c.Listeners, err = s.Store.Queries().ActiveListeners(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// planChecker returns a validator for plans alone: the settings and the
// calendar, not the listeners.
func (s *Service) planChecker(ctx context.Context) (*Checker, error) {
	settings, err := s.Store.Queries().Settings(ctx)
	if err != nil {
		return nil, err
	}
	if s.Region != "" {
		settings.DefaultRegion = s.Region
	}
	if s.TimeZone != "" {
		settings.TimeZone = s.TimeZone
	}
	// Closures from three months back: moved calls are judged with look-back.
	closures, err := s.Store.Queries().Closures(ctx, s.now().AddDate(0, -3, 0))
	if err != nil {
		return nil, err
	}
	return NewChecker(settings, closures, s.DefaultLanguage, s.now())
}

// Enroll validates req and enrols the person, taken by coordinator. Bad input is a
// *wellcheck.ValidationError listing every problem; a number already enrolled is a
// *wellcheck.ConflictError naming who holds it. via says where the request came
// from ("cli", "web") for the audit log.
func (s *Service) Enroll(ctx context.Context, req Request, coordinator wellcheck.User, via string) (Result, error) {
	checker, err := s.Checker(ctx)
	if err != nil {
		return Result{}, err
	}
	e, warnings, err := checker.Check(req, coordinator.ID)
	if err != nil {
		return Result{}, err
	}
	actor := actorOf(coordinator, via)
	var id int64
	err = s.Store.WithTx(ctx, func(q *store.Queries) error {
		taken, err := q.EnrolledByPhones(ctx, []wellcheck.Phone{e.Person.Phone})
		if err != nil {
			return err
		}
		if ref, ok := taken[e.Person.Phone]; ok {
			return &wellcheck.ConflictError{PersonID: ref.ID, PersonName: ref.FullName}
		}
		ids, err := q.CopyEnrolments(ctx, []wellcheck.Enrolment{e}, checker.Now, actor, store.AuditDetails{Via: via})
		if err != nil {
			return err
		}
		id = ids[0]
		return s.Planner.Replan(ctx, q, ids)
	})
	if err != nil {
		return Result{}, fmt.Errorf("enrol: %w", err)
	}
	s.Logger.InfoContext(ctx, "person enrolled", "person_id", id, "phone", e.Person.Phone, "by", actor.Label, "via", via)
	e.Person.ID = id
	return Result{PersonID: id, Enrolment: e, Region: checker.Settings.DefaultRegion, Warnings: warnings, CaseOpened: e.Referral.Concern != ""}, nil
}

func actorOf(u wellcheck.User, via string) wellcheck.Actor {
	return wellcheck.UserActor(u.ID, wellcheck.Via(via))
}
