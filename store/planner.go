package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// PlanRow is what the planner needs of a person.
type PlanRow struct {
	ID          int64
	TimeZone    string
	Status      wellcheck.PersonStatus
	PausedUntil *time.Time
	Plan        wellcheck.Plan // Cron and Window only
	// PlanSince is when the plan was set (enrolment or last edit): it asks for
	// no call that fired before.
	PlanSince time.Time
}

// MaxPersonID is the highest person id, 0 when there is none.
func (q *Queries) MaxPersonID(ctx context.Context) (int64, error) {
	id, err := q.q.MaxPersonID(ctx)
	return id, translate(err, "read highest person id")
}

// LockPlannable returns the persons who may be called with ids in [lo, hi), in
// id order, locked until the transaction ends so that no edit of theirs, and no
// other planner, interleaves with planning them.
func (q *Queries) LockPlannable(ctx context.Context, lo, hi int64) ([]PlanRow, error) {
	rows, err := q.q.LockPlannablePersons(ctx, dbsqlc.LockPlannablePersonsParams{Lo: lo, Hi: hi})
	if err != nil {
		return nil, translate(err, "read persons to plan")
	}
	return planRows(rows), nil
}

// LockPersons returns the given persons, whatever their status, locked for update.
// Unknown ids are left out.
func (q *Queries) LockPersons(ctx context.Context, ids []int64) ([]PlanRow, error) {
	rows, err := q.q.LockPlannablePersonsByID(ctx, ids)
	if err != nil {
		return nil, translate(err, "read persons to re-plan")
	}
	converted := make([]dbsqlc.LockPlannablePersonsRow, len(rows))
	for i, r := range rows {
		converted[i] = dbsqlc.LockPlannablePersonsRow(r)
	}
	return planRows(converted), nil
}

func planRows(rows []dbsqlc.LockPlannablePersonsRow) []PlanRow {
	out := make([]PlanRow, len(rows))
	for i, r := range rows {
		out[i] = PlanRow{
			ID: r.ID, TimeZone: r.TimeZone, Status: wellcheck.PersonStatus(r.Status), PausedUntil: r.PausedUntil, PlanSince: r.PlanUpdatedAt,
			Plan: planFromColumns(r.CronSpec, r.WindowStart, r.WindowEnd, nil, nil),
		}
	}
	return out
}

// CheckInsSince returns the persons' check-ins with a slot at or after since,
// whatever their state.
func (q *Queries) CheckInsSince(ctx context.Context, personIDs []int64, since time.Time) ([]wellcheck.CheckIn, error) {
	rows, err := q.q.ListCheckInsSince(ctx, dbsqlc.ListCheckInsSinceParams{PersonIds: personIDs, Since: since})
	if err != nil {
		return nil, translate(err, "read check-ins")
	}
	out := make([]wellcheck.CheckIn, len(rows))
	for i, r := range rows {
		out[i] = checkInOf(r)
	}
	return out, nil
}

func checkInOf(r dbsqlc.CheckIn) wellcheck.CheckIn {
	return wellcheck.CheckIn{
		ID: r.ID, PersonID: r.PersonID, SlotAt: r.SlotAt, PlannedFor: r.PlannedFor, MoveReason: r.MoveReason,
		DeadlineAt: r.DeadlineAt, State: wellcheck.CheckInState(r.State),
	}
}

// ErrCheckInExists is returned by CreateCheckIns when another transaction
// created one of the check-ins first: the caller reads again and retries.
var ErrCheckInExists = errors.New("a check-in for that person and slot was just created elsewhere")

// CreateCheckIns writes new planned check-ins with one COPY and returns them with
// their ids. The caller has checked that none exists yet; if one was created
// meanwhile the error is ErrCheckInExists, and the transaction must be retried.
func (q *Queries) CreateCheckIns(ctx context.Context, cs []wellcheck.CheckIn) ([]wellcheck.CheckIn, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	ids, err := q.q.ReserveCheckInIDs(ctx, int32(len(cs)))
	if err != nil {
		return nil, translate(err, "reserve check-in ids")
	}
	rows := make([]dbsqlc.CopyCheckInsParams, len(cs))
	out := make([]wellcheck.CheckIn, len(cs))
	for i, c := range cs {
		c.ID, c.State = ids[i], wellcheck.CheckInPlanned
		out[i] = c
		rows[i] = dbsqlc.CopyCheckInsParams{
			ID: c.ID, PersonID: c.PersonID, SlotAt: c.SlotAt, PlannedFor: c.PlannedFor, MoveReason: c.MoveReason, DeadlineAt: c.DeadlineAt,
		}
	}
	if _, err := q.q.CopyCheckIns(ctx, rows); err != nil {
		if isConstraint(err, "check_ins_person_id_slot_at_key") {
			return nil, ErrCheckInExists
		}
		return nil, translate(err, fmt.Sprintf("write %d check-ins", len(cs)))
	}
	return out, nil
}

// ReplanCheckIns sets existing check-ins (by ID) back to planned, with the move
// and deadline given, and returns those it changed.
func (q *Queries) ReplanCheckIns(ctx context.Context, cs []wellcheck.CheckIn) ([]wellcheck.CheckIn, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	n := len(cs)
	ids, fires, deadlines, reasons := make([]int64, n), make([]time.Time, n), make([]time.Time, n), make([]string, n)
	for i, c := range cs {
		ids[i], fires[i], deadlines[i], reasons[i] = c.ID, c.SlotAt, c.DeadlineAt, c.MoveReason
		if c.PlannedFor != nil {
			fires[i] = *c.PlannedFor // planned_for is NULL when it equals the slot
		}
	}
	rows, err := q.q.ReplanCheckIns(ctx, dbsqlc.ReplanCheckInsParams{Ids: ids, FireAts: fires, MoveReasons: reasons, DeadlineAts: deadlines})
	if err != nil {
		return nil, translate(err, fmt.Sprintf("re-plan %d check-ins", len(cs)))
	}
	out := make([]wellcheck.CheckIn, len(rows))
	for i, r := range rows {
		out[i] = wellcheck.CheckIn{ID: r.ID, PersonID: r.PersonID, SlotAt: r.SlotAt, DeadlineAt: r.DeadlineAt, State: wellcheck.CheckInPlanned}
	}
	return out, nil
}

// CancelCheckIns cancels the planned check-ins among ids, saying why, and
// returns the ids of those it cancelled.
func (q *Queries) CancelCheckIns(ctx context.Context, ids []int64, reason wellcheck.CheckInReason, now time.Time) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cancelled, err := q.q.CancelCheckIns(ctx, dbsqlc.CancelCheckInsParams{Ids: ids, Reason: string(reason), Now: now})
	return cancelled, translate(err, "cancel check-ins")
}

// EndExpiredPauses makes persons whose pause is over active again.
func (q *Queries) EndExpiredPauses(ctx context.Context, now time.Time) (int64, error) {
	n, err := q.q.EndExpiredPauses(ctx, now)
	return n, translate(err, "end expired pauses")
}

// FinaliseMissed turns up to limit check-ins whose deadline passed without a
// call (or, StalledGrace after it, whose retry never ran) into system_error and
// returns them, oldest slot first, for the caller to hand on in q's
// transaction.
func (q *Queries) FinaliseMissed(ctx context.Context, now time.Time, limit int) ([]Missed, error) {
	rows, err := q.q.FinaliseMissedCheckIns(ctx, dbsqlc.FinaliseMissedCheckInsParams{Now: now, StalledBefore: now.Add(-StalledGrace), MaxRows: int32(limit)})
	if err != nil {
		return nil, translate(err, "finalise missed check-ins")
	}
	out := make([]Missed, len(rows))
	for i, r := range rows {
		out[i] = Missed{CheckIn: wellcheck.CheckIn{ID: r.ID, PersonID: r.PersonID, SlotAt: r.SlotAt, State: wellcheck.CheckInSystemError}, Reason: wellcheck.CheckInReason(r.StateReason)}
	}
	slices.SortFunc(out, func(a, b Missed) int { return cmp.Or(a.SlotAt.Compare(b.SlotAt), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// Missed is a check-in the sweep finalised: never called
// (wellcheck.ReasonMissed) or whose retry never ran (wellcheck.ReasonStalled).
type Missed struct {
	wellcheck.CheckIn
	Reason wellcheck.CheckInReason
}

// StalledGrace is how long after its deadline a check-in waiting for a retry
// is left to its worker before the sweep hands it on.
const StalledGrace = 5 * time.Minute

// PlannedUntil is how far ahead the planner has materialised check-ins; zero
// before its first pass.
func (q *Queries) PlannedUntil(ctx context.Context) (time.Time, error) {
	st, err := q.q.GetPlannerState(ctx)
	if err != nil {
		return time.Time{}, translate(err, "read planner state")
	}
	return deref(st.PlannedUntil), nil
}

// AdvancePlannedUntil records a pass at passAt that planned up to until (never
// moving the mark back).
func (q *Queries) AdvancePlannedUntil(ctx context.Context, until, passAt time.Time) error {
	err := q.q.AdvancePlannerState(ctx, dbsqlc.AdvancePlannerStateParams{PlannedUntil: until, PassAt: passAt})
	return translate(err, "record planner pass")
}

// Closures returns the service's closures that end on or after from's date.
func (q *Queries) Closures(ctx context.Context, from time.Time) ([]wellcheck.Closure, error) {
	rows, err := q.q.ListClosures(ctx, pgDate(from))
	if err != nil {
		return nil, translate(err, "read closures")
	}
	out := make([]wellcheck.Closure, len(rows))
	for i, r := range rows {
		out[i] = closureOf(r)
	}
	return out, nil
}

// AddClosure records a closure and returns it with its ID.
func (q *Queries) AddClosure(ctx context.Context, c wellcheck.Closure, by *int64) (wellcheck.Closure, error) {
	row, err := q.q.AddClosure(ctx, dbsqlc.AddClosureParams{StartsOn: pgDate(c.From), EndsOn: pgDate(c.To), Reason: c.Reason, CreatedBy: by})
	if err != nil {
		return wellcheck.Closure{}, translate(err, "add closure")
	}
	return closureOf(row), nil
}

// DeleteClosure removes a closure; ErrNotFound if there is none with that id.
func (q *Queries) DeleteClosure(ctx context.Context, id int64) error {
	n, err := q.q.DeleteClosure(ctx, id)
	if err != nil {
		return translate(err, "delete closure")
	}
	if n == 0 {
		return wellcheck.ErrNotFound
	}
	return nil
}

func closureOf(r dbsqlc.Closure) wellcheck.Closure {
	return wellcheck.Closure{ID: r.ID, From: r.StartsOn.Time, To: r.EndsOn.Time, Reason: r.Reason}
}

func pgDate(t time.Time) pgtype.Date {
	y, m, d := t.Date()
	return pgtype.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Valid: true}
}

// CheckInsForPerson returns every check-in of a person, in slot order, with why
// it ended where it did.
func (q *Queries) CheckInsForPerson(ctx context.Context, personID int64) ([]CheckInRow, error) {
	rows, err := q.q.ListCheckInsForPerson(ctx, personID)
	if err != nil {
		return nil, translate(err, "read check-ins")
	}
	out := make([]CheckInRow, len(rows))
	for i, r := range rows {
		out[i] = CheckInRow{CheckIn: checkInOf(r), StateReason: wellcheck.CheckInReason(r.StateReason), FinishedAt: r.FinishedAt}
	}
	return out, nil
}

// CheckInRow is a check-in as stored, with its state's reason.
type CheckInRow struct {
	wellcheck.CheckIn
	StateReason wellcheck.CheckInReason
	FinishedAt  *time.Time
}

// CountCheckIns counts check-ins by state.
func (q *Queries) CountCheckIns(ctx context.Context) (map[wellcheck.CheckInState]int64, error) {
	rows, err := q.q.CountCheckInsByState(ctx)
	if err != nil {
		return nil, translate(err, "count check-ins")
	}
	out := make(map[wellcheck.CheckInState]int64, len(rows))
	for _, r := range rows {
		out[wellcheck.CheckInState(r.State)] = r.N
	}
	return out, nil
}
