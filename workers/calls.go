package workers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// Dialer places calls: *dialer.Dialer, or a fake (dialer/dialertest) in tests.
type Dialer interface {
	Place(ctx context.Context, req dialer.Request) (dialer.Result, error)
}

// Calls dials check-ins and decides what each call means for the person: a
// retry within the day, or a final state, with the person's case raised and
// assigned in the same transaction. It is the call worker's logic, shared by
// the River worker and the recovery of calls whose node died.
type Calls struct {
	Store  *store.Store
	Dialer Dialer
	Jobs   *Jobs
	Logger *slog.Logger
	// Node names this process in attempts (default: host name:pid).
	Node string
	// TimeZone, when set, overrides the service's zone (WELLCHECK_TIME_ZONE).
	TimeZone string
	// StaleAfter is how long an attempt may stay in progress before it is
	// presumed lost with its node (default 5 min: longer than any call).
	StaleAfter time.Duration
	// FailedRetry is how long to wait before dialling again after a call that
	// failed through no fault of the person's (default 5 min).
	FailedRetry time.Duration
	// MaxFailures is how many such failures in a row make the check-in a
	// system_error for the admins (default 3).
	MaxFailures int
	// Metrics, if set, counts the calls and the follow-ups put on lists.
	Metrics *metrics.Metrics
	Now     func() time.Time

	drainOnce   sync.Once
	drain       context.Context
	drainCancel context.CancelFunc

	calMu   sync.Mutex
	cal     *scheduler.Calendar
	set     wellcheck.Settings
	calRead time.Time
}

// Reasons a check-in ended where it did (check_ins.state_reason).
const (
	ReasonPressed1          = "pressed_1"
	ReasonPressed2          = "pressed_2"
	ReasonInvalidNumber     = "invalid_number"
	ReasonAttemptsExhausted = "attempts_exhausted" // every attempt the policy allows was made
	ReasonNoTimeLeft        = "no_time_left"       // the next attempt would fall after the cut-off or the window
	ReasonCallsFailed       = "calls_failed"       // our calls kept failing
	ReasonNotCalledInTime   = "not_called_in_time" // no call could be placed before the deadline
	ReasonPaused            = "paused"
	ReasonWithdrawn         = "withdrawn"
	ReasonClosed            = "closed" // the service closed (a closure added late)
	ReasonInterrupted       = "interrupted: the node placing the call stopped"
)

// systemActor is who the audit log says acted.
var systemActor = wellcheck.Actor{Label: "system:calls"}

func (c *Calls) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Calls) node() string {
	if c.Node != "" {
		return c.Node
	}
	// As the trunk's limits name it: two nodes may share a host.
	host, _ := os.Hostname()
	return host + ":" + strconv.Itoa(os.Getpid())
}

func (c *Calls) staleAfter() time.Duration  { return cmp.Or(c.StaleAfter, 5*time.Minute) }
func (c *Calls) failedRetry() time.Duration { return cmp.Or(c.FailedRetry, 5*time.Minute) }
func (c *Calls) maxFailures() int           { return cmp.Or(c.MaxFailures, 3) }

// calendar returns the service's calendar and settings, read (in q's
// transaction) at most every 30 seconds: an admin's change reaches calls
// within that. No lock is held while reading: a worker holding a connection
// never waits for another that needs one.
func (c *Calls) calendar(ctx context.Context, q *store.Queries, now time.Time) (*scheduler.Calendar, wellcheck.Settings, error) {
	c.calMu.Lock()
	cal, set, read := c.cal, c.set, c.calRead
	c.calMu.Unlock()
	if cal != nil && now.Sub(read).Abs() < 30*time.Second {
		return cal, set, nil
	}
	cal, set, err := scheduler.ReadCalendar(ctx, q, now, c.TimeZone)
	if err != nil {
		return nil, set, err
	}
	c.calMu.Lock()
	c.cal, c.set, c.calRead = cal, set, now
	c.calMu.Unlock()
	return cal, set, nil
}

// errDone stops a claim: there is nothing (more) to dial.
var errDone = errors.New("nothing to dial")

// waitError stops a claim that came early: the job comes back at until.
type waitError struct{ until time.Time }

func (e *waitError) Error() string { return "not yet: " + e.until.Format(time.RFC3339) }

// errNumberChanged stops a claim whose person's number changed since the job
// read it: the job runs again with the new one.
var errNumberChanged = errors.New("the person's number changed while the call waited for a channel")

// Run works one call job: attempt (from 1) of the check-in. The attempt row is
// committed before the INVITE leaves, once a channel is free and the call is
// still allowed, so a job delivered twice never calls twice; the outcome, and
// what follows from it, are committed together.
func (c *Calls) Run(ctx context.Context, checkInID int64, attempt int) error {
	attempt = max(attempt, 1)
	// A first look, without a channel: most jobs that have nothing to do stop here.
	var person store.CallPerson
	var slot time.Time // the first call's, whose lag the metrics show
	err := c.inTx(ctx, func(q *store.Queries) error {
		ci, err := q.LockCheckInForCall(ctx, checkInID)
		if err != nil {
			return err
		}
		person = ci.Person
		if attempt == 1 {
			slot = ci.SlotAt
		}
		return c.judge(ctx, q, ci, attempt)
	})
	if done, err := c.stopped(err); done {
		return err
	}

	var attemptID int64
	var started time.Time
	claim := func(ctx context.Context) error {
		return c.inTx(ctx, func(q *store.Queries) error {
			ci, err := q.LockCheckInForCall(ctx, checkInID)
			if err != nil {
				return err
			}
			if err := c.judge(ctx, q, ci, attempt); err != nil {
				return err
			}
			if ci.Person.Phone != person.Phone {
				return errNumberChanged
			}
			started = c.now()
			attemptID, err = q.StartAttempt(ctx, checkInID, attempt, started, c.node())
			return err
		})
	}
	res, err := c.place(ctx, metrics.CheckInCall, dialer.Request{To: person.Phone, Lang: person.Language, Claim: claim}, slot)
	if attemptID == 0 {
		if done, err := c.stopped(err); done {
			return err
		}
		return fmt.Errorf("check-in %d attempt %d: %w", checkInID, attempt, err)
	}
	if err != nil {
		// Claimed, then no call: the dialer refused after the claim (it does not
		// today). Recorded as our failure, so the person is called again.
		res = dialer.Result{Outcome: wellcheck.OutcomeFailed, Reason: err.Error()}
	}
	ended := c.now()
	a := wellcheck.Attempt{
		ID: attemptID, CheckInID: checkInID, Number: attempt, StartedAt: started, EndedAt: &ended,
		Outcome: res.Outcome, SIPStatus: res.SIPStatus, CallID: res.CallID, Ring: res.Ring, Talk: res.Talk,
		Digits: res.Digits, FailureReason: res.Reason,
	}
	// The outcome must not be lost with a cancelled job: a "press 2" is somebody
	// asking for help.
	return c.record(context.WithoutCancel(ctx), a)
}

// place places a call of a kind through the dialer and, once its claim holds
// (the call is going out), counts it in the node's metrics; slot, if set, is the
// check-in's, whose lag to the call is recorded. A call still waiting for a
// channel when the node drains gives up with errHandedBack.
func (c *Calls) place(ctx context.Context, kind metrics.CallKind, req dialer.Request, slot time.Time) (dialer.Result, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var claiming atomic.Bool
	defer context.AfterFunc(c.drainContext(), func() {
		if !claiming.Load() {
			cancel(errHandedBack)
		}
	})()
	claim, claimed := req.Claim, false
	req.Claim = func(ctx context.Context) error {
		// From here the call is this node's: a drain lets it go on.
		claiming.Store(true)
		if context.Cause(ctx) == errHandedBack {
			return errHandedBack
		}
		if claim != nil {
			if err := claim(ctx); err != nil {
				return err
			}
		}
		claimed = true
		c.Metrics.CallStarted(kind, slot, c.now())
		return nil
	}
	res, err := c.Dialer.Place(ctx, req)
	if !claimed && context.Cause(ctx) == errHandedBack {
		return res, errHandedBack
	}
	if claimed {
		outcome := res.Outcome
		if err != nil {
			outcome = wellcheck.OutcomeFailed
		}
		c.Metrics.CallEnded(kind, outcome, res.Ring, res.Talk)
	}
	return res, err
}

// errHandedBack is a call that had not started when its node began to stop:
// its job goes back to the queue for another node.
var errHandedBack = errors.New("the node is stopping: the call goes back to the queue")

// Drain makes the calls of this node that wait for a channel give up and go
// back to the queue, as the node stops; calls in progress go on.
func (c *Calls) Drain() { c.drainContext(); c.drainCancel() }

func (c *Calls) drainContext() context.Context {
	c.drainOnce.Do(func() { c.drain, c.drainCancel = context.WithCancel(context.Background()) })
	return c.drain
}

// inTx runs fn in a transaction that is committed when fn stops with errDone
// or a *waitError too (what it decided on the way stands), and returns fn's
// verdict.
func (c *Calls) inTx(ctx context.Context, fn func(q *store.Queries) error) error {
	var verdict error
	err := c.Store.WithTx(ctx, func(q *store.Queries) error {
		verdict = fn(q)
		var wait *waitError
		if errors.Is(verdict, errDone) || errors.As(verdict, &wait) {
			return nil
		}
		return verdict
	})
	if err != nil {
		return err
	}
	return verdict
}

// stopped reports whether a claim's error ends the job, and with what: nil when
// there was nothing to do, a snooze when it came early.
func (c *Calls) stopped(err error) (bool, error) {
	var wait *waitError
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, errDone):
		return true, nil
	case errors.As(err, &wait):
		return true, river.JobSnooze(max(wait.until.Sub(c.now()), time.Second))
	case errors.Is(err, errHandedBack):
		return true, river.JobSnooze(time.Second)
	case errors.Is(err, wellcheck.ErrNotFound):
		// Erased with its person (erasure leaves their jobs queued): nobody
		// to call, nothing to retry.
		return true, nil
	default:
		return true, err
	}
}

// judge decides, with the check-in locked, whether attempt may be dialled now:
// nil if so, errDone if there is nothing to dial (finishing the check-in if it
// can no longer be called), a *waitError if it is too early.
func (c *Calls) judge(ctx context.Context, q *store.Queries, ci store.CallCheckIn, attempt int) error {
	now := c.now()
	switch {
	case ci.State.Final():
		return errDone
	case len(ci.Attempts) >= attempt, ci.CallingSince != nil:
		return errDone // this attempt was made (or is being made) by another delivery
	case len(ci.Attempts) < attempt-1:
		c.log().ErrorContext(ctx, "call job ahead of its check-in's attempts", "check_in_id", ci.ID, "attempt", attempt, "made", len(ci.Attempts))
		return errDone
	case ci.State == wellcheck.CheckInPlanned && attempt > 1:
		return errDone
	}
	if ci.Person.Status == wellcheck.PersonWithdrawn {
		return c.finish(ctx, q, ci, wellcheck.CheckInCancelled, ReasonWithdrawn, now)
	}
	if ci.Person.Status == wellcheck.PersonPaused && ci.Person.PausedUntil != nil && now.Before(*ci.Person.PausedUntil) {
		return c.finish(ctx, q, ci, wellcheck.CheckInCancelled, ReasonPaused, now)
	}
	due := ci.SlotAt
	if ci.RetryAt != nil && attempt > 1 {
		due = *ci.RetryAt
	}
	if now.Before(due) {
		return &waitError{due}
	}
	cal, _, err := c.calendar(ctx, q, now)
	if err != nil {
		return err
	}
	if !now.Before(ci.DeadlineAt) {
		return c.giveUp(ctx, q, ci, now)
	}
	if reason, _ := cal.Closed(now); reason != "" && len(ci.Attempts) == 0 {
		// A closure added after planning: the planner moves the call.
		return c.finish(ctx, q, ci, wellcheck.CheckInCancelled, ReasonClosed, now)
	}
	if ok, until := c.callable(ci, cal, now); !ok {
		if !until.IsZero() && until.Before(ci.DeadlineAt) {
			return &waitError{until}
		}
		return c.giveUp(ctx, q, ci, now)
	}
	return nil
}

// callable reports whether the person may be called at now: inside their
// window (in their zone) and the service's hours; if not, until is when they
// next may be today (zero if not today).
func (c *Calls) callable(ci store.CallCheckIn, cal *scheduler.Calendar, now time.Time) (ok bool, until time.Time) {
	loc, err := scheduler.LoadZone(ci.Person.TimeZone)
	if err != nil {
		return false, time.Time{}
	}
	local := now.In(loc)
	tod := wellcheck.Of(local)
	if tod < ci.Person.Window.Start {
		y, m, d := local.Date()
		until = time.Date(y, m, d, ci.Person.Window.Start.Hour(), ci.Person.Window.Start.Minute(), 0, 0, loc)
	}
	if !ci.Person.Window.Contains(tod) {
		return false, until
	}
	if !cal.OpenAt(now) {
		if next := cal.NextOpen(now); next.Sub(now) < 24*time.Hour {
			return false, next
		}
		return false, time.Time{}
	}
	return true, time.Time{}
}

// giveUp finishes a check-in that can no longer be called: unreached if the
// person was called and did not answer, system_error if the system never
// managed to call.
func (c *Calls) giveUp(ctx context.Context, q *store.Queries, ci store.CallCheckIn, now time.Time) error {
	if personAttempts(ci.Attempts) > 0 {
		return c.finish(ctx, q, ci, wellcheck.CheckInUnreached, ReasonNoTimeLeft, now)
	}
	if len(ci.Attempts) > 0 {
		return c.finish(ctx, q, ci, wellcheck.CheckInSystemError, ReasonCallsFailed, now)
	}
	return c.finish(ctx, q, ci, wellcheck.CheckInSystemError, ReasonNotCalledInTime, now)
}

// personMissed reports whether an outcome counts against the person's
// attempts: they were called and did not say all was well.
func personMissed(o wellcheck.Outcome) bool {
	switch o {
	case wellcheck.OutcomeNoAnswer, wellcheck.OutcomeBusy, wellcheck.OutcomeNoResponse, wellcheck.OutcomeDeclined:
		return true
	}
	return false
}

func personAttempts(as []wellcheck.Attempt) int {
	n := 0
	for _, a := range as {
		if personMissed(a.Outcome) {
			n++
		}
	}
	return n
}

// failuresInARow counts the failed attempts at the end of as.
func failuresInARow(as []wellcheck.Attempt) int {
	n := 0
	for _, a := range slices.Backward(as) {
		if a.Outcome != wellcheck.OutcomeFailed {
			break
		}
		n++
	}
	return n
}

// record ends attempt a with its outcome and decides what follows, in one
// transaction, tried again a few times if the database hiccups: the call has
// happened and its outcome must land.
func (c *Calls) record(ctx context.Context, a wellcheck.Attempt) error {
	err := c.persist(ctx, "check_in_id", a.CheckInID, func(q *store.Queries) error {
		ci, err := q.LockCheckInForCall(ctx, a.CheckInID)
		if err != nil {
			return err
		}
		if err := q.EndAttempt(ctx, a); err != nil {
			return err
		}
		ci.Attempts = slices.DeleteFunc(ci.Attempts, func(x wellcheck.Attempt) bool { return x.ID == a.ID })
		ci.Attempts = append(ci.Attempts, a)
		return ignoreDone(c.after(ctx, q, ci, a))
	})
	if err != nil {
		c.log().ErrorContext(ctx, "a call's outcome could not be recorded: the attempt will be retried as interrupted",
			"check_in_id", a.CheckInID, "attempt", a.Number, "outcome", a.Outcome, "call_id", a.CallID, "err", err)
	}
	return err
}

// persist runs fn in a transaction, trying up to five times over about six
// seconds: what a call ended in must survive a database hiccup. idKey and id
// name what is written, for the log.
func (c *Calls) persist(ctx context.Context, idKey string, id int64, fn func(q *store.Queries) error) error {
	var err error
	for try := range 5 {
		if try > 0 {
			time.Sleep(time.Duration(try*try) * 200 * time.Millisecond)
		}
		if err = c.Store.WithTx(ctx, fn); err == nil {
			return nil
		}
		c.log().WarnContext(ctx, "recording a call's outcome failed; trying again", idKey, id, "try", try+1, "err", err)
	}
	return err
}

// after decides, with the check-in locked and attempt a recorded, what the
// call means: a final state (and the person's case) or the next attempt.
func (c *Calls) after(ctx context.Context, q *store.Queries, ci store.CallCheckIn, a wellcheck.Attempt) error {
	now := *a.EndedAt
	switch a.Outcome {
	case wellcheck.OutcomeOK:
		return c.finish(ctx, q, ci, wellcheck.CheckInConfirmed, ReasonPressed1, now)
	case wellcheck.OutcomeHelpRequested:
		return c.finish(ctx, q, ci, wellcheck.CheckInFlagged, ReasonPressed2, now)
	case wellcheck.OutcomeInvalidNumber:
		return c.finish(ctx, q, ci, wellcheck.CheckInUndeliverable, ReasonInvalidNumber, now)
	}
	cal, set, err := c.calendar(ctx, q, now)
	if err != nil {
		return err
	}
	policy := set.Retry
	if ci.Person.Retry != nil {
		policy = *ci.Person.Retry
	}
	var wait time.Duration
	if a.Outcome == wellcheck.OutcomeFailed {
		if failuresInARow(ci.Attempts) >= c.maxFailures() {
			return c.finish(ctx, q, ci, wellcheck.CheckInSystemError, ReasonCallsFailed, now)
		}
		wait = c.failedRetry()
	} else {
		made := personAttempts(ci.Attempts)
		if made >= policy.MaxAttempts {
			return c.finish(ctx, q, ci, wellcheck.CheckInUnreached, ReasonAttemptsExhausted, now)
		}
		wait = retryDelay(policy, made)
	}
	next := now.Add(wait)
	if !c.fits(ci, cal, set, next) {
		return c.giveUp(ctx, q, ci, now)
	}
	if err := q.WaitForRetry(ctx, ci.ID, next); err != nil {
		return err
	}
	return c.Jobs.EnqueueRetry(ctx, q, ci.ID, len(ci.Attempts)+1, time.Now().Add(next.Sub(c.now())))
}

// retryDelay is the wait after the made-th unanswered attempt (made ≥ 1): the
// policy's delays in turn, the last repeating, 15 minutes if it has none.
func retryDelay(p wellcheck.RetryPolicy, made int) time.Duration {
	if len(p.RetryMinutes) == 0 {
		return 15 * time.Minute
	}
	return time.Duration(p.RetryMinutes[min(made-1, len(p.RetryMinutes)-1)]) * time.Minute
}

// fits reports whether an attempt at t is allowed: before the check-in's
// deadline (the person's window, the service's closing), no later than the
// day's cut-off, so that a listener can still act on an unreached person the
// same day, inside the person's window and while the service is open.
func (c *Calls) fits(ci store.CallCheckIn, cal *scheduler.Calendar, set wellcheck.Settings, t time.Time) bool {
	if !t.Before(ci.DeadlineAt) {
		return false
	}
	local := ci.SlotAt.In(cal.Loc)
	y, m, d := local.Date()
	cutoff := time.Date(y, m, d, set.Cutoff.Hour(), set.Cutoff.Minute(), 0, 0, cal.Loc)
	if t.After(cutoff) {
		return false
	}
	ok, _ := c.callable(ci, cal, t)
	return ok
}

// finish puts the check-in in its final state and, for those that need a
// person, raises their case and assigns it, in q's transaction; it returns
// errDone so that a claim stops there.
func (c *Calls) finish(ctx context.Context, q *store.Queries, ci store.CallCheckIn, state wellcheck.CheckInState, reason string, now time.Time) error {
	if err := q.FinishCheckIn(ctx, ci.ID, state, reason, now); err != nil {
		return err
	}
	c.log().InfoContext(ctx, "check-in finished", "check_in_id", ci.ID, "person_id", ci.PersonID, "state", state, "reason", reason, "attempts", len(ci.Attempts))
	if err := c.handOn(ctx, q, ci, state, reason, now); err != nil {
		return err
	}
	return errDone
}

// handOn gives a finished check-in to whoever must act on it: a listener for a
// flag, a miss or our failure; the coordinators for a number that does not work.
func (c *Calls) handOn(ctx context.Context, q *store.Queries, ci store.CallCheckIn, state wellcheck.CheckInState, reason string, now time.Time) error {
	cal, set, err := c.calendar(ctx, q, now)
	if err != nil {
		return err
	}
	id := ci.ID
	ev := caseEvent{personID: ci.PersonID, checkInID: &id, referent: ci.Person.ReferentID, language: ci.Person.Language}
	if state == wellcheck.CheckInConfirmed {
		return c.reached(ctx, q, ci.PersonID, now)
	}
	switch state {
	case wellcheck.CheckInFlagged:
		ev.caseReason, ev.reason, ev.priority, ev.due = wellcheck.CaseFlagged, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh, cal.AddOpen(now, 2*time.Hour)
	case wellcheck.CheckInUnreached:
		ev.caseReason, ev.reason, ev.priority, ev.due = wellcheck.CaseUnreached, wellcheck.FollowUpUnreached, wellcheck.PriorityNormal, cal.ClosesAt(now)
		recent, err := q.RecentFinalStates(ctx, ci.PersonID, set.UnreachedUrgentAfter)
		if err != nil {
			return err
		}
		if len(recent) >= set.UnreachedUrgentAfter && !slices.ContainsFunc(recent, func(s wellcheck.CheckInState) bool { return s != wellcheck.CheckInUnreached }) {
			ev.reason, ev.priority, ev.due = wellcheck.FollowUpUnreachedRepeatedly, wellcheck.PriorityUrgent, now
		}
	case wellcheck.CheckInSystemError:
		ev.caseReason, ev.reason, ev.priority, ev.due = wellcheck.CaseSystemError, wellcheck.FollowUpSystemError, wellcheck.PriorityNormal, cal.ClosesAt(now)
		if reason == store.ReasonMissed || reason == store.ReasonStalled {
			// We never called, or never called back: someone calls today, now.
			ev.caseReason, ev.reason, ev.due = wellcheck.CaseMissed, wellcheck.FollowUpMissed, now
		}
	case wellcheck.CheckInUndeliverable:
		_, err := q.RecordDataIssue(ctx, store.DataIssue{
			PersonID: ci.PersonID, Kind: store.IssueUndeliverable, CheckInID: &id, Detail: reason, LastSeenAt: now,
		})
		return err
	default:
		return nil
	}
	if ci.Person.RiskLevel == wellcheck.RiskHigh {
		ev.priority = ev.priority.Raise(wellcheck.PriorityHigh)
	}
	cs, err := assign(ctx, q, cal, ev, now)
	if err != nil {
		return err
	}
	c.Metrics.Listed(c.now().Sub(now), cs.AssigneeID == nil)
	if state == wellcheck.CheckInFlagged {
		// They answered: their contacts are not called. (After assign, which
		// locked the case: the case first, as every step on it.)
		if err := c.reached(ctx, q, ci.PersonID, now); err != nil {
			return err
		}
	}
	if ev.priority != wellcheck.PriorityUrgent {
		return nil
	}
	// Urgent: the person's emergency contacts are called.
	return c.escalate(ctx, q, cs)
}

// HandOnMissed gives the check-ins the planner's sweep finalised (never called,
// or never called back) to listeners, in q's transaction, as finish does for
// the rest: one event per person, their latest; withdrawn persons are not
// handed on. It implements scheduler.HandOn.
func (c *Calls) HandOnMissed(ctx context.Context, q *store.Queries, missed []store.Missed, now time.Time) error {
	latest := map[int64]store.Missed{}
	for _, m := range missed { // oldest first
		latest[m.PersonID] = m
	}
	for _, m := range missed {
		if latest[m.PersonID].ID != m.ID {
			continue
		}
		ci, err := q.LockCheckInForCall(ctx, m.ID)
		if err != nil {
			return err
		}
		if ci.Person.Status == wellcheck.PersonWithdrawn {
			continue
		}
		if err := c.handOn(ctx, q, ci, wellcheck.CheckInSystemError, m.Reason, now); err != nil {
			return err
		}
	}
	return nil
}

// Recover ends the attempts whose node died mid-call (in progress for longer
// than StaleAfter) as failed, "interrupted", and decides what follows as for
// any failed call: the person is called again later, never at once. It queues
// again check-ins whose job a dead node took before dialling, and takes up
// escalations whose node died mid-call.
func (c *Calls) Recover(ctx context.Context) (int, error) {
	now := c.now()
	ids, err := c.Store.Queries().StaleCalls(ctx, now.Add(-c.staleAfter()))
	if err != nil {
		return 0, err
	}
	recovered := 0
	for _, id := range ids {
		err := c.Store.WithTx(ctx, func(q *store.Queries) error {
			ci, err := q.LockCheckInForCall(ctx, id)
			if err != nil {
				return err
			}
			if ci.CallingSince == nil || now.Sub(*ci.CallingSince) < c.staleAfter() {
				return nil // it ended meanwhile
			}
			i := slices.IndexFunc(ci.Attempts, func(a wellcheck.Attempt) bool { return a.EndedAt == nil })
			if i < 0 {
				return fmt.Errorf("check-in %d is calling but has no attempt in progress", id)
			}
			a := ci.Attempts[i]
			a.EndedAt, a.Outcome, a.FailureReason = &now, wellcheck.OutcomeFailed, ReasonInterrupted
			if err := q.EndAttempt(ctx, a); err != nil {
				return err
			}
			ci.Attempts[i] = a
			c.log().WarnContext(ctx, "call interrupted: its node stopped mid-call", "check_in_id", id, "attempt", a.Number, "call_id", a.CallID)
			recovered++
			return ignoreDone(c.after(ctx, q, ci, a))
		})
		if err != nil {
			return recovered, fmt.Errorf("recover check-in %d: %w", id, err)
		}
	}
	// A check-in whose job a dead node took before dialling gets a new job at
	// once, not when River rescues the old one; should that one still be alive,
	// the attempt rows let only one of the two dial.
	unworked, err := c.Store.Queries().UnworkedCheckIns(ctx, now.Add(-c.staleAfter()), now, time.Now().Add(-c.staleAfter()))
	if err != nil {
		return recovered, err
	}
	if len(unworked) > 0 {
		err := c.Store.WithTx(ctx, func(q *store.Queries) error {
			for _, u := range unworked {
				if err := c.Jobs.EnqueueRetry(ctx, q, u.CheckInID, u.Attempts+1, time.Now()); err != nil {
					return err
				}
				c.log().WarnContext(ctx, "check-in due with no job working it: queued again", "check_in_id", u.CheckInID, "attempt", u.Attempts+1)
			}
			return nil
		})
		if err != nil {
			return recovered, err
		}
		recovered += len(unworked)
	}
	// An escalation whose node died (mid-call or between calls), or whose job
	// gave up, is taken up again.
	stale, err := c.Store.Queries().StaleEscalations(ctx, now.Add(-c.staleAfter()), time.Now().Add(-c.staleAfter()))
	if err != nil {
		return recovered, err
	}
	for _, id := range stale {
		err := c.Store.WithTx(ctx, func(q *store.Queries) error {
			_, err := c.Jobs.client.InsertTx(ctx, q.Tx(), EscalateArgs{EscalationID: id}, nil)
			return err
		})
		if err != nil {
			return recovered, fmt.Errorf("take up escalation %d: %w", id, err)
		}
		c.log().WarnContext(ctx, "escalation taken up: nothing was working it (its node stopped, or its job gave up or waited long for a channel)", "escalation_id", id)
		recovered++
	}
	return recovered, nil
}

// ignoreDone: finishing a check-in says errDone to stop a claim; elsewhere it
// is success.
func ignoreDone(err error) error {
	if errors.Is(err, errDone) {
		return nil
	}
	return err
}

func (c *Calls) log() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}
