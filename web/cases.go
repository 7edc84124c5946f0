package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/phone"
	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/workers"
)

// caseView is what the case page shows.
type caseView struct {
	wellcheck.Case
	Person                         wellcheck.Person
	Referral                       wellcheck.Referral
	Notes                          string // what to know before calling
	Contacts                       []contactView
	Phone, LocalTime, PriorityText string
	Assignee                       string
	CanClaim, CanReassign          bool
	Closures                       []option
	Partners                       []partnerRow
	PartnerOptions, Assignees      []option
	Timeline                       []event
}

// event is one line of a case's timeline.
type event struct {
	at         time.Time
	When, Text string
	Notes      []string
}

type contactView struct {
	FullName, Relation, Phone string
}

// contactsOf are a person's emergency contacts as the pages show them.
func contactsOf(e wellcheck.Enrolment, phones phone.Parser) []contactView {
	out := make([]contactView, len(e.Contacts))
	for i, c := range e.Contacts {
		out[i] = contactView{FullName: c.FullName, Relation: c.Relation, Phone: phones.Format(c.Phone)}
	}
	return out
}

type option struct{ Value, Text string }

type dated struct{ When, State string }

// caseOf reads the case a request names, if the user may see it: a listener
// their own and the shared pool's, coordinators and admins any. Another's case
// is "not found", as one that does not exist.
func (s *Server) caseOf(w http.ResponseWriter, r *http.Request, sess session) (wellcheck.Case, bool) {
	return loadPath(s, w, r, "not_found", func(ctx context.Context, id int64) (wellcheck.Case, error) {
		return s.Store.Queries().CaseFor(ctx, id, sess.User)
	})
}

// pathID reads the id a request's path names ({id}).
func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// loadPath reads what a request's path names with load: a malformed id, or
// nothing found, answers 404 with the words of notFound; another error 500.
func loadPath[T any](s *Server, w http.ResponseWriter, r *http.Request, notFound string, load func(context.Context, int64) (T, error)) (T, bool) {
	var v T
	id, ok := pathID(r)
	if ok {
		var err error
		v, err = load(r.Context(), id)
		if err == nil {
			return v, true
		}
		if !errors.Is(err, wellcheck.ErrNotFound) {
			s.internal(w, r, err)
			return v, false
		}
	}
	http.Error(w, text(langOf(r), notFound), http.StatusNotFound)
	return v, false
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, sess session) {
	c, ok := s.caseOf(w, r, sess)
	if !ok {
		return
	}
	s.showCase(w, r, sess, c, http.StatusOK, nil)
}

// showCase renders a case's page, and writes the view to the audit log.
func (s *Server) showCase(w http.ResponseWriter, r *http.Request, sess session, c wellcheck.Case, status int, problem error) {
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
	v := caseView{Case: c, Person: e.Person, Referral: e.Referral, Notes: e.Notes, Phone: phones.Format(e.Person.Phone),
		LocalTime: dayAndClock(lang, s.now().In(loc)), PriorityText: text(lang, "priority."+string(c.Priority)),
		CanClaim: c.AssigneeID == nil && sess.User.Has(wellcheck.RoleListener)}
	v.Contacts = contactsOf(e, phones)
	for _, cr := range wellcheck.ClosureReasons {
		v.Closures = append(v.Closures, option{Value: string(cr), Text: text(lang, "closure."+string(cr))})
	}
	partners, err := q.PartnersFor(r.Context(), e.Person.Postcode, e.Person.City)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v.PartnerOptions = []option{{"", text(lang, "no_partner")}}
	for _, p := range partners {
		v.Partners = append(v.Partners, partnerRowOf(p, phones))
		v.PartnerOptions = append(v.PartnerOptions, option{strconv.FormatInt(p.ID, 10), p.Name})
	}
	staff := sess.User.Has(wellcheck.RoleCoordinator) || sess.User.Has(wellcheck.RoleAdmin)
	mine := c.AssigneeID != nil && *c.AssigneeID == sess.UserID
	v.CanReassign = c.State != wellcheck.CaseClosed && (staff || mine)
	if v.CanReassign {
		listeners, err := q.Listeners(r.Context())
		if err != nil {
			s.internal(w, r, err)
			return
		}
		v.Assignees = []option{{"", text(lang, "pool")}}
		for _, l := range listeners {
			v.Assignees = append(v.Assignees, option{strconv.FormatInt(l.ID, 10), l.FullName + " — " + text(lang, "load", l.Pending, l.Capacity)})
		}
	}
	if c.AssigneeID != nil {
		u, err := q.User(r.Context(), *c.AssigneeID)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		v.Assignee = u.FullName
	}
	if v.Timeline, err = s.timeline(r, c, loc); err != nil {
		s.internal(w, r, err)
		return
	}
	if err := q.Audit(r.Context(), wellcheck.Actor{UserID: &sess.UserID, Label: "web"}, "case.view", &c.PersonID, &c.ID, nil); err != nil {
		s.internal(w, r, err)
		return
	}
	p := signedInPage(e.Person.FullName, sess, v)
	if problem != nil {
		p.Error, p.Problems = problemsOf(problem, lang)
	}
	s.render(w, r, "case", status, p)
}

// timeline is a case's history, latest first: the person's last check-ins
// with each call's outcome, and the case's follow-ups with their notes.
func (s *Server) timeline(r *http.Request, c wellcheck.Case, loc *time.Location) ([]event, error) {
	lang := langOf(r)
	q := s.Store.Queries()
	checkIns, err := q.CheckInsForPerson(r.Context(), c.PersonID)
	if err != nil {
		return nil, err
	}
	attempts, err := q.AttemptsForPerson(r.Context(), c.PersonID)
	if err != nil {
		return nil, err
	}
	byCheckIn := map[int64][]string{}
	for _, a := range attempts {
		byCheckIn[a.CheckInID] = append(byCheckIn[a.CheckInID], text(lang, "attempt", a.Number, text(lang, "outcome."+string(a.Outcome))))
	}
	var events []event
	for i, shown := len(checkIns)-1, 0; i >= 0 && shown < maxTimelineCheckIns; i-- {
		ci := checkIns[i]
		if !ci.State.Final() || ci.State == wellcheck.CheckInCancelled {
			continue
		}
		shown++
		t := text(lang, "state."+string(ci.State))
		if calls := byCheckIn[ci.ID]; len(calls) > 0 {
			t += " (" + strings.Join(calls, ", ") + ")"
		}
		events = append(events, event{at: ci.SlotAt, When: dayAndClock(lang, ci.SlotAt.In(loc)), Text: t})
	}
	notes, err := q.CaseNotes(r.Context(), c.ID)
	if err != nil {
		return nil, err
	}
	noted := map[int64][]string{}
	for _, n := range notes {
		if n.FollowUpID != nil {
			noted[*n.FollowUpID] = append(noted[*n.FollowUpID], n.Body)
		} else {
			events = append(events, event{at: n.CreatedAt, When: dayAndClock(lang, n.CreatedAt.In(loc)), Notes: []string{n.Body}})
		}
	}
	followUps, err := q.CaseFollowUps(r.Context(), c.ID)
	if err != nil {
		return nil, err
	}
	for _, f := range followUps {
		switch {
		case f.DoneAt != nil:
			what := []string{text(lang, "reached."+strconv.FormatBool(f.Reached != nil && *f.Reached))}
			if f.PartnerName != "" {
				what = append(what, text(lang, "oriented_to")+" "+f.PartnerName)
			}
			if f.EmergencyServicesCalled {
				what = append(what, text(lang, "emergency_was_called"))
			}
			events = append(events, event{at: *f.DoneAt, When: dayAndClock(lang, f.DoneAt.In(loc)),
				Text: text(lang, "followup_done", f.DoneBy, strings.Join(what, ", ")), Notes: noted[f.ID]})
		case f.State == "pending" || f.State == "scheduled":
			events = append(events, event{at: f.DueAt, When: dayAndClock(lang, f.DueAt.In(loc)),
				Text: text(lang, "followup_due", text(lang, "reason."+string(f.Reason)))})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int { return b.at.Compare(a.at) })
	return events, nil
}

// maxTimelineCheckIns is how many past check-ins a case's timeline shows.
const maxTimelineCheckIns = 20

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
	if partner := r.PostFormValue("partner"); partner != "" {
		id, err := strconv.ParseInt(partner, 10, 64)
		if err != nil {
			s.refused(w, r, sess, c, wellcheck.Problems{{Field: "partner", Message: wellcheck.Message{Key: "partner_unknown"}}}.Err())
			return
		}
		rec.PartnerID = &id
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
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		s.Logger.ErrorContext(r.Context(), "case action failed", "case_id", c.ID, "err", err)
	}
	s.showCase(w, r, sess, c, status, err)
}

// reassign hands a case to a listener, or to the shared pool.
func (s *Server) reassign(w http.ResponseWriter, r *http.Request, sess session) {
	c, ok := s.caseOf(w, r, sess)
	if !ok {
		return
	}
	var to *int64
	if v := r.PostFormValue("assignee"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.refused(w, r, sess, c, wellcheck.Problems{{Field: "assignee", Message: wellcheck.Message{Key: "referent_unknown", Args: []any{v}}}}.Err())
			return
		}
		to = &id
	}
	if _, err := s.Cases.Reassign(r.Context(), sess.User, c.ID, to); err != nil {
		s.refused(w, r, sess, c, err)
		return
	}
	s.afterCase(w, r, sess, c)
}

// closeCase closes a case with its reason and whether the person agreed.
func (s *Server) closeCase(w http.ResponseWriter, r *http.Request, sess session) {
	c, ok := s.caseOf(w, r, sess)
	if !ok {
		return
	}
	cl := workers.Closure{Reason: wellcheck.ClosureReason(r.PostFormValue("close.reason")), PersonAgreed: r.PostFormValue("agreed") == "yes"}
	if _, err := s.Cases.Close(r.Context(), sess.User, c.ID, cl); err != nil {
		s.refused(w, r, sess, c, err)
		return
	}
	s.afterCase(w, r, sess, c)
}

// afterCase sends a listener back to their list and coordinators back to the
// case.
func (s *Server) afterCase(w http.ResponseWriter, r *http.Request, sess session, c wellcheck.Case) {
	if sess.User.Has(wellcheck.RoleCoordinator) || sess.User.Has(wellcheck.RoleAdmin) {
		http.Redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// presence switches a listener between available and away for their shift.
func (s *Server) presence(w http.ResponseWriter, r *http.Request, sess session) {
	present := r.PostFormValue("present") == "yes"
	err := s.Store.WithTx(r.Context(), func(q *store.Queries) error {
		if err := q.SetPresent(r.Context(), sess.UserID, present); err != nil {
			return err
		}
		return q.Audit(r.Context(), wellcheck.Actor{UserID: &sess.UserID, Label: "web"}, "user.presence", nil, nil, map[string]any{"present": present})
	})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
