package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// CallCheckIn is a check-in locked for its call, with its person and attempts:
// what the call worker decides on.
type CallCheckIn struct {
	wellcheck.CheckIn
	CallingSince *time.Time // an attempt is in progress since then
	RetryAt      *time.Time // the next attempt waits until then
	Person       CallPerson
	Attempts     []wellcheck.Attempt // in order
}

// CallPerson is what a call needs of the person called.
type CallPerson struct {
	Status      wellcheck.PersonStatus
	PausedUntil *time.Time
	Name        string // shown to the listener a call is put through to
	Phone       string // E.164
	Language    string
	TimeZone    string
	Window      wellcheck.Window
	Retry       *wellcheck.RetryPolicy // nil: the service's
	ReferentID  *int64
	RiskLevel   wellcheck.RiskLevel
}

// LockCheckInForCall returns the check-in with its person and attempts, the
// check-in locked until the transaction ends; ErrNotFound if there is none.
func (q *Queries) LockCheckInForCall(ctx context.Context, id int64) (CallCheckIn, error) {
	r, err := q.q.LockCheckInForCall(ctx, id)
	if err != nil {
		return CallCheckIn{}, translate(err, fmt.Sprintf("lock check-in %d", id))
	}
	rows, err := q.q.ListAttempts(ctx, id)
	if err != nil {
		return CallCheckIn{}, translate(err, fmt.Sprintf("read attempts of check-in %d", id))
	}
	c := CallCheckIn{
		CheckIn: wellcheck.CheckIn{
			ID: r.ID, PersonID: r.PersonID, SlotAt: r.SlotAt, DeadlineAt: r.DeadlineAt, State: wellcheck.CheckInState(r.State),
		},
		CallingSince: r.CallingSince,
		RetryAt:      r.RetryAt,
		Person: CallPerson{
			Status: wellcheck.PersonStatus(r.PersonStatus), PausedUntil: r.PausedUntil, Name: r.FullName, Phone: r.Phone, Language: r.Language,
			TimeZone: r.TimeZone, Window: wellcheck.Window{Start: timeOfDay(r.WindowStart), End: timeOfDay(r.WindowEnd)},
			ReferentID: r.ReferentID, RiskLevel: wellcheck.RiskLevel(r.RiskLevel),
		},
		Attempts: make([]wellcheck.Attempt, len(rows)),
	}
	if r.MaxAttempts != nil {
		c.Person.Retry = &wellcheck.RetryPolicy{MaxAttempts: int(*r.MaxAttempts), RetryMinutes: ints(r.RetryMinutes)}
	}
	for i, a := range rows {
		c.Attempts[i] = attemptOf(a)
	}
	return c, nil
}

func attemptOf(a dbsqlc.Attempt) wellcheck.Attempt {
	return wellcheck.Attempt{
		ID: a.ID, CheckInID: a.CheckInID, Number: int(a.Number), StartedAt: a.StartedAt, EndedAt: a.EndedAt,
		Outcome: wellcheck.Outcome(deref(a.Outcome)), SIPStatus: int(deref(a.SipStatus)), CallID: a.CallID,
		Ring: time.Duration(deref(a.RingMs)) * time.Millisecond, Talk: time.Duration(deref(a.TalkMs)) * time.Millisecond,
		Digits: a.Digits, FailureReason: a.FailureReason, Trunk: a.Trunk,
		Quality: wellcheck.CallQuality{LossReceivedPct: a.LossReceivedPct, LossSentPct: a.LossSentPct, JitterMS: a.JitterMs,
			RTTMS: a.RttMs, MOS: a.Mos},
	}
}

// StartAttempt records that attempt number of the check-in starts at at, on
// node, and marks the check-in dialing; it returns the attempt's id. The row
// is the guard against a second call: commit it before dialling.
func (q *Queries) StartAttempt(ctx context.Context, checkInID int64, number int, at time.Time, node string) (int64, error) {
	id, err := q.q.StartAttempt(ctx, dbsqlc.StartAttemptParams{CheckInID: checkInID, Number: int16(number), StartedAt: at, Node: node})
	return id, translate(err, fmt.Sprintf("start attempt %d of check-in %d", number, checkInID))
}

// EndAttempt records how an attempt in progress ended (a.ID, a.EndedAt, a.Outcome
// and the call's details); an attempt already ended is left as it was, and the
// error says so.
func (q *Queries) EndAttempt(ctx context.Context, a wellcheck.Attempt) error {
	if a.EndedAt == nil || a.Outcome == "" {
		return errors.New("end attempt: no end time or outcome")
	}
	outcome := string(a.Outcome)
	a.Quality = a.Quality.Checked()
	p := dbsqlc.EndAttemptParams{
		ID: a.ID, EndedAt: a.EndedAt, Outcome: &outcome, CallID: a.CallID, Digits: a.Digits, FailureReason: a.FailureReason,
		LossReceivedPct: a.Quality.LossReceivedPct, LossSentPct: a.Quality.LossSentPct, JitterMs: a.Quality.JitterMS,
		RttMs: a.Quality.RTTMS, Mos: a.Quality.MOS,
	}
	if a.SIPStatus != 0 {
		s := int16(a.SIPStatus)
		p.SipStatus = &s
	}
	if a.Ring > 0 {
		ms := int32(a.Ring.Milliseconds())
		p.RingMs = &ms
	}
	if a.Talk > 0 {
		ms := int32(a.Talk.Milliseconds())
		p.TalkMs = &ms
	}
	n, err := q.q.EndAttempt(ctx, p)
	if err != nil {
		return translate(err, fmt.Sprintf("end attempt %d", a.ID))
	}
	if n == 0 {
		return fmt.Errorf("end attempt %d: %w", a.ID, ErrAttemptEnded)
	}
	return nil
}

// ErrAttemptEnded is an attempt that already has its real outcome: only one
// presumed lost (wellcheck.Interrupted) takes a late one.
var ErrAttemptEnded = errors.New("the attempt has already ended")

// WaitForRetry leaves the check-in dialing, its next attempt due at at.
func (q *Queries) WaitForRetry(ctx context.Context, checkInID int64, at time.Time) error {
	err := q.q.WaitForRetry(ctx, dbsqlc.WaitForRetryParams{ID: checkInID, RetryAt: &at})
	return translate(err, fmt.Sprintf("schedule retry of check-in %d", checkInID))
}

// FinishCheckIn puts the check-in in its final state, saying why.
func (q *Queries) FinishCheckIn(ctx context.Context, checkInID int64, state wellcheck.CheckInState, reason wellcheck.CheckInReason, at time.Time) error {
	if !state.Final() {
		return fmt.Errorf("finish check-in %d: %s is not a final state", checkInID, state)
	}
	err := q.q.FinishCheckIn(ctx, dbsqlc.FinishCheckInParams{ID: checkInID, State: string(state), Reason: string(reason), FinishedAt: &at})
	return translate(err, fmt.Sprintf("finish check-in %d", checkInID))
}

// RecentFinalStates returns the final states of the person's last n finished
// check-ins, newest first.
func (q *Queries) RecentFinalStates(ctx context.Context, personID int64, n int) ([]wellcheck.CheckInState, error) {
	rows, err := q.q.RecentFinalStates(ctx, dbsqlc.RecentFinalStatesParams{PersonID: personID, N: int32(n)})
	if err != nil {
		return nil, translate(err, "read recent check-ins")
	}
	out := make([]wellcheck.CheckInState, len(rows))
	for i, s := range rows {
		out[i] = wellcheck.CheckInState(s)
	}
	return out, nil
}

// Pick says whom PickListener looks for.
type Pick struct {
	Keep     *int64 // the case's current assignee: kept while on shift and present
	Referent *int64 // the person's referent listener
	Language string // the person's language
	At       time.Time
}

// PickListener returns the listener who takes a follow-up at p.At (in the
// service's zone: shifts are kept in it), or nil for the shared pool: the
// current assignee if on shift and present, else the referent if on shift,
// present and below capacity, else the on-shift, present listener below
// capacity speaking the language with the fewest pending follow-ups. Call it
// inside WithTx, with the case locked, and put the follow-up on the list in
// the same transaction.
//
// Capacity holds across nodes: a listener's load is counted in one statement
// and the follow-up that adds to it written in another, so two transactions
// choosing at once (two flags, two nodes) would both see the last free place
// and both take it. PickListener therefore first takes the choice of a
// listener (a transaction-scoped advisory lock on one fixed key), held until
// the caller's transaction ends, and only then counts, in a statement of its
// own whose read-committed snapshot sees what the previous holder committed.
//
// One lock rather than the listeners' rows (FOR NO KEY UPDATE on the one
// chosen, count again, choose again if full): in a burst every transaction
// wants the same least-loaded listener and queues on its row anyway, and the
// row locks would add a retry loop and a wait on one listener while holding
// another. The cost is that choices queue, cluster-wide, for the rest of their
// transaction (the follow-up, the audit row, perhaps an escalation's job, the
// commit: milliseconds), which is hundreds a second, far above what a
// listening line sees; a transaction that puts nothing on a list never takes
// it.
//
// No deadlock: the choice is the last lock an assigning transaction takes.
// Before it, it holds the check-in's row and the case's; after it, it touches
// only that case's rows (its follow-up, escalation, notes) and inserts, which
// nobody waiting for the choice holds. A transaction acting on several cases
// (the sweep's missed check-ins, the hand-on of orphaned follow-ups) locks
// them all first (LockCases, in id order) so that it never waits for a case
// while holding the choice.
func (q *Queries) PickListener(ctx context.Context, p Pick) (*int64, error) {
	if err := q.q.LockListenerChoice(ctx); err != nil {
		return nil, translate(err, "wait for the choice of a listener")
	}
	id, err := q.q.PickListener(ctx, dbsqlc.PickListenerParams{
		Keep: p.Keep, Referent: p.Referent, Language: p.Language,
		Weekday: int16(wellcheck.ISOWeekday(p.At.Weekday())), LocalTime: pgTime(wellcheck.Of(p.At)),
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "pick a listener")
	}
	return &id, nil
}

// Shift is a weekly stretch a listener works, in the service's zone.
type Shift struct {
	Weekday time.Weekday
	wellcheck.Window
}

// ListenerShifts returns the weekly shifts of every active listener.
func (q *Queries) ListenerShifts(ctx context.Context) ([]Shift, error) {
	rows, err := q.q.ListListenerShifts(ctx)
	if err != nil {
		return nil, translate(err, "read shifts")
	}
	out := make([]Shift, len(rows))
	for i, r := range rows {
		out[i] = Shift{Weekday: time.Weekday(r.Weekday % 7), Window: wellcheck.Window{Start: timeOfDay(r.Starts), End: timeOfDay(r.Ends)}}
	}
	return out, nil
}

// LockCases locks the cases ids and the open cases of persons, all at once and
// in id order: what a transaction acting on several cases does before it
// picks a listener for any (see PickListener).
func (q *Queries) LockCases(ctx context.Context, ids, persons []int64) error {
	return translate(q.q.LockCases(ctx, dbsqlc.LockCasesParams{Ids: ids, PersonIds: persons}), "lock cases")
}

// LockOpenCase returns the person's open case, locked; ErrNotFound if none.
func (q *Queries) LockOpenCase(ctx context.Context, personID int64) (wellcheck.Case, error) {
	r, err := q.q.LockOpenCase(ctx, personID)
	if err != nil {
		return wellcheck.Case{}, translate(err, "lock open case")
	}
	return caseOf(r), nil
}

// CreateCase opens a case (c.PersonID, Priority, OpenedReason, OpenedAt,
// DueAt, AssigneeID); a person with a case open already is a conflict.
func (q *Queries) CreateCase(ctx context.Context, c wellcheck.Case) (wellcheck.Case, error) {
	if c.OpenedAt.IsZero() {
		return wellcheck.Case{}, fmt.Errorf("open a case for person %d: no opening time", c.PersonID)
	}
	r, err := q.q.OpenCase(ctx, dbsqlc.OpenCaseParams{
		PersonID: c.PersonID, Priority: dbsqlc.CasePriority(c.Priority), OpenedReason: string(c.OpenedReason),
		OpenedAt: c.OpenedAt, DueAt: c.DueAt, AssigneeID: c.AssigneeID,
	})
	if err != nil {
		return wellcheck.Case{}, translate(err, "open case")
	}
	return caseOf(r), nil
}

// RaiseCase brings a new event to an open case: its priority rises to p if that
// is more urgent, its due time comes forward to due if that is earlier, and it
// goes to assignee (nil: the shared pool).
func (q *Queries) RaiseCase(ctx context.Context, caseID int64, p wellcheck.Priority, due time.Time, assignee *int64) (wellcheck.Case, error) {
	r, err := q.q.RaiseCase(ctx, dbsqlc.RaiseCaseParams{ID: caseID, Priority: dbsqlc.CasePriority(p), DueAt: due, AssigneeID: assignee})
	if err != nil {
		return wellcheck.Case{}, translate(err, fmt.Sprintf("raise case %d", caseID))
	}
	return caseOf(r), nil
}

func caseOf(r dbsqlc.Case) wellcheck.Case {
	return wellcheck.Case{
		ID: r.ID, PersonID: r.PersonID, State: wellcheck.CaseState(r.State), Priority: wellcheck.Priority(r.Priority),
		OpenedReason: wellcheck.CaseReason(r.OpenedReason), DueAt: r.DueAt, AssigneeID: r.AssigneeID,
		OpenedAt: r.OpenedAt, ClosedAt: r.ClosedAt, ClosedBy: r.ClosedBy, ClosureReason: deref(r.ClosureReason), PersonAgreed: r.PersonAgreed,
	}
}

// PutFollowUp creates the case's pending follow-up, or brings the one it has up
// to date: its assignee; its priority and due time where more pressing; its
// reason where the event (of priority event) is at least as pressing as the
// task was.
func (q *Queries) PutFollowUp(ctx context.Context, f wellcheck.FollowUp, event wellcheck.Priority) (wellcheck.FollowUp, error) {
	r, err := q.q.PutFollowUp(ctx, dbsqlc.PutFollowUpParams{
		CaseID: f.CaseID, AssigneeID: f.AssigneeID, Reason: string(f.Reason), Priority: dbsqlc.CasePriority(f.Priority),
		DueAt: f.DueAt, CheckInID: f.CheckInID, EventPriority: dbsqlc.CasePriority(event),
	})
	if err != nil {
		return wellcheck.FollowUp{}, translate(err, fmt.Sprintf("put follow-up on case %d", f.CaseID))
	}
	out := followUpOf(r)
	out.PersonID = f.PersonID
	return out, nil
}

func followUpOf(r dbsqlc.FollowUp) wellcheck.FollowUp {
	return wellcheck.FollowUp{
		ID: r.ID, CaseID: r.CaseID, AssigneeID: r.AssigneeID, Reason: wellcheck.FollowUpReason(r.Reason),
		Priority: wellcheck.Priority(r.Priority), DueAt: r.DueAt, State: r.State, CheckInID: r.CheckInID,
	}
}

// FollowUpsFor returns the pending follow-ups of a listener (nil: the shared
// pool), most pressing first.
func (q *Queries) FollowUpsFor(ctx context.Context, assignee *int64) ([]wellcheck.FollowUp, error) {
	rows, err := q.q.ListFollowUpsFor(ctx, assignee)
	if err != nil {
		return nil, translate(err, "list follow-ups")
	}
	out := make([]wellcheck.FollowUp, len(rows))
	for i, r := range rows {
		out[i] = followUpOf(r.FollowUp)
		out[i].PersonID = r.PersonID
	}
	return out, nil
}

// DataIssue is a problem with a person's record for coordinators to fix: a
// number that does not work.
type DataIssue struct {
	ID          int64
	PersonID    int64
	Kind        string // "undeliverable"
	CheckInID   *int64
	Detail      string
	Occurrences int
	OpenedAt    time.Time
	LastSeenAt  time.Time
}

// Data issue kinds.
const IssueUndeliverable = "undeliverable"

// RecordDataIssue opens an issue for the person, or counts a repeat on the one
// open of that kind.
func (q *Queries) RecordDataIssue(ctx context.Context, d DataIssue) (DataIssue, error) {
	r, err := q.q.RecordDataIssue(ctx, dbsqlc.RecordDataIssueParams{
		PersonID: d.PersonID, Kind: d.Kind, CheckInID: d.CheckInID, Detail: d.Detail, At: d.LastSeenAt,
	})
	if err != nil {
		return DataIssue{}, translate(err, "record data issue")
	}
	return dataIssueOf(r), nil
}

// OpenDataIssues returns the coordinators' queue, oldest first.
func (q *Queries) OpenDataIssues(ctx context.Context) ([]DataIssue, error) {
	rows, err := q.q.ListOpenDataIssues(ctx)
	if err != nil {
		return nil, translate(err, "list data issues")
	}
	out := make([]DataIssue, len(rows))
	for i, r := range rows {
		out[i] = dataIssueOf(r)
	}
	return out, nil
}

func dataIssueOf(r dbsqlc.DataIssue) DataIssue {
	return DataIssue{
		ID: r.ID, PersonID: r.PersonID, Kind: r.Kind, CheckInID: r.CheckInID, Detail: r.Detail,
		Occurrences: int(r.Occurrences), OpenedAt: r.OpenedAt, LastSeenAt: r.LastSeenAt,
	}
}

// Audit writes one line of the audit log. Details never hold a phone number or
// a note.
func (q *Queries) Audit(ctx context.Context, actor wellcheck.Actor, action string, personID, caseID *int64, details map[string]any) error {
	body := []byte("{}")
	if len(details) > 0 {
		var err error
		if body, err = json.Marshal(details); err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
	}
	err := q.q.InsertAudit(ctx, dbsqlc.InsertAuditParams{
		ActorID: actor.UserID, ActorLabel: actor.Label, Action: action, PersonID: personID, CaseID: caseID, Details: body,
	})
	return translate(err, "write audit log")
}

// AttemptsForPerson returns every call attempt made to a person, oldest first.
func (q *Queries) AttemptsForPerson(ctx context.Context, personID int64) ([]wellcheck.Attempt, error) {
	rows, err := q.q.ListAttemptsForPerson(ctx, personID)
	if err != nil {
		return nil, translate(err, "read attempts")
	}
	out := make([]wellcheck.Attempt, len(rows))
	for i, a := range rows {
		out[i] = attemptOf(a)
	}
	return out, nil
}

// PromoteDueCallJobs makes the call jobs due within ahead available to River's
// workers now, rather than at its next scheduling round (every 5 s): a call
// starts within a second of its slot.
func (q *Queries) PromoteDueCallJobs(ctx context.Context, ahead time.Duration) (int64, error) {
	n, err := q.q.PromoteDueCallJobs(ctx, interval(ahead))
	return n, translate(err, "make due calls available")
}

// Unworked is a check-in due that no job is working, and the attempts it has.
type Unworked struct {
	CheckInID int64
	Attempts  int
}

// UnworkedCheckIns returns up to 500 check-ins due since before before (on the
// service's clock), still callable at now, with no call in progress and no
// call job waiting or taken after takenAfter (on River's clock): their job's
// node died before dialling, or the job was lost.
func (q *Queries) UnworkedCheckIns(ctx context.Context, before, now, takenAfter time.Time) ([]Unworked, error) {
	rows, err := q.q.ListUnworkedCheckIns(ctx, dbsqlc.ListUnworkedCheckInsParams{Before: before, Now: now, TakenAfter: takenAfter})
	if err != nil {
		return nil, translate(err, "list unworked check-ins")
	}
	out := make([]Unworked, len(rows))
	for i, r := range rows {
		out[i] = Unworked{CheckInID: r.ID, Attempts: int(r.Attempts)}
	}
	return out, nil
}
