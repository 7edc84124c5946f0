package scheduler

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/aa"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/fr"

	"github.com/wellcheck/wellcheck"
)

// HolidayCalendars are the public-holiday sets a service can follow, from
// rickar/cal. FR-AM is Alsace-Moselle: France's, plus Good Friday and 26 December.
var HolidayCalendars = map[string][]*cal.Holiday{
	"FR": fr.Holidays,
	"FR-AM": append(append([]*cal.Holiday{}, fr.Holidays...),
		aa.GoodFriday.Clone(&cal.Holiday{Name: "Vendredi saint", Type: cal.ObservancePublic}),
		aa.ChristmasDay2.Clone(&cal.Holiday{Name: "Saint-Étienne", Type: cal.ObservancePublic})),
	"BE": be.Holidays,
	// NONE keeps no public holiday: a service open every day (the demo's).
	"NONE": nil,
}

// Calendar is when the service is open: weekly hours, public holidays and
// closures, in the service's own time zone. It is safe for concurrent use.
type Calendar struct {
	Loc      *time.Location
	Hours    map[time.Weekday]wellcheck.Window
	Closures []wellcheck.Closure

	holidays []*cal.Holiday
	mu       sync.Mutex
	byYear   map[int]map[civil]string // holiday dates of a year → name
}

// civil is a calendar date without a zone.
type civil struct {
	y int
	m time.Month
	d int
}

func civilOf(t time.Time) civil {
	y, m, d := t.Date()
	return civil{y, m, d}
}

// NewCalendar builds the service's calendar from its settings and closures.
func NewCalendar(settings wellcheck.Settings, closures []wellcheck.Closure) (*Calendar, error) {
	loc, err := LoadZone(settings.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("service time zone: %w", err)
	}
	hols, ok := HolidayCalendars[strings.ToUpper(settings.HolidayCalendar)]
	if !ok {
		return nil, fmt.Errorf("holiday calendar %q: use one of FR, FR-AM (Alsace-Moselle), BE, NONE", settings.HolidayCalendar)
	}
	return &Calendar{Loc: loc, Hours: settings.Hours, Closures: closures, holidays: hols, byYear: map[int]map[civil]string{}}, nil
}

// Closed says why the service is closed on the day of t (in the service's zone),
// or "" when it is open: "closed" (no hours that weekday), "holiday" (with its
// name) or "closure" (with the admin's reason).
func (c *Calendar) Closed(t time.Time) (reason, detail string) {
	t = t.In(c.Loc)
	if _, open := c.Hours[t.Weekday()]; !open {
		return "closed", ""
	}
	if name, ok := c.holiday(t); ok {
		return "holiday", name
	}
	day := civilOf(t)
	for _, cl := range c.Closures {
		if !before(day, civilOf(cl.From)) && !before(civilOf(cl.To), day) {
			return "closure", cl.Reason
		}
	}
	return "", ""
}

// OpenAt reports whether the service is open at instant t.
func (c *Calendar) OpenAt(t time.Time) bool {
	if reason, _ := c.Closed(t); reason != "" {
		return false
	}
	t = t.In(c.Loc)
	return c.Hours[t.Weekday()].Contains(wellcheck.Of(t))
}

func (c *Calendar) holiday(t time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	year := t.Year()
	dates, ok := c.byYear[year]
	if !ok {
		dates = map[civil]string{}
		for _, h := range c.holidays {
			if actual, _ := h.Calc(year); !actual.IsZero() {
				dates[civilOf(actual)] = h.Name
			}
		}
		c.byYear[year] = dates
	}
	name, ok := dates[civilOf(t)]
	return name, ok
}

func before(a, b civil) bool {
	if a.y != b.y {
		return a.y < b.y
	}
	if a.m != b.m {
		return a.m < b.m
	}
	return a.d < b.d
}

// openStretch returns the first stretch of opening hours that ends after t:
// [from, to), with from ≥ t. ok is false if nothing opens within maxMove days.
func (c *Calendar) openStretch(t time.Time) (from, to time.Time, ok bool) {
	return c.FirstStretch(t, maxMove, func(d time.Weekday) []wellcheck.Window {
		return []wellcheck.Window{c.Hours[d]}
	})
}

// FirstStretch returns the earliest stretch [from, to) of the windows a
// weekday has (windowsOn, in the service's zone) that ends after t, on a day
// the service is open, looking days days ahead; from ≥ t. ok is false if
// there is none.
func (c *Calendar) FirstStretch(t time.Time, days int, windowsOn func(time.Weekday) []wellcheck.Window) (from, to time.Time, ok bool) {
	t = t.In(c.Loc)
	y, m, d := t.Date()
	for i := 0; i <= days; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, c.Loc)
		if reason, _ := c.Closed(day); reason != "" {
			continue
		}
		for _, w := range windowsOn(day.Weekday()) {
			opens := time.Date(y, m, d+i, w.Start.Hour(), w.Start.Minute(), 0, 0, c.Loc)
			closes := time.Date(y, m, d+i, w.End.Hour(), w.End.Minute(), 0, 0, c.Loc)
			if !closes.After(t) {
				continue
			}
			opens = later(opens, t)
			if !ok || opens.Before(from) {
				from, to, ok = opens, closes, true
			}
		}
		if ok {
			return from, to, true
		}
	}
	return time.Time{}, time.Time{}, false
}

func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

// NextOpen returns t if the service is open then, else when it next opens (t
// itself if nothing opens within a month: a calendar closed that long is an
// admin's to fix, and work is not held back meanwhile).
func (c *Calendar) NextOpen(t time.Time) time.Time {
	from, _, ok := c.openStretch(t)
	if !ok {
		return t
	}
	return from
}

// ClosesAt returns when the service closes on the day it is open at or next
// after t: "the same day" for a listener's task.
func (c *Calendar) ClosesAt(t time.Time) time.Time {
	_, to, ok := c.openStretch(t)
	if !ok {
		return t
	}
	return to
}

// AddOpen returns the instant d of opening hours after t: for a service open
// 9:00–17:00 on weekdays, two opening hours after 16:00 on a Friday is 10:00 on
// Monday.
func (c *Calendar) AddOpen(t time.Time, d time.Duration) time.Time {
	for {
		from, to, ok := c.openStretch(t)
		if !ok {
			return t.Add(d)
		}
		if left := to.Sub(from); d > left {
			d, t = d-left, to
			continue
		}
		return from.Add(d)
	}
}
