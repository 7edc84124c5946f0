package store

import (
	"context"
	"errors"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// Gauges is the state of the service as /metrics shows it, the same on every
// node: counted in the database when scraped.
type Gauges struct {
	// CheckInsToday counts the check-ins whose slot falls on the service's day,
	// by state.
	CheckInsToday map[string]int64
	// Due counts the calls whose time has come (a first call's slot, a
	// retry's time) and that no node has started yet; OldestDue is how long
	// the one waiting longest has waited.
	Due       int64
	OldestDue time.Duration
	// FollowUps counts the pending follow-ups by list and lateness.
	FollowUps []FollowUpCount
	// Jobs counts River's jobs by queue, in the states RiverStates names.
	Jobs []JobCount
	// Storm is the trunk's storm going on, if any.
	Storm *wellcheck.TrunkStorm
}

// FollowUpCount is how many pending follow-ups are on a listener's list or in
// the shared pool (Pooled), past their due time or not.
type FollowUpCount struct {
	Pooled, Overdue bool
	N               int64
}

// RiverStates are the states of River's jobs that Gauges counts: the jobs
// waiting for a worker, being worked, failed and waiting to be tried again,
// and given up, which a healthy queue keeps small. Scheduled, completed and
// cancelled ones run to a million rows on a large service: counting them took
// 130 ms of each scrape.
var RiverStates = []string{"available", "pending", "running", "retryable", "discarded"}

// JobCount is how many of River's jobs are in a queue and state.
type JobCount struct {
	Queue, State string
	N            int64
}

// Gauges counts what /metrics shows: the check-ins of the day from dayStart
// to dayEnd, and the queues as they are at now.
func (q *Queries) Gauges(ctx context.Context, dayStart, dayEnd, now time.Time) (Gauges, error) {
	g := Gauges{CheckInsToday: map[string]int64{}}
	states, err := q.q.MetricsCheckInsByState(ctx, dbsqlc.MetricsCheckInsByStateParams{DayStart: dayStart, DayEnd: dayEnd})
	if err != nil {
		return g, translate(err, "count the day's check-ins")
	}
	for _, s := range states {
		g.CheckInsToday[s.State] = s.N
	}
	due, err := q.q.MetricsCallsDue(ctx, now)
	if err != nil {
		return g, translate(err, "count the calls due")
	}
	g.Due, g.OldestDue = due.N, now.Sub(due.Oldest)
	followUps, err := q.q.MetricsFollowUpsPending(ctx, now)
	if err != nil {
		return g, translate(err, "count the follow-ups")
	}
	for _, f := range followUps {
		g.FollowUps = append(g.FollowUps, FollowUpCount{Pooled: f.Pooled, Overdue: f.Overdue, N: f.N})
	}
	jobs, err := q.q.MetricsRiverJobs(ctx, RiverStates)
	if err != nil {
		return g, translate(err, "count the jobs")
	}
	for _, j := range jobs {
		g.Jobs = append(g.Jobs, JobCount{Queue: j.Queue, State: j.State, N: j.N})
	}
	switch s, err := q.OpenTrunkStorm(ctx); {
	case err == nil:
		g.Storm = &s
	case !errors.Is(err, wellcheck.ErrNotFound):
		return g, err
	}
	return g, nil
}
