package scheduler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/internal/clocktest"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/internal/logtest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

type plannerBundle struct {
	era     clocktest.Era
	monday  time.Time // 30 November 2026 (in the era), 08:00 in Paris
	store   *store.Store
	planner *scheduler.Planner
	clock   *clocktest.Clock
	river   *river.Client[pgx.Tx] // reads the queue
	logs    *logtest.Buffer
}

// paris is the service's zone.
var paris = mustZone("Europe/Paris")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// monday is 30 November 2026, 08:00 in Paris (the benchmarks' day).
var monday = time.Date(2026, 11, 30, 8, 0, 0, 0, paris)

// setupPlanner is a planner on its own database, its clock on Monday 30
// November 2026 at 08:00 in Paris, moved into era e.
func setupPlanner(t *testing.T, e clocktest.Era) plannerBundle {
	t.Helper()
	pool := dbtest.New(t)
	logs := &logtest.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	queue, err := jobs.NewJobs(pool, logger)
	require.NoError(t, err)
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: logger})
	require.NoError(t, err)
	monday := e.In(monday)
	clk := clocktest.New(monday)
	st := store.New(pool)
	return plannerBundle{
		era:     e,
		monday:  monday,
		store:   st,
		planner: &scheduler.Planner{Store: st, Jobs: queue, HandOn: &care.Cases{Store: st, Logger: logger, Now: clk.Now}, Logger: logger, Now: clk.Now},
		clock:   clk,
		river:   rc,
		logs:    logs,
	}
}

// enrol writes a person with a plan, without planning them: the planner's
// passes and re-plans are what the tests look at.
func (b plannerBundle) enrol(t *testing.T, n int, zone, cron, window string) int64 {
	t.Helper()
	w := strings.Split(window, "-")
	start, err := wellcheck.ParseTimeOfDay(w[0])
	require.NoError(t, err)
	end, err := wellcheck.ParseTimeOfDay(w[1])
	require.NoError(t, err)
	e := wellcheck.Enrolment{
		Person: wellcheck.Person{
			FullName: fmt.Sprintf("Personne %d", n), Phone: wellcheck.Phone(fmt.Sprintf("+3361%07d", n)),
			Language: "fr", TimeZone: zone, RiskLevel: wellcheck.RiskNormal,
		},
		Referral: wellcheck.Referral{Source: wellcheck.ReferralFamily, ReferredAt: b.monday.AddDate(0, 0, -7)},
		Consent:  &wellcheck.Consent{GivenBy: wellcheck.ConsentByPerson, GivenAt: b.monday.AddDate(0, 0, -7), Method: wellcheck.ConsentByPhone},
		Plan:     wellcheck.Plan{Cron: cron, Window: wellcheck.Window{Start: start, End: end}},
	}
	var id int64
	require.NoError(t, b.store.WithTx(context.Background(), func(q *store.Queries) error {
		ids, err := q.CopyEnrolments(context.Background(), []wellcheck.Enrolment{e}, b.clock.Now(), wellcheck.Actor{Label: "test"}, store.AuditDetails{Via: "test"})
		if err == nil {
			id = ids[0]
		}
		return err
	}))
	return id
}

// slot is a check-in as a coordinator would read it.
type slot struct {
	At       string // local to Paris
	State    wellcheck.CheckInState
	Reason   string // state reason, or move reason for a planned check-in that moved
	Deadline string
}

func (b plannerBundle) checkIns(t *testing.T, personID int64) []slot {
	t.Helper()
	rows, err := b.store.Queries().CheckInsForPerson(context.Background(), personID)
	require.NoError(t, err)
	out := make([]slot, len(rows))
	for i, r := range rows {
		reason := string(r.StateReason)
		if reason == "" {
			reason = r.MoveReason
		}
		out[i] = slot{r.SlotAt.In(paris).Format("Mon 02 15:04"), r.State, reason, r.DeadlineAt.In(paris).Format("15:04")}
	}
	return out
}

// requireJobs checks that every planned check-in has exactly one waiting call
// job, scheduled at its slot, and that no other call job is waiting.
func (b plannerBundle) requireJobs(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	res, err := b.river.JobList(ctx, river.NewJobListParams().Kinds(jobs.CallArgs{}.Kind()).
		States(rivertype.JobStateScheduled, rivertype.JobStateAvailable).First(10_000))
	require.NoError(t, err)
	waiting := map[int64]*rivertype.JobRow{} // by check-in
	for _, j := range res.Jobs {
		var args jobs.CallArgs
		require.NoError(t, json.Unmarshal(j.EncodedArgs, &args))
		require.Nil(t, waiting[args.CheckInID], "two jobs for check-in %d", args.CheckInID)
		require.Equal(t, jobs.QueueCalls, j.Queue)
		waiting[args.CheckInID] = j
	}
	n, err := b.store.Queries().CountPersons(ctx)
	require.NoError(t, err)
	planned := 0
	for id := range n {
		rows, err := b.store.Queries().CheckInsForPerson(ctx, id+1)
		require.NoError(t, err)
		for _, r := range rows {
			j := waiting[r.ID]
			if r.State != wellcheck.CheckInPlanned {
				require.Nil(t, j, "check-in %d is %s: no job waits for it", r.ID, r.State)
				continue
			}
			planned++
			require.NotNil(t, j, "check-in %d has a waiting job", r.ID)
			require.True(t, j.ScheduledAt.Equal(r.SlotAt), "job of check-in %d due at its slot", r.ID)
		}
	}
	require.Len(t, waiting, planned, "no job waits for a check-in that does not exist")
}

func TestPassPlansTheHorizonOnceHoweverOftenItRuns(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		b := setupPlanner(t, e)
		ctx := context.Background()
		daily := b.enrol(t, 1, "Europe/Paris", "0 10 * * *", "10:00-11:30")
		newYork := b.enrol(t, 2, "America/New_York", "30 9 * * MON-FRI", "09:00-10:45") // 15:30 in Paris
		weekly := b.enrol(t, 3, "Europe/Paris", "0 14 * * WED", "14:00-17:00")          // beyond the horizon

		st, err := b.planner.Pass(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, st.Persons)
		require.Equal(t, 4, st.Planned)
		require.Zero(t, st.Late)

		// 36 h from Monday 08:00: Monday and Tuesday's calls, not Wednesday's. The
		// deadline is the window's end, or closing time when that comes first.
		want := map[int64][]slot{
			daily: {
				{"Mon 30 10:00", wellcheck.CheckInPlanned, "", "11:30"},
				{"Tue 01 10:00", wellcheck.CheckInPlanned, "", "11:30"},
			},
			newYork: {
				{"Mon 30 15:30", wellcheck.CheckInPlanned, "", "16:45"},
				{"Tue 01 15:30", wellcheck.CheckInPlanned, "", "16:45"},
			},
			weekly: {},
		}
		for id, w := range want {
			require.Equal(t, w, b.checkIns(t, id))
		}
		b.requireJobs(t)

		// Again, and again later the same morning: nothing new, nothing doubled.
		st, err = b.planner.Pass(ctx)
		require.NoError(t, err)
		require.Zero(t, st.Planned)
		b.clock.Set(b.monday.Add(2 * time.Hour))
		st, err = b.planner.Pass(ctx)
		require.NoError(t, err)
		require.Zero(t, st.Planned)
		for id, w := range want {
			require.Equal(t, w, b.checkIns(t, id))
		}
		b.requireJobs(t)

		// The next morning the horizon reaches Wednesday.
		b.clock.Set(b.monday.AddDate(0, 0, 1))
		st, err = b.planner.Pass(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, st.Planned)
		require.Equal(t, []slot{{"Wed 02 14:00", wellcheck.CheckInPlanned, "", "17:00"}}, b.checkIns(t, weekly))
		b.requireJobs(t)
	})
}

func TestTwoPlannersAtOnceNeverDuplicate(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		b := setupPlanner(t, e)
		ctx := context.Background()
		crons := []string{"0 10 * * *", "15 9 * * MON-FRI", "30 16 * * TUE,THU", "0 11,15 * * *"}
		for i := range 300 {
			b.enrol(t, i, "Europe/Paris", crons[i%len(crons)], "09:00-17:00")
		}
		other := *b.planner
		other.Batch = 7 // different batch boundaries: the two overlap everywhere
		b.planner.Batch = 50

		var wg sync.WaitGroup
		stats := make([]scheduler.PassStats, 2)
		errs := make([]error, 2)
		for i, p := range []*scheduler.Planner{b.planner, &other} {
			wg.Go(func() { stats[i], errs[i] = p.Pass(ctx) })
		}
		wg.Wait()
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])

		// 75 persons of each plan; Monday 08:00 + 36 h: daily 2, weekdays 2, Tue/Thu
		// 1, twice daily 4 (Monday 11:00 and 15:00, Tuesday too).
		const want = 75 * (2 + 2 + 1 + 4)
		counts, err := b.store.Queries().CountCheckIns(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(want), counts[wellcheck.CheckInPlanned])
		require.Equal(t, want, stats[0].Planned+stats[1].Planned, "each check-in created by exactly one planner")
		b.requireJobs(t)
	})
}

// change applies a coordinator's change and re-plans, in one transaction, as
// the enrolment service does.
func (b plannerBundle) change(t *testing.T, id int64, c store.PersonChange) {
	t.Helper()
	c.Now = b.clock.Now()
	require.NoError(t, b.store.WithTx(context.Background(), func(q *store.Queries) error {
		if err := q.ChangePerson(context.Background(), id, c, wellcheck.Actor{Label: "test"}); err != nil {
			return err
		}
		return b.planner.Replan(context.Background(), q, []int64{id})
	}))
}

func TestReplanFollowsEditsPausesAndWithdrawal(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		b := setupPlanner(t, e)
		ctx := context.Background()
		id := b.enrol(t, 1, "Europe/Paris", "0 10 * * *", "10:00-11:00")
		_, err := b.planner.Pass(ctx)
		require.NoError(t, err)
		require.Len(t, b.checkIns(t, id), 2)

		// New plan at 14:00 from Monday 09:00: the 10:00 calls are cancelled with
		// their jobs, 14:00 ones planned for the same horizon.
		b.clock.Set(b.monday.Add(time.Hour))
		b.change(t, id, store.PersonChange{Action: "person.plan", TimeZone: "Europe/Paris",
			Plan: wellcheck.Plan{Cron: "0 14 * * *", Window: wellcheck.Window{Start: wellcheck.Clock(14, 0), End: wellcheck.Clock(15, 0)}}})
		require.Equal(t, []slot{
			{"Mon 30 10:00", wellcheck.CheckInCancelled, "replanned", "11:00"},
			{"Mon 30 14:00", wellcheck.CheckInPlanned, "", "15:00"},
			{"Tue 01 10:00", wellcheck.CheckInCancelled, "replanned", "11:00"},
			{"Tue 01 14:00", wellcheck.CheckInPlanned, "", "15:00"},
		}, b.checkIns(t, id))
		b.requireJobs(t)

		// Paused until Tuesday 15:00: Monday's and Tuesday's calls are cancelled;
		// resumed on Monday afternoon, Tuesday's comes back (Monday's 14:00 too: it
		// is 13:00).
		b.change(t, id, store.PersonChange{Action: "person.pause", At: b.monday.Add(31 * time.Hour)})
		require.Equal(t, wellcheck.CheckInCancelled, b.checkIns(t, id)[1].State)
		require.Equal(t, wellcheck.CheckInCancelled, b.checkIns(t, id)[3].State)
		b.requireJobs(t)
		b.clock.Set(b.monday.Add(5 * time.Hour))
		b.change(t, id, store.PersonChange{Action: "person.resume"})
		require.Equal(t, []slot{
			{"Mon 30 10:00", wellcheck.CheckInCancelled, "replanned", "11:00"},
			{"Mon 30 14:00", wellcheck.CheckInPlanned, "", "15:00"},
			{"Tue 01 10:00", wellcheck.CheckInCancelled, "replanned", "11:00"},
			{"Tue 01 14:00", wellcheck.CheckInPlanned, "", "15:00"},
		}, b.checkIns(t, id))
		b.requireJobs(t)

		// Consent withdrawn: nothing left to call, and the planner never plans them again.
		b.change(t, id, store.PersonChange{Action: "person.withdraw", At: b.clock.Now()})
		for _, s := range b.checkIns(t, id) {
			require.Equal(t, wellcheck.CheckInCancelled, s.State, s.At)
		}
		require.Equal(t, "withdrawn", b.checkIns(t, id)[3].Reason)
		b.requireJobs(t)
		b.clock.Set(b.monday.AddDate(0, 0, 1))
		st, err := b.planner.Pass(ctx)
		require.NoError(t, err)
		require.Zero(t, st.Persons)
		require.Zero(t, st.Planned)

		// A withdrawn person's enrolment no longer changes.
		err = b.store.WithTx(ctx, func(q *store.Queries) error {
			return q.ChangePerson(ctx, id, store.PersonChange{Action: "person.resume"}, wellcheck.Actor{Label: "test"})
		})
		require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err))
	})
}

func TestPassCatchesUpAfterAnOutage(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		b := setupPlanner(t, e)
		ctx := context.Background()
		id := b.enrol(t, 1, "Europe/Paris", "0 10 * * *", "10:00-11:00")
		_, err := b.planner.Pass(ctx) // Monday 08:00: plans Monday and Tuesday
		require.NoError(t, err)

		// Nothing runs from Monday 08:00 to Thursday 10:20: no call was placed
		// (no job ran), no pass extended the horizon past Tuesday evening.
		b.clock.Set(b.era.Date(2026, 12, 3, 10, 20, paris))
		st, err := b.planner.Pass(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, st.Late, "Thursday's call, still inside its window, is dialled late")
		require.Equal(t, 3, st.Missed, "Monday's to Wednesday's calls went by")
		require.Equal(t, []slot{
			{"Mon 30 10:00", wellcheck.CheckInSystemError, "missed", "11:00"},
			{"Tue 01 10:00", wellcheck.CheckInSystemError, "missed", "11:00"},
			{"Wed 02 10:00", wellcheck.CheckInSystemError, "missed", "11:00"},
			{"Thu 03 10:00", wellcheck.CheckInPlanned, "", "11:00"},
			{"Fri 04 10:00", wellcheck.CheckInPlanned, "", "11:00"},
		}, b.checkIns(t, id))
		b.requireJobs(t) // Thursday's job is due at 10:00: River runs it at once

		// A listener has the person on their list (here the shared pool).
		c, followUps, err := b.store.Queries().OpenCase(ctx, id)
		require.NoError(t, err)
		require.Equal(t, wellcheck.CaseReason("missed"), c.OpenedReason)
		require.Len(t, followUps, 1)
		require.Equal(t, wellcheck.FollowUpMissed, followUps[0].Reason)
		require.Nil(t, followUps[0].AssigneeID)
		require.Contains(t, b.logs.String(), "planner catching up after an outage")
	})
}

func TestSweepHandsOnCallsWhoseJobNeverRan(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		b := setupPlanner(t, e)
		ctx := context.Background()
		id := b.enrol(t, 1, "Europe/Paris", "0 10 * * *", "10:00-11:00")
		_, err := b.planner.Pass(ctx)
		require.NoError(t, err)

		// 10:59: still callable, nothing to do. 11:00: the window closed uncalled.
		b.clock.Set(b.era.Date(2026, 11, 30, 10, 59, paris))
		st, err := b.planner.Sweep(ctx)
		require.NoError(t, err)
		require.Zero(t, st.Missed)
		b.clock.Set(b.era.Date(2026, 11, 30, 11, 0, paris))
		st, err = b.planner.Sweep(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, st.Missed)
		require.Equal(t, wellcheck.CheckInSystemError, b.checkIns(t, id)[0].State)
		require.Contains(t, b.logs.String(), "check-in missed")

		// Tuesday's miss joins the case Monday's opened, and brings its task up to
		// date: one task per case on a list.
		b.clock.Set(b.era.Date(2026, 12, 1, 11, 0, paris))
		st, err = b.planner.Sweep(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, st.Missed)
		_, followUps, err := b.store.Queries().OpenCase(ctx, id)
		require.NoError(t, err)
		require.Len(t, followUps, 1)
		require.Equal(t, "pending", followUps[0].State)
		pool, err := b.store.Queries().FollowUpsFor(ctx, nil)
		require.NoError(t, err)
		require.Len(t, pool, 1)
		require.Equal(t, b.checkInIDs(t, id)[1], *pool[0].CheckInID, "the task names Tuesday's check-in")
	})
}

func (b plannerBundle) checkInIDs(t *testing.T, personID int64) []int64 {
	t.Helper()
	rows, err := b.store.Queries().CheckInsForPerson(context.Background(), personID)
	require.NoError(t, err)
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

func TestPassReadsClosuresFromTheDatabase(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		b := setupPlanner(t, e)
		ctx := context.Background()
		id := b.enrol(t, 1, "Europe/Paris", "0 10 * * TUE", "09:00-12:00")
		_, err := b.store.Queries().AddClosure(ctx, wellcheck.Closure{
			From: b.era.Date(2026, 12, 1, 0, 0, time.UTC), To: b.era.Date(2026, 12, 1, 0, 0, time.UTC), Reason: "formation",
		}, nil)
		require.NoError(t, err)
		_, err = b.planner.Pass(ctx)
		require.NoError(t, err)
		require.Equal(t, []slot{{"Wed 02 10:00", wellcheck.CheckInPlanned, "closure", "12:00"}}, b.checkIns(t, id))
		rows, err := b.store.Queries().CheckInsForPerson(ctx, id)
		require.NoError(t, err)
		require.Equal(t, "Tue 01 10:00", rows[0].PlannedFor.In(paris).Format("Mon 02 15:04"))
		b.requireJobs(t)
	})
}

func TestPassPlansOthersWhenOnePlanCannotBeRead(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		b := setupPlanner(t, e)
		ctx := context.Background()
		bad := b.enrol(t, 1, "Mars/Olympus_Mons", "0 10 * * *", "10:00-11:00")
		good := b.enrol(t, 2, "Europe/Paris", "0 10 * * *", "10:00-11:00")
		st, err := b.planner.Pass(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, st.Invalid)
		require.Empty(t, b.checkIns(t, bad))
		require.Len(t, b.checkIns(t, good), 2)
		require.Contains(t, b.logs.String(), fmt.Sprintf("person_id=%d err=\"unknown time zone Mars/Olympus_Mons\"", bad))
	})
}

func TestPassFollowsClosuresAddedAndRemovedAfterPlanning(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		b := setupPlanner(t, e)
		ctx := context.Background()
		day := func(d int) time.Time { return b.era.Date(2026, 11, 30+d, 0, 0, time.UTC) }
		id := b.enrol(t, 1, "Europe/Paris", "0 10 * * MON", "09:00-12:00")
		closure, err := b.store.Queries().AddClosure(ctx, wellcheck.Closure{From: day(0), To: day(0), Reason: "formation"}, nil)
		require.NoError(t, err)
		b.clock.Set(b.monday.Add(-time.Hour)) // Monday 07:00
		_, err = b.planner.Pass(ctx)
		require.NoError(t, err)
		require.Equal(t, []slot{{"Tue 01 10:00", wellcheck.CheckInPlanned, "closure", "12:00"}}, b.checkIns(t, id))

		// Monday 10:30, after Monday's call fired: Tuesday closes too. The call
		// moves on to Wednesday; it is not lost because it fired before this pass.
		b.clock.Set(b.monday.Add(150 * time.Minute))
		tuesday, err := b.store.Queries().AddClosure(ctx, wellcheck.Closure{From: day(1), To: day(1), Reason: "inventaire"}, nil)
		require.NoError(t, err)
		_, err = b.planner.Pass(ctx)
		require.NoError(t, err)
		require.Equal(t, []slot{
			{"Tue 01 10:00", wellcheck.CheckInCancelled, "replanned", "12:00"},
			{"Wed 02 10:00", wellcheck.CheckInPlanned, "closure", "12:00"},
		}, b.checkIns(t, id))
		b.requireJobs(t)

		// Both closures lifted on Monday at 11:00: today's call, still inside its
		// window, is made now; the moved ones go.
		require.NoError(t, b.store.Queries().DeleteClosure(ctx, closure.ID))
		require.NoError(t, b.store.Queries().DeleteClosure(ctx, tuesday.ID))
		b.clock.Set(b.monday.Add(3 * time.Hour))
		st, err := b.planner.Pass(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, st.Late)
		require.Equal(t, []slot{
			{"Mon 30 10:00", wellcheck.CheckInPlanned, "", "12:00"},
			{"Tue 01 10:00", wellcheck.CheckInCancelled, "replanned", "12:00"},
			{"Wed 02 10:00", wellcheck.CheckInCancelled, "replanned", "12:00"},
		}, b.checkIns(t, id))
		b.requireJobs(t)
	})
}
