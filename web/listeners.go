package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/store"
)

// listenersView is the listeners' list, or one listener's profile form.
type listenersView struct {
	Listeners []listenerLoad
	Pool      int
	Edit      listenerForm
}

// listenerForm is a listener's profile as typed.
type listenerForm struct {
	ID                int64
	Name, Email       string
	Languages, Skills string
	Capacity          string
	Pending           int
	Shifts            week
}

// listeners lists the active listeners with their load, and how many cases
// wait in the shared pool.
func (s *Server) listeners(w http.ResponseWriter, r *http.Request, sess session) error {
	lang := langOf(r)
	q := s.Store.Queries()
	ls, err := q.Listeners(r.Context())
	if err != nil {
		return err
	}
	counts, err := q.OpenCases(r.Context())
	if err != nil {
		return err
	}
	v := listenersView{Pool: counts.Pool}
	for _, l := range ls {
		v.Listeners = append(v.Listeners, loadOf(l, lang))
	}
	return s.render(w, r, pageListeners, http.StatusOK, signedInPage(text(lang, "listeners"), sess, v))
}

// listenerPage is a listener's profile: languages, skills, capacity, shifts.
func (s *Server) listenerPage(w http.ResponseWriter, r *http.Request, sess session) error {
	l, err := loadPath(r, "not_found_page", s.Store.Queries().Listener)
	if err != nil {
		return err
	}
	lang := langOf(r)
	p := signedInPage(l.FullName, sess, listenersView{Edit: listenerFormOf(l, lang)})
	if r.URL.Query().Get("done") == "saved" {
		p.Notice = text(lang, "done.listener")
	}
	return s.render(w, r, pageListener, http.StatusOK, p)
}

// listenerFormOf is a listener's profile as its form shows it.
func listenerFormOf(l store.Listener, lang wellcheck.Lang) listenerForm {
	shifts := map[time.Weekday]wellcheck.Window{}
	for _, sh := range l.Shifts {
		shifts[sh.Weekday] = sh.Window
	}
	return listenerForm{ID: l.ID, Name: l.FullName, Email: l.Email, Languages: strings.Join(l.Languages, ", "), Skills: strings.Join(l.Skills, ", "),
		Capacity: strconv.Itoa(l.Capacity), Pending: l.Pending, Shifts: weekOf("shifts", shifts, lang)}
}

// saveListener changes a listener's profile. Assignment reads it at once:
// languages and skills match persons to listeners, capacity bounds their
// list, shifts say when they take cases.
func (s *Server) saveListener(w http.ResponseWriter, r *http.Request, sess session) error {
	l, err := loadPath(r, "not_found_page", s.Store.Queries().Listener)
	if err != nil {
		return err
	}
	stored := listenerFormOf(l, langOf(r)) // a refused form shows again over it, as sent
	err = s.Admin.SaveListener(r.Context(), actorOf(sess), l.ID, admin.ListenerInput{
		Languages: r.PostFormValue("listener.languages"), Skills: r.PostFormValue("listener.skills"),
		Capacity: r.PostFormValue("listener.capacity"), Shifts: readWeek(r, "shifts"),
	})
	if err != nil {
		status := statusOf(err)
		if status == http.StatusInternalServerError {
			return err
		}
		p := signedInPage(l.FullName, sess, listenersView{Edit: stored})
		p.refuse(r, err)
		return s.render(w, r, pageListener, status, p)
	}
	http.Redirect(w, r, "/listeners/"+strconv.FormatInt(l.ID, 10)+"?done=saved", http.StatusSeeOther)
	return nil
}
