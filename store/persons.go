package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// PersonRef names an enrolled person: enough to say who holds a number.
type PersonRef struct {
	ID       int64
	FullName string
	Phone    wellcheck.Phone
}

// EnrolledByPhones returns the persons currently enrolled (not withdrawn) under any
// of phones, by number.
func (q *Queries) EnrolledByPhones(ctx context.Context, phones []wellcheck.Phone) (map[wellcheck.Phone]PersonRef, error) {
	raw := make([]string, len(phones))
	for i, p := range phones {
		raw[i] = p.E164()
	}
	rows, err := q.q.FindEnrolledByPhones(ctx, raw)
	if err != nil {
		return nil, translate(err, "find enrolled phones")
	}
	out := make(map[wellcheck.Phone]PersonRef, len(rows))
	for _, r := range rows {
		out[wellcheck.Phone(r.Phone)] = PersonRef{ID: r.ID, FullName: r.FullName, Phone: wellcheck.Phone(r.Phone)}
	}
	return out, nil
}

// AuditDetails is what an enrolment's audit record says beyond who and when. It
// never holds a phone number or a note.
type AuditDetails struct {
	Via            string `json:"via"`                       // "cli", "import", "web"
	File           string `json:"file,omitempty"`            // import file name
	ReferralSource string `json:"referral_source,omitempty"` // who referred
	Contacts       int    `json:"emergency_contacts"`
	Cron           string `json:"cron,omitempty"`
}

// planColumns are a plan as the persons table stores it.
type planColumns struct {
	cron         string
	start, end   pgtype.Time
	maxAttempts  *int16
	retryMinutes []int16
}

func planColumnsOf(p wellcheck.Plan) planColumns {
	c := planColumns{cron: p.Cron, start: pgTime(p.Window.Start), end: pgTime(p.Window.End)}
	if p.Retry != nil {
		n := int16(p.Retry.MaxAttempts)
		c.maxAttempts = &n
		c.retryMinutes = int16s(p.Retry.RetryMinutes)
	}
	return c
}

func planFromColumns(cron string, start, end pgtype.Time, maxAttempts *int16, retryMinutes []int16) wellcheck.Plan {
	p := wellcheck.Plan{Cron: cron, Window: wellcheck.Window{Start: timeOfDay(start), End: timeOfDay(end)}}
	if maxAttempts != nil {
		p.Retry = &wellcheck.RetryPolicy{MaxAttempts: int(*maxAttempts), RetryMinutes: ints(retryMinutes)}
	}
	return p
}

// CopyEnrolments writes validated enrolments (person, referral, consent,
// emergency contacts, plan, notes) and an audit record for each, with one COPY per
// table: one person or a register of 100,000 take the same path. A referral that
// carries a concern opens the person's case, with a follow-up for their referent
// listener or the shared pool. It must run
// inside WithTx, so that either every person is enrolled or none is. Callers check
// numbers against EnrolledByPhones first; a number enrolled by someone else in the
// meantime makes the whole load fail with a conflict. at is when they are
// enrolled, on the service's clock: their plans are set then, and the cases
// their concerns open are opened then.
func (q *Queries) CopyEnrolments(ctx context.Context, es []wellcheck.Enrolment, at time.Time, actor wellcheck.Actor, details AuditDetails) ([]int64, error) {
	if q.tx == nil {
		return nil, fmt.Errorf("CopyEnrolments must run inside WithTx")
	}
	if len(es) == 0 {
		return []int64{}, nil
	}
	ids, err := q.q.ReservePersonIDs(ctx, int32(len(es)))
	if err != nil {
		return nil, translate(err, "reserve person ids")
	}
	n := len(es)
	persons := make([]dbsqlc.CopyPersonsParams, n)
	referrals := make([]dbsqlc.CopyReferralsParams, n)
	consents := make([]dbsqlc.CopyConsentsParams, n)
	audits := make([]dbsqlc.CopyAuditParams, n)
	var contacts []dbsqlc.CopyEmergencyContactsParams
	var notes []dbsqlc.CopyNotesParams
	for i, e := range es {
		id, p, r, c, plan := ids[i], e.Person, e.Referral, e.Consent, planColumnsOf(e.Plan)
		persons[i] = dbsqlc.CopyPersonsParams{
			ID: id, FullName: p.FullName, Phone: p.Phone.E164(), Language: p.Language, TimeZone: p.TimeZone,
			Address: p.Address, Postcode: p.Postcode, City: p.City, RiskLevel: string(p.RiskLevel), ReferentID: p.ReferentID,
			CronSpec: plan.cron, WindowStart: plan.start, WindowEnd: plan.end, MaxAttempts: plan.maxAttempts,
			RetryMinutes: plan.retryMinutes, CreatedBy: actor.UserID, CreatedAt: at, PlanUpdatedAt: at,
		}
		referrals[i] = dbsqlc.CopyReferralsParams{
			PersonID: id, Source: string(r.Source), ReferrerName: r.ReferrerName, ReferrerPhone: optString(r.ReferrerPhone.E164()),
			Concern: r.Concern, ReferredAt: r.ReferredAt, TakenBy: &r.TakenBy,
		}
		consents[i] = dbsqlc.CopyConsentsParams{
			PersonID: id, GivenBy: string(c.GivenBy), RepresentativeName: c.RepresentativeName,
			GivenAt: c.GivenAt, Method: string(c.Method), RecordedBy: &c.RecordedBy,
		}
		for _, ec := range e.Contacts {
			contacts = append(contacts, dbsqlc.CopyEmergencyContactsParams{
				PersonID: id, Position: int16(ec.Position), FullName: ec.FullName, Relation: ec.Relation,
				Phone: ec.Phone.E164(), Language: ec.Language, ConsentAt: ec.ConsentAt,
			})
		}
		if e.Notes != "" {
			notes = append(notes, dbsqlc.CopyNotesParams{PersonID: id, AuthorID: actor.UserID, Body: e.Notes, CreatedAt: at})
		}
		d := details
		d.ReferralSource, d.Contacts, d.Cron = string(r.Source), len(e.Contacts), e.Plan.Cron
		body, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		audits[i] = dbsqlc.CopyAuditParams{ActorID: actor.UserID, ActorLabel: actor.Label, Action: "person.enrol", PersonID: &ids[i], Details: body}
	}
	if _, err := q.q.CopyPersons(ctx, persons); err != nil {
		if isConstraint(err, "persons_phone_key") {
			return nil, fmt.Errorf("load persons: %w", wellcheck.Errorf(wellcheck.EConflict, "phone_race"))
		}
		return nil, translate(err, "load persons")
	}
	steps := []struct {
		what string
		run  func() (int64, error)
	}{
		{"referrals", func() (int64, error) { return q.q.CopyReferrals(ctx, referrals) }},
		{"consents", func() (int64, error) { return q.q.CopyConsents(ctx, consents) }},
		{"emergency contacts", func() (int64, error) { return q.q.CopyEmergencyContacts(ctx, contacts) }},
		{"notes", func() (int64, error) { return q.q.CopyNotes(ctx, notes) }},
		{"audit records", func() (int64, error) { return q.q.CopyAudit(ctx, audits) }},
	}
	for _, s := range steps {
		if _, err := s.run(); err != nil {
			return nil, translate(err, "load "+s.what)
		}
	}
	if slices.ContainsFunc(es, func(e wellcheck.Enrolment) bool { return e.Referral.Concern != "" }) {
		if _, err := q.q.OpenReferralCases(ctx, dbsqlc.OpenReferralCasesParams{
			ActorID: actor.UserID, ActorLabel: actor.Label, PersonIds: ids, Now: at,
		}); err != nil {
			return nil, translate(err, "open cases for referral concerns")
		}
	}
	return ids, nil
}

// Person reads a person and their plan, without what else their enrolment
// recorded (referral, consent, contacts, notes).
func (q *Queries) Person(ctx context.Context, id int64) (wellcheck.Person, wellcheck.Plan, error) {
	p, err := q.q.GetPerson(ctx, id)
	if err != nil {
		return wellcheck.Person{}, wellcheck.Plan{}, translate(err, "read person")
	}
	return wellcheck.Person{
		ID: p.ID, FullName: p.FullName, Phone: wellcheck.Phone(p.Phone), Language: p.Language, TimeZone: p.TimeZone,
		Address: p.Address, Postcode: p.Postcode, City: p.City, Status: wellcheck.PersonStatus(p.Status),
		PausedUntil: p.PausedUntil, WithdrawnAt: p.WithdrawnAt, ReferentID: p.ReferentID,
		RiskLevel: wellcheck.RiskLevel(p.RiskLevel), CreatedAt: p.CreatedAt,
	}, planFromColumns(p.CronSpec, p.WindowStart, p.WindowEnd, p.MaxAttempts, p.RetryMinutes), nil
}

// Enrolment reads back everything recorded when a person was enrolled.
func (q *Queries) Enrolment(ctx context.Context, id int64) (wellcheck.Enrolment, error) {
	person, plan, err := q.Person(ctx, id)
	if err != nil {
		return wellcheck.Enrolment{}, err
	}
	e := wellcheck.Enrolment{Person: person, Plan: plan}
	r, err := q.q.GetLatestReferral(ctx, id)
	if err != nil {
		return wellcheck.Enrolment{}, translate(err, "read referral")
	}
	e.Referral = wellcheck.Referral{
		Source: wellcheck.ReferralSource(r.Source), ReferrerName: r.ReferrerName, ReferrerPhone: wellcheck.Phone(deref(r.ReferrerPhone)),
		Concern: r.Concern, ReferredAt: r.ReferredAt, TakenBy: deref(r.TakenBy),
	}
	c, err := q.q.GetLatestConsent(ctx, id)
	if err != nil {
		return wellcheck.Enrolment{}, translate(err, "read consent")
	}
	e.Consent = &wellcheck.Consent{
		GivenBy: wellcheck.ConsentGiver(c.GivenBy), RepresentativeName: c.RepresentativeName, GivenAt: c.GivenAt,
		Method: wellcheck.ConsentMethod(c.Method), RecordedBy: deref(c.RecordedBy),
	}
	contacts, err := q.q.ListEmergencyContacts(ctx, id)
	if err != nil {
		return wellcheck.Enrolment{}, translate(err, "read emergency contacts")
	}
	for _, ec := range contacts {
		e.Contacts = append(e.Contacts, wellcheck.EmergencyContact{
			ID: ec.ID, Position: int(ec.Position), FullName: ec.FullName, Relation: ec.Relation, Phone: wellcheck.Phone(ec.Phone), Language: ec.Language, ConsentAt: ec.ConsentAt,
		})
	}
	notes, err := q.q.ListNotes(ctx, id)
	if err != nil {
		return wellcheck.Enrolment{}, translate(err, "read notes")
	}
	for i, n := range notes {
		if i > 0 {
			e.Notes += "\n\n"
		}
		e.Notes += n.Body
	}
	return e, nil
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID       int64
	At       time.Time
	ActorID  *int64
	Actor    string
	Action   string
	PersonID *int64
	CaseID   *int64
	Details  map[string]any
	// ActorName is the acting user's name, if one acted and still exists.
	ActorName string
	// PersonName is the person's name, read by SearchAudit while they exist.
	PersonName string
}

// AuditForPerson returns the audit trail of a person, oldest first.
func (q *Queries) AuditForPerson(ctx context.Context, personID int64) ([]AuditEntry, error) {
	rows, err := q.q.ListAuditForPerson(ctx, &personID)
	if err != nil {
		return nil, translate(err, "read audit log")
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		if out[i], err = auditEntry(r, ""); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AuditQuery picks audit entries: for a person, by an actor, actions that
// start with Action; a page of them before the entry Before (0: the newest).
type AuditQuery struct {
	PersonID, ActorID *int64
	PersonName        string // a part of the person's name
	Action            string
	Since, Until      *time.Time // the period, [Since, Until)
	Before            int64
}

// AuditPage is how many entries SearchAudit returns at most.
const AuditPage = 100

// SearchAudit returns a page of the audit log, newest first.
func (q *Queries) SearchAudit(ctx context.Context, aq AuditQuery) ([]AuditEntry, error) {
	rows, err := q.q.SearchAudit(ctx, dbsqlc.SearchAuditParams{PersonID: aq.PersonID, PersonName: aq.PersonName, ActorID: aq.ActorID,
		Action: aq.Action, Since: aq.Since, Until: aq.Until, BeforeID: aq.Before, PageSize: AuditPage})
	if err != nil {
		return nil, translate(err, "search the audit log")
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		if out[i], err = auditEntry(dbsqlc.AuditLog{ID: r.ID, At: r.At, ActorID: r.ActorID, ActorLabel: r.ActorLabel, Action: r.Action,
			PersonID: r.PersonID, CaseID: r.CaseID, Details: r.Details}, r.ActorName); err != nil {
			return nil, err
		}
		out[i].PersonName = r.PersonName
	}
	return out, nil
}

func auditEntry(r dbsqlc.AuditLog, actorName string) (AuditEntry, error) {
	e := AuditEntry{ID: r.ID, At: r.At, ActorID: r.ActorID, Actor: r.ActorLabel, Action: r.Action, PersonID: r.PersonID, CaseID: r.CaseID, ActorName: actorName}
	if err := json.Unmarshal(r.Details, &e.Details); err != nil {
		return e, fmt.Errorf("decode audit details %d: %w", r.ID, err)
	}
	return e, nil
}

// CountPersons counts every person row.
func (q *Queries) CountPersons(ctx context.Context) (int64, error) {
	n, err := q.q.CountPersons(ctx)
	return n, translate(err, "count persons")
}

// PersonChange is a change to an enrolment that re-plans the person.
type PersonChange struct {
	Action string // audit action: person.plan, person.pause, person.resume, person.withdraw
	// For person.plan: the new plan and time zone.
	Plan     wellcheck.Plan
	TimeZone string
	// For person.pause: until when; for person.withdraw: when consent was withdrawn.
	At time.Time
	// Now is when the change is made, on the service's clock: a new plan is
	// set then (the planner catches up none of its calls due before it).
	Now time.Time
}

// ChangePerson applies c to person id and writes its audit record. A person who
// does not exist is ErrNotFound; one whose status does not allow the change
// (any change to a withdrawn person, resuming one who is not paused) is a
// conflict. The caller re-plans the person in the same transaction.
func (q *Queries) ChangePerson(ctx context.Context, id int64, c PersonChange, actor wellcheck.Actor) error {
	var err error
	details := map[string]any{}
	switch c.Action {
	case "person.plan":
		if c.Now.IsZero() {
			return fmt.Errorf("change person %d's plan: no time for the change", id)
		}
		plan := planColumnsOf(c.Plan)
		_, err = q.q.UpdatePersonPlan(ctx, dbsqlc.UpdatePersonPlanParams{
			ID: id, TimeZone: c.TimeZone, CronSpec: plan.cron, WindowStart: plan.start, WindowEnd: plan.end,
			MaxAttempts: plan.maxAttempts, RetryMinutes: plan.retryMinutes, At: c.Now,
		})
		details["cron"], details["window"], details["time_zone"] = c.Plan.Cron, c.Plan.Window.String(), c.TimeZone
	case "person.pause":
		_, err = q.q.PausePerson(ctx, dbsqlc.PausePersonParams{ID: id, Until: &c.At})
		details["until"] = c.At
	case "person.resume":
		_, err = q.q.ResumePerson(ctx, id)
	case "person.withdraw":
		_, err = q.q.WithdrawPerson(ctx, dbsqlc.WithdrawPersonParams{PersonID: id, At: &c.At, RecordedBy: actor.UserID})
		details["at"] = c.At
	default:
		return fmt.Errorf("unknown person change %q", c.Action)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return q.unchanged(ctx, id)
	}
	if err != nil {
		return translate(err, "change person")
	}
	body, err := json.Marshal(details)
	if err != nil {
		return err
	}
	_, err = q.q.CopyAudit(ctx, []dbsqlc.CopyAuditParams{{ActorID: actor.UserID, ActorLabel: actor.Label, Action: c.Action, PersonID: &id, Details: body}})
	return translate(err, "audit person change")
}

// unchanged says why a change to person id found no row: not found, withdrawn,
// or (the one change with another condition) not paused.
func (q *Queries) unchanged(ctx context.Context, id int64) error {
	status, err := q.q.GetPersonStatus(ctx, id)
	if err != nil {
		return translate(err, "change person")
	}
	if status == string(wellcheck.PersonWithdrawn) {
		return wellcheck.Errorf(wellcheck.EConflict, "person_withdrawn")
	}
	return wellcheck.Errorf(wellcheck.EConflict, "person_not_paused")
}

// SavePersonDetails corrects who person p.ID is and how they are reached
// (name, number, language, address, risk, referent) and puts contacts in
// their places, in order; contacts beyond them are removed. A withdrawn
// person is a conflict: nothing about them changes any more. The caller
// checks the number is nobody else's and audits.
func (q *Queries) SavePersonDetails(ctx context.Context, p wellcheck.Person, contacts []wellcheck.EmergencyContact) error {
	_, err := q.q.UpdatePersonDetails(ctx, dbsqlc.UpdatePersonDetailsParams{ID: p.ID, FullName: p.FullName, Phone: p.Phone.E164(),
		Language: p.Language, Address: p.Address, Postcode: p.Postcode, City: p.City, RiskLevel: string(p.RiskLevel), ReferentID: p.ReferentID})
	if errors.Is(err, pgx.ErrNoRows) {
		return q.unchanged(ctx, p.ID)
	}
	if err != nil {
		return translate(err, "save person details")
	}
	for i, ec := range contacts {
		if err := q.q.UpsertEmergencyContact(ctx, dbsqlc.UpsertEmergencyContactParams{PersonID: p.ID, Position: int16(i + 1), FullName: ec.FullName,
			Relation: ec.Relation, Phone: ec.Phone.E164(), Language: ec.Language, ConsentAt: ec.ConsentAt}); err != nil {
			return translate(err, "save emergency contact")
		}
	}
	err = q.q.DeleteEmergencyContactsAfter(ctx, dbsqlc.DeleteEmergencyContactsAfterParams{PersonID: p.ID, Position: int16(len(contacts))})
	return translate(err, "remove emergency contacts")
}

// SetPersonNote replaces the note about person id, what a listener reads
// before calling (empty: none), written by author at at. The notes of the
// person's cases stay.
func (q *Queries) SetPersonNote(ctx context.Context, id int64, body string, author *int64, at time.Time) error {
	if err := q.q.DeletePersonNotes(ctx, id); err != nil {
		return translate(err, "remove the note about a person")
	}
	if body == "" {
		return nil
	}
	_, err := q.q.CopyNotes(ctx, []dbsqlc.CopyNotesParams{{PersonID: id, AuthorID: author, Body: body, CreatedAt: at}})
	return translate(err, "write the note about a person")
}

// ResolvePersonDataIssues settles person id's open issues with their number
// (a corrected number), by whom; it returns how many there were.
func (q *Queries) ResolvePersonDataIssues(ctx context.Context, id int64, by *int64, at time.Time) (int64, error) {
	n, err := q.q.ResolvePersonDataIssues(ctx, dbsqlc.ResolvePersonDataIssuesParams{PersonID: id, By: by, At: &at})
	return n, translate(err, "resolve number issues")
}
