// Package jobs is where wellcheck meets River: the jobs' arguments, the thin
// workers that hand each job to the stage that does the work (scheduler's
// planner, calling, care, admin), the periodic jobs, and the queue the stages
// leave later work in. It is the only package that talks to River.
package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/calling"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/internal/logctx"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// Queues.
const (
	QueueCalls   = "calls"   // one job per check-in, due at its slot
	QueuePlanner = "planner" // planner passes and sweeps
)

// CallArgs is the job that dials one attempt of a check-in: the first at its
// slot (Attempt 0 or 1), a retry when it is due. Its shape is the store's,
// whose SQL reads it.
type CallArgs store.CallJob

func (CallArgs) Kind() string { return store.CallJobKind }

func (CallArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCalls, Priority: callPriority}
}

// callPriority puts check-in calls behind the calls queue's other jobs
// (escalations, callbacks coming due, recovery; River's priority 1): a
// morning's thousands of slots must not hold back an escalation raised at
// 10:20.
const callPriority = 2

// Jobs enqueues and cancels check-in calls; it implements scheduler.Jobs.
type Jobs struct {
	client *river.Client[pgx.Tx]
}

// NewJobs returns Jobs inserting through an insert-only River client on pool:
// any process that plans (the CLI enrolling a person, the web UI editing a plan,
// a node running the planner) can enqueue calls without working them.
func NewJobs(pool *pgxpool.Pool, logger *slog.Logger) (*Jobs, error) {
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("river insert client: %w", err)
	}
	return &Jobs{client: client}, nil
}

// Client is the River client jobs go through (for River's own dashboard).
func (j *Jobs) Client() *river.Client[pgx.Tx] { return j.client }

// EnqueueCalls adds one call job per check-in, scheduled at its slot, in q's
// transaction, with one COPY.
func (j *Jobs) EnqueueCalls(ctx context.Context, q *store.Queries, checkIns []wellcheck.CheckIn) error {
	params := make([]river.InsertManyParams, len(checkIns))
	for i, c := range checkIns {
		params[i] = river.InsertManyParams{
			Args:       CallArgs{CheckInID: c.ID},
			InsertOpts: &river.InsertOpts{Queue: QueueCalls, Priority: callPriority, ScheduledAt: c.SlotAt},
		}
	}
	if _, err := j.client.InsertManyFastTx(ctx, q.Tx(), params); err != nil {
		return fmt.Errorf("enqueue %d calls: %w", len(params), err)
	}
	return nil
}

// EnqueueRetry adds, in q's transaction, the job that dials attempt of a
// check-in at at.
func (j *Jobs) EnqueueRetry(ctx context.Context, q *store.Queries, checkInID int64, attempt int, at time.Time) error {
	_, err := j.client.InsertTx(ctx, q.Tx(), CallArgs{CheckInID: checkInID, Attempt: attempt}, &river.InsertOpts{Queue: QueueCalls, Priority: callPriority, ScheduledAt: at})
	if err != nil {
		return fmt.Errorf("enqueue attempt %d of check-in %d: %w", attempt, checkInID, err)
	}
	return nil
}

// CancelCalls cancels, in q's transaction, the call jobs of these check-ins that
// are still waiting. The call worker re-reads the check-in's state before
// dialling anyway; this keeps the queue true.
func (j *Jobs) CancelCalls(ctx context.Context, q *store.Queries, checkInIDs []int64) error {
	if len(checkInIDs) == 0 {
		return nil
	}
	jobIDs, err := q.WaitingCallJobs(ctx, checkInIDs)
	if err != nil {
		return fmt.Errorf("cancel calls: %w", err)
	}
	for _, id := range jobIDs {
		if _, err := j.client.JobCancelTx(ctx, q.Tx(), id); err != nil && !errors.Is(err, rivertype.ErrNotFound) {
			return fmt.Errorf("cancel job %d: %w", id, err)
		}
	}
	return nil
}

// PlanArgs is a planner pass.
type PlanArgs struct{}

func (PlanArgs) Kind() string { return "plan_check_ins" }

func (PlanArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePlanner, MaxAttempts: 5, UniqueOpts: notQueuedTwice}
}

// SweepArgs finalises check-ins whose time passed without a call.
type SweepArgs struct{}

func (SweepArgs) Kind() string { return "sweep_check_ins" }

func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePlanner, MaxAttempts: 5, UniqueOpts: notQueuedTwice}
}

// notQueuedTwice keeps a slow pass from piling up copies of itself.
var notQueuedTwice = river.UniqueOpts{ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}}

// worker works jobs of kind A with a function, within a timeout (zero:
// River's default minute).
type worker[A river.JobArgs] struct {
	river.WorkerDefaults[A]
	work    func(context.Context, A) error
	timeout time.Duration
}

func (w *worker[A]) Work(ctx context.Context, job *river.Job[A]) error { return w.work(ctx, job.Args) }

func (w *worker[A]) Timeout(*river.Job[A]) time.Duration { return w.timeout }

// snooze turns a stage's "come back after wait" into River's snooze.
func snooze(wait time.Duration, err error) error {
	if err == nil && wait > 0 {
		return river.JobSnooze(wait)
	}
	return err
}

// add registers a worker of kind A.
func add[A river.JobArgs](ws *river.Workers, timeout time.Duration, work func(context.Context, A) error) error {
	return river.AddWorkerSafely(ws, &worker[A]{work: work, timeout: timeout})
}

// Timeouts: a planner pass over a million persons takes tens of seconds, more
// than River's default minute on a loaded machine; after a long outage a sweep
// hands on a whole day's calls; a call job covers waiting for a free channel
// and the longest call — a check-in put through to a listener becomes a
// conversation, as long as a listener's own call may last —, and an
// escalation its (at most three) contacts' calls.
const (
	planTimeout      = 30 * time.Minute
	sweepTimeout     = 10 * time.Minute
	callJobTimeout   = dialer.DefaultMaxConversation + 20*time.Minute
	retentionTimeout = 20 * time.Minute // batched: what is left waits for the next run
)

// RecoverArgs ends the calls whose node died mid-call.
type RecoverArgs struct{}

func (RecoverArgs) Kind() string { return "recover_calls" }

func (RecoverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCalls, MaxAttempts: 3, UniqueOpts: notQueuedTwice}
}

// Config is what a node's River client runs: the scheduler role (Planner) and
// the worker role (Calls), either or both.
type Config struct {
	Planner *scheduler.Planner
	// PlanEvery is the interval between planner passes (default 1 h); a pass
	// also runs when the client starts, so a restart never skips a day.
	PlanEvery time.Duration
	// SweepEvery is the interval between sweeps (default 1 min).
	SweepEvery time.Duration

	// Calls, Care and Admin are the worker role: the calls queue's jobs
	// (check-in calls, escalations, test calls, recoveries; follow-ups coming
	// due, hand-on; retention). Set all three, or none.
	Calls *calling.Calls
	Care  *care.Cases
	Admin *admin.Service
	// CallWorkers is how many calls this node works at once (default 10): at
	// least its share of the trunk's channels.
	CallWorkers int
	// RecoverEvery is how often calls whose node died are looked for (default 30 s).
	RecoverEvery time.Duration
	// ReassignEvery is how often follow-ups due on the list of a listener who
	// is away or off shift are handed on (default 1 min). Retention runs every
	// 6 hours.
	ReassignEvery time.Duration
	// PromoteEvery is how often call jobs coming due are made available
	// (default 200 ms): the lag between a slot and its INVITE.
	PromoteEvery time.Duration
	// RescueAfter is when River hands a job whose node died to another
	// (default 30 min; more than the call job's timeout).
	RescueAfter time.Duration
	// SoftStop is how long a stopping node lets its calls in progress end
	// before it cuts them short (River's SoftStopTimeout; zero waits for them
	// all). A call cut short is recorded as our failure and tried again.
	SoftStop time.Duration
	// Metrics, if set, counts the jobs this node works and fetches.
	Metrics *metrics.Metrics

	Logger *slog.Logger
}

// Client is a node's River client, with the loop that starts calls on time.
type Client struct {
	*river.Client[pgx.Tx]
	store        *store.Store
	calls        *calling.Calls
	promoteEvery time.Duration
	logger       *slog.Logger
	stop         context.CancelFunc
	done         chan struct{}
	stopBeat     context.CancelFunc
	beaten       chan struct{}
}

// NewClient returns the River client of a node's roles: the scheduler role
// works the planner queue (passes and sweeps), the worker role the calls
// queue; the elected leader, whichever it is, enqueues the periodic jobs.
func NewClient(pool *pgxpool.Pool, cfg Config) (*Client, error) {
	if cfg.PlanEvery <= 0 {
		cfg.PlanEvery = time.Hour
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = time.Minute
	}
	workers := river.NewWorkers()
	queues := map[string]river.QueueConfig{}
	if p := cfg.Planner; p != nil {
		if err := errors.Join(
			add(workers, planTimeout, func(ctx context.Context, _ PlanArgs) error { _, err := p.Pass(ctx); return err }),
			add(workers, sweepTimeout, func(ctx context.Context, _ SweepArgs) error { _, err := p.Sweep(ctx); return err }),
		); err != nil {
			return nil, err
		}
		queues[QueuePlanner] = river.QueueConfig{MaxWorkers: 1}
	}
	if c := cfg.Calls; c != nil {
		cs, ad := cfg.Care, cfg.Admin
		if cs == nil || ad == nil {
			return nil, errors.New("river client: the worker role needs Calls, Care and Admin")
		}
		if err := errors.Join(
			add(workers, callJobTimeout, func(ctx context.Context, a CallArgs) error { return snooze(c.Run(ctx, a.CheckInID, a.Attempt)) }),
			add(workers, 0, func(ctx context.Context, _ RecoverArgs) error { _, err := c.Recover(ctx); return err }),
			add(workers, callJobTimeout, func(ctx context.Context, a EscalateArgs) error { return snooze(c.Escalate(ctx, a.EscalationID)) }),
			add(workers, callJobTimeout, func(ctx context.Context, a TestCallArgs) error { return snooze(c.TestCall(ctx, a.TestCallID)) }),
			add(workers, 0, func(ctx context.Context, a FollowUpDueArgs) error { return snooze(cs.FollowUpDue(ctx, a.FollowUpID)) }),
			add(workers, 0, func(ctx context.Context, _ ReassignArgs) error { _, err := cs.HandOnOrphans(ctx); return err }),
			add(workers, retentionTimeout, func(ctx context.Context, _ RetentionArgs) error { _, err := ad.Retain(ctx); return err }),
		); err != nil {
			return nil, err
		}
		queues[QueueCalls] = river.QueueConfig{MaxWorkers: cmp.Or(cfg.CallWorkers, 10), FetchPollInterval: 200 * time.Millisecond}
	}
	// Whichever node River elects leader enqueues the periodic jobs, whatever
	// its roles: every node declares them all, and the queues decide who
	// works them (a scheduler-only leader still has the recoveries run).
	every := func(id string, d time.Duration, args river.JobArgs) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(d),
			func() (river.JobArgs, *river.InsertOpts) { return args, nil },
			&river.PeriodicJobOpts{ID: id, RunOnStart: true})
	}
	periodic := []*river.PeriodicJob{
		every("plan", cfg.PlanEvery, PlanArgs{}),
		every("sweep", cfg.SweepEvery, SweepArgs{}),
		every("recover", cmp.Or(cfg.RecoverEvery, 30*time.Second), RecoverArgs{}),
		every("reassign", cmp.Or(cfg.ReassignEvery, time.Minute), ReassignArgs{}),
		every("retention", 6*time.Hour, RetentionArgs{}),
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:               quiet(cfg.Logger),
		Queues:               queues,
		Workers:              workers,
		PeriodicJobs:         periodic,
		RescueStuckJobsAfter: cmp.Or(cfg.RescueAfter, callJobTimeout+10*time.Minute),
		SoftStopTimeout:      cfg.SoftStop,
		// Jobs for the other roles' queues are enqueued here too (a leader's
		// periodic jobs, a call's escalation) and worked elsewhere.
		SkipUnknownJobCheck: true,
		Hooks:               []rivertype.Hook{&jobMetrics{m: cfg.Metrics}},
		Middleware:          []rivertype.Middleware{working(cfg.Metrics)},
	})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	c := &Client{Client: client, store: store.New(pool), calls: cfg.Calls, logger: cfg.Logger}
	if cfg.Calls != nil {
		c.promoteEvery = cmp.Or(cfg.PromoteEvery, 200*time.Millisecond)
	}
	return c, nil
}

// jobMetrics gives the node's metrics the jobs River locks (its metric hook).
type jobMetrics struct {
	river.HookDefaults
	m *metrics.Metrics
}

func (h *jobMetrics) MetricEmit(_ context.Context, p *rivertype.HookMetricEmitParams) {
	switch m := p.Metric.(type) {
	case *rivertype.JobGetAvailableCountMetric:
		h.m.JobsFetched(m.Queue, m.Count)
	case *rivertype.JobGetAvailableDurationMetric:
		h.m.FetchTook(m.Queue, m.Duration)
	}
}

// working names the job in the lines its work logs, and counts it.
func working(m *metrics.Metrics) river.WorkerMiddlewareFunc {
	return func(ctx context.Context, job *rivertype.JobRow, work func(context.Context) error) error {
		started := time.Now()
		err := work(logctx.With(ctx, slog.Int64("job_id", job.ID), slog.String("job", job.Kind)))
		result := "ok"
		var snooze *river.JobSnoozeError
		var cancel *river.JobCancelError
		switch {
		case errors.As(err, &snooze):
			result = "snoozed"
		case errors.As(err, &cancel):
			result = "cancelled"
		case err != nil:
			result = "error"
		}
		m.JobWorked(job.Queue, job.Kind, result, time.Since(started))
		return err
	}
}

// Start starts River and, on a worker node, the loop that makes call jobs
// available as they come due.
func (c *Client) Start(ctx context.Context) error {
	if c.promoteEvery > 0 {
		// The heartbeat first, so that the node's clock is checked before its
		// first call; it beats until River has stopped (Stop), its calls in
		// progress included.
		beatCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c.stopBeat, c.beaten = cancel, make(chan struct{})
		tctx, done := context.WithTimeout(beatCtx, loopTry)
		if err := c.calls.Beat(tctx); err != nil {
			c.logger.WarnContext(ctx, "node heartbeat fails; trying again", "err", err)
		}
		done()
		go c.beat(beatCtx)
	}
	if err := c.Client.Start(ctx); err != nil {
		return err
	}
	if c.promoteEvery > 0 {
		ctx, c.stop = context.WithCancel(context.WithoutCancel(ctx))
		c.done = make(chan struct{})
		go c.promote(ctx)
		// Outcomes the node heard before it last stopped, recorded as soon as
		// the database answers.
		go c.calls.Replay(ctx)
	}
	return nil
}

// Stop stops the promotion loop, hands back the calls waiting for a channel,
// then stops River, letting calls in progress end within the soft stop
// (Config.SoftStop) before they are cut short.
func (c *Client) Stop(ctx context.Context) error {
	if c.stop != nil {
		c.stop()
		<-c.done
	}
	if c.calls != nil {
		c.calls.Drain()
	}
	err := c.Client.Stop(ctx)
	if c.stopBeat != nil {
		c.stopBeat()
		<-c.beaten
	}
	return err
}

// beat beats the node's heartbeat (calling.Calls.BeatEvery) until ctx ends.
func (c *Client) beat(ctx context.Context) {
	c.loop(ctx, c.beaten, c.calls.BeatEvery(), "node heartbeat", c.calls.Beat)
}

// promote makes call jobs available as they come due, until ctx ends.
func (c *Client) promote(ctx context.Context) {
	c.loop(ctx, c.done, c.promoteEvery, "make due calls available", func(ctx context.Context) error {
		_, err := c.store.Queries().PromoteDueCallJobs(ctx, c.promoteEvery)
		return err
	})
}

// loop tries what every d, each try bounded by loopTry, until ctx ends (then
// it closes done), saying once when it starts failing and once when it works
// again, not at every tick of an outage.
func (c *Client) loop(ctx context.Context, done chan struct{}, d time.Duration, what string, try func(context.Context) error) {
	defer close(done)
	t := time.NewTicker(d)
	defer t.Stop()
	var o outage
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		tctx, cancel := context.WithTimeout(ctx, loopTry)
		err := try(tctx)
		cancel()
		if ctx.Err() == nil {
			o.say(ctx, c.logger, what, err)
		}
	}
}

// loopTry bounds one promotion or heartbeat: a database that drops packets
// must not stop the loop.
const loopTry = 5 * time.Second

// outage remembers whether a loop's last try failed, so that an outage is
// logged when it begins and ends.
type outage struct {
	since time.Time
}

func (o *outage) say(ctx context.Context, logger *slog.Logger, what string, err error) {
	switch {
	case err != nil && o.since.IsZero():
		o.since = time.Now()
		logger.WarnContext(ctx, what+" fails; trying again", "err", err)
	case err == nil && !o.since.IsZero():
		logger.InfoContext(ctx, what+" works again", "after", time.Since(o.since).Round(time.Second))
		o.since = time.Time{}
	}
}

// EnqueuePass asks for a planner pass now, in q's transaction: after the
// calendar changed (opening hours, closures), planned calls follow it.
func (j *Jobs) EnqueuePass(ctx context.Context, q *store.Queries) error {
	if _, err := j.client.InsertTx(ctx, q.Tx(), PlanArgs{}, nil); err != nil {
		return fmt.Errorf("enqueue a planner pass: %w", err)
	}
	return nil
}

// EnqueueEscalation adds, in q's transaction, the job that calls escalation
// id's contacts.
func (j *Jobs) EnqueueEscalation(ctx context.Context, q *store.Queries, id int64) error {
	if _, err := j.client.InsertTx(ctx, q.Tx(), EscalateArgs{EscalationID: id}, nil); err != nil {
		return fmt.Errorf("enqueue escalation %d: %w", id, err)
	}
	return nil
}

// EnqueueFollowUpDue adds, in q's transaction, the job that puts follow-up id
// back on a list at at.
func (j *Jobs) EnqueueFollowUpDue(ctx context.Context, q *store.Queries, id int64, at time.Time) error {
	if _, err := j.client.InsertTx(ctx, q.Tx(), FollowUpDueArgs{FollowUpID: id}, &river.InsertOpts{ScheduledAt: at}); err != nil {
		return fmt.Errorf("enqueue follow-up %d: %w", id, err)
	}
	return nil
}

// EnqueueTestCall adds, in q's transaction, the job that places test call id.
func (j *Jobs) EnqueueTestCall(ctx context.Context, q *store.Queries, id int64) error {
	if _, err := j.client.InsertTx(ctx, q.Tx(), TestCallArgs{TestCallID: id}, nil); err != nil {
		return fmt.Errorf("enqueue test call %d: %w", id, err)
	}
	return nil
}

// EscalateArgs is the job that calls a person's emergency contacts, in order,
// until one acknowledges. Its shape is the store's, whose SQL reads it.
type EscalateArgs store.EscalationJob

func (EscalateArgs) Kind() string { return store.EscalationJobKind }

func (EscalateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCalls, MaxAttempts: 10}
}

// FollowUpDueArgs is the job that puts a scheduled follow-up on its list when
// its time comes.
type FollowUpDueArgs struct {
	FollowUpID int64 `json:"follow_up_id"`
}

func (FollowUpDueArgs) Kind() string { return "follow_up_due" }

func (FollowUpDueArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCalls, MaxAttempts: 25}
}

// ReassignArgs is the periodic job that hands on follow-ups whose listener
// went away or off shift.
type ReassignArgs struct{}

func (ReassignArgs) Kind() string { return "reassign_follow_ups" }

func (ReassignArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCalls, MaxAttempts: 3, UniqueOpts: notQueuedTwice}
}

// RetentionArgs is the periodic job that applies the retention settings.
type RetentionArgs struct{}

func (RetentionArgs) Kind() string { return "retention" }

func (RetentionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCalls, MaxAttempts: 3, UniqueOpts: notQueuedTwice}
}

// TestCallArgs is the job that places a test call an admin asked for on the
// settings page. It is tried once: a test call is never repeated unasked.
type TestCallArgs struct {
	TestCallID int64 `json:"test_call_id"`
}

func (TestCallArgs) Kind() string { return "test_call" }

func (TestCallArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCalls, Priority: 1, MaxAttempts: 1}
}
