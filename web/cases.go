package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/workers"
)

// caseView is what the case page shows.
type caseView struct {
	wellcheck.Case
	Person                         wellcheck.Person
	Referral                       wellcheck.Referral
	Contacts                       []contactView
	Phone, LocalTime, PriorityText string
	CanClaim                       bool
	Closures                       []option
	Notes                          []dated
	CheckIns                       []dated
}

type contactView struct {
	FullName, Relation, Phone string
}

type option struct{ Value, Text string }

type dated struct{ When, Body, State string }

// caseOf reads the case a request names, if the user may see it: a listener
// their own and the shared pool's, coordinators and admins any. Another's case
// is "not found", as one that does not exist.
func (s *Server) caseOf(w http.ResponseWriter, r *http.Request, sess session) (wellcheck.Case, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		var c wellcheck.Case
		if c, err = s.Store.Queries().CaseFor(r.Context(), id, sess.User); err == nil {
			return c, true
		}
	}
	if err != nil && !errors.Is(err, wellcheck.ErrNotFound) && !errors.Is(err, strconv.ErrSyntax) && !errors.Is(err, strconv.ErrRange) {
		s.internal(w, r, err)
		return wellcheck.Case{}, false
	}
	http.Error(w, text(langOf(r), "not_found"), http.StatusNotFound)
	return wellcheck.Case{}, false
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, sess session) {
	c, ok := s.caseOf(w, r, sess)
	if !ok {
		return
	}
	s.showCase(w, r, sess, c, http.StatusOK, "")
}

// showCase renders a case's page, and writes the view to the audit log.
func (s *Server) showCase(w http.ResponseWriter, r *http.Request, sess session, c wellcheck.Case, status int, problem string) {
	lang := langOf(r)
	q := s.Store.Queries()
	e, err := q.Enrolment(r.Context(), c.PersonID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	phones, err := s.phones(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	loc := personZone(e.Person.TimeZone)
	v := caseView{Case: c, Person: e.Person, Referral: e.Referral, Phone: phones.Format(e.Person.Phone),
		LocalTime: dayAndClock(lang, s.now().In(loc)), PriorityText: text(lang, "priority."+string(c.Priority)),
		CanClaim: c.AssigneeID == nil && sess.User.Has(wellcheck.RoleListener)}
	for _, ec := range e.Contacts {
		v.Contacts = append(v.Contacts, contactView{FullName: ec.FullName, Relation: ec.Relation, Phone: phones.Format(ec.Phone)})
	}
	for _, cr := range wellcheck.ClosureReasons {
		v.Closures = append(v.Closures, option{Value: string(cr), Text: text(lang, "closure."+string(cr))})
	}
	notes, err := q.CaseNotes(r.Context(), c.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	for _, n := range notes {
		v.Notes = append(v.Notes, dated{When: dayAndClock(lang, n.CreatedAt.In(loc)), Body: n.Body})
	}
	checkIns, err := q.CheckInsForPerson(r.Context(), c.PersonID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	for i := len(checkIns) - 1; i >= 0 && len(v.CheckIns) < 20; i-- {
		ci := checkIns[i]
		if ci.State.Final() {
			v.CheckIns = append(v.CheckIns, dated{When: dayAndClock(lang, ci.SlotAt.In(loc)), State: string(ci.State)})
		}
	}
	if err := q.Audit(r.Context(), wellcheck.Actor{UserID: &sess.UserID, Label: "web"}, "case.view", &c.PersonID, &c.ID, nil); err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, "case", status, page{Title: e.Person.FullName, User: &sess.User, CSRF: sess.CSRFToken, Case: &v, Error: problem})
}

func (s *Server) claim(w http.ResponseWriter, r *http.Request, sess session) {
	c, ok := s.caseOf(w, r, sess)
	if !ok {
		return
	}
	if _, err := s.Cases.Claim(r.Context(), sess.User, c.ID); err != nil {
		s.refused(w, r, sess, c, err)
		return
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// recordFollowUp records a listener's follow-up from the case page's form.
func (s *Server) recordFollowUp(w http.ResponseWriter, r *http.Request, sess session) {
	c, ok := s.caseOf(w, r, sess)
	if !ok {
		return
	}
	rec := workers.FollowUpRecord{
		Reached:                 r.PostFormValue("reached") == "yes",
		Note:                    r.PostFormValue("note"),
		EmergencyServicesCalled: r.PostFormValue("emergency_services") == "yes",
	}
	if reason := r.PostFormValue("close"); reason != "" {
		rec.Close = &workers.Closure{Reason: wellcheck.ClosureReason(reason), PersonAgreed: r.PostFormValue("agreed") == "yes"}
	}
	if next := strings.TrimSpace(r.PostFormValue("next")); next != "" {
		person, err := s.Store.Queries().PersonForCase(r.Context(), c.PersonID)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		t, err := time.ParseInLocation("2006-01-02T15:04", next, personZone(person.TimeZone))
		if err != nil {
			s.refused(w, r, sess, c, wellcheck.Problems{{Field: "next", Message: wellcheck.Message{Key: "date_invalid", Args: []any{next}}}}.Err())
			return
		}
		rec.Next = &t
	}
	if _, err := s.Cases.Record(r.Context(), sess.User, c.ID, rec); err != nil {
		s.refused(w, r, sess, c, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// refused shows the case page again with what was wrong, keeping the status a
// form's author can act on.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, sess session, c wellcheck.Case, err error) {
	status := http.StatusInternalServerError
	switch wellcheck.ErrorCode(err) {
	case wellcheck.EInvalid:
		status = http.StatusUnprocessableEntity
	case wellcheck.EConflict:
		status = http.StatusConflict
	case wellcheck.EForbidden:
		status = http.StatusForbidden
	case wellcheck.ENotFound:
		status = http.StatusNotFound
	default:
		s.Logger.ErrorContext(r.Context(), "case action failed", "case_id", c.ID, "err", err)
	}
	s.showCase(w, r, sess, c, status, wellcheck.ErrorText(err, langOf(r)))
}
