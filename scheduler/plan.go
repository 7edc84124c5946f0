// Package scheduler turns plans, the service calendar and time zones into
// check-in slots. This file holds the rules a plan must meet to be accepted.
package scheduler

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/wellcheck/wellcheck"
)

// cronParser reads standard 5-field specs (minute hour day month weekday) with
// names (MON, JAN). Descriptors (@daily) are refused: they hide the time.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// ParseCron parses a 5-field spec. The time zone is the person's, set apart, so a
// TZ= prefix is refused.
func ParseCron(spec string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if strings.Contains(spec, "TZ=") {
		return nil, wellcheck.Errorf(wellcheck.EInvalid, "cron_invalid", spec, wellcheck.Message{Key: "cron_tz_prefix"})
	}
	if len(strings.Fields(spec)) != 5 {
		return nil, wellcheck.Errorf(wellcheck.EInvalid, "cron_invalid", spec, wellcheck.Message{Key: "cron_field_count"})
	}
	s, err := cronParser.Parse(spec)
	if err != nil {
		// The parser's error is Go's ("failed to parse int from tous:
		// strconv.Atoi: …"): say which field is wrong and what it takes.
		return nil, wellcheck.Errorf(wellcheck.EInvalid, "cron_invalid", spec, badCronField(strings.Fields(spec)))
	}
	return s, nil
}

// cronFieldKeys are the messages that say what each of a spec's five fields
// takes, in order.
var cronFieldKeys = [5]string{"cron_bad_minute", "cron_bad_hour", "cron_bad_day", "cron_bad_month", "cron_bad_weekday"}

// badCronField says which of a spec's five fields the parser refuses: the
// first that does not parse on its own, the others left at "*".
func badCronField(fields []string) wellcheck.Message {
	for i, f := range fields {
		alone := []string{"*", "*", "*", "*", "*"}
		alone[i] = f
		if _, err := cronParser.Parse(strings.Join(alone, " ")); err != nil {
			return wellcheck.Message{Key: cronFieldKeys[i], Args: []any{f}}
		}
	}
	return wellcheck.Message{Key: "cron_bad"}
}

// LoadZone loads an IANA time zone by name ("Europe/Paris", "America/Guadeloupe",
// "UTC"). It refuses what time.LoadLocation would accept but a person's or a
// service's zone must not be: "" and "Local" (the machine's zone), abbreviations
// ("CET", "EST"), and the posix/ and right/ variants.
func LoadZone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	if name != "UTC" && (!strings.Contains(name, "/") || strings.HasPrefix(name, "posix/") || strings.HasPrefix(name, "right/")) {
		return nil, fmt.Errorf("%q is not an IANA zone name", name)
	}
	loc, err := time.LoadLocation(name)
	if err == nil {
		zones.Store(name, loc)
	}
	return loc, err
}

// zones are the zones loaded so far: time.LoadLocation reads the zone file
// every time, and a list page asks once per row. Only zones that loaded are
// kept, so the map is bounded by the IANA database.
var zones sync.Map

// horizon is how far ahead a plan must fire at least once.
const horizon = 366 * 24 * time.Hour

// CheckPlan says whether plan can be accepted for a person living in loc, served
// on calendar cal (at most maxPerDay calls a day), as seen at now. Problems go to problems under the
// "plan.*" fields; warnings (accepted, but worth saying) go to warnings.
//
// The rules: the spec parses; it fires within the next 12 months; every call it
// makes falls inside the person's window; it calls at most settings.MaxCallsPerDay
// times a day; the window lies within the service's opening hours on every day a
// call can happen (a call due on a closed day moves to the next open day, which is
// a warning, not an error).
func CheckPlan(plan wellcheck.Plan, loc *time.Location, cal *Calendar, maxPerDay int, now time.Time, problems, warnings *wellcheck.Problems) {
	if plan.Window.Start >= plan.Window.End {
		problems.Add("plan.window", "window_invalid", plan.Window.String())
		return
	}
	sched, err := ParseCron(plan.Cron)
	if err != nil {
		problems.AddErr("plan.cron", err)
		return
	}
	spec := strings.TrimSpace(plan.Cron)

	first := sched.Next(now.In(loc))
	if first.IsZero() || first.Sub(now) > horizon {
		problems.Add("plan.cron", "cron_never", said(spec))
		return
	}

	// Walk every day the plan fires in the coming year: the calls of each day, and
	// the days themselves. Cached per distinct plan by callers, this costs at most
	// a few hundred steps.
	//
	// Each day's walk ends on the first call of a later day, which starts the next
	// day's walk: never a computed midnight, which some zones skip on the day
	// summer time starts (Santiago, Havana), and which would replay the same day.
	var fireDays []time.Time // the first call of each day, in loc
	for t := first; !t.IsZero() && t.Sub(now) <= horizon; {
		fireDays = append(fireDays, t)
		calls, u := 0, t
		for ; !u.IsZero() && sameDate(u, t); u = sched.Next(u) {
			calls++
			if !plan.Window.Contains(wellcheck.Of(u)) {
				problems.Add("plan.cron", "cron_outside_window", said(spec), wellcheck.Of(u).String(), plan.Window.String())
				return
			}
			if calls > maxPerDay {
				problems.Add("plan.cron", "cron_too_often", said(spec), callsPerDay(sched, t), maxPerDay)
				return
			}
		}
		if !u.IsZero() && !u.After(t) {
			break // cron never goes backwards; stop rather than spin if it did
		}
		t = u
	}

	// The days calls happen on: each fire day, or, when the service is closed that
	// day (weekday, holiday), the next open day, where Slots moves its call. Only
	// weekdays without hours are worth a warning: holidays come and go.
	closed := map[time.Weekday]bool{}
	var callDays []time.Time
	for _, day := range fireDays {
		if reason, _ := cal.Closed(day); reason != "" {
			if reason == ReasonClosed {
				closed[day.In(cal.Loc).Weekday()] = true
			}
			next, ok := nextOpen(cal, day, loc)
			if !ok {
				continue
			}
			day = next
		}
		if len(callDays) == 0 || !sameDate(callDays[len(callDays)-1], day) {
			callDays = append(callDays, day)
		}
	}
	if len(closed) > 0 {
		days := slices.SortedFunc(maps.Keys(closed), func(a, b time.Weekday) int { return wellcheck.ISOWeekday(a) - wellcheck.ISOWeekday(b) })
		names := make([]any, len(days))
		for i, wd := range days {
			names[i] = wellcheck.WeekdayName(wd)
		}
		warnings.Add("plan.cron", "cron_closed_days", said(spec), wellcheck.List(names))
	}

	// On every one of those days, in the service's own zone, the window lies within
	// its opening hours: zones with other daylight-saving dates (or none) drift
	// against the service's clock, so one date per weekday is not enough.
	for _, day := range callDays {
		y, m, d := day.Date()
		start := time.Date(y, m, d, plan.Window.Start.Hour(), plan.Window.Start.Minute(), 0, 0, loc).In(cal.Loc)
		end := time.Date(y, m, d, plan.Window.End.Hour(), plan.Window.End.Minute(), 0, 0, loc).In(cal.Loc)
		hours, open := cal.Hours[start.Weekday()]
		if open && sameDate(start, end) && wellcheck.Of(start) >= hours.Start && wellcheck.Of(end) <= hours.End {
			continue
		}
		shown := wellcheck.Message{Key: "closed"}
		if open {
			shown = wellcheck.Message{Key: "verbatim", Args: []any{hours.String()}}
		}
		on := wellcheck.Message{Key: "weekday_date", Args: []any{wellcheck.WeekdayName(start.Weekday()), wellcheck.Date(start)}}
		problems.Add("plan.window", "window_outside_hours", plan.Window.String(), on, shown)
		return
	}
}

func sameDate(a, b time.Time) bool { return civilOf(a) == civilOf(b) }

// callsPerDay counts the calls on t's whole day, for the message.
func callsPerDay(sched cron.Schedule, t time.Time) int {
	n := 0
	// Start a day early (a local day lasts 23 to 25 hours) and count t's date only.
	for u, steps := sched.Next(t.Add(-25*time.Hour)), 0; !u.IsZero() && steps < 3*24*60; u, steps = sched.Next(u), steps+1 {
		if sameDate(u, t) {
			n++
		} else if u.After(t) {
			break
		}
	}
	return n
}
