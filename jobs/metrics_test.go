package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/internal/metricstest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/store"
)

// What /metrics shows an operator on a Tuesday morning: the calls this node
// placed by kind and outcome; the day's check-ins by state; the calls due,
// first calls and retries alike, and how long the oldest has waited; the
// follow-ups on a listener's list and in the pool, on time and late; River's
// jobs, a state with none at 0. The figures counted in the database follow the
// clock: a follow-up becomes overdue, and the next day starts from zero.
func TestMetricsShowTheCallsTheQueueAndTheLists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	m := metrics.New(metrics.Config{Store: b.store, Now: b.clock.Now, Queues: []string{jobs.QueueCalls, jobs.QueuePlanner}})
	b.calls.Metrics, b.care.Metrics = m, m
	outcome := map[string]wellcheck.Outcome{}
	b.dialer.Answer = func(to string, _ int) dialer.Result {
		r := dialertest.Result(outcome[to])
		r.Ring = 3 * time.Second
		if r.Digits != "" {
			r.Talk = 12 * time.Second
		}
		return r
	}
	person := func(o wellcheck.Outcome) int64 {
		id, number := b.enrol(t, person{})
		outcome[number] = o
		return id
	}
	call := func(id int64, slot time.Time) {
		b.clock.Set(slot)
		require.NoError(t, b.run(ctx, b.checkIn(t, id, slot, at(17, 0)), 1))
	}

	// Monday: one person confirmed, which Tuesday does not count.
	b.clock.Set(at(10, 0).AddDate(0, 0, -1))
	monday := person(wellcheck.OutcomeOK)
	require.NoError(t, b.run(ctx, b.checkIn(t, monday, b.clock.Now(), b.clock.Now().Add(7*time.Hour)), 1))

	// Tuesday. A listener who takes one follow-up; the second goes to the pool.
	b.listener(t, "l@example.org", []string{"fr"}, 1, true)
	call(person(wellcheck.OutcomeOK), at(9, 30))
	call(person(wellcheck.OutcomeHelpRequested), at(9, 30))
	call(person(wellcheck.OutcomeHelpRequested), at(9, 31))
	call(person(wellcheck.OutcomeBusy), at(9, 45)) // its retry is due at 10:00
	late := person(wellcheck.OutcomeOK)
	b.checkIn(t, late, at(9, 50), at(17, 0)) // due, no channel yet
	later := person(wellcheck.OutcomeOK)
	b.checkIn(t, later, at(10, 30), at(17, 0)) // not yet due

	_, err := b.river.Insert(ctx, jobs.PlanArgs{}, nil)
	require.NoError(t, err)

	b.clock.Set(at(10, 5))
	text := metricstest.Scrape(t, m.Handler())
	value := func(series string) float64 { return metricstest.Value(t, text, series) }
	require.Equal(t, 1.0, value("wellcheck_database_up"))

	require.Equal(t, 2.0, value(`wellcheck_calls_total{kind="check_in",outcome="ok"}`), "Monday's and Tuesday's")
	require.Equal(t, 2.0, value(`wellcheck_calls_total{kind="check_in",outcome="help_requested"}`))
	require.Equal(t, 1.0, value(`wellcheck_calls_total{kind="check_in",outcome="busy"}`))
	require.Zero(t, value(`wellcheck_calls_total{kind="check_in",outcome="failed"}`))
	require.Equal(t, 5.0, value(`wellcheck_calls_started_total{kind="check_in"}`))
	require.Zero(t, value(`wellcheck_calls_started_total{kind="test"}`))
	require.Zero(t, value("wellcheck_calls_in_progress"))
	require.Equal(t, 5.0, value("wellcheck_call_ring_seconds_count"))
	require.Equal(t, 15.0, value("wellcheck_call_ring_seconds_sum"))
	require.Equal(t, 4.0, value("wellcheck_call_talk_seconds_count"), "the busy line was never answered")
	require.Equal(t, 48.0, value("wellcheck_call_talk_seconds_sum"))
	require.Equal(t, 5.0, value("wellcheck_call_slot_lag_seconds_count"))
	require.Equal(t, 1.0, value(`wellcheck_assignment_lag_seconds_count{list="listener"}`))
	require.Equal(t, 1.0, value(`wellcheck_assignment_lag_seconds_count{list="pool"}`))

	require.Equal(t, 1.0, value(`wellcheck_check_ins{state="confirmed"}`), "Tuesday's only")
	require.Equal(t, 2.0, value(`wellcheck_check_ins{state="flagged"}`))
	require.Equal(t, 1.0, value(`wellcheck_check_ins{state="dialing"}`), "the busy line waiting for its retry")
	require.Equal(t, 2.0, value(`wellcheck_check_ins{state="planned"}`))
	require.Zero(t, value(`wellcheck_check_ins{state="system_error"}`))

	require.Equal(t, 2.0, value("wellcheck_calls_due"), "the check-in due at 9:50 and the retry due at 10:00")
	require.Equal(t, (15 * time.Minute).Seconds(), value("wellcheck_calls_due_oldest_seconds"), "due at 9:50")

	require.Equal(t, 1.0, value(`wellcheck_follow_ups_pending{list="listener",overdue="false"}`))
	require.Equal(t, 1.0, value(`wellcheck_follow_ups_pending{list="pool",overdue="false"}`))
	require.Zero(t, value(`wellcheck_follow_ups_pending{list="pool",overdue="true"}`))

	require.Equal(t, 1.0, value(`wellcheck_river_jobs{queue="planner",state="available"}`), "a planner pass no scheduler has taken")
	require.Zero(t, value(`wellcheck_river_jobs{queue="calls",state="discarded"}`), "a state without jobs shows 0")

	// Nobody has called the flagged persons back by the afternoon.
	b.clock.Set(at(15, 0))
	text = metricstest.Scrape(t, m.Handler())
	require.Equal(t, 1.0, value(`wellcheck_follow_ups_pending{list="listener",overdue="true"}`))
	require.Equal(t, 1.0, value(`wellcheck_follow_ups_pending{list="pool",overdue="true"}`))
	require.Zero(t, value(`wellcheck_follow_ups_pending{list="pool",overdue="false"}`))
	require.Equal(t, (5*time.Hour + 10*time.Minute).Seconds(), value("wellcheck_calls_due_oldest_seconds"))

	// Wednesday, a minute after midnight in Paris: a new day.
	b.clock.Set(time.Date(2026, 12, 2, 0, 1, 0, 0, paris))
	text = metricstest.Scrape(t, m.Handler())
	for _, s := range []wellcheck.CheckInState{wellcheck.CheckInPlanned, wellcheck.CheckInConfirmed, wellcheck.CheckInFlagged} {
		require.Zero(t, value(`wellcheck_check_ins{state="`+string(s)+`"}`), s)
	}
	require.Zero(t, value("wellcheck_calls_due"), "Tuesday's calls never placed are past their deadline: the sweep gives them up, none is due")

	// Another kind of call counts apart from the check-ins.
	outcome["+33612345678"] = wellcheck.OutcomeOK
	id, err := b.store.Queries().RequestTestCall(ctx, store.TestCall{Target: "+33612345678", Lang: "fr", Script: string(dialer.ScriptCheckIn), RequestedAt: b.clock.Now()})
	require.NoError(t, err)
	require.NoError(t, b.testCall(ctx, id))
	text = metricstest.Scrape(t, m.Handler())
	require.Equal(t, 1.0, value(`wellcheck_calls_total{kind="test",outcome="ok"}`))
	require.Equal(t, 5.0, value(`wellcheck_calls_started_total{kind="check_in"}`))
}
