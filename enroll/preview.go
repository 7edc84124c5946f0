package enroll

import (
	"context"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/scheduler"
)

// MaxPreviewDays is the longest stretch a preview covers.
const MaxPreviewDays = 400

// Preview is what a plan would do over some days, by the scheduler's own rules:
// the plan as checked at enrolment, the person's zone, its warnings, and every
// slot with what became of it (called, moved, dropped and why).
type Preview struct {
	Plan     wellcheck.Plan
	Zone     *time.Location
	Warnings wellcheck.Problems
	Slots    []scheduler.Slot
}

// Calls is the number of calls the preview places.
func (p Preview) Calls() int {
	n := 0
	for _, s := range p.Slots {
		if s.Status != scheduler.SlotDropped {
			n++
		}
	}
	return n
}

// Preview previews plan in for a person in zone over days days from now, with
// the service's own calendar: see Checker.Preview. It reads no more than the
// calendar needs (the coordinator's form asks at every change).
func (s *Service) Preview(ctx context.Context, in PlanInput, zone string, days int, pausedUntil time.Time) (Preview, error) {
	c, err := s.planChecker(ctx)
	if err != nil {
		return Preview{}, err
	}
	return c.Preview(in, zone, s.now(), days, pausedUntil)
}

// Preview checks plan in for a person in zone (the service's when empty), as
// an enrolment would, and lists its slots over days days from the start of
// from's day in the service's zone, for a person paused until pausedUntil
// (zero: not paused). What an enrolment would refuse is refused here with the
// same problems.
func (c *Checker) Preview(in PlanInput, zone string, from time.Time, days int, pausedUntil time.Time) (Preview, error) {
	if days < 1 || days > MaxPreviewDays {
		return Preview{}, wellcheck.Problems{{Field: "days", Message: wellcheck.Message{Key: "preview_days", Args: []any{MaxPreviewDays}}}}.Err()
	}
	plan, loc, warnings, err := c.planIn(in, zone, c.Settings.TimeZone)
	if err != nil {
		return Preview{Warnings: warnings}, err
	}
	from = from.In(c.calendar.Loc)
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, c.calendar.Loc)
	slots, err := scheduler.Slots(plan, loc, c.calendar, from, from.AddDate(0, 0, days), pausedUntil)
	if err != nil {
		return Preview{}, err
	}
	return Preview{Plan: plan, Zone: loc, Warnings: warnings, Slots: slots}, nil
}
