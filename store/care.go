package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// LockCase returns a case, locked; ErrNotFound if there is none.
func (q *Queries) LockCase(ctx context.Context, id int64) (wellcheck.Case, error) {
	r, err := q.q.LockCase(ctx, id)
	if err != nil {
		return wellcheck.Case{}, translate(err, fmt.Sprintf("case %d", id))
	}
	return caseOf(r), nil
}

// LockCaseFollowUp returns the case's follow-up in state ("pending" or
// "scheduled"), locked; ErrNotFound if it has none.
func (q *Queries) LockCaseFollowUp(ctx context.Context, caseID int64, state string) (wellcheck.FollowUp, error) {
	r, err := q.q.LockCaseFollowUp(ctx, dbsqlc.LockCaseFollowUpParams{CaseID: caseID, State: state})
	if err != nil {
		return wellcheck.FollowUp{}, translate(err, fmt.Sprintf("%s follow-up of case %d", state, caseID))
	}
	return followUpOf(r), nil
}

// LockFollowUp returns a follow-up, locked; lock its case first (the order
// every step on a case keeps).
func (q *Queries) LockFollowUp(ctx context.Context, id int64) (wellcheck.FollowUp, error) {
	r, err := q.q.LockFollowUp(ctx, id)
	if err != nil {
		return wellcheck.FollowUp{}, translate(err, fmt.Sprintf("follow-up %d", id))
	}
	return followUpOf(r), nil
}

// FollowUp reads a follow-up, unlocked.
func (q *Queries) FollowUp(ctx context.Context, id int64) (wellcheck.FollowUp, error) {
	r, err := q.q.GetFollowUp(ctx, id)
	if err != nil {
		return wellcheck.FollowUp{}, translate(err, fmt.Sprintf("follow-up %d", id))
	}
	return followUpOf(r), nil
}

// Done is what a listener recorded of a follow-up.
type Done struct {
	Reached                 bool
	PartnerID               *int64 // the partner service the person was oriented to
	EmergencyServicesCalled bool
	At                      time.Time
	By                      *int64
}

// CompleteFollowUp marks a follow-up done with what was recorded.
func (q *Queries) CompleteFollowUp(ctx context.Context, id int64, d Done) (wellcheck.FollowUp, error) {
	r, err := q.q.CompleteFollowUp(ctx, dbsqlc.CompleteFollowUpParams{
		ID: id, Reached: &d.Reached, PartnerID: d.PartnerID, EmergencyServicesCalled: d.EmergencyServicesCalled, DoneAt: &d.At, DoneBy: d.By,
	})
	if err != nil {
		return wellcheck.FollowUp{}, translate(err, fmt.Sprintf("complete follow-up %d", id))
	}
	return followUpOf(r), nil
}

// InsertDoneFollowUp records a follow-up a listener made on a case that had
// none on a list.
func (q *Queries) InsertDoneFollowUp(ctx context.Context, c wellcheck.Case, d Done) (wellcheck.FollowUp, error) {
	r, err := q.q.InsertDoneFollowUp(ctx, dbsqlc.InsertDoneFollowUpParams{
		CaseID: c.ID, DoneBy: d.By, Priority: dbsqlc.CasePriority(c.Priority), DoneAt: d.At,
		Reached: &d.Reached, PartnerID: d.PartnerID, EmergencyServicesCalled: d.EmergencyServicesCalled,
	})
	if err != nil {
		return wellcheck.FollowUp{}, translate(err, fmt.Sprintf("record a follow-up on case %d", c.ID))
	}
	return followUpOf(r), nil
}

// AddNote writes a note on a person's file (and case, and follow-up), as
// written at at.
func (q *Queries) AddNote(ctx context.Context, personID int64, caseID, followUpID, author *int64, body string, at time.Time) (int64, error) {
	id, err := q.q.AddNote(ctx, dbsqlc.AddNoteParams{PersonID: personID, CaseID: caseID, FollowUpID: followUpID, AuthorID: author, Body: body, CreatedAt: at})
	return id, translate(err, "add a note")
}

// ScheduleFollowUp sets the case's next follow-up (state "scheduled", reason
// callback), replacing one scheduled before.
func (q *Queries) ScheduleFollowUp(ctx context.Context, f wellcheck.FollowUp) (wellcheck.FollowUp, error) {
	r, err := q.q.ScheduleFollowUp(ctx, dbsqlc.ScheduleFollowUpParams{
		CaseID: f.CaseID, AssigneeID: f.AssigneeID, Priority: dbsqlc.CasePriority(f.Priority), DueAt: f.DueAt,
	})
	if err != nil {
		return wellcheck.FollowUp{}, translate(err, fmt.Sprintf("schedule a follow-up on case %d", f.CaseID))
	}
	return followUpOf(r), nil
}

// SetFollowUpState moves a follow-up to state.
func (q *Queries) SetFollowUpState(ctx context.Context, id int64, state string) error {
	return translate(q.q.SetFollowUpState(ctx, dbsqlc.SetFollowUpStateParams{ID: id, State: state}), "set follow-up state")
}

// CancelCaseFollowUps takes a case's pending and scheduled follow-ups off
// every list.
func (q *Queries) CancelCaseFollowUps(ctx context.Context, caseID int64) ([]int64, error) {
	ids, err := q.q.CancelCaseFollowUps(ctx, caseID)
	return ids, translate(err, "cancel follow-ups")
}

// CloseCase closes an open case; ErrNotFound if it is not open.
func (q *Queries) CloseCase(ctx context.Context, id int64, reason string, agreed bool, by *int64, at time.Time) (wellcheck.Case, error) {
	r, err := q.q.CloseCase(ctx, dbsqlc.CloseCaseParams{ID: id, ClosureReason: &reason, PersonAgreed: &agreed, ClosedBy: by, ClosedAt: &at})
	if err != nil {
		return wellcheck.Case{}, translate(err, fmt.Sprintf("close case %d", id))
	}
	return caseOf(r), nil
}

// SettleCase sets a case's priority and due time (the person was reached).
func (q *Queries) SettleCase(ctx context.Context, id int64, p wellcheck.Priority, due time.Time) (wellcheck.Case, error) {
	r, err := q.q.SettleCase(ctx, dbsqlc.SettleCaseParams{ID: id, Priority: dbsqlc.CasePriority(p), DueAt: due})
	if err != nil {
		return wellcheck.Case{}, translate(err, fmt.Sprintf("settle case %d", id))
	}
	return caseOf(r), nil
}

// AssignCase gives a case and its pending and scheduled follow-ups to a
// listener (nil: the shared pool).
func (q *Queries) AssignCase(ctx context.Context, id int64, assignee *int64) (wellcheck.Case, error) {
	r, err := q.q.AssignCase(ctx, dbsqlc.AssignCaseParams{ID: id, AssigneeID: assignee})
	if err != nil {
		return wellcheck.Case{}, translate(err, fmt.Sprintf("assign case %d", id))
	}
	return caseOf(r), nil
}

// Orphan is a pending follow-up due on the list of a listener who cannot
// take it now.
type Orphan struct {
	FollowUpID, CaseID, PersonID int64
	AssigneeID                   *int64
	Priority                     wellcheck.Priority
	DueAt                        time.Time
}

// OrphanPage is how many orphaned follow-ups OrphanedFollowUps returns at most.
const OrphanPage = 500

// OrphanedFollowUps returns a page of up to OrphanPage pending follow-ups due by now
// whose listener is away, off shift or disabled at now (in the service's zone
// loc), most pressing first; after is the last of the page before (nil: the
// first page).
func (q *Queries) OrphanedFollowUps(ctx context.Context, now time.Time, loc *time.Location, after *Orphan) ([]Orphan, error) {
	local := now.In(loc)
	params := dbsqlc.ListOrphanedFollowUpsParams{
		Now: now, Weekday: int16(wellcheck.ISOWeekday(local.Weekday())), LocalTime: pgTime(wellcheck.Of(local)),
		AfterPriority: dbsqlc.CasePriority(wellcheck.PriorityUrgent), AfterDue: time.Unix(0, 0), MaxRows: OrphanPage,
	}
	if after != nil {
		params.AfterPriority, params.AfterDue, params.AfterID = dbsqlc.CasePriority(after.Priority), after.DueAt, after.FollowUpID
	}
	rows, err := q.q.ListOrphanedFollowUps(ctx, params)
	if err != nil {
		return nil, translate(err, "list orphaned follow-ups")
	}
	out := make([]Orphan, len(rows))
	for i, r := range rows {
		out[i] = Orphan{FollowUpID: r.ID, CaseID: r.CaseID, PersonID: r.PersonID, AssigneeID: r.AssigneeID,
			Priority: wellcheck.Priority(r.Priority), DueAt: r.DueAt}
	}
	return out, nil
}

// CasePerson is what the care cycle needs of the person a case is about.
type CasePerson struct {
	ID         int64
	Status     wellcheck.PersonStatus
	Language   string
	ReferentID *int64
	RiskLevel  wellcheck.RiskLevel
	Postcode   string
	TimeZone   string
}

// PersonForCase reads a case's person.
func (q *Queries) PersonForCase(ctx context.Context, id int64) (CasePerson, error) {
	r, err := q.q.PersonForCase(ctx, id)
	if err != nil {
		return CasePerson{}, translate(err, fmt.Sprintf("person %d", id))
	}
	return CasePerson{ID: r.ID, Status: wellcheck.PersonStatus(r.Status), Language: r.Language, ReferentID: r.ReferentID,
		RiskLevel: wellcheck.RiskLevel(r.RiskLevel), Postcode: r.Postcode, TimeZone: r.TimeZone}, nil
}

// Escalation is one round of calls to a person's emergency contacts.
type Escalation struct {
	ID             int64
	CaseID         int64
	PersonID       int64
	StartedAt      time.Time
	EndedAt        *time.Time
	Outcome        wellcheck.EscalationOutcome // "" while it runs
	AcknowledgedBy *int64                      // the emergency contact who pressed 1
}

func escalationOf(r dbsqlc.Escalation) Escalation {
	return Escalation{ID: r.ID, CaseID: r.CaseID, PersonID: r.PersonID, StartedAt: r.StartedAt, EndedAt: r.EndedAt,
		Outcome: wellcheck.EscalationOutcome(deref(r.Outcome)), AcknowledgedBy: r.AcknowledgedBy}
}

// StartEscalation starts an escalation for the case; ok is false (and nothing
// written) if one is running.
func (q *Queries) StartEscalation(ctx context.Context, caseID, personID int64, at time.Time) (e Escalation, ok bool, err error) {
	r, err := q.q.StartEscalation(ctx, dbsqlc.StartEscalationParams{CaseID: caseID, PersonID: personID, StartedAt: at})
	if errors.Is(err, pgx.ErrNoRows) {
		return Escalation{}, false, nil
	}
	if err != nil {
		return Escalation{}, false, translate(err, "start an escalation")
	}
	return escalationOf(r), true, nil
}

// LockEscalation returns an escalation, locked; lock its case first.
func (q *Queries) LockEscalation(ctx context.Context, id int64) (Escalation, error) {
	r, err := q.q.LockEscalation(ctx, id)
	if err != nil {
		return Escalation{}, translate(err, fmt.Sprintf("escalation %d", id))
	}
	return escalationOf(r), nil
}

// Escalation reads an escalation, unlocked.
func (q *Queries) Escalation(ctx context.Context, id int64) (Escalation, error) {
	r, err := q.q.GetEscalation(ctx, id)
	if err != nil {
		return Escalation{}, translate(err, fmt.Sprintf("escalation %d", id))
	}
	return escalationOf(r), nil
}

// EndEscalation ends a running escalation.
func (q *Queries) EndEscalation(ctx context.Context, id int64, outcome wellcheck.EscalationOutcome, ackBy *int64, at time.Time) (Escalation, error) {
	o := string(outcome)
	r, err := q.q.EndEscalation(ctx, dbsqlc.EndEscalationParams{ID: id, Outcome: &o, AcknowledgedBy: ackBy, EndedAt: &at})
	if err != nil {
		return Escalation{}, translate(err, fmt.Sprintf("end escalation %d", id))
	}
	return escalationOf(r), nil
}

// UnacknowledgedEscalations are the latest escalations of open cases that no
// contact acknowledged: the top of the coordinators' view.
func (q *Queries) UnacknowledgedEscalations(ctx context.Context) ([]Escalation, error) {
	rows, err := q.q.ListQueueEscalations(ctx)
	if err != nil {
		return nil, translate(err, "list unacknowledged escalations")
	}
	out := make([]Escalation, len(rows))
	for i, r := range rows {
		out[i] = Escalation{ID: r.ID, CaseID: r.CaseID, PersonID: r.PersonID, StartedAt: r.StartedAt, EndedAt: r.EndedAt, Outcome: wellcheck.EscalationOutcome(deref(r.Outcome))}
	}
	return out, nil
}

// StaleEscalations are running escalations started before before that
// nothing works: no call since before (on the service's clock), no job waiting
// or taken after takenAfter (on River's): their node died, or their job gave up.
func (q *Queries) StaleEscalations(ctx context.Context, before, takenAfter time.Time) ([]int64, error) {
	ids, err := q.q.ListStaleEscalations(ctx, dbsqlc.ListStaleEscalationsParams{Before: before, TakenAfter: takenAfter})
	return ids, translate(err, "list stale escalations")
}

// EmergencyContacts returns a person's emergency contacts in order.
func (q *Queries) EmergencyContacts(ctx context.Context, personID int64) ([]wellcheck.EmergencyContact, error) {
	rows, err := q.q.ListEmergencyContacts(ctx, personID)
	if err != nil {
		return nil, translate(err, "read emergency contacts")
	}
	out := make([]wellcheck.EmergencyContact, len(rows))
	for i, ec := range rows {
		out[i] = wellcheck.EmergencyContact{ID: ec.ID, Position: int(ec.Position), FullName: ec.FullName, Relation: ec.Relation,
			Phone: wellcheck.Phone(ec.Phone), Language: ec.Language, ConsentAt: ec.ConsentAt}
	}
	return out, nil
}

// SetContactConsent records (or, with nil, removes) the person's consent that
// a contact be called.
func (q *Queries) SetContactConsent(ctx context.Context, contactID int64, at *time.Time) error {
	return translate(q.q.SetContactConsent(ctx, dbsqlc.SetContactConsentParams{ID: contactID, ConsentAt: at}), "set contact consent")
}

func escalationCallOf(r dbsqlc.EscalationCall) wellcheck.EscalationCall {
	return wellcheck.EscalationCall{ID: r.ID, ContactID: r.EmergencyContactID, Position: int(r.Position), Attempt: int(r.Attempt), StartedAt: r.StartedAt,
		EndedAt: r.EndedAt, Outcome: wellcheck.Outcome(deref(r.Outcome)), Reason: r.Reason, CallID: r.CallID, Acknowledged: r.Acknowledged,
		FullName: r.ContactName, Relation: r.ContactRelation, Trunk: r.Trunk}
}

// EscalationCalls returns an escalation's calls in order.
func (q *Queries) EscalationCalls(ctx context.Context, escalationID int64) ([]wellcheck.EscalationCall, error) {
	rows, err := q.q.ListEscalationCalls(ctx, escalationID)
	if err != nil {
		return nil, translate(err, "read escalation calls")
	}
	out := make([]wellcheck.EscalationCall, len(rows))
	for i, r := range rows {
		out[i] = escalationCallOf(r)
	}
	return out, nil
}

// CaseEscalation is an escalation as the pages show it: the contact who
// acknowledged it, by name and relation, and the calls it made to contacts.
type CaseEscalation struct {
	Escalation
	// AcknowledgedName and AcknowledgedRelation are the contact's who
	// pressed 1, as they were named then (empty if none did).
	AcknowledgedName, AcknowledgedRelation string
	Calls                                  []wellcheck.EscalationCall // in the order they were made
}

// CaseEscalations returns a case's escalations, latest first, each with its
// calls.
func (q *Queries) CaseEscalations(ctx context.Context, caseID int64) ([]CaseEscalation, error) {
	rows, err := q.q.ListCaseEscalations(ctx, caseID)
	if err != nil {
		return nil, translate(err, fmt.Sprintf("read the escalations of case %d", caseID))
	}
	calls, err := q.q.ListCaseEscalationCalls(ctx, caseID)
	if err != nil {
		return nil, translate(err, fmt.Sprintf("read the escalation calls of case %d", caseID))
	}
	byEscalation := map[int64][]wellcheck.EscalationCall{}
	for _, c := range calls {
		byEscalation[c.EscalationID] = append(byEscalation[c.EscalationID], escalationCallOf(c))
	}
	out := make([]CaseEscalation, len(rows))
	for i, r := range rows {
		out[i] = CaseEscalation{Escalation: escalationOf(r.Escalation), AcknowledgedName: r.AcknowledgedByName,
			AcknowledgedRelation: r.AcknowledgedByRelation, Calls: byEscalation[r.Escalation.ID]}
	}
	return out, nil
}

// StartEscalationCall records, before the INVITE leaves, that a contact is
// being called in an escalation (attempt from 1); the same attempt twice is
// refused (EConflict).
func (q *Queries) StartEscalationCall(ctx context.Context, e Escalation, contact wellcheck.EmergencyContact, attempt int, at time.Time) (int64, error) {
	r, err := q.q.StartEscalationCall(ctx, dbsqlc.StartEscalationCallParams{
		CaseID: e.CaseID, EscalationID: e.ID, EmergencyContactID: &contact.ID, Position: int16(contact.Position), Attempt: int16(attempt), StartedAt: at,
		ContactName: contact.FullName, ContactRelation: contact.Relation,
	})
	if err != nil {
		return 0, translate(err, "start an escalation call")
	}
	return r.ID, nil
}

// EndEscalationCall records how a call to a contact ended; ended is false
// when it had ended already (only a call presumed lost with its node,
// wellcheck.Interrupted, takes its real outcome late).
func (q *Queries) EndEscalationCall(ctx context.Context, c wellcheck.EscalationCall) (ended bool, err error) {
	outcome := string(c.Outcome)
	n, err := q.q.EndEscalationCall(ctx, dbsqlc.EndEscalationCallParams{
		ID: c.ID, EndedAt: c.EndedAt, Outcome: &outcome, Reason: c.Reason, CallID: c.CallID, Acknowledged: c.Acknowledged, Trunk: c.Trunk,
	})
	return n == 1, translate(err, "end an escalation call")
}

// SetCareSettings changes the settings of the care cycle: whether contacts
// need the person's consent to be called, and the retention periods (EInvalid
// out of range: closed cases 30 to 3650 days, withdrawn persons 0 to 3650,
// the audit log 30 to 3650).
func (q *Queries) SetCareSettings(ctx context.Context, s wellcheck.Settings) error {
	return translate(q.q.SetCareSettings(ctx, dbsqlc.SetCareSettingsParams{
		KeepClosedCasesDays: int32(s.KeepClosedCasesDays), KeepWithdrawnDays: int32(s.KeepWithdrawnDays), KeepAuditDays: int32(s.KeepAuditDays),
		EscalationNeedsConsent: s.EscalationNeedsConsent,
	}), "set the care settings")
}

// PurgeClosedCases deletes up to 1000 cases closed before before, with their
// follow-ups, notes and escalations, adding them to the daily counts (days in
// zone); it returns how many went.
func (q *Queries) PurgeClosedCases(ctx context.Context, before time.Time, zone string) (int64, error) {
	n, err := q.q.PurgeClosedCases(ctx, dbsqlc.PurgeClosedCasesParams{Before: &before, Zone: zone})
	return n, translate(err, "purge closed cases")
}

// PurgeOldCheckIns deletes up to 5000 finished check-ins whose slot is before
// before, with their attempts, adding them to the daily counts.
func (q *Queries) PurgeOldCheckIns(ctx context.Context, before time.Time, zone string) (int64, error) {
	n, err := q.q.PurgeOldCheckIns(ctx, dbsqlc.PurgeOldCheckInsParams{Before: before, Zone: zone})
	return n, translate(err, "purge old check-ins")
}

// PurgeAudit deletes up to 10000 audit log entries older than days, by the
// database's clock (which stamps them); it returns how many went.
func (q *Queries) PurgeAudit(ctx context.Context, days int) (int64, error) {
	n, err := q.q.PurgeAudit(ctx, int32(days))
	return n, translate(err, "purge the audit log")
}

// WithdrawnBefore returns up to 500 persons who withdrew before before.
func (q *Queries) WithdrawnBefore(ctx context.Context, before time.Time) ([]int64, error) {
	ids, err := q.q.ListWithdrawnBefore(ctx, &before)
	return ids, translate(err, "list withdrawn persons")
}

// ErasePerson deletes a person and everything about them (plan, contacts,
// check-ins, cases, notes), adding what they counted to the daily counts. The
// audit log keeps their id, which names no one once the person is gone, and
// of its details only pseudonymousDetails. Every register waiting for its
// import's confirmation goes too (an hour old at most): any of them may hold
// the person, and its user uploads it again.
func (q *Queries) ErasePerson(ctx context.Context, id int64, zone string, at time.Time) error {
	if err := q.q.CountPersonForRetention(ctx, dbsqlc.CountPersonForRetentionParams{PersonID: id, Zone: zone, At: at}); err != nil {
		return translate(err, fmt.Sprintf("count person %d", id))
	}
	n, err := q.q.DeletePerson(ctx, id)
	if err != nil {
		return translate(err, fmt.Sprintf("erase person %d", id))
	}
	if n == 0 {
		return wellcheck.ErrNotFound
	}
	if _, err := q.q.PseudonymiseAudit(ctx, dbsqlc.PseudonymiseAuditParams{PersonID: &id, Kept: pseudonymousDetails}); err != nil {
		return translate(err, fmt.Sprintf("pseudonymise person %d's audit entries", id))
	}
	if _, err := q.q.DeleteAllUploads(ctx); err != nil {
		return translate(err, "forget the uploads waiting for confirmation")
	}
	return nil
}

// pseudonymousDetails are the audit details an erased person's entries keep:
// ids, counts, kinds and outcomes, which say what was done without saying who
// the person was or how they live. Everything else goes (the plan, the time
// zone, the register's file name, who referred them, a contact's relation, a
// pause's end, a callback's time), including any key added later and not
// listed here.
var pseudonymousDetails = []string{
	"after_days", "assignee_id", "call_id", "call_outcome", "changed", "check_in_id", "direction", "duration_s",
	"emergency_contacts", "emergency_services_called", "escalation_id", "follow_up_id", "from", "hung_up_by",
	"number_issues_resolved", "on_request", "outcome", "partner_id", "person_agreed", "position", "priority",
	"reached", "reason", "to", "via",
}

// DailyCounts returns the kept counts from one day to another (dates in the
// service's zone), by day and metric.
func (q *Queries) DailyCounts(ctx context.Context, from, to time.Time) (map[string]map[string]int64, error) {
	rows, err := q.q.ListDailyCounts(ctx, dbsqlc.ListDailyCountsParams{FromDay: pgDate(from), ToDay: pgDate(to)})
	if err != nil {
		return nil, translate(err, "read daily counts")
	}
	out := map[string]map[string]int64{}
	for _, r := range rows {
		day := r.Day.Time.Format(time.DateOnly)
		if out[day] == nil {
			out[day] = map[string]int64{}
		}
		out[day][r.Metric] = r.Count
	}
	return out, nil
}

// CancelRunningEscalations stops the person's running escalations (they were
// reached) and returns their ids.
func (q *Queries) CancelRunningEscalations(ctx context.Context, personID int64, at time.Time) ([]int64, error) {
	rows, err := q.q.CancelRunningEscalations(ctx, dbsqlc.CancelRunningEscalationsParams{PersonID: personID, EndedAt: &at})
	if err != nil {
		return nil, translate(err, "cancel escalations")
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids, nil
}
