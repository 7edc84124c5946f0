package scheduler

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
)

// cronDays are the weekday names cron writes, Sunday first as time.Weekday.
var cronDays = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

// Describe says a plan's cron spec in words, as a coordinator or listener
// reads it: "lundi, mercredi et vendredi vers 10 h", "du lundi au vendredi
// vers 9 h 30", "tous les jours vers 14 h". ok is false for a spec that
// is not one time on some weekdays (an expert's spec): show it as it is.
func Describe(spec string, lang wellcheck.Lang) (words string, ok bool) {
	m, ok := Words(spec)
	if !ok {
		return "", false
	}
	return m.Text(lang), true
}

// Words is Describe's message, to say in the reader's language later.
func Words(spec string) (wellcheck.Message, bool) {
	days, hour, minute, ok := Simple(spec)
	if !ok {
		return wellcheck.Message{}, false
	}
	at := wellcheck.Message{Key: "plan_at", Args: []any{hour, minute}}
	if minute == 0 {
		at = wellcheck.Message{Key: "plan_at_hour", Args: []any{hour}}
	}
	var which wellcheck.Message
	switch weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}; {
	case len(days) == 7:
		which = wellcheck.Message{Key: "plan_every_day"}
	case slices.Equal(days, weekdays):
		which = wellcheck.Message{Key: "plan_monday_to_friday"}
	default:
		names := make([]any, len(days))
		for i, d := range days {
			names[i] = wellcheck.WeekdayName(d)
		}
		which = wellcheck.List(names)
	}
	return wellcheck.Message{Key: "plan_in_words", Args: []any{which, at}}, true
}

// said is how a problem quotes a plan: in words when it can be, else the
// spec as it was typed.
func said(spec string) any {
	if m, ok := Words(spec); ok {
		return m
	}
	return spec
}

// Simple reads a spec that is one time on some weekdays, "M H * * DAYS"
// (DAYS a list or ranges of weekday names or numbers, or *): the days,
// Monday first, and the time. ok is false for any other spec.
func Simple(spec string) (days []time.Weekday, hour, minute int, ok bool) {
	f := strings.Fields(spec)
	if len(f) != 5 || f[2] != "*" || f[3] != "*" {
		return nil, 0, 0, false
	}
	var err1, err2 error
	minute, err1 = strconv.Atoi(f[0])
	hour, err2 = strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || minute < 0 || minute > 59 || hour < 0 || hour > 23 {
		return nil, 0, 0, false
	}
	set := map[time.Weekday]bool{}
	if f[4] == "*" {
		for d := range 7 {
			set[time.Weekday(d)] = true
		}
	}
	for _, part := range strings.Split(f[4], ",") {
		if part == "*" {
			continue
		}
		from, to, isRange := strings.Cut(part, "-")
		a, okA := weekday(from)
		b := a
		okB := true
		if isRange {
			b, okB = weekday(to)
		}
		if !okA || !okB || b < a {
			return nil, 0, 0, false
		}
		for d := a; d <= b; d++ {
			set[d%7] = true
		}
	}
	for i := range 7 {
		if d := time.Weekday((i + 1) % 7); set[d] {
			days = append(days, d)
		}
	}
	return days, hour, minute, len(days) > 0
}

// weekday reads a cron weekday: a name (MON) or a number (0 or 7: Sunday).
func weekday(s string) (time.Weekday, bool) {
	for i, name := range cronDays {
		if strings.EqualFold(s, name) {
			return time.Weekday(i), true
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 7 {
		return 0, false
	}
	return time.Weekday(n), true
}
