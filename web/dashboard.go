package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// dashboardDays is how far back the dashboard's charts go, today included.
const dashboardDays = 30

// dashboardView is the service today at a glance and its last 30 days.
type dashboardView struct {
	// Storm says the trunk fails every call (a storm going on), Storms
	// those of today that are over.
	Storm     string
	Storms    []string
	Zone      string
	Summary   string // "7 appels passés pour 5 prévus, dont 3 rappels automatiques."
	Today     []stat
	Cases     []stat
	Listeners []listenerLoad
	Days      []dayRow
	Export    exportForm
}

// stat is one figure and what it counts.
type stat struct {
	Name  string
	Value int64
	Class string // how it stands out: "good", "warn", "alert", or none
}

type listenerLoad struct {
	ID                int64
	Name, Languages   string
	Present           bool
	Pending, Capacity int
}

// dayRow is one day of the charts' table (the charts draw it; the table is
// there for whoever does not see them).
type dayRow struct {
	Date, Label, Short                                   string
	Confirmed, Flagged, Unreached, Undeliverable, Placed int64
	CasesOpened, CasesClosed, FollowUpsDone              int64
}

// exportForm is the export form's period (dates in the service's zone).
type exportForm struct {
	What, From, To string
}

// dashboard shows coordinators the day so far (calls due, placed, their
// outcomes, cases, channels, each listener's load) and the last 30 days.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, sess session) error {
	v, err := s.dashboardView(r, exportForm{})
	if err != nil {
		return err
	}
	return s.render(w, r, pageDashboard, http.StatusOK, signedInPage(text(langOf(r), "dashboard"), sess, v))
}

func (s *Server) dashboardView(r *http.Request, export exportForm) (dashboardView, error) {
	lang := langOf(r)
	q := s.Store.Queries()
	settings, err := q.Settings(r.Context())
	if err != nil {
		return dashboardView{}, err
	}
	zone := personZone(settings.TimeZone)
	now := s.now()
	o, err := q.Overview(r.Context(), zone, now)
	if err != nil {
		return dashboardView{}, err
	}
	today := now.In(zone)
	// The days that are over, then today as the overview counted it: today
	// is the costly day to count, and is counted once.
	days, err := q.ReportDays(r.Context(), zone, today.AddDate(0, 0, 1-dashboardDays), today.AddDate(0, 0, -1), now)
	if err != nil {
		return dashboardView{}, err
	}
	y, m, d := today.Date()
	days = append(days, store.Day{Date: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Counts: o.Today})
	c := o.Today
	due, placed, retried := c.Sum("check_in.")-c["check_in.cancelled"], c["calls.placed"], c["calls.retried"]
	v := dashboardView{Zone: settings.TimeZone, Summary: summary(lang, due, placed, retried), Today: []stat{
		{Name: text(lang, "stat.due"), Value: due},
		{Name: text(lang, "stat.placed"), Value: placed},
		{Name: text(lang, "stat.retries"), Value: retried},
		{Name: text(lang, "stat.confirmed"), Value: c["check_in.confirmed"], Class: "good"},
		{Name: text(lang, "stat.flagged"), Value: c["check_in.flagged"], Class: "alert"},
		{Name: text(lang, "stat.unreached"), Value: c["check_in.unreached"], Class: "warn"},
		{Name: text(lang, "stat.undeliverable"), Value: c["check_in.undeliverable"], Class: "warn"},
		{Name: text(lang, "stat.in_progress"), Value: c["check_in.dialing"]},
		{Name: text(lang, "stat.planned"), Value: c["check_in.planned"]},
		{Name: text(lang, "stat.channels"), Value: int64(o.ChannelsInUse)},
	}, Cases: []stat{
		{Name: text(lang, "stat.cases_opened_today"), Value: c.Sum("case.opened.")},
		{Name: text(lang, "stat.follow_ups_today"), Value: c.Sum("follow_up.")},
		{Name: text(lang, "stat.pool"), Value: int64(o.Pool)},
		{Name: text(lang, "stat.assigned"), Value: int64(o.Assigned)},
		{Name: text(lang, "stat.urgent"), Value: int64(o.Urgent), Class: "alert"},
	}, Export: export}
	if v.Storm, v.Storms, err = storms(r.Context(), q, lang, zone, now); err != nil {
		return dashboardView{}, err
	}
	for _, l := range o.Listeners {
		v.Listeners = append(v.Listeners, loadOf(l, lang))
	}
	for _, d := range days {
		v.Days = append(v.Days, dayRowOf(lang, d))
	}
	if v.Export.From == "" && v.Export.To == "" {
		v.Export = exportForm{What: v.Export.What, From: today.AddDate(0, 0, 1-dashboardDays).Format(time.DateOnly), To: today.Format(time.DateOnly)}
	}
	return v, nil
}

// loadOf is a listener's load, the languages they speak named in lang.
func loadOf(l store.ListenerLoad, lang wellcheck.Lang) listenerLoad {
	names := make([]string, len(l.Languages))
	for i, code := range l.Languages {
		names[i] = spokenLanguage(lang, code)
	}
	return listenerLoad{ID: l.ID, Name: l.FullName, Languages: strings.Join(names, ", "), Present: l.Present, Pending: l.Pending, Capacity: l.Capacity}
}

// storms says, in lang, the trunk's storm going on, if any, and those that
// ended today (in zone): the admins and coordinators see why calls are held
// and that nobody was counted unreached for them.
func storms(ctx context.Context, q *store.Queries, lang wellcheck.Lang, zone *time.Location, now time.Time) (going string, today []string, err error) {
	list, err := q.TrunkStorms(ctx, 10)
	if err != nil {
		return "", nil, err
	}
	local := now.In(zone)
	y, m, d := local.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, zone)
	for _, s := range list {
		fault := text(lang, "fault."+string(s.Fault))
		switch {
		case s.Until == nil:
			going = text(lang, "storm.now", fault, when(lang, s.Since, zone, now))
		case !s.Until.Before(midnight):
			today = append(today, text(lang, "storm.over", clock(lang, s.Since.In(zone)), clock(lang, s.Until.In(zone)), fault))
		}
	}
	return going, today, nil
}

func dayRowOf(lang wellcheck.Lang, d store.Day) dayRow {
	c := d.Counts
	return dayRow{Date: d.Date.Format(time.DateOnly), Label: day(lang, d.Date), Short: shortDay(lang, d.Date),
		Confirmed: c["check_in.confirmed"], Flagged: c["check_in.flagged"], Unreached: c["check_in.unreached"],
		Undeliverable: c["check_in.undeliverable"], Placed: c["calls.placed"],
		CasesOpened: c.Sum("case.opened."), CasesClosed: c.Sum("case.closed.") - c["case.closed.open"], FollowUpsDone: c.Sum("follow_up.")}
}

// summary says the day's calls in a sentence: those placed against those
// planned, and how many of them were retries, so that more calls placed than
// planned needs no explaining.
func summary(lang wellcheck.Lang, due, placed, retried int64) string {
	if retried == 0 {
		return text(lang, "summary.no_retries", count(lang, "n_placed", placed), count(lang, "n_due", due))
	}
	return text(lang, "summary", count(lang, "n_placed", placed), count(lang, "n_due", due), count(lang, "n_retries", retried))
}

// count says n with its noun, singular (key.one) for one — and for zero in
// French.
func count(lang wellcheck.Lang, key string, n int64) string {
	if n == 1 || n == 0 && lang != wellcheck.English {
		key += ".one"
	}
	return text(lang, key, n)
}

// shortDay is a date as a chart's axis says it: "30/11", "30 Nov".
func shortDay(lang wellcheck.Lang, t time.Time) string {
	if lang == wellcheck.English {
		return t.Format("2 Jan")
	}
	return t.Format("02/01")
}
