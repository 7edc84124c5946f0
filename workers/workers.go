// Package workers holds wellcheck's River jobs and their workers: the planner's
// periodic passes now; the check-in calls, retries, assignment and escalation as
// they are built. It is the only package that talks to River.
package workers

import (
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
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// Queues.
const (
	QueueCalls   = "calls"   // one job per check-in, due at its slot
	QueuePlanner = "planner" // planner passes and sweeps
)

// CallArgs is the job that dials one check-in at its slot.
type CallArgs struct {
	CheckInID int64 `json:"check_in_id"`
}

func (CallArgs) Kind() string { return store.CallJobKind }

func (CallArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueCalls} }

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

// EnqueueCalls adds one call job per check-in, scheduled at its slot, in q's
// transaction, with one COPY.
func (j *Jobs) EnqueueCalls(ctx context.Context, q *store.Queries, checkIns []wellcheck.CheckIn) error {
	params := make([]river.InsertManyParams, len(checkIns))
	for i, c := range checkIns {
		params[i] = river.InsertManyParams{
			Args:       CallArgs{CheckInID: c.ID},
			InsertOpts: &river.InsertOpts{Queue: QueueCalls, ScheduledAt: c.SlotAt},
		}
	}
	_, err := j.client.InsertManyFastTx(ctx, q.Tx(), params)
	return err
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
		return err
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

// PlanWorker runs planner passes.
type PlanWorker struct {
	river.WorkerDefaults[PlanArgs]
	Planner *scheduler.Planner
}

func (w *PlanWorker) Work(ctx context.Context, _ *river.Job[PlanArgs]) error {
	_, err := w.Planner.Pass(ctx)
	return err
}

// Timeout: a pass over a million persons takes tens of seconds, more than
// River's default minute on a loaded machine.
func (w *PlanWorker) Timeout(*river.Job[PlanArgs]) time.Duration { return 30 * time.Minute }

// SweepWorker runs sweeps.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Planner *scheduler.Planner
}

func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	_, err := w.Planner.Sweep(ctx)
	return err
}

// Timeout: after a long outage a sweep hands on a whole day's calls.
func (w *SweepWorker) Timeout(*river.Job[SweepArgs]) time.Duration { return 10 * time.Minute }

// Config is what the scheduler role needs.
type Config struct {
	Planner *scheduler.Planner
	// PlanEvery is the interval between planner passes (default 1 h); a pass
	// also runs when the client starts, so a restart never skips a day.
	PlanEvery time.Duration
	// SweepEvery is the interval between sweeps (default 1 min).
	SweepEvery time.Duration
	Logger     *slog.Logger
}

// NewClient returns the River client of the scheduler role: it works the
// planner queue and, on the elected leader only, enqueues the periodic passes
// and sweeps.
func NewClient(pool *pgxpool.Pool, cfg Config) (*river.Client[pgx.Tx], error) {
	if cfg.PlanEvery <= 0 {
		cfg.PlanEvery = time.Hour
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = time.Minute
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &PlanWorker{Planner: cfg.Planner}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &SweepWorker{Planner: cfg.Planner}); err != nil {
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:  cfg.Logger,
		Queues:  map[string]river.QueueConfig{QueuePlanner: {MaxWorkers: 1}},
		Workers: workers,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cfg.PlanEvery),
				func() (river.JobArgs, *river.InsertOpts) { return PlanArgs{}, nil },
				&river.PeriodicJobOpts{ID: "plan", RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.SweepEvery),
				func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
				&river.PeriodicJobOpts{ID: "sweep", RunOnStart: true}),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return client, nil
}
