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
	Hours week
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

// weekOrder is the week as the service lives it, Monday first.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// weekOf shows hours in a week form called name.
func weekOf(name string, hours map[time.Weekday]wellcheck.Window, lang wellcheck.Lang) week {
	w := week{Name: name}
	for _, d := range weekOrder {
		row := weekDay{Day: d, Key: fmt.Sprintf("%s[%d]", name, d), Name: wellcheck.WeekdayName(d).Text(lang)}
		if h, ok := hours[d]; ok {
			row.Open, row.Opens, row.Closes = true, h.Start.String(), h.End.String()
		}
		w.Days = append(w.Days, row)
	}
	return w
}

// readWeek reads the week form called name: the form as typed (to show it
// again), the hours, and what is wrong with them, by row.
func readWeek(r *http.Request, name string, lang wellcheck.Lang) (week, map[time.Weekday]wellcheck.Window, wellcheck.Problems) {
	w := week{Name: name}
	hours := map[time.Weekday]wellcheck.Window{}
	var problems wellcheck.Problems
	for _, d := range weekOrder {
		key := fmt.Sprintf("%s[%d]", name, d)
		row := weekDay{Day: d, Key: key, Name: wellcheck.WeekdayName(d).Text(lang), Open: r.PostFormValue(key+".open") == "yes",
			Opens: r.PostFormValue(key + ".opens"), Closes: r.PostFormValue(key + ".closes")}
		w.Days = append(w.Days, row)
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
	return w, hours, problems
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, sess session) {
	settings, err := s.Store.Queries().Settings(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	lang := langOf(r)
	v := settingsView{Hours: weekOf("hours", settings.Hours, lang)}
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
	form, hours, problems := readWeek(r, "hours", lang)
	v := settingsView{Hours: form}
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
