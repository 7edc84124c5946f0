package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// Jobs enqueues and cancels the queue jobs that dial check-ins. workers
// implements it on River; both calls run in q's transaction.
type Jobs interface {
	// EnqueueCalls adds one job per check-in, due at its slot (at once if the
	// slot has passed).
	EnqueueCalls(ctx context.Context, q *store.Queries, checkIns []wellcheck.CheckIn) error
	// CancelCalls cancels the waiting jobs of these check-ins.
	CancelCalls(ctx context.Context, q *store.Queries, checkInIDs []int64) error
}

// HandOn puts check-ins that ended without a call on listeners' lists, in q's
// transaction, by the rules every finished check-in follows (the workers').
type HandOn interface {
	HandOnMissed(ctx context.Context, q *store.Queries, missed []store.Missed, now time.Time) error
}

// Planner keeps check-ins materialised ahead of time for every person who may
// be called: a row in check_ins and a job that dials it, written in one
// transaction per batch of persons.
type Planner struct {
	Store  *store.Store
	Jobs   Jobs
	HandOn HandOn
	Logger *slog.Logger
	// Horizon is how far ahead check-ins are planned (default 36 h).
	Horizon time.Duration
	// Batch is how many person ids are planned per transaction (default 5000).
	Batch int
	// Parallel is how many batches are planned at once (default 2).
	Parallel int
	// TimeZone, when set, overrides the service's zone (WELLCHECK_TIME_ZONE).
	TimeZone string
	Now      func() time.Time
}

// Defaults.
const (
	DefaultHorizon = 36 * time.Hour
	defaultBatch   = 5000
	// retries is how often a batch is tried again when another planner created
	// one of its check-ins first.
	retries = 5
	// catchUpLimit bounds how far back a pass after a long outage looks for
	// missed slots; the log says when it had to stop there.
	catchUpLimit = maxMove * 24 * time.Hour
)

// PassStats says what one planner pass did.
type PassStats struct {
	From, To time.Time // the fire times planned
	Persons  int       // persons read
	Planned  int       // check-ins created
	Late     int       // of which already due: dialled now, inside their window (catch-up)
	Missed   int       // check-ins finalised as system_error and handed to a listener
	Invalid  int       // persons whose stored plan could not be read (logged by id)
	Resumed  int64     // persons whose pause ended
}

func (p *Planner) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Planner) horizon() time.Duration {
	if p.Horizon > 0 {
		return p.Horizon
	}
	return DefaultHorizon
}

func (p *Planner) parallel() int {
	if p.Parallel > 0 {
		return p.Parallel
	}
	return 2
}

func (p *Planner) batch() int {
	if p.Batch > 0 {
		return p.Batch
	}
	return defaultBatch
}

// Calendar reads the service's calendar (settings, opening hours, closures from
// a little before now) from the database.
func (p *Planner) Calendar(ctx context.Context, q *store.Queries, now time.Time) (*Calendar, error) {
	cal, _, err := ReadCalendar(ctx, q, now, p.TimeZone)
	return cal, err
}

// ReadCalendar reads the service's settings and its calendar around now; zone,
// when set, overrides the service's time zone (WELLCHECK_TIME_ZONE).
func ReadCalendar(ctx context.Context, q *store.Queries, now time.Time, zone string) (*Calendar, wellcheck.Settings, error) {
	settings, err := q.Settings(ctx)
	if err != nil {
		return nil, settings, err
	}
	if zone != "" {
		settings.TimeZone = zone
	}
	closures, err := q.Closures(ctx, now.AddDate(0, 0, -3*maxMove))
	if err != nil {
		return nil, settings, err
	}
	cal, err := NewCalendar(settings, closures)
	return cal, settings, err
}

// start reads what planning at now starts from: the calendar, and how far
// passes have planned (zero before the first).
func (p *Planner) start(ctx context.Context, q *store.Queries, now time.Time) (*Calendar, time.Time, error) {
	cal, err := p.Calendar(ctx, q, now)
	if err != nil {
		return nil, time.Time{}, err
	}
	until, err := q.PlannedUntil(ctx)
	return cal, until, err
}

// Pass plans every person who may be called, from the end of the last pass (or
// now) to now + Horizon, reconciling what is planned with their plan and the
// calendar as Replan does (so a closure added or removed, or anything a failed
// re-plan left behind, is put right), then finalises check-ins whose time passed
// without a call. It is safe to run again, concurrently, or after a crash
// halfway: a check-in exists once per person and slot.
//
// After an outage the pass starts where the last one stopped: slots that came
// due meanwhile are dialled late if their window is still open, and otherwise
// become system_error and go to a listener.
func (p *Planner) Pass(ctx context.Context) (PassStats, error) {
	now := p.now()
	cal, until, err := p.start(ctx, p.Store.Queries(), now)
	if err != nil {
		return PassStats{}, fmt.Errorf("planner pass: %w", err)
	}
	st := PassStats{From: now, To: now.Add(p.horizon())}
	if !until.IsZero() && until.Before(now) {
		st.From = until
		if limit := now.Add(-catchUpLimit); st.From.Before(limit) {
			p.Logger.WarnContext(ctx, "planner was stopped longer than it catches up on; slots before the limit are not planned",
				"planned_until", until, "limit", limit)
			st.From = limit
		}
		p.Logger.WarnContext(ctx, "planner catching up after an outage", "from", st.From, "now", now)
	}

	if err := p.planAll(ctx, cal, now, &st); err != nil {
		return st, err
	}
	if err := p.sweep(ctx, now, &st); err != nil {
		return st, err
	}
	if err := p.Store.Queries().AdvancePlannedUntil(ctx, st.To, now); err != nil {
		return st, fmt.Errorf("planner pass: %w", err)
	}
	p.Logger.InfoContext(ctx, "planner pass", "persons", st.Persons, "planned", st.Planned, "late", st.Late,
		"missed", st.Missed, "invalid", st.Invalid, "from", st.From, "to", st.To, "took", p.now().Sub(now))
	return st, nil
}

// planAll plans every person in batches of ids, creating the check-ins firing
// in [st.From, st.To).
func (p *Planner) planAll(ctx context.Context, cal *Calendar, now time.Time, st *PassStats) error {
	maxID, err := p.Store.Queries().MaxPersonID(ctx)
	if err != nil {
		return fmt.Errorf("planner pass: %w", err)
	}
	size := int64(p.batch())
	next := int64(1)
	template := batch{planner: p, cal: cal, now: now, from: st.From, lo: now.AddDate(0, 0, -maxMove), to: st.To}
	return p.inBatches(ctx, template, st, func() (unit, bool) {
		lo := next
		next += size
		return unit{
			what: fmt.Sprintf("person ids %d to %d", lo, lo+size-1),
			lock: func(q *store.Queries) ([]store.PlanRow, error) { return q.LockPlannable(ctx, lo, lo+size) },
		}, lo <= maxID
	})
}

// unit is one batch's work: the persons it locks, and how to name them in an error.
type unit struct {
	what string
	lock func(q *store.Queries) ([]store.PlanRow, error)
}

// inBatches plans the persons of every unit next hands out, one transaction
// each, Parallel transactions at once, adding what they did to st. next is
// called under a lock.
func (p *Planner) inBatches(ctx context.Context, template batch, st *PassStats, next func() (unit, bool)) error {
	var mu sync.Mutex
	claim := func() (unit, bool) {
		mu.Lock()
		defer mu.Unlock()
		return next()
	}
	g, ctx := errgroup.WithContext(ctx)
	for range p.parallel() {
		g.Go(func() error {
			var local PassStats
			b := template
			b.cache, b.stats = map[planKey][]Slot{}, &local
			defer func() {
				mu.Lock()
				defer mu.Unlock()
				st.Persons += local.Persons
				st.Planned += local.Planned
				st.Late += local.Late
				st.Invalid += local.Invalid
			}()
			for u, ok := claim(); ok; u, ok = claim() {
				if err := b.planUnit(ctx, u); err != nil {
					return fmt.Errorf("plan %s: %w", u.what, err)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// planUnit plans a unit's persons in one transaction, tried again if another
// planner created one of the same check-ins first.
func (b *batch) planUnit(ctx context.Context, u unit) error {
	for attempt := 1; ; attempt++ {
		before := *b.stats
		var n int
		err := b.planner.Store.WithTx(ctx, func(q *store.Queries) error {
			persons, err := u.lock(q)
			if err != nil || len(persons) == 0 {
				return err
			}
			n = len(persons)
			return b.plan(ctx, q, persons)
		})
		if errors.Is(err, store.ErrCheckInExists) && attempt < retries {
			*b.stats = before
			continue
		}
		if err != nil {
			*b.stats = before
			return err
		}
		b.stats.Persons += n
		return nil
	}
}

// Sweep ends pauses that are over and finalises check-ins whose deadline passed
// without a call (system_error, handed to a listener). Pass does it too; this is
// the cheap, frequent part.
func (p *Planner) Sweep(ctx context.Context) (PassStats, error) {
	var st PassStats
	err := p.sweep(ctx, p.now(), &st)
	return st, err
}

func (p *Planner) sweep(ctx context.Context, now time.Time, st *PassStats) error {
	resumed, err := p.Store.Queries().EndExpiredPauses(ctx, now)
	if err != nil {
		return err
	}
	st.Resumed += resumed
	// Batch by batch, each its own transaction: after a long outage a day's
	// calls are handed on, and none of it is lost if the sweep stops midway.
	for {
		var missed []store.Missed
		err := p.Store.WithTx(ctx, func(q *store.Queries) error {
			var err error
			if missed, err = q.FinaliseMissed(ctx, now, sweepBatch); err != nil || len(missed) == 0 {
				return err
			}
			if p.HandOn == nil {
				return errors.New("planner: check-ins were missed and nothing hands them on (Planner.HandOn)")
			}
			ids := make([]int64, len(missed))
			for i, c := range missed {
				p.Logger.WarnContext(ctx, "check-in missed: its time passed without a call; handed to a listener",
					"check_in_id", c.ID, "person_id", c.PersonID, "slot", c.SlotAt, "reason", c.Reason)
				ids[i] = c.ID
			}
			if err := p.HandOn.HandOnMissed(ctx, q, missed, now); err != nil {
				return fmt.Errorf("hand on missed check-ins: %w", err)
			}
			// Their jobs would find nothing to do; they leave the queue now.
			return p.Jobs.CancelCalls(ctx, q, ids)
		})
		if err != nil {
			return err
		}
		st.Missed += len(missed)
		if len(missed) < sweepBatch {
			return nil
		}
	}
}

// sweepBatch is how many missed check-ins one transaction hands on.
const sweepBatch = 500

// Replan plans the given persons again, in q's transaction, after their plan,
// pause or status changed or they were enrolled: check-ins ahead of now that the
// current plan no longer asks for are cancelled with their jobs, cancelled ones
// it asks for again are revived, and missing ones up to the planned horizon are
// created. Slots the plan fires from now on are planned; a call already moved
// onto a later day is kept only if the new plan still moves it there.
func (p *Planner) Replan(ctx context.Context, q *store.Queries, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	b, err := p.replanning(ctx, q)
	if err != nil {
		return err
	}
	b.cache, b.stats = map[planKey][]Slot{}, &PassStats{}
	persons, err := q.LockPersons(ctx, ids)
	if err != nil {
		return fmt.Errorf("re-plan: %w", err)
	}
	if err := b.plan(ctx, q, persons); err != nil {
		return fmt.Errorf("re-plan %d persons: %w", len(ids), err)
	}
	return nil
}

// PlanPersons plans persons just committed (a register imported), as Replan
// does, Batch persons per transaction and Parallel transactions at once. A
// failure leaves the rest to the next pass, which plans everyone.
func (p *Planner) PlanPersons(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	template, err := p.replanning(ctx, p.Store.Queries())
	if err != nil {
		return err
	}
	size := p.batch()
	return p.inBatches(ctx, template, &PassStats{}, func() (unit, bool) {
		chunk := ids[:min(size, len(ids))]
		ids = ids[len(chunk):]
		return unit{
			what: fmt.Sprintf("%d imported persons", len(chunk)),
			lock: func(q *store.Queries) ([]store.PlanRow, error) { return q.LockPersons(ctx, chunk) },
		}, len(chunk) > 0
	})
}

// replanning is the batch a re-plan uses: fires from now on are created, up to
// the horizon or as far as passes have planned, whichever is further.
func (p *Planner) replanning(ctx context.Context, q *store.Queries) (batch, error) {
	now := p.now()
	cal, until, err := p.start(ctx, q, now)
	if err != nil {
		return batch{}, fmt.Errorf("re-plan: %w", err)
	}
	to := now.Add(p.horizon())
	if until.After(to) {
		to = until
	}
	return batch{planner: p, cal: cal, now: now, from: now, lo: now.AddDate(0, 0, -maxMove), to: to}, nil
}

// batch plans persons over one range of fire times.
type batch struct {
	planner *Planner
	cal     *Calendar
	now     time.Time
	// Slots firing in [from, to) are created; those firing in [lo, to) are the
	// ones a re-plan keeps (lo ≤ from: a call moved onto a later day).
	from, lo, to time.Time
	cache        map[planKey][]Slot
	stats        *PassStats
}

// planKey identifies the slots a plan gives when no pause is involved: every
// person sharing it gets the same ones.
type planKey struct {
	cron, zone string
	window     wellcheck.Window
}

// slots returns the calls the person's plan gives over [lo, to).
func (b *batch) slots(ctx context.Context, p store.PlanRow) ([]Slot, bool) {
	var paused time.Time
	if p.PausedUntil != nil {
		paused = *p.PausedUntil
	}
	// A pause that ended before Slots' look-back cannot change the answer.
	key := planKey{p.Plan.Cron, p.TimeZone, p.Plan.Window}
	cacheable := paused.Before(b.lo.AddDate(0, 0, -2*maxMove))
	if cacheable {
		if s, ok := b.cache[key]; ok {
			return s, true
		}
	}
	loc, err := LoadZone(p.TimeZone)
	var slots []Slot
	if err == nil {
		slots, err = Slots(p.Plan, loc, b.cal, b.lo, b.to, paused)
	}
	if err != nil {
		// A plan stored by an older version, or a zone this build's tzdata lacks:
		// that person cannot be planned, the others can.
		b.stats.Invalid++
		b.planner.Logger.ErrorContext(ctx, "cannot plan person", "person_id", p.ID, "err", err)
		return nil, false
	}
	if cacheable {
		if len(b.cache) > 100_000 {
			clear(b.cache)
		}
		b.cache[key] = slots
	}
	return slots, true
}

// plan writes the persons' check-ins, reconciled with those they have: calls
// their plan no longer asks for are cancelled, cancelled ones it asks for again
// are revived, deadlines follow the plan, and missing ones are created: those
// firing from b.from on, and any still callable (a call moved onto a later day,
// today's call on a day that reopened). A plan asks for no call that fired
// before it was set.
func (b *batch) plan(ctx context.Context, q *store.Queries, persons []store.PlanRow) error {
	w := b.wanted(ctx, persons)
	// What exists already: never created twice, and compared with what the plan
	// asks for. A slot is at most a day before its deadline.
	since := b.now.Add(-24 * time.Hour)
	if b.from.Before(since) {
		since = b.from
	}
	existing, err := q.CheckInsSince(ctx, w.persons, since)
	if err != nil {
		return fmt.Errorf("read the check-ins planned: %w", err)
	}
	return b.write(ctx, q, b.reconcile(w, existing))
}

// slotKey identifies a person's call at a slot.
type slotKey struct {
	person int64
	at     int64 // Unix seconds: instants from the database carry another location
}

// wanted is what the plans of a batch's persons ask for.
type wanted struct {
	persons    []int64
	calls      map[slotKey]wellcheck.CheckIn // every call still callable the plans ask for
	create     []wellcheck.CheckIn           // the calls to create if they do not exist
	withdrawn  map[int64]bool                // persons who withdrew: their calls are cancelled
	unreadable map[int64]bool                // persons whose plan cannot be read (logged): left as they are
}

func (b *batch) wanted(ctx context.Context, persons []store.PlanRow) wanted {
	w := wanted{persons: make([]int64, len(persons)), calls: map[slotKey]wellcheck.CheckIn{}, withdrawn: map[int64]bool{}, unreadable: map[int64]bool{}}
	for i, p := range persons {
		w.persons[i] = p.ID
		if p.Status == wellcheck.PersonWithdrawn {
			w.withdrawn[p.ID] = true
			continue
		}
		slots, ok := b.slots(ctx, p)
		if !ok {
			w.unreadable[p.ID] = true
			continue
		}
		for _, s := range slots {
			if s.Status == SlotDropped || s.Fire.Before(b.now) && s.Fire.Before(p.PlanSince) {
				continue
			}
			c := b.checkIn(p, s)
			live := c.DeadlineAt.After(b.now)
			if live {
				w.calls[slotKey{p.ID, c.SlotAt.Unix()}] = c
			}
			if live || !s.Fire.Before(b.from) {
				w.create = append(w.create, c)
			}
		}
	}
	return w
}

// changes is what a batch writes.
type changes struct {
	create   []wellcheck.CheckIn
	refresh  []wellcheck.CheckIn // planned again, their rows updated
	revive   map[int64]bool      // of those, the cancelled ones: they need a new job
	cancel   []int64             // the plan no longer asks for them
	withdraw []int64             // their person withdrew
}

// reconcile compares what the plans ask for with the check-ins that exist.
// Calls past their deadline, and those of persons whose plan cannot be read,
// are left as they are.
func (b *batch) reconcile(w wanted, existing []wellcheck.CheckIn) changes {
	ch := changes{revive: map[int64]bool{}}
	exists := make(map[slotKey]bool, len(existing))
	for _, o := range existing {
		k := slotKey{o.PersonID, o.SlotAt.Unix()}
		exists[k] = true
		if !o.DeadlineAt.After(b.now) || w.unreadable[o.PersonID] {
			continue
		}
		c, asked := w.calls[k]
		c.ID = o.ID
		switch {
		case !asked && o.State == wellcheck.CheckInPlanned && w.withdrawn[o.PersonID]:
			ch.withdraw = append(ch.withdraw, o.ID)
		case !asked && o.State == wellcheck.CheckInPlanned:
			ch.cancel = append(ch.cancel, o.ID)
		case asked && o.State == wellcheck.CheckInCancelled:
			ch.refresh = append(ch.refresh, c)
			ch.revive[o.ID] = true
		case asked && o.State == wellcheck.CheckInPlanned && moved(o, c):
			ch.refresh = append(ch.refresh, c)
		}
	}
	ch.create = slices.DeleteFunc(w.create, func(c wellcheck.CheckIn) bool { return exists[slotKey{c.PersonID, c.SlotAt.Unix()}] })
	return ch
}

// moved reports whether the plan now asks for planned check-in o differently:
// another deadline, or moved for another reason or from another slot.
func moved(o, c wellcheck.CheckIn) bool {
	return !o.DeadlineAt.Equal(c.DeadlineAt) || o.MoveReason != c.MoveReason || !equalTime(o.PlannedFor, c.PlannedFor)
}

// write applies the changes in q's transaction: check-ins created and
// updated, with jobs for the new ones still callable and the revived ones
// (their old job was cancelled; new ones past their deadline get none: the
// sweep hands them to a listener), and check-ins cancelled with their jobs.
func (b *batch) write(ctx context.Context, q *store.Queries, ch changes) error {
	created, err := q.CreateCheckIns(ctx, ch.create)
	if err != nil {
		return err
	}
	refreshed, err := q.ReplanCheckIns(ctx, ch.refresh)
	if err != nil {
		return err
	}
	var enqueue []wellcheck.CheckIn
	for _, c := range created {
		if c.DeadlineAt.After(b.now) {
			enqueue = append(enqueue, c)
			if !c.SlotAt.After(b.now) {
				b.stats.Late++
			}
		}
	}
	for _, c := range refreshed {
		if ch.revive[c.ID] {
			enqueue = append(enqueue, c)
		}
	}
	b.stats.Planned += len(created)
	if len(enqueue) > 0 {
		if err := b.planner.Jobs.EnqueueCalls(ctx, q, enqueue); err != nil {
			return fmt.Errorf("enqueue calls: %w", err)
		}
	}
	for reason, ids := range map[wellcheck.CheckInReason][]int64{wellcheck.ReasonReplanned: ch.cancel, wellcheck.ReasonWithdrawn: ch.withdraw} {
		if len(ids) == 0 {
			continue
		}
		cancelled, err := q.CancelCheckIns(ctx, ids, reason, b.now)
		if err != nil {
			return err
		}
		if err := b.planner.Jobs.CancelCalls(ctx, q, cancelled); err != nil {
			return fmt.Errorf("cancel calls: %w", err)
		}
	}
	return nil
}

// checkIn turns a slot into the check-in that calls it. The deadline is the end
// of the stretch the slot is callable in: the person's window or the service's
// closing time that day, whichever comes first. It is measured as wall-clock
// minutes from the slot, so it is always after it, even when the window spans a
// daylight-saving change (then it may be off by that change).
func (b *batch) checkIn(p store.PlanRow, s Slot) wellcheck.CheckIn {
	at := s.At
	left := p.Plan.Window.End - wellcheck.Of(at)
	service := at.In(b.cal.Loc)
	if closes := b.cal.Hours[service.Weekday()].End - wellcheck.Of(service); closes < left {
		left = closes
	}
	c := wellcheck.CheckIn{
		PersonID:   p.ID,
		SlotAt:     at.UTC(),
		DeadlineAt: at.Add(time.Duration(left) * time.Minute).UTC(),
		State:      wellcheck.CheckInPlanned,
	}
	if s.MovedFrom {
		fire := s.Fire.UTC()
		c.PlannedFor, c.MoveReason = &fire, s.Reason
	}
	return c
}

func equalTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
