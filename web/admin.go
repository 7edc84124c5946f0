package web

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/phone"
	"github.com/wellcheck/wellcheck/scheduler"
)

// settingsView is the admin's service settings page.
type settingsView struct {
	Hours    week
	Service  serviceForm
	Closures []closureRow
	Line     lineView
	// SecondFactor is the roles, each ticked if it must have a second
	// factor (mfa.go).
	SecondFactor []checkOption
}

// week is a form's week of hours, one window a day at most: the service's
// opening hours, a listener's shifts. Its fields are named Name[N].open,
// .opens and .closes, N the weekday (0 Sunday).
type week struct {
	Name string
	Days []weekDay
}

// weekDay is one weekday's row of a week form.
type weekDay struct {
	Day           time.Weekday
	Key, Name     string
	Open          bool
	Opens, Closes string
}

// weekOf shows hours in a week form called name.
func weekOf(name string, hours map[time.Weekday]wellcheck.Window, lang wellcheck.Lang) week {
	w := week{Name: name}
	for _, d := range admin.WeekOrder {
		row := weekDay{Day: d, Key: admin.Week{Name: name}.DayField(d), Name: wellcheck.WeekdayName(d).Text(lang)}
		if h, ok := hours[d]; ok {
			row.Open, row.Opens, row.Closes = true, h.Start.String(), h.End.String()
		}
		w.Days = append(w.Days, row)
	}
	return w
}

// readWeek reads the week form called name, as typed: the service checks it.
func readWeek(r *http.Request, name string) admin.Week {
	w := admin.Week{Name: name, Days: map[time.Weekday][2]string{}}
	for _, d := range admin.WeekOrder {
		key := w.DayField(d)
		if r.PostFormValue(key+".open") == "yes" {
			w.Days[d] = [2]string{r.PostFormValue(key + ".opens"), r.PostFormValue(key + ".closes")}
		}
	}
	return w
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, sess session) error {
	v, err := s.settingsView(r)
	if err != nil {
		return err
	}
	lang := langOf(r)
	p := signedInPage(text(lang, "settings"), sess, v)
	if done := r.URL.Query().Get("done"); done != "" {
		p.Notice = text(lang, "done."+done)
	}
	return s.render(w, r, pageSettings, http.StatusOK, p)
}

// settingsView reads what the settings page shows: the opening hours, the
// service's settings, the closures from yesterday on.
func (s *Server) settingsView(r *http.Request) (settingsView, error) {
	q := s.Store.Queries()
	settings, err := q.Settings(r.Context())
	if err != nil {
		return settingsView{}, err
	}
	closures, err := q.Closures(r.Context(), s.now().AddDate(0, 0, -1))
	if err != nil {
		return settingsView{}, err
	}
	tests, err := s.testCalls(r, settings)
	if err != nil {
		return settingsView{}, err
	}
	lang := langOf(r)
	v := settingsView{Hours: weekOf("hours", settings.Hours, lang), Service: serviceFormOf(settings, phone.Parser{Region: settings.DefaultRegion}),
		Line: lineView{Line: s.Line, Facts: s.Line.facts(lang, personZone(settings.TimeZone)), TestCalls: tests, Form: testCallForm{Lang: string(lang)}}}
	if v.SecondFactor, err = secondFactorRoles(r, q); err != nil {
		return settingsView{}, err
	}
	for _, c := range closures {
		v.Closures = append(v.Closures, closureRow{ID: c.ID, From: wellcheck.Date(c.From).Text(lang), To: wellcheck.Date(c.To).Text(lang), Reason: c.Reason})
	}
	return v, nil
}

// setHours replaces the opening hours, and asks the planner to follow them at
// once: planned calls on a day now closed move, as a holiday's would.
func (s *Server) setHours(w http.ResponseWriter, r *http.Request, sess session) error {
	err := s.Admin.SetOpeningHours(r.Context(), actorOf(sess), readWeek(r, "hours"))
	return s.afterSettings(w, r, sess, err, "hours")
}

// serviceForm is the service's settings as typed.
type serviceForm struct {
	Calendar, Cutoff, MaxAttempts, RetryMinutes, MaxCallsPerDay, UrgentAfter string
	CallerNumber, CallerName, KeepClosedCases, KeepWithdrawn, KeepAudit      string
	NeedsConsent                                                             bool
	VoicemailMessage                                                         bool
}

// closureRow is a closure as the settings page lists it.
type closureRow struct {
	ID               int64
	From, To, Reason string
}

func serviceFormOf(s wellcheck.Settings, phones phone.Parser) serviceForm {
	f := serviceForm{Calendar: s.HolidayCalendar, Cutoff: s.Cutoff.String(), MaxAttempts: strconv.Itoa(s.Retry.MaxAttempts),
		MaxCallsPerDay: strconv.Itoa(s.MaxCallsPerDay), UrgentAfter: strconv.Itoa(s.UnreachedUrgentAfter), CallerName: s.CallerName,
		KeepClosedCases: strconv.Itoa(s.KeepClosedCasesDays), KeepWithdrawn: strconv.Itoa(s.KeepWithdrawnDays),
		KeepAudit: strconv.Itoa(s.KeepAuditDays), NeedsConsent: s.EscalationNeedsConsent, VoicemailMessage: s.VoicemailMessage}
	minutes := make([]string, len(s.Retry.RetryMinutes))
	for i, m := range s.Retry.RetryMinutes {
		minutes[i] = strconv.Itoa(m)
	}
	f.RetryMinutes = strings.Join(minutes, ", ")
	if s.CallerNumber != "" {
		f.CallerNumber = phones.Format(wellcheck.Phone(s.CallerNumber))
	}
	return f
}

// calendarChoices are the holiday calendars a service may follow.
func calendarChoices(lang wellcheck.Lang) []option {
	out := make([]option, 0, len(scheduler.HolidayCalendars))
	for _, name := range slices.Sorted(maps.Keys(scheduler.HolidayCalendars)) {
		out = append(out, option{name, text(lang, "calendar."+name)})
	}
	return out
}

// setService saves the service's settings; a planner pass follows at once,
// since the holiday calendar decides which days are open.
func (s *Server) setService(w http.ResponseWriter, r *http.Request, sess session) error {
	q := s.Store.Queries()
	settings, err := q.Settings(r.Context())
	if err != nil {
		return err
	}
	f := serviceForm{Calendar: r.PostFormValue("settings.calendar"), Cutoff: r.PostFormValue("settings.cutoff"),
		MaxAttempts: r.PostFormValue("settings.max_attempts"), RetryMinutes: r.PostFormValue("settings.retry_minutes"),
		MaxCallsPerDay: r.PostFormValue("settings.max_calls_per_day"), UrgentAfter: r.PostFormValue("settings.urgent_after"),
		CallerNumber: r.PostFormValue("settings.caller_number"), CallerName: r.PostFormValue("settings.caller_name"),
		KeepClosedCases: r.PostFormValue("settings.keep_closed_cases"), KeepWithdrawn: r.PostFormValue("settings.keep_withdrawn"),
		KeepAudit: r.PostFormValue("settings.keep_audit"), NeedsConsent: r.PostFormValue("settings.needs_consent") == "yes",
		VoicemailMessage: r.PostFormValue("settings.voicemail_message") == "yes"}
	var ps wellcheck.Problems
	// Every problem at once, beside its field, in the order of the form: the
	// limits are the domain's (wellcheck.Settings.Check, which the service
	// applies again).
	number := func(field, v string, limit wellcheck.Range) int {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || !limit.Has(n) {
			ps.Add(field, "number_between", limit.Min, limit.Max)
		}
		return n
	}
	if _, ok := scheduler.HolidayCalendars[f.Calendar]; !ok {
		ps.Add("settings.calendar", "choice_invalid", f.Calendar, strings.Join(slices.Sorted(maps.Keys(scheduler.HolidayCalendars)), ", "))
	}
	settings.HolidayCalendar = f.Calendar
	if settings.Cutoff, err = wellcheck.ParseTimeOfDay(strings.TrimSpace(f.Cutoff)); err != nil {
		ps.Add("settings.cutoff", "time_invalid", f.Cutoff)
	}
	settings.Retry = enroll.RetryOf(&ps, "settings.", number("settings.max_attempts", f.MaxAttempts, wellcheck.LimitMaxAttempts), f.RetryMinutes, settings.Retry)
	settings.MaxCallsPerDay = number("settings.max_calls_per_day", f.MaxCallsPerDay, wellcheck.LimitMaxCallsPerDay)
	settings.UnreachedUrgentAfter = number("settings.urgent_after", f.UrgentAfter, wellcheck.LimitUrgentAfter)
	settings.KeepClosedCasesDays = number("settings.keep_closed_cases", f.KeepClosedCases, wellcheck.LimitKeepClosedCases)
	settings.KeepWithdrawnDays = number("settings.keep_withdrawn", f.KeepWithdrawn, wellcheck.LimitKeepWithdrawn)
	settings.KeepAuditDays = number("settings.keep_audit", f.KeepAudit, wellcheck.LimitKeepAudit)
	settings.CallerName = strings.TrimSpace(f.CallerName)
	if utf8.RuneCountInString(settings.CallerName) > wellcheck.MaxCallerName {
		ps.Add("settings.caller_name", "too_long", wellcheck.MaxCallerName)
	}
	settings.CallerNumber = ""
	if strings.TrimSpace(f.CallerNumber) != "" {
		n, err := phone.Parser{Region: settings.DefaultRegion}.ParseService(f.CallerNumber)
		if err != nil {
			ps.Add("settings.caller_number", "phone_invalid", wellcheck.Secret(f.CallerNumber))
		}
		settings.CallerNumber = string(n)
	}
	settings.EscalationNeedsConsent = f.NeedsConsent
	settings.VoicemailMessage = f.VoicemailMessage
	err = ps.Err()
	if err == nil {
		err = s.Admin.SaveSettings(r.Context(), actorOf(sess), settings)
	}
	return s.afterSettings(w, r, sess, err, "service")
}

// addClosure closes the service for some days; everyone is re-planned.
func (s *Server) addClosure(w http.ResponseWriter, r *http.Request, sess session) error {
	c, err := wellcheck.NewClosure(r.PostFormValue("closure.from"), r.PostFormValue("closure.to"), r.PostFormValue("closure.reason"))
	if err == nil {
		_, err = s.Admin.AddClosure(r.Context(), actorOf(sess), c)
	}
	return s.afterSettings(w, r, sess, err, "closure")
}

// deleteClosure reopens the days of a closure; everyone is re-planned.
func (s *Server) deleteClosure(w http.ResponseWriter, r *http.Request, sess session) error {
	id, ok := pathID(r)
	if !ok {
		return notFound("not_found_page")
	}
	err := s.Admin.DeleteClosure(r.Context(), actorOf(sess), id)
	if errors.Is(err, wellcheck.ErrNotFound) {
		return notFound("not_found_page")
	}
	return s.afterSettings(w, r, sess, err, "closure_deleted")
}

// afterSettings ends a change of settings: back to the page saying what was
// done, or the page again with the problems and the refused form as it was
// sent.
func (s *Server) afterSettings(w http.ResponseWriter, r *http.Request, sess session, err error, done string) error {
	if err == nil {
		http.Redirect(w, r, "/admin/settings?done="+done, http.StatusSeeOther)
		return nil
	}
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		return err
	}
	v, verr := s.settingsView(r)
	if verr != nil {
		return verr
	}
	p := signedInPage(text(langOf(r), "settings"), sess, v)
	p.refuse(r, err)
	return s.render(w, r, pageSettings, status, p)
}
