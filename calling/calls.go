// Package calling places wellcheck's calls: a check-in's attempts (dial,
// apply the domain's decision, record), the calls to an escalation's emergency
// contacts and the admins' test calls; it recovers the calls whose node died
// and hands calls back when its node stops. What a finished check-in asks of
// people is care's (package care); when a job runs is River's (package jobs).
package calling

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// Dialer places calls: *dialer.Dialer, or a fake (dialer/dialertest) in tests.
type Dialer interface {
	Place(ctx context.Context, req dialer.Request) (dialer.Result, error)
}

// Queue is where calling leaves the calls that come later. Times are on the
// machine's clock.
type Queue interface {
	EnqueueRetry(ctx context.Context, q *store.Queries, checkInID int64, attempt int, at time.Time) error
	EnqueueEscalation(ctx context.Context, q *store.Queries, escalationID int64) error
}

// Calls dials check-ins and applies what each call means for the person
// (wellcheck.AfterCall): a retry within the day, or a final state, handed to
// Care in the same transaction.
type Calls struct {
	Store  *store.Store
	Dialer Dialer
	Queue  Queue
	// Care takes the check-ins that end.
	Care *care.Cases
	// Transfers, if set, puts a person who presses 2 through to a free
	// listener at once (the switchboard's, on nodes with the browser phone).
	Transfers interface {
		Transfer(person int64, name string) dialer.Transfer
	}
	Logger *slog.Logger
	// Node names this process in attempts and heartbeats (default: host:pid
	// and a random part, see node).
	Node string
	// StaleAfter is how long an attempt may stay in progress before it is
	// presumed lost with its node (default 5 min: longer than any call).
	StaleAfter time.Duration
	// FailedRetry is how long to wait before dialling again after a call that
	// failed through no fault of the person's (default 5 min).
	FailedRetry time.Duration
	// MaxFailures is how many such failures in a row make the check-in a
	// system_error for the admins (default 3).
	MaxFailures int
	// Trunk tells a trunk that fails everyone from persons who do not
	// answer (zero: the defaults).
	Trunk wellcheck.TrunkRule
	// Line, if set, is this node's own view of the trunk (the dialer's
	// keep-alives): while it sees the trunk down, the node's calls wait,
	// held as in a storm and counting against nobody.
	Line interface{ TrunkDown() bool }
	// Metrics, if set, counts the calls.
	Metrics *metrics.Metrics
	// Journal, if set, keeps the outcomes heard until the database has them,
	// across the node's restarts (OpenJournal).
	Journal *Journal
	// DeadAfter is how long a node may go without a heartbeat before its
	// calls in progress are presumed lost (default 1 min; Beat every
	// BeatEvery, default 10 s).
	DeadAfter time.Duration
	// Heartbeats is the store the heartbeat goes through (default Store):
	// a pool of its own, so that calls holding every connection of the
	// node's pool never silence it and get its calls presumed lost.
	Heartbeats *store.Store
	// MaxSkew is how far the machine's clock may be from the database's
	// before the node stops starting calls (default 2 s); MachineClock reads
	// the machine's clock (default time.Now; a test's injected skew).
	MaxSkew      time.Duration
	MachineClock func() time.Time
	Now          func() time.Time

	offset atomic.Int64 // the machine's clock minus the database's, at the last beat
	skewed atomic.Bool

	nameOnce sync.Once
	name     string

	drainOnce   sync.Once
	drain       context.Context
	drainCancel context.CancelFunc
}

func (c *Calls) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// wall converts a time on the service's clock (Now) to the machine's, for
// River's schedule: they differ only in tests that run the service's clock
// elsewhere.
func (c *Calls) wall(t time.Time) time.Time { return time.Now().Add(t.Sub(c.now())) }

// until is how long a job that came early waits: until t, a second at least.
func (c *Calls) until(t time.Time) time.Duration { return max(t.Sub(c.now()), time.Second) }

// node names this process in attempts and heartbeats: Node, else host:pid
// and a random part, so that a process restarted with the same pid (PID 1 in
// a container) is a new node, and the calls its previous life left are
// recovered as that node's.
func (c *Calls) node() string {
	if c.Node != "" {
		return c.Node
	}
	c.nameOnce.Do(func() {
		host, _ := os.Hostname()
		c.name = host + ":" + strconv.Itoa(os.Getpid()) + ":" + rand.Text()[:6]
	})
	return c.name
}

func (c *Calls) staleAfter() time.Duration { return cmp.Or(c.StaleAfter, 5*time.Minute) }

func (c *Calls) failures() wellcheck.Failures {
	return wellcheck.Failures{RetryAfter: c.FailedRetry, InARow: c.MaxFailures}.OrDefault()
}

// calendar returns the service's calendar and settings as of now: Care's
// copy, so that a call's decision and its hand-on read the same settings.
func (c *Calls) calendar(ctx context.Context, q *store.Queries, now time.Time) (*scheduler.Calendar, wellcheck.Settings, error) {
	return c.Care.Calendar(ctx, q, now)
}

func (c *Calls) log() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// verdict is what judge decided about an attempt: dial it now, wait until
// wait, or neither — there is nothing to dial (the check-in ended, or another
// delivery of the job made the attempt).
type verdict struct {
	dial bool
	wait time.Time
}

// skewWait is how long a call waits on a node whose clock is off.
const skewWait = 30 * time.Second

// errNotDialled tells the dialer that a claim decided against the call; the
// claim keeps its verdict.
var errNotDialled = errors.New("the call is no longer to be placed")

// errNumberChanged stops a claim whose person's number changed since the job
// read it: the job runs again with the new one.
var errNumberChanged = errors.New("the person's number changed while the call waited for a channel")

// Run works one call job: attempt (from 1) of the check-in. The attempt row is
// committed before the INVITE leaves, once a channel is free and the call is
// still allowed, so a job delivered twice never calls twice; the outcome, and
// what follows from it, are committed together. A job that came early, or
// that its node hands back as it stops, must come back after wait.
func (c *Calls) Run(ctx context.Context, checkInID int64, attempt int) (wait time.Duration, err error) {
	attempt = max(attempt, 1)
	// A first look, without a channel: most jobs that have nothing to do stop here.
	var person store.CallPerson
	var personID int64
	var slot time.Time // the first call's, whose lag the metrics show
	var leaveMessage bool
	v, err := c.look(ctx, checkInID, attempt, false, func(q *store.Queries, ci store.CallCheckIn) error {
		person, personID = ci.Person, ci.PersonID
		if attempt == 1 {
			slot = ci.SlotAt
		}
		// The settings judge just read (its copy, at most 30 s old): no
		// second query per call.
		_, set, err := c.calendar(ctx, q, c.now())
		leaveMessage = set.VoicemailMessage
		return err
	})
	if err != nil {
		return c.later(v, fmt.Errorf("check-in %d attempt %d: %w", checkInID, attempt, err))
	}
	if !v.dial {
		return c.later(v, nil)
	}

	var attemptID int64
	var started time.Time
	claim := func(ctx context.Context) error {
		v, err = c.look(ctx, checkInID, attempt, true, func(q *store.Queries, ci store.CallCheckIn) error {
			if ci.Person.Phone != person.Phone {
				return errNumberChanged
			}
			started = c.now()
			var err error
			attemptID, err = q.StartAttempt(ctx, checkInID, attempt, started, c.node())
			return err
		})
		if err == nil && !v.dial {
			return errNotDialled
		}
		return err
	}
	req := dialer.Request{To: person.Phone, Lang: person.Language, LeaveMessage: leaveMessage, Claim: claim}
	if c.Transfers != nil {
		req.Transfer = c.Transfers.Transfer(personID, person.Name)
	}
	res, err := c.place(ctx, metrics.CheckInCall, req, slot)
	if attemptID == 0 {
		if errors.Is(err, errNotDialled) {
			return c.later(v, nil)
		}
		return c.later(verdict{}, fmt.Errorf("check-in %d attempt %d: %w", checkInID, attempt, err))
	}
	if err != nil {
		// Claimed, then no call: the dialer refused after the claim (it does not
		// today). Recorded as our failure, so the person is called again.
		res = dialer.Result{Outcome: wellcheck.OutcomeFailed, Reason: err.Error(), Local: true}
	}
	if res.Local {
		res.Reason = wellcheck.OnOurSide + res.Reason
	}
	ended := c.now()
	a := wellcheck.Attempt{
		ID: attemptID, CheckInID: checkInID, Number: attempt, StartedAt: started, EndedAt: &ended,
		Outcome: res.Outcome, SIPStatus: res.SIPStatus, CallID: res.CallID, Ring: res.Ring, Talk: res.Talk,
		Digits: res.Digits, FailureReason: res.Reason, Quality: res.Quality,
	}
	if res.TakenBy != 0 {
		a.TakenBy = &res.TakenBy
	}
	// The outcome must not be lost with a cancelled job, a database away or
	// the node stopping: a "press 2" is somebody asking for help.
	return 0, c.record(context.WithoutCancel(ctx), a)
}

// look locks the check-in and judges attempt, in a transaction of its own
// that is committed whatever the verdict (a check-in that can no longer be
// called ends there); then runs in it when the verdict is to dial. claiming
// says the call leaves if it is.
func (c *Calls) look(ctx context.Context, checkInID int64, attempt int, claiming bool, then func(q *store.Queries, ci store.CallCheckIn) error) (verdict, error) {
	var v verdict
	err := c.Store.WithTx(ctx, func(q *store.Queries) error {
		if _, skewed := c.Skew(); skewed {
			// A node whose clock is off would judge windows, hours and
			// deadlines wrong (and judge ends check-ins): the call waits for
			// this node's clock, or another node.
			v = verdict{wait: c.now().Add(skewWait)}
			return nil
		}
		ci, err := q.LockCheckInForCall(ctx, checkInID)
		if err != nil {
			return err
		}
		if v, err = c.judge(ctx, q, ci, attempt, claiming); err != nil || !v.dial {
			return err
		}
		return then(q, ci)
	})
	return v, err
}

// later is what a job that did not dial tells River: come back after wait
// (it came early, or its node is stopping), or nothing (nothing to dial, or
// its check-in was erased with its person: nobody to call, nothing to retry).
func (c *Calls) later(v verdict, err error) (time.Duration, error) {
	switch {
	case errors.Is(err, errHandedBack):
		return time.Second, nil
	case errors.Is(err, wellcheck.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	case !v.wait.IsZero():
		return c.until(v.wait), nil
	}
	return 0, nil
}

// judge decides, with the check-in locked, whether attempt may be dialled
// now (claiming: and the call leaves if so); a check-in that can no longer be
// called is finished on the way.
func (c *Calls) judge(ctx context.Context, q *store.Queries, ci store.CallCheckIn, attempt int, claiming bool) (verdict, error) {
	now := c.now()
	switch {
	case ci.State.Final():
		return verdict{}, nil
	case len(ci.Attempts) >= attempt, ci.CallingSince != nil:
		return verdict{}, nil // this attempt was made (or is being made) by another delivery
	case len(ci.Attempts) < attempt-1:
		c.log().ErrorContext(ctx, "call job ahead of its check-in's attempts", "check_in_id", ci.ID, "attempt", attempt, "made", len(ci.Attempts))
		return verdict{}, nil
	case ci.State == wellcheck.CheckInPlanned && attempt > 1:
		return verdict{}, nil
	}
	if ci.Person.Status == wellcheck.PersonWithdrawn {
		return verdict{}, c.finish(ctx, q, ci, wellcheck.Next{State: wellcheck.CheckInCancelled, Reason: wellcheck.ReasonWithdrawn}, now)
	}
	if ci.Person.Status == wellcheck.PersonPaused && ci.Person.PausedUntil != nil && now.Before(*ci.Person.PausedUntil) {
		return verdict{}, c.finish(ctx, q, ci, wellcheck.Next{State: wellcheck.CheckInCancelled, Reason: wellcheck.ReasonPaused}, now)
	}
	due := ci.SlotAt
	if ci.RetryAt != nil && attempt > 1 {
		due = *ci.RetryAt
	}
	if now.Before(due) {
		return verdict{wait: due}, nil
	}
	cal, set, err := c.calendar(ctx, q, now)
	if err != nil {
		return verdict{}, err
	}
	// The last moment to call: the deadline, and for a retry the day's
	// cut-off too (a retry held or delayed past it would leave a listener
	// no time to act on an unreached person the same day).
	limit := ci.DeadlineAt
	if attempt > 1 {
		limit = earlier(limit, cutoff(ci, cal, set).Add(time.Nanosecond))
	}
	if !now.Before(limit) {
		next, err := c.giveUp(ctx, q, ci)
		if err != nil {
			return verdict{}, err
		}
		return verdict{}, c.finish(ctx, q, ci, next, now)
	}
	if reason, _ := cal.Closed(now); reason != "" && len(ci.Attempts) == 0 {
		// A closure added after planning: the planner moves the call.
		return verdict{}, c.finish(ctx, q, ci, wellcheck.Next{State: wellcheck.CheckInCancelled, Reason: wellcheck.ReasonClosed}, now)
	}
	if ok, until := callable(ci, cal, now); !ok {
		if !until.IsZero() && until.Before(ci.DeadlineAt) {
			return verdict{wait: until}, nil
		}
		return verdict{}, c.finish(ctx, q, ci, wellcheck.GiveUp(ci.Attempts), now)
	}
	// A trunk in a storm, or down as this node sees it, holds the call, up
	// to a little before its limit: then it ends (trunk_down) before the
	// planner's sweep would call it missed.
	until, err := c.held(ctx, q, now, fmt.Sprintf("check-in %d attempt %d", ci.ID, attempt), claiming)
	switch giveUpAt := limit.Add(-heldMargin); {
	case err != nil:
		return verdict{}, err
	case until.IsZero():
		return verdict{dial: true}, nil
	case !now.Before(giveUpAt):
		next, err := c.giveUp(ctx, q, ci)
		if err != nil {
			return verdict{}, err
		}
		return verdict{}, c.finish(ctx, q, ci, next, now)
	default:
		return verdict{wait: earlier(until, giveUpAt)}, nil
	}
}

// heldMargin is how long before its limit a call the trunk holds gives up.
const heldMargin = time.Minute

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// giveUp is how a check-in past its deadline ends (wellcheck.GiveUp), the
// reason trunk_down when a storm going on, or the trunk down as this node
// sees it, kept it from being called at all.
func (c *Calls) giveUp(ctx context.Context, q *store.Queries, ci store.CallCheckIn) (wellcheck.Next, error) {
	next := wellcheck.GiveUp(ci.Attempts)
	if next.Reason != wellcheck.ReasonNotCalledInTime {
		return next, nil
	}
	if c.lineDown() {
		next.Reason = wellcheck.ReasonTrunkDown
		return next, nil
	}
	_, stormy, err := storm(ctx, q)
	if stormy {
		next.Reason = wellcheck.ReasonTrunkDown
	}
	return next, err
}

// callable reports whether the person may be called at now: inside their
// window (in their zone) and the service's hours; if not, until is when they
// next may be today (zero if not today).
func callable(ci store.CallCheckIn, cal *scheduler.Calendar, now time.Time) (ok bool, until time.Time) {
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

// allowed reports whether an attempt at t is: before the check-in's deadline
// (the person's window, the service's closing), no later than the day's
// cut-off, so that a listener can still act on an unreached person the same
// day, inside the person's window and while the service is open.
func allowed(ci store.CallCheckIn, cal *scheduler.Calendar, set wellcheck.Settings, t time.Time) bool {
	if !t.Before(ci.DeadlineAt) || t.After(cutoff(ci, cal, set)) {
		return false
	}
	ok, _ := callable(ci, cal, t)
	return ok
}

// cutoff is the day's cut-off of the check-in's day: no retry after it.
func cutoff(ci store.CallCheckIn, cal *scheduler.Calendar, set wellcheck.Settings) time.Time {
	y, m, d := ci.SlotAt.In(cal.Loc).Date()
	return time.Date(y, m, d, set.Cutoff.Hour(), set.Cutoff.Minute(), 0, 0, cal.Loc)
}

// record ends attempt a with its outcome and applies what follows, in one
// transaction. The call has happened and its outcome must land: it is held
// in the node's journal first, then tried for as long as the database is
// away (keep); should the node stop meanwhile, it is recorded when the node
// starts again (Replay).
func (c *Calls) record(ctx context.Context, a wellcheck.Attempt) error {
	if c.Journal != nil {
		if err := c.Journal.Hold(a); err != nil {
			c.log().ErrorContext(ctx, "the outcome journal cannot be written: this outcome is kept in memory only",
				"check_in_id", a.CheckInID, "attempt", a.Number, "err", err)
		}
	}
	var trunk trunkVerdict
	err := c.keep(ctx, "check_in_id", a.CheckInID, func(q *store.Queries) (err error) {
		trunk, err = c.apply(ctx, q, a)
		return err
	})
	if err == nil && trunk.carried {
		c.endStorm(ctx, trunk.storm)
	}
	switch {
	case err == nil, errors.Is(err, wellcheck.ErrNotFound):
		// Recorded; or its check-in was erased with its person: nobody to
		// record it for.
		if c.Journal != nil {
			if jerr := c.Journal.Recorded(a.ID); jerr != nil {
				c.log().ErrorContext(ctx, "the outcome journal cannot be written", "err", jerr)
			}
		}
	default:
		// Refused for a reason trying again now would not change: it stays in
		// the journal, and the node tries again when it starts.
		c.log().ErrorContext(ctx, "a call's outcome was refused by the database: kept in the journal for the node's next start",
			"check_in_id", a.CheckInID, "attempt", a.Number, "outcome", a.Outcome, "call_id", a.CallID, "err", err)
	}
	if err != nil {
		return fmt.Errorf("record attempt %d of check-in %d: %w", a.Number, a.CheckInID, err)
	}
	return nil
}

// apply ends attempt a with its outcome, the check-in locked, and decides
// what follows: the next attempt or a final state (after). An outcome that
// comes late — its call was presumed lost (wellcheck.Interrupted), or its
// check-in ended meanwhile — is the person's real answer and wins over what
// was presumed (wellcheck.Corrected). It says what the call showed of the
// trunk (trunkAfter).
func (c *Calls) apply(ctx context.Context, q *store.Queries, a wellcheck.Attempt) (trunkVerdict, error) {
	var trunk trunkVerdict
	ci, err := q.LockCheckInForCall(ctx, a.CheckInID)
	if err != nil {
		return trunk, err
	}
	err = q.EndAttempt(ctx, a)
	if errors.Is(err, store.ErrAttemptEnded) {
		return trunk, nil // recorded before (a journal replayed after its mark was lost)
	}
	if err != nil {
		return trunk, err
	}
	i := slices.IndexFunc(ci.Attempts, func(x wellcheck.Attempt) bool { return x.ID == a.ID })
	late := i >= 0 && ci.Attempts[i].EndedAt != nil
	if i >= 0 {
		ci.Attempts[i] = a
	} else {
		ci.Attempts = append(ci.Attempts, a)
	}
	if !late && !ci.State.Final() {
		marked, trunk, err := c.trunkAfter(ctx, q, a)
		if err != nil {
			return trunk, err
		}
		markTrunk(ci.Attempts, marked)
		return trunk, c.after(ctx, q, ci, *a.EndedAt)
	}
	next, ok := wellcheck.Corrected(ci.State, a.Outcome)
	if !ok {
		return trunk, nil
	}
	c.log().WarnContext(ctx, "a call's real outcome came late and wins over what was presumed",
		"check_in_id", ci.ID, "attempt", a.Number, "outcome", a.Outcome, "was", ci.State, "now", next.State)
	return trunk, c.finish(ctx, q, ci, next, c.now())
}

// Replay records the outcomes the journal holds from before the node
// (re)started: each as if its call had just ended, waiting for the database
// if need be. It returns how many it recorded.
func (c *Calls) Replay(ctx context.Context) int {
	if c.Journal == nil {
		return 0
	}
	n := 0
	for _, a := range c.Journal.Pending() {
		c.log().WarnContext(ctx, "recording an outcome held in the journal", "check_in_id", a.CheckInID, "attempt", a.Number, "outcome", a.Outcome)
		if err := c.record(ctx, a); err == nil {
			n++
		}
	}
	for _, o := range c.Journal.PendingContacts() {
		c.log().WarnContext(ctx, "recording a contact's answer held in the journal", "escalation_id", o.Escalation, "position", o.Position, "outcome", o.Outcome)
		if _, err := c.recordContactCall(ctx, o); err == nil {
			n++
		}
	}
	return n
}

// keep runs fn in a transaction until it commits, while the database cannot
// be reached or cannot answer (store.Unavailable), waiting longer each time
// (up to keepBackoff); it gives up only on a refusal. Each try is bounded, so
// that a database that drops packets is tried again rather than waited for.
// idKey and id name what is written, for the log, which says once that it
// waits and once that it got through.
func (c *Calls) keep(ctx context.Context, idKey string, id int64, fn func(q *store.Queries) error) error {
	ctx = context.WithoutCancel(ctx) // what a call ended in outlives its job
	wait, since := 200*time.Millisecond, time.Now()
	for try := 1; ; try++ {
		tctx, cancel := context.WithTimeout(ctx, keepTry)
		err := c.Store.WithTx(tctx, fn)
		cancel()
		switch {
		case err == nil:
			if try > 1 {
				c.log().InfoContext(ctx, "a call's outcome was recorded once the database answered", idKey, id, "tries", try, "after", time.Since(since).Round(time.Second))
			}
			return nil
		case !store.Unavailable(err):
			return err
		case try == 1:
			c.log().WarnContext(ctx, "the database cannot record a call's outcome: held, and tried again until it can", idKey, id, "err", err)
		}
		time.Sleep(wait)
		wait = min(wait*2, keepBackoff)
	}
}

// keepTry bounds one try at recording an outcome; keepBackoff the wait
// between tries while the database is away.
const (
	keepTry     = 15 * time.Second
	keepBackoff = 10 * time.Second
)

// after applies, with the check-in locked and its last attempt (ended at now)
// recorded, what the attempts mean (wellcheck.AfterCall): a final state, or
// the next attempt, queued.
func (c *Calls) after(ctx context.Context, q *store.Queries, ci store.CallCheckIn, now time.Time) error {
	cal, set, err := c.calendar(ctx, q, now)
	if err != nil {
		return err
	}
	policy := set.Retry
	if ci.Person.Retry != nil {
		policy = *ci.Person.Retry
	}
	next := wellcheck.AfterCall(ci.Attempts, policy, c.failures(), now, func(t time.Time) bool { return allowed(ci, cal, set, t) })
	if next.Final() {
		return c.finish(ctx, q, ci, next, now)
	}
	if err := q.WaitForRetry(ctx, ci.ID, next.Retry); err != nil {
		return err
	}
	return c.Queue.EnqueueRetry(ctx, q, ci.ID, len(ci.Attempts)+1, c.wall(next.Retry))
}

// finish puts the check-in in its final state and hands it to Care, in q's
// transaction.
func (c *Calls) finish(ctx context.Context, q *store.Queries, ci store.CallCheckIn, end wellcheck.Next, now time.Time) error {
	if err := q.FinishCheckIn(ctx, ci.ID, end.State, end.Reason, now); err != nil {
		return err
	}
	c.log().InfoContext(ctx, "check-in finished", "check_in_id", ci.ID, "person_id", ci.PersonID, "state", end.State, "reason", end.Reason, "attempts", len(ci.Attempts))
	return c.Care.HandOn(ctx, q, ci, end.State, end.Reason, now)
}
