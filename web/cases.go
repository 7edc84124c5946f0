package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
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
	// Language is the person's language in words; Why says why they are
	// to be called now, in lines, times in their zone.
	Language, Assignee string
	Why                []string
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
	// Calls are the case's calls from the browser phone, newest first.
	Calls []callView
	// ReachedBy, when set, is the time of the user's own call today that
	// reached the person: the record form ticks "reached" for it.
	ReachedBy string
	Timeline  []event
}

// callView is a call of the browser phone as the case page lists it: when
// (in the person's zone), which way, the listener, and how long they spoke
// (Length, m:ss; Duration the same in ISO 8601 for <time datetime>) or, in
// words, why they did not (Words; also a call cut off, or in progress).
type callView struct {
	When, Direction, Who, Length, Duration, Words string
	Reached                                       bool
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
	v.Language = spokenLanguage(lang, e.Person.Language)
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
	es, err := q.CaseEscalations(r.Context(), c.ID)
	if err != nil {
		return err
	}
	v.Escalations = escalationViews(lang, es, loc)
	calls, err := s.Cases.Calls(r.Context(), c.ID)
	if err != nil {
		return err
	}
	v.Calls = callViews(lang, calls, loc)
	if last, ok := wellcheck.LastCallToday(calls, sess.UserID, s.now(), loc); ok && open && last.Reached() {
		v.ReachedBy = clock(lang, last.StartedAt.In(loc))
	}
	h, err := s.history(r, c)
	if err != nil {
		return err
	}
	if open {
		v.Why = why(lang, c, e.Referral, h, loc, s.now())
	}
	v.Timeline = timeline(lang, c, v.Closed, h, loc)
	if err := q.Audit(r.Context(), actorOf(sess), "case.view", &c.PersonID, &c.ID, nil); err != nil {
		return err
	}
	p := signedInPage(e.Person.FullName, sess, v)
	if problem != nil {
		p.refuse(r, problem) // the refused form comes back as it was sent
	}
	switch done := r.URL.Query().Get("done"); {
	case done == "closed" && !open:
		p.Notice = text(lang, "done.case_closed")
	case done == "recorded" && open:
		p.Notice = text(lang, "done.follow_up")
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

// escalationViews are a case's calls to the person's emergency contacts,
// latest escalation first: how each stands, and whom it called, when, with
// what answer.
func escalationViews(lang wellcheck.Lang, es []store.CaseEscalation, loc *time.Location) []escalationView {
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
	return out
}

// callViews are a case's calls of the browser phone as its page lists them.
func callViews(lang wellcheck.Lang, calls []wellcheck.CaseCall, loc *time.Location) []callView {
	out := make([]callView, len(calls))
	for i, c := range calls {
		v := callView{When: dayAndClock(lang, c.StartedAt.In(loc)), Direction: text(lang, "call_dir."+string(c.Direction)),
			Who: cmp.Or(c.UserName, "—"), Reached: c.Reached()}
		switch {
		case c.InProgress():
			v.Words = text(lang, "call_result.in_progress")
		case c.Reached():
			d := c.Duration().Round(time.Second)
			v.Length, v.Duration = minutesSeconds(d), fmt.Sprintf("PT%dM%dS", int(d/time.Minute), int(d%time.Minute/time.Second))
			if c.Outcome == wellcheck.CallFailed {
				v.Words = text(lang, "call_result.cut_off")
			}
		default:
			v.Words = text(lang, "call_result."+string(c.Outcome))
		}
		out[i] = v
	}
	return out
}

// minutesSeconds writes a call's length as m:ss ("3:05"), hours in minutes.
func minutesSeconds(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
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

// caseHistory is what a case's page tells of its past: the person's
// check-ins with their calls, and the case's notes and follow-ups.
type caseHistory struct {
	checkIns  []store.CheckInRow
	attempts  []wellcheck.Attempt
	notes     []store.Note
	followUps []store.CaseFollowUp
}

// history reads a case's history.
func (s *Server) history(r *http.Request, c wellcheck.Case) (caseHistory, error) {
	q := s.Store.Queries()
	var h caseHistory
	var err error
	if h.checkIns, err = q.CheckInsForPerson(r.Context(), c.PersonID); err != nil {
		return h, err
	}
	if h.attempts, err = q.AttemptsForPerson(r.Context(), c.PersonID); err != nil {
		return h, err
	}
	if h.notes, err = q.CaseNotes(r.Context(), c.ID); err != nil {
		return h, err
	}
	h.followUps, err = q.CaseFollowUps(r.Context(), c.ID)
	return h, err
}

// why says, in lines, why an open case's person is to be called now: what
// put the case's follow-up on a list — a key pressed, calls unanswered, a
// referral's concern, a call back planned — with its time in the person's
// zone. How an escalation to their contacts stands is said once, with the
// contacts, where a listener looks for it.
func why(lang wellcheck.Lang, c wellcheck.Case, ref wellcheck.Referral, h caseHistory, loc *time.Location, now time.Time) []string {
	at := func(t time.Time) string { return when(lang, t, loc, now) }
	i := slices.IndexFunc(h.followUps, func(f store.CaseFollowUp) bool { return f.State == "pending" || f.State == "scheduled" })
	reason := wellcheck.FollowUpReason(c.OpenedReason)
	var checkInID *int64
	due := c.DueAt
	if i >= 0 {
		reason, checkInID, due = h.followUps[i].Reason, h.followUps[i].CheckInID, h.followUps[i].DueAt
	}
	// The check-in behind it: the one named, else the latest in that state.
	checkIn := func(state wellcheck.CheckInState) (store.CheckInRow, bool) {
		for j := len(h.checkIns) - 1; j >= 0; j-- {
			ci := h.checkIns[j]
			if checkInID != nil && ci.ID == *checkInID || checkInID == nil && ci.State == state {
				return ci, true
			}
		}
		return store.CheckInRow{}, false
	}
	line := text(lang, "reason."+string(reason))
	switch reason {
	case wellcheck.FollowUpFlagged:
		if ci, ok := checkIn(wellcheck.CheckInFlagged); ok {
			for _, a := range h.attempts {
				if a.CheckInID == ci.ID && a.Outcome == wellcheck.OutcomeHelpRequested {
					line = text(lang, "why.flagged", at(*cmp.Or(a.EndedAt, &a.StartedAt)))
				}
			}
		}
	case wellcheck.FollowUpUnreached:
		if ci, ok := checkIn(wellcheck.CheckInUnreached); ok {
			tries := 0
			for _, a := range h.attempts {
				if a.CheckInID == ci.ID {
					tries++
				}
			}
			line = text(lang, "why.unreached", at(ci.SlotAt), tries)
		}
	case wellcheck.FollowUpUnreachedRepeatedly:
		n, last := 0, time.Time{}
		for j := len(h.checkIns) - 1; j >= 0; j-- {
			ci := h.checkIns[j]
			if !ci.State.Final() || ci.State == wellcheck.CheckInCancelled {
				continue
			}
			if ci.State != wellcheck.CheckInUnreached {
				break
			}
			if n == 0 {
				last = ci.SlotAt
			}
			n++
		}
		if n > 1 {
			line = text(lang, "why.unreached_repeatedly", n, at(last))
		}
	case wellcheck.FollowUpCallback:
		line = text(lang, "why.callback", at(due))
	case wellcheck.FollowUpReferral:
		if ref.Concern != "" {
			line = text(lang, "why.referral", ref.Concern)
		}
	}
	return []string{line}
}

// when is a time in loc as the case page says it: a clock on today, else
// with its day.
func when(lang wellcheck.Lang, t time.Time, loc *time.Location, now time.Time) string {
	t, now = t.In(loc), now.In(loc)
	if y, m, d := now.Date(); t.Year() == y && t.Month() == m && t.Day() == d {
		return clock(lang, t)
	}
	return dayAndClock(lang, t)
}

// timeline is a case's history, latest first: its closure, the person's last
// check-ins with each call's outcome, and the case's follow-ups with their
// notes.
func timeline(lang wellcheck.Lang, c wellcheck.Case, closed *closedView, h caseHistory, loc *time.Location) []event {
	var events []event
	if closed != nil && c.ClosedAt != nil {
		// First, so that it stays above what was recorded with it.
		events = append(events, event{at: *c.ClosedAt, When: closed.When, Text: text(lang, "closed_event", closed.By, closed.Reason, closed.Agreed)})
	}
	byCheckIn := map[int64][]string{}
	for _, a := range h.attempts {
		key := "attempt"
		if a.Trunk {
			key = "attempt.trunk"
		}
		byCheckIn[a.CheckInID] = append(byCheckIn[a.CheckInID], text(lang, key, a.Number, text(lang, "outcome."+string(a.Outcome))))
	}
	for i, shown := len(h.checkIns)-1, 0; i >= 0 && shown < maxTimelineCheckIns; i-- {
		ci := h.checkIns[i]
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
	noted := map[int64][]string{}
	for _, n := range h.notes {
		if n.FollowUpID != nil {
			noted[*n.FollowUpID] = append(noted[*n.FollowUpID], n.Body)
		} else {
			events = append(events, event{at: n.CreatedAt, When: dayAndClock(lang, n.CreatedAt.In(loc)), Notes: []string{n.Body}})
		}
	}
	for _, f := range h.followUps {
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
	return events
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

// recordFollowUp records a call from the case page's one form: reached or
// not, a note, a partner, emergency services, and the next step — call again
// at a time, or close the case with a reason and the person's agreement.
// Whoever sent neither step (a client of its own) gets what it typed: a next
// time, a closure, or both refused together.
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
	then := r.PostFormValue("then")
	reason := r.PostFormValue("close")
	if then == "close" && reason == "" {
		return s.refused(w, r, sess, c, wellcheck.Problems{{Field: "close.reason", Message: wellcheck.Message{Key: "required"}}}.Err())
	}
	if reason != "" && then != "call_again" {
		rec.Close = &care.Closure{Reason: wellcheck.ClosureReason(reason), PersonAgreed: r.PostFormValue("agreed") == "yes"}
	}
	if partner := r.PostFormValue("partner"); partner != "" {
		id, err := strconv.ParseInt(partner, 10, 64)
		if err != nil {
			return s.refused(w, r, sess, c, wellcheck.Problems{{Field: "partner", Message: wellcheck.Message{Key: "partner_unknown"}}}.Err())
		}
		rec.PartnerID = &id
	}
	if next := strings.TrimSpace(r.PostFormValue("next")); next != "" && then != "close" {
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
	s.afterCase(w, r, sess, c, "recorded")
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
