package scheduler

import (
	"slices"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
)

// Slot statuses.
const (
	SlotPlanned = "planned" // called at At
	SlotMoved   = "moved"   // its day was closed: called at At, the next open day
	SlotDropped = "dropped" // not called; Reason says why
)

// Reasons a slot moved or was dropped.
const (
	ReasonClosed       = "closed"        // no opening hours that weekday
	ReasonHoliday      = "holiday"       // a public holiday (Detail: its name)
	ReasonClosure      = "closure"       // an admin's closure (Detail: their reason)
	ReasonMerged       = "merged"        // moved onto a day that already has a call
	ReasonPaused       = "paused"        // the person is paused
	ReasonOutsideHours = "outside_hours" // moved to a time outside the window or the day's hours
	ReasonNoOpenDay    = "no_open_day"   // nothing open within maxMove days
)

// maxMove is how far a call may move to find an open day.
const maxMove = 31

// Slot is one call a plan asks for, and what the calendar makes of it.
type Slot struct {
	At        time.Time // when the call is placed (the fire time unless moved), person's zone
	Fire      time.Time // when the plan asked for it, person's zone
	Status    string
	Reason    string // for moved and dropped slots
	Cause     string // why the fire's day was closed (closed, holiday, closure), when it was
	Detail    string // holiday name, closure reason
	MovedFrom bool   // At differs from Fire
}

// Slots returns, in order, the slot of every call plan asks for with a fire time
// in [from, to), for a person living in loc, served on calendar c, paused until
// pausedUntil (zero: not paused).
//
// The rules, deterministic whatever the order of planning:
//   - a fire on a day the service is closed (weekday without hours, public
//     holiday, closure; judged on the service's date) moves to the next open day
//     at the same local time, unless that day already has a call for the person:
//     then it merges into it (dropped, reason merged). Days with calls of their
//     own keep them; moved calls take the days that are left, earliest first;
//   - a pause drops slots, it does not move them;
//   - a call must fall inside the person's window and the service's hours that
//     day; a moved call that does not is dropped (outside_hours);
//   - daylight saving: a local time that occurs twice (clocks go back) is called
//     once, at its first occurrence; a local time that does not exist (clocks go
//     forward) is called at the instant Go normalises it to (one hour later in
//     most zones) if that is still inside the window and hours, else dropped.
func Slots(plan wellcheck.Plan, loc *time.Location, c *Calendar, from, to, pausedUntil time.Time) ([]Slot, error) {
	sched, err := ParseCron(plan.Cron)
	if err != nil {
		return nil, err
	}
	// The answer for a range must not depend on how planning cuts time into
	// ranges: fires up to maxMove days past it tell which days have calls of their
	// own, and fires up to maxMove days before it tell which days earlier moves
	// took. Only the range's own fires are returned.
	var fires []time.Time
	seen := map[wallClock]bool{}
	for t := sched.Next(from.In(loc).AddDate(0, 0, -maxMove).Add(-time.Nanosecond)); !t.IsZero() && t.Before(to.AddDate(0, 0, maxMove)); t = sched.Next(t) {
		w := wallOf(t)
		if seen[w] {
			continue // the second occurrence of a repeated local time
		}
		seen[w] = true
		fires = append(fires, t)
	}

	slots := make([]Slot, 0, len(fires))
	taken := map[civil]bool{} // person's days that have a call
	var moved []int           // indexes into slots of calls to move
	for _, t := range fires {
		s := Slot{At: t, Fire: t, Status: SlotPlanned}
		switch reason, detail := c.Closed(t); {
		case t.Before(pausedUntil):
			s.Status, s.Reason = SlotDropped, ReasonPaused
		case reason != "":
			s.Status, s.Reason, s.Cause, s.Detail = SlotMoved, reason, reason, detail
			moved = append(moved, len(slots))
		case !callable(plan, c, t):
			s.Status, s.Reason = SlotDropped, ReasonOutsideHours
		default:
			taken[civilOf(t)] = true
		}
		slots = append(slots, s)
	}
	for _, i := range moved {
		s := &slots[i]
		at, ok := nextOpen(c, s.Fire, loc)
		switch {
		case !ok:
			s.Status = SlotDropped
			s.Reason = ReasonNoOpenDay
		case at.Before(pausedUntil):
			s.Status, s.Reason = SlotDropped, ReasonPaused
		case taken[civilOf(at)]:
			s.Status, s.Reason = SlotDropped, ReasonMerged
			s.At, s.MovedFrom = at, true
		case !callable(plan, c, at):
			s.Status, s.Reason = SlotDropped, ReasonOutsideHours
			s.At, s.MovedFrom = at, true
		default:
			s.At, s.MovedFrom = at, true
			taken[civilOf(at)] = true
		}
	}
	// Only the fires of the range itself.
	start := slices.IndexFunc(slots, func(s Slot) bool { return !s.Fire.Before(from) })
	if start < 0 {
		return []Slot{}, nil
	}
	slots = slots[start:]
	if end := slices.IndexFunc(slots, func(s Slot) bool { return !s.Fire.Before(to) }); end >= 0 {
		slots = slots[:end]
	}
	return slots, nil
}

// callable reports whether a call at t is inside the person's window and the
// service's open hours.
func callable(plan wellcheck.Plan, c *Calendar, t time.Time) bool {
	return plan.Window.Contains(wellcheck.Of(t)) && c.OpenAt(t)
}

// nextOpen finds the next day the service is open, at the same local time as t.
func nextOpen(c *Calendar, t time.Time, loc *time.Location) (time.Time, bool) {
	y, m, d := t.Date()
	for i := 1; i <= maxMove; i++ {
		next := time.Date(y, m, d+i, t.Hour(), t.Minute(), 0, 0, loc)
		if reason, _ := c.Closed(next); reason == "" {
			return next, true
		}
	}
	return time.Time{}, false
}

type wallClock struct {
	day          civil
	hour, minute int
}

func wallOf(t time.Time) wallClock { return wallClock{civilOf(t), t.Hour(), t.Minute()} }

// Describe says what becomes of s, in lang: "call moved — merged into that
// day's call; planned for Friday 25/12/2026 10:00 +01:00, public holiday
// (Noël)".
func (s Slot) Describe(lang wellcheck.Lang) string {
	var b strings.Builder
	b.WriteString(wellcheck.Message{Key: "slot_" + s.Status}.Text(lang))
	if s.Reason != "" {
		b.WriteString(" — " + wellcheck.Message{Key: "slot_" + s.Reason}.Text(lang))
	}
	if s.At != s.Fire {
		b.WriteString(" ; " + wellcheck.Message{Key: "slot_moved_from", Args: []any{LocalTime(s.Fire, lang)}}.Text(lang))
		if s.Cause != "" && s.Cause != s.Reason {
			b.WriteString(", " + wellcheck.Message{Key: "slot_" + s.Cause}.Text(lang))
		}
	}
	if s.Detail != "" {
		b.WriteString(" (" + s.Detail + ")")
	}
	return b.String()
}

// LocalTime writes a time in its own zone the reader's way: "lundi 28/12/2026
// 10:00". The zone is said once, beside a list of times, in words.
func LocalTime(t time.Time, lang wellcheck.Lang) string {
	day := wellcheck.Message{Key: "weekday_date", Args: []any{wellcheck.WeekdayName(t.Weekday()), wellcheck.Date(t)}}.Text(lang)
	return day + " " + t.Format("15:04")
}
