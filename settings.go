package wellcheck

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Settings is the service's configuration as admins set it.
type Settings struct {
	Name            string
	TimeZone        string // IANA name of the service's own clock
	HolidayCalendar string // "FR", "BE", …
	DefaultRegion   string // phone numbers typed without country code
	Cutoff          TimeOfDay
	Retry           RetryPolicy
	MaxCallsPerDay  int
	// UnreachedUrgentAfter unreached check-ins in a row make a case urgent.
	UnreachedUrgentAfter int
	CallerNumber         string
	CallerName           string
	// Hours are the opening hours per weekday, in TimeZone; a missing day is closed.
	Hours map[time.Weekday]Window
	// EscalationNeedsConsent: an emergency contact is called only if the
	// person's consent to it is recorded.
	EscalationNeedsConsent bool
	// Retention (GDPR): closed cases' files and finished check-ins are kept
	// KeepClosedCasesDays, withdrawn persons KeepWithdrawnDays, the audit
	// log's entries KeepAuditDays.
	KeepClosedCasesDays, KeepWithdrawnDays, KeepAuditDays int
	// VoicemailMessage: a check-in call that reaches an answering machine
	// leaves a short message after the beep ("this is the service, for our
	// regular call; we will call back"), never the person's name; otherwise
	// it hangs up. Off by default: on a shared machine, a message tells
	// whoever hears it that the person is called by the service.
	VoicemailMessage bool
}

// DefaultSettings are a French listening line's: Monday to Friday 9:00–17:00,
// Europe/Paris, French holidays.
func DefaultSettings() Settings {
	hours := make(map[time.Weekday]Window, 5)
	for d := time.Monday; d <= time.Friday; d++ {
		hours[d] = Window{Start: Clock(9, 0), End: Clock(17, 0)}
	}
	return Settings{
		Name:                 "wellcheck",
		TimeZone:             "Europe/Paris",
		HolidayCalendar:      "FR",
		DefaultRegion:        "FR",
		Cutoff:               Clock(15, 30),
		Retry:                RetryPolicy{MaxAttempts: 3, RetryMinutes: []int{15, 30}},
		MaxCallsPerDay:       3,
		UnreachedUrgentAfter: 2,
		Hours:                hours,
		KeepClosedCasesDays:  730,
		KeepWithdrawnDays:    90,
		KeepAuditDays:        365,
	}
}

// OpeningHours returns the widest window the service is open on any day, used as
// the default call window.
func (s Settings) OpeningHours() Window {
	var w Window
	first := true
	for _, h := range s.Hours {
		if first || h.Start < w.Start {
			w.Start = h.Start
		}
		if first || h.End > w.End {
			w.End = h.End
		}
		first = false
	}
	return w
}

// Closure is a span of days the service is closed beyond its weekly hours and
// public holidays (a training day, a bridge day), inclusive, in the service's zone.
type Closure struct {
	ID       int64     // zero until stored
	From, To time.Time // dates; only year, month and day count
	Reason   string
}

// NewClosure checks a closure as typed: its first day, its last (the first
// if empty), both YYYY-MM-DD, and why. Problems name closure.from,
// closure.to and closure.reason.
func NewClosure(from, to, reason string) (Closure, error) {
	var ps Problems
	c := Closure{Reason: strings.TrimSpace(reason)}
	var err error
	if c.From, err = time.Parse(time.DateOnly, strings.TrimSpace(from)); err != nil {
		ps.Add("closure.from", "date_invalid", from)
	}
	c.To = c.From
	if strings.TrimSpace(to) != "" {
		if c.To, err = time.Parse(time.DateOnly, strings.TrimSpace(to)); err != nil {
			ps.Add("closure.to", "date_invalid", to)
		}
	}
	if c.To.Before(c.From) {
		ps.Add("closure.to", "closure_backwards")
	}
	if c.Reason == "" {
		ps.Add("closure.reason", "required")
	}
	return c, ps.Err()
}

// Range is the values a setting may take, bounds included.
type Range struct{ Min, Max int }

// Has reports whether n is in the range.
func (r Range) Has(n int) bool { return r.Min <= n && n <= r.Max }

// The limits of what admins set.
var (
	LimitMaxAttempts     = Range{1, 10}
	LimitMaxCallsPerDay  = Range{1, 12}
	LimitUrgentAfter     = Range{1, 10}
	LimitKeepClosedCases = Range{30, 3650} // days
	LimitKeepWithdrawn   = Range{0, 3650}  // days
	LimitKeepAudit       = Range{30, 3650} // days
)

// MaxCallerName is the longest caller name, in characters, a trunk shows.
const MaxCallerName = 40

// Check reports what is outside the limits in settings an admin set;
// problems name settings.<field>.
func (s Settings) Check() error {
	var ps Problems
	for _, n := range []struct {
		field string
		v     int
		r     Range
	}{
		{"settings.max_attempts", s.Retry.MaxAttempts, LimitMaxAttempts},
		{"settings.max_calls_per_day", s.MaxCallsPerDay, LimitMaxCallsPerDay},
		{"settings.urgent_after", s.UnreachedUrgentAfter, LimitUrgentAfter},
		{"settings.keep_closed_cases", s.KeepClosedCasesDays, LimitKeepClosedCases},
		{"settings.keep_withdrawn", s.KeepWithdrawnDays, LimitKeepWithdrawn},
		{"settings.keep_audit", s.KeepAuditDays, LimitKeepAudit},
	} {
		if !n.r.Has(n.v) {
			ps.Add(n.field, "number_between", n.r.Min, n.r.Max)
		}
	}
	if utf8.RuneCountInString(s.CallerName) > MaxCallerName {
		ps.Add("settings.caller_name", "too_long", MaxCallerName)
	}
	return ps.Err()
}
