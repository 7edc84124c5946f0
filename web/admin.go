package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// settingsView is the admin's service settings page.
type settingsView struct {
	Hours []hoursRow
}

// hoursRow is one weekday's opening hours as the form shows them.
type hoursRow struct {
	Day           time.Weekday
	Name          string
	Open          bool
	Opens, Closes string
}

// weekOrder is the week as the service lives it, Monday first.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, sess session) {
	settings, err := s.Store.Queries().Settings(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	lang := langOf(r)
	v := settingsView{}
	for _, d := range weekOrder {
		row := hoursRow{Day: d, Name: wellcheck.WeekdayName(d).Text(lang)}
		if h, ok := settings.Hours[d]; ok {
			row.Open, row.Opens, row.Closes = true, h.Start.String(), h.End.String()
		}
		v.Hours = append(v.Hours, row)
	}
	p := signedInPage(text(lang, "settings"), sess, v)
	if r.URL.Query().Get("done") == "hours" {
		p.Notice = text(lang, "done.hours")
	}
	s.render(w, r, "settings", http.StatusOK, p)
}

// setHours replaces the opening hours, and asks the planner to follow them at
// once: planned calls on a day now closed move, as a holiday's would.
func (s *Server) setHours(w http.ResponseWriter, r *http.Request, sess session) {
	lang := langOf(r)
	hours := map[time.Weekday]wellcheck.Window{}
	var problems wellcheck.Problems
	v := settingsView{}
	for _, d := range weekOrder {
		key := fmt.Sprintf("hours[%d]", d)
		row := hoursRow{Day: d, Name: wellcheck.WeekdayName(d).Text(lang), Open: r.PostFormValue(key+".open") == "yes",
			Opens: r.PostFormValue(key + ".opens"), Closes: r.PostFormValue(key + ".closes")}
		v.Hours = append(v.Hours, row)
		if !row.Open {
			continue
		}
		opens, err1 := wellcheck.ParseTimeOfDay(row.Opens)
		closes, err2 := wellcheck.ParseTimeOfDay(row.Closes)
		if err1 != nil || err2 != nil || opens >= closes {
			problems.Add(key, "window_invalid", row.Opens+"-"+row.Closes)
			continue
		}
		hours[d] = wellcheck.Window{Start: opens, End: closes}
	}
	if len(hours) == 0 && len(problems) == 0 {
		problems.Add("hours", "hours_none_open")
	}
	err := problems.Err()
	if err == nil {
		err = s.Store.WithTx(r.Context(), func(q *store.Queries) error {
			if err := q.SetOpeningHours(r.Context(), hours); err != nil {
				return err
			}
			if err := q.Audit(r.Context(), wellcheck.Actor{UserID: &sess.UserID, Label: "web"}, "settings.hours", nil, nil, nil); err != nil {
				return err
			}
			return s.Jobs.EnqueuePass(r.Context(), q)
		})
	}
	if err != nil {
		status := statusOf(err)
		if status == http.StatusInternalServerError {
			s.internal(w, r, err)
			return
		}
		p := signedInPage(text(lang, "settings"), sess, v)
		p.Error, p.Problems = problemsOf(err, lang)
		s.render(w, r, "settings", status, p)
		return
	}
	http.Redirect(w, r, "/admin/settings?done=hours", http.StatusSeeOther)
}
