package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// Week is a week's hours as typed in the form called Name ("hours",
// "shifts"): for each day open, its opening and closing times (HH:MM).
type Week struct {
	Name string
	Days map[time.Weekday][2]string
}

// WeekOrder is the week as the service lives it, Monday first.
var WeekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// DayField is the form field of a week's day, which its problem names.
func (w Week) DayField(d time.Weekday) string { return fmt.Sprintf("%s[%d]", w.Name, d) }

// read checks a week as typed: its hours, and what is wrong with them, by day.
func (w Week) read() (map[time.Weekday]wellcheck.Window, wellcheck.Problems) {
	hours := map[time.Weekday]wellcheck.Window{}
	var problems wellcheck.Problems
	for _, d := range WeekOrder {
		typed, open := w.Days[d]
		if !open {
			continue
		}
		opens, err1 := wellcheck.ParseTimeOfDay(typed[0])
		closes, err2 := wellcheck.ParseTimeOfDay(typed[1])
		if err1 != nil || err2 != nil || opens >= closes {
			problems.Add(w.DayField(d), "window_invalid", typed[0]+"-"+typed[1])
			continue
		}
		hours[d] = wellcheck.Window{Start: opens, End: closes}
	}
	return hours, problems
}

// SetOpeningHours replaces the service's opening hours (at least one day
// open); planned calls follow at once, as a holiday's would.
func (s *Service) SetOpeningHours(ctx context.Context, by wellcheck.Actor, week Week) error {
	hours, problems := week.read()
	if len(hours) == 0 && len(problems) == 0 {
		problems.Add("hours", "hours_none_open")
	}
	if err := problems.Err(); err != nil {
		return err
	}
	return s.changeCalendar(ctx, by, "settings.hours", nil, func(q *store.Queries) error { return q.SetOpeningHours(ctx, hours) })
}

// SaveSettings saves the service's settings, checked against their limits;
// a planner pass follows, since the holiday calendar decides which days are
// open.
func (s *Service) SaveSettings(ctx context.Context, by wellcheck.Actor, settings wellcheck.Settings) error {
	if err := settings.Check(); err != nil {
		return err
	}
	return s.changeCalendar(ctx, by, "settings.service", nil, func(q *store.Queries) error { return q.SaveSettings(ctx, settings) })
}

// AddClosure closes the service for some days (c from wellcheck.NewClosure);
// everyone is re-planned.
func (s *Service) AddClosure(ctx context.Context, by wellcheck.Actor, c wellcheck.Closure) (wellcheck.Closure, error) {
	err := s.changeCalendar(ctx, by, "closure.add", map[string]any{"from": c.From.Format(time.DateOnly), "to": c.To.Format(time.DateOnly)},
		func(q *store.Queries) (err error) { c, err = q.AddClosure(ctx, c, by.UserID); return err })
	return c, err
}

// DeleteClosure reopens the days of closure id (ErrNotFound if there is
// none); everyone is re-planned.
func (s *Service) DeleteClosure(ctx context.Context, by wellcheck.Actor, id int64) error {
	return s.changeCalendar(ctx, by, "closure.delete", map[string]any{"closure_id": id},
		func(q *store.Queries) error { return q.DeleteClosure(ctx, id) })
}

// changeCalendar makes a change to when the service is open, audits it as
// action, and queues a planner pass in the same transaction: planned calls
// follow the calendar whichever way it changed, and a change is never left
// without its pass.
func (s *Service) changeCalendar(ctx context.Context, by wellcheck.Actor, action string, details map[string]any, change func(*store.Queries) error) error {
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		if err := change(q); err != nil {
			return err
		}
		if err := q.Audit(ctx, by, action, nil, nil, details); err != nil {
			return err
		}
		return s.Passes.EnqueuePass(ctx, q)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	return nil
}
