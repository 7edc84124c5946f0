package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/phone"
	"github.com/wellcheck/wellcheck/store"
)

// caseView is what the case page shows.
type caseView struct {
	wellcheck.Case
	Person   wellcheck.Person
	Referral wellcheck.Referral
	Notes    string // what to know before calling
	Contacts []contactView
	// Phone is the person's number formatted; the link dials
	// Person.Phone.E164.
	Phone, LocalTime, PriorityText string
	Assignee                       string
	// AssigneeValue is the hand-on form's choice as the page opens: the
	// case's listener, so that sending it unchanged moves nothing.
	AssigneeValue string
	// Closed says how the case closed; nil while it is open.
	Closed                           *closedView
	CanClaim, CanRecord, CanReassign bool
	Closures                         []option
	Partners                         []partnerRow
	PartnerOptions, Assignees        []option
	Escalations                      []escalationView
	Timeline                         []event
}

// closedView is a closed case's closure, in words.
type closedView struct {
	When, By, Reason, Agreed string
}

// escalationView is an escalation as the case page shows it: how it stands,
// and each call to a contact.
type escalationView struct {
	Outcome, State, Started string
	Calls                   []contactCallView
}

type contactCallView struct {
	Who, When, Result string
}

// event is one line of a case's timeline.
type event struct {
	at         time.Time
	When, Text string
	Notes      []string
}

// contactView is an emergency contact: Phone is their number formatted, E164
// the number a link dials.
type contactView struct {
	FullName, Relation, Phone, E164 string
}

// contactsOf are a person's emergency contacts as the pages show them.
func contactsOf(e wellcheck.Enrolment, phones phone.Parser) []contactView {
	out := make([]contactView, len(e.Contacts))
	for i, c := range e.Contacts {
		out[i] = contactView{FullName: c.FullName, Relation: c.Relation, Phone: phones.Format(c.Phone), E164: c.Phone.E164()}
	}
	return out
}

type option struct{ Value, Text string }

type dated struct{ When, State string }

// caseOf reads the case a request names, if the user may see it: a listener
// their own and the shared pool's, coordinators and admins any. Another's case
// is "not found", as one that does not exist.
func (s *Server) caseOf(r *http.Request, sess session) (wellcheck.Case, error) {
	return loadPath(r, "not_found", func(ctx context.Context, id int64) (wellcheck.Case, error) {
		return s.Store.Queries().CaseFor(ctx, id, sess.User)
	})
}

// pathID reads the id a request's path names ({id}).
func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// loadPath reads what a request's path names with load: a malformed id, or
// nothing found, is a 404 in the words of missing.
func loadPath[T any](r *http.Request, missing string, load func(context.Context, int64) (T, error)) (T, error) {
	id, ok := pathID(r)
	if !ok {
		var none T
		return none, notFound(missing)
	}
	v, err := load(r.Context(), id)
	return v, notFoundAs(err, missing)
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, sess session) error {
	c, err := s.caseOf(r, sess)
	if err != nil {
		return err
	}
	return s.showCase(w, r, sess, c, http.StatusOK, nil)
}

// showCase renders a case's page, with the forms as typed, and writes the
// view to the audit log. A closed case reads as closed: how, when and by
// whom, and no form to act on it.
func (s *Server) showCase(w http.ResponseWriter, r *http.Request, sess session, c wellcheck.Case, status int, problem error) error {
	lang := langOf(r)
	q := s.Store.Queries()
	e, err := q.Enrolment(r.Context(), c.PersonID)
	if err != nil {
		return err
	}
	phones, err := s.phones(r)
	if err != nil {
		return err
	}
	loc := personZone(e.Person.TimeZone)
	open := c.State != wellcheck.CaseClosed
	v := caseView{Case: c, Person: e.Person, Referral: e.Referral, Notes: e.Notes, Phone: phones.Format(e.Person.Phone),
		LocalTime: dayAndClock(lang, s.now().In(loc)), PriorityText: text(lang, "priority."+string(c.Priority)),
		CanClaim: open && c.AssigneeID == nil && sess.User.Has(wellcheck.RoleListener), CanRecord: open}
	v.Contacts = contactsOf(e, phones)
	if !open {
		if v.Closed, err = s.closedView(r, c, loc); err != nil {
			return err
		}
	}
	for _, cr := range wellcheck.ClosureReasons {
		v.Closures = append(v.Closures, option{Value: string(cr), Text: text(lang, "closure."+string(cr))})
	}
	partners, err := q.PartnersFor(r.Context(), e.Person.Postcode, e.Person.City)
	if err != nil {
		return err
	}
	v.PartnerOptions = []option{{"", text(lang, "no_partner")}}
	for _, p := range partners {
		v.Partners = append(v.Partners, partnerRowOf(p, phones))
		v.PartnerOptions = append(v.PartnerOptions, option{strconv.FormatInt(p.ID, 10), p.Name})
	}
	staff := sess.User.Has(wellcheck.RoleCoordinator) || sess.User.Has(wellcheck.RoleAdmin)
	mine := c.AssigneeID != nil && *c.AssigneeID == sess.UserID
	v.CanReassign = open && (staff || mine)
	if v.CanReassign {
		listeners, err := q.Listeners(r.Context())
		if err != nil {
			return err
		}
		v.Assignees = []option{{"", text(lang, "pool")}}
		for _, l := range listeners {
			v.Assignees = append(v.Assignees, option{strconv.FormatInt(l.ID, 10), l.FullName + " — " + text(lang, "load", l.Pending, l.Capacity)})
		}
	}
	if c.AssigneeID != nil {
		u, err := q.User(r.Context(), *c.AssigneeID)
		if err != nil {
			return err
		}
		v.Assignee, v.AssigneeValue = u.FullName, strconv.FormatInt(u.ID, 10)
		if v.CanReassign && !slices.ContainsFunc(v.Assignees, func(o option) bool { return o.Value == v.AssigneeValue }) {
			v.Assignees = append(v.Assignees, option{v.AssigneeValue, u.FullName}) // no longer listening: named, not numbered
		}
	}
	if v.Escalations, err = s.escalations(r, c, loc); err != nil {
		return err
	}
	if v.Timeline, err = s.timeline(r, c, v.Closed, loc); err != nil {
		return err
	}
	if err := q.Audit(r.Context(), actorOf(sess), "case.view", &c.PersonID, &c.ID, nil); err != nil {
		return err
	}
	p := signedInPage(e.Person.FullName, sess, v)
	if problem != nil {
		p.refuse(r, problem) // the refused form comes back as it was sent
	}
	if r.URL.Query().Get("done") == "closed" && !open {
		p.Notice = text(lang, "done.case_closed")
	}
	return s.render(w, r, pageCase, status, p)
}

// closedView says how a closed case closed, in words.
func (s *Server) closedView(r *http.Request, c wellcheck.Case, loc *time.Location) (*closedView, error) {
	lang := langOf(r)
	v := &closedView{Reason: text(lang, "closure."+c.ClosureReason), Agreed: text(lang, "agreed.unknown"), By: "—"}
	if c.ClosedAt != nil {
		v.When = dayAndClock(lang, c.ClosedAt.In(loc))
	}
	if c.PersonAgreed != nil {
		v.Agreed = text(lang, "agreed."+strconv.FormatBool(*c.PersonAgreed))
	}
	if c.ClosedBy != nil {
		u, err := s.Store.Queries().User(r.Context(), *c.ClosedBy)
		if err != nil {
			return nil, err
		}
		v.By = u.FullName
	}
	return v, nil
}

// escalations are a case's calls to the person's emergency contacts, latest
// escalation first: how each stands, and whom it called, when, with what
// answer.
func (s *Server) escalations(r *http.Request, c wellcheck.Case, loc *time.Location) ([]escalationView, error) {
	lang := langOf(r)
	es, err := s.Store.Queries().CaseEscalations(r.Context(), c.ID)
	if err != nil {
		return nil, err
	}
	out := make([]escalationView, len(es))
	for i, e := range es {
		v := escalationView{Outcome: string(cmp.Or(e.Outcome, "running")), State: escalationLine(lang, e, loc, time.Time{}),
			Started: text(lang, "esc_started", dayAndClock(lang, e.StartedAt.In(loc)))}
		for _, k := range e.Calls {
			result := text(lang, "outcome."+string(k.Outcome))
			if k.Outcome == wellcheck.OutcomeOK || k.Outcome == wellcheck.OutcomeHelpRequested {
				result = text(lang, "esc_call."+string(k.Outcome)) // what a contact's keys mean
			}
			if k.Attempt > 1 {
				result = text(lang, "attempt", k.Attempt, result)
			}
			v.Calls = append(v.Calls, contactCallView{Who: contactName(lang, k.FullName, k.Relation, k.Position),
				When: dayAndClock(lang, k.StartedAt.In(loc)), Result: result})
		}
		out[i] = v
	}
	return out, nil
}

// escalationLine says in a line how an escalation stands: who will go and
// see the person, or why nobody will, and since when. The time is a clock on
// today (today, in loc), else with its day; with a zero today, always with
// its day.
func escalationLine(lang wellcheck.Lang, e store.CaseEscalation, loc *time.Location, today time.Time) string {
	at := e.StartedAt
	if e.EndedAt != nil {
		at = *e.EndedAt
	}
	at = at.In(loc)
	when := dayAndClock(lang, at)
	if !today.IsZero() {
		if y, m, d := today.In(loc).Date(); at.Year() == y && at.Month() == m && at.Day() == d {
			when = clock(lang, at)
		}
	}
	switch e.Outcome {
	case "":
		return text(lang, "esc_line.running", when)
	case wellcheck.EscalationAcknowledged:
		who := text(lang, "a_contact")
		if e.AcknowledgedName != "" {
			who = contactName(lang, e.AcknowledgedName, e.AcknowledgedRelation, 0)
		}
		return text(lang, "esc_line.acknowledged", who, when)
	}
	return text(lang, "esc_line."+string(e.Outcome), when)
}

// contactName is an emergency contact as the pages name them: "Alain Roux
// (fils)"; one removed since by their place in the list.
func contactName(lang wellcheck.Lang, name, relation string, position int) string {
	switch {
	case name == "" && position > 0:
		return text(lang, "contact_no", position)
	case name == "":
		return text(lang, "a_contact")
	case relation == "":
		return name
	}
	return name + " (" + relation + ")"
}

// timeline is a case's history, latest first: its closure, the person's last
// check-ins with each call's outcome, and the case's follow-ups with their
// notes.
func (s *Server) timeline(r *http.Request, c wellcheck.Case, closed *closedView, loc *time.Location) ([]event, error) {
	lang := langOf(r)
	q := s.Store.Queries()
	var events []event
	if closed != nil && c.ClosedAt != nil {
		// First, so that it stays above what was recorded with it.
		events = append(events, event{at: *c.ClosedAt, When: closed.When, Text: text(lang, "closed_event", closed.By, closed.Reason, closed.Agreed)})
	}
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
	for i, shown := len(checkIns)-1, 0; i >= 0 && shown < maxTimelineCheckIns; i-- {
		ci := checkIns[i]
		if !ci.State.Final() || ci.State == wellcheck.CheckInCancelled {
			continue
		}
		if c.ClosedAt != nil && ci.SlotAt.After(*c.ClosedAt) {
			continue // a closed case's story ends with it: what came after is another case's
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

func (s *Server) claim(w http.ResponseWriter, r *http.Request, sess session) error {
	c, err := s.caseOf(r, sess)
	if err != nil {
		return err
	}
	if _, err := s.Cases.Claim(r.Context(), sess.User, c.ID); err != nil {
		return s.refused(w, r, sess, c, err)
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	return nil
}

// recordFollowUp records a listener's follow-up from the case page's form.
func (s *Server) recordFollowUp(w http.ResponseWriter, r *http.Request, sess session) error {
	c, err := s.caseOf(r, sess)
	if err != nil {
		return err
	}
	rec := care.FollowUpRecord{
		Reached:                 r.PostFormValue("reached") == "yes",
		Note:                    r.PostFormValue("note"),
		EmergencyServicesCalled: r.PostFormValue("emergency_services") == "yes",
	}
	if reason := r.PostFormValue("close"); reason != "" {
		rec.Close = &care.Closure{Reason: wellcheck.ClosureReason(reason), PersonAgreed: r.PostFormValue("agreed") == "yes"}
	}
	if partner := r.PostFormValue("partner"); partner != "" {
		id, err := strconv.ParseInt(partner, 10, 64)
		if err != nil {
			return s.refused(w, r, sess, c, wellcheck.Problems{{Field: "partner", Message: wellcheck.Message{Key: "partner_unknown"}}}.Err())
		}
		rec.PartnerID = &id
	}
	if next := strings.TrimSpace(r.PostFormValue("next")); next != "" {
		person, err := s.Store.Queries().PersonForCase(r.Context(), c.PersonID)
		if err != nil {
			return err
		}
		t, err := time.ParseInLocation("2006-01-02T15:04", next, personZone(person.TimeZone))
		if err != nil {
			return s.refused(w, r, sess, c, wellcheck.Problems{{Field: "next", Message: wellcheck.Message{Key: "date_invalid", Args: []any{next}}}}.Err())
		}
		rec.Next = &t
	}
	if _, err := s.Cases.Record(r.Context(), sess.User, c.ID, rec); err != nil {
		return s.refused(w, r, sess, c, err)
	}
	if rec.Close != nil {
		s.afterCase(w, r, sess, c, "closed")
		return nil
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// refused shows the case page again with what was wrong and the refused
// form as it was sent, keeping the status a form's author can act on. The
// case is read again: a refusal may be that it changed meanwhile (closed,
// taken).
func (s *Server) refused(w http.ResponseWriter, r *http.Request, sess session, c wellcheck.Case, err error) error {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		s.Logger.ErrorContext(r.Context(), "case action failed", "case_id", c.ID, "err", err)
	}
	now, readErr := s.Store.Queries().CaseFor(r.Context(), c.ID, sess.User)
	switch {
	case errors.Is(readErr, wellcheck.ErrNotFound):
		// Closed or taken meanwhile by someone else: no longer theirs to read.
		return notFound("not_found")
	case readErr != nil:
		return readErr
	}
	return s.showCase(w, r, sess, now, status, err)
}

// reassign hands a case to a listener, or to the shared pool.
func (s *Server) reassign(w http.ResponseWriter, r *http.Request, sess session) error {
	c, err := s.caseOf(r, sess)
	if err != nil {
		return err
	}
	var to *int64
	if v := r.PostFormValue("assignee"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s.refused(w, r, sess, c, wellcheck.Problems{{Field: "assignee", Message: wellcheck.Message{Key: "referent_unknown", Args: []any{v}}}}.Err())
		}
		to = &id
	}
	if _, err := s.Cases.Reassign(r.Context(), sess.User, c.ID, to); err != nil {
		return s.refused(w, r, sess, c, err)
	}
	s.afterCase(w, r, sess, c, "")
	return nil
}

// closeCase closes a case with its reason and whether the person agreed.
func (s *Server) closeCase(w http.ResponseWriter, r *http.Request, sess session) error {
	c, err := s.caseOf(r, sess)
	if err != nil {
		return err
	}
	cl := care.Closure{Reason: wellcheck.ClosureReason(r.PostFormValue("close.reason")), PersonAgreed: r.PostFormValue("agreed") == "yes"}
	if _, err := s.Cases.Close(r.Context(), sess.User, c.ID, cl); err != nil {
		return s.refused(w, r, sess, c, err)
	}
	s.afterCase(w, r, sess, c, "closed")
	return nil
}

// afterCase sends a listener back to their list and coordinators back to the
// case, saying what was done (done, a "done." text; "" says nothing).
func (s *Server) afterCase(w http.ResponseWriter, r *http.Request, sess session, c wellcheck.Case, done string) {
	query := ""
	if done != "" {
		query = "?done=" + done
	}
	if sess.User.Has(wellcheck.RoleCoordinator) || sess.User.Has(wellcheck.RoleAdmin) {
		http.Redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10)+query, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/"+query, http.StatusSeeOther)
}

// presence switches a listener between available and away for their shift.
func (s *Server) presence(w http.ResponseWriter, r *http.Request, sess session) error {
	present := r.PostFormValue("present") == "yes"
	err := s.Store.WithTx(r.Context(), func(q *store.Queries) error {
		if err := q.SetPresent(r.Context(), sess.UserID, present); err != nil {
			return err
		}
		return q.Audit(r.Context(), actorOf(sess), "user.presence", nil, nil, map[string]any{"present": present})
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
