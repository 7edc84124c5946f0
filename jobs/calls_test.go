package jobs_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/calling"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/internal/clocktest"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/internal/logtest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

var paris = mustZone("Europe/Paris")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// tuesday is 1 December 2026, an ordinary open day; at builds a time on it in Paris.
func at(hour, minute int) time.Time { return time.Date(2026, 12, 1, hour, minute, 0, 0, paris) }

type bundle struct {
	era    clocktest.Era
	store  *store.Store
	calls  *calling.Calls
	care   *care.Cases
	admin  *admin.Service
	queue  *jobs.Jobs
	dialer *dialertest.Dialer
	clock  *clocktest.Clock
	river  *river.Client[pgx.Tx] // reads the queue
	logs   *logtest.Buffer
	n      int
}

// setup is a bundle on its own database, its clock on Tuesday 1 December
// 2026 at 10:00 in Paris.
func setup(t *testing.T) *bundle {
	t.Helper()
	return setupIn(t, clocktest.Era{})
}

// setupIn is setup with the clock moved into era e.
func setupIn(t *testing.T, e clocktest.Era) *bundle {
	t.Helper()
	pool := dbtest.New(t)
	logs := &logtest.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	queue, err := jobs.NewJobs(pool, logger)
	require.NoError(t, err)
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: logger})
	require.NoError(t, err)
	st := store.New(pool)
	b := &bundle{era: e, store: st, dialer: &dialertest.Dialer{}, clock: clocktest.New(e.In(at(10, 0))), river: rc, logs: logs}
	b.care = &care.Cases{Store: st, Queue: queue, Logger: logger, Now: b.clock.Now}
	b.calls = &calling.Calls{Store: st, Dialer: b.dialer, Queue: queue, Care: b.care, Logger: logger, Node: "test", Now: b.clock.Now,
		DeadAfter: 2 * time.Second}
	b.admin = &admin.Service{Store: st, Logger: logger, Now: b.clock.Now}
	b.queue = queue
	return b
}

// node is another node of the service, on the same database, dialler and
// clock: its calls die with it, and it is presumed dead after two seconds
// without a heartbeat.
func (b *bundle) node(name string) *calling.Calls {
	return &calling.Calls{Store: b.store, Dialer: b.dialer, Queue: b.queue, Care: b.care, Logger: b.calls.Logger,
		Node: name, Now: b.clock.Now, DeadAfter: b.calls.DeadAfter}
}

// recoversOne waits until this node's recovery finds one call lost with its
// node (no heartbeat for DeadAfter, by the database's clock) and ends it.
func (b *bundle) recoversOne(t *testing.T) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		n, err := b.calls.Recover(context.Background())
		require.NoError(c, err)
		assert.Equal(c, 1, n)
	}, 10*time.Second, 200*time.Millisecond)
}

// run, escalate, followUpDue and testCall work a job by hand, returning what
// River would see: nil, an error, or a snooze when the job must come back.
func (b *bundle) run(ctx context.Context, checkInID int64, attempt int) error {
	return jobs.Snooze(b.calls.Run(ctx, checkInID, attempt))
}

func (b *bundle) escalate(ctx context.Context, escalationID int64) error {
	return jobs.Snooze(b.calls.Escalate(ctx, escalationID))
}

func (b *bundle) followUpDue(ctx context.Context, followUpID int64) error {
	return jobs.Snooze(b.care.FollowUpDue(ctx, followUpID))
}

func (b *bundle) testCall(ctx context.Context, id int64) error {
	return jobs.Snooze(b.calls.TestCall(ctx, id))
}

// person describes one person enrolled by a test.
type person struct {
	window   string // "09:00-17:00" unless set
	retry    *wellcheck.RetryPolicy
	referent *int64
	language string
	risk     wellcheck.RiskLevel
	contacts []wellcheck.EmergencyContact
}

// now is the bundle's clock, or the machine's for a bundle whose nodes run
// on it (River's own tests).
func (b *bundle) now() time.Time {
	if b.clock == nil {
		return time.Now()
	}
	return b.clock.Now()
}

// enrol writes a person and returns their id and number.
func (b *bundle) enrol(t testing.TB, p person) (int64, string) {
	t.Helper()
	e := b.enrolment(t, p)
	var id int64
	require.NoError(t, b.store.WithTx(context.Background(), func(q *store.Queries) error {
		ids, err := q.CopyEnrolments(context.Background(), []wellcheck.Enrolment{e}, b.now(), wellcheck.Actor{Label: "test"}, store.AuditDetails{Via: "test"})
		if err == nil {
			id = ids[0]
		}
		return err
	}))
	return id, string(e.Person.Phone)
}

// enrolment describes the next person, with a number of their own.
func (b *bundle) enrolment(t testing.TB, p person) wellcheck.Enrolment {
	t.Helper()
	b.n++
	number := fmt.Sprintf("+3361%07d", b.n)
	if p.window == "" {
		p.window = "09:00-17:00"
	}
	if p.language == "" {
		p.language = "fr"
	}
	if p.risk == "" {
		p.risk = wellcheck.RiskNormal
	}
	start, err := wellcheck.ParseTimeOfDay(p.window[:5])
	require.NoError(t, err)
	end, err := wellcheck.ParseTimeOfDay(p.window[6:])
	require.NoError(t, err)
	return wellcheck.Enrolment{
		Person: wellcheck.Person{
			FullName: fmt.Sprintf("Personne %d", b.n), Phone: wellcheck.Phone(number),
			Language: p.language, TimeZone: "Europe/Paris", RiskLevel: p.risk, ReferentID: p.referent,
		},
		Referral: wellcheck.Referral{Source: wellcheck.ReferralFamily, ReferredAt: b.era.In(at(9, 0)).AddDate(0, 0, -7)},
		Consent:  &wellcheck.Consent{GivenBy: wellcheck.ConsentByPerson, GivenAt: b.era.In(at(9, 0)).AddDate(0, 0, -7), Method: wellcheck.ConsentByPhone},
		Plan:     wellcheck.Plan{Cron: "0 10 * * 2", Window: wellcheck.Window{Start: start, End: end}, Retry: p.retry},
		Contacts: p.contacts,
	}
}

// checkIn plans one check-in for the person at slot, callable until deadline.
func (b *bundle) checkIn(t *testing.T, personID int64, slot, deadline time.Time) int64 {
	t.Helper()
	var id int64
	require.NoError(t, b.store.WithTx(context.Background(), func(q *store.Queries) error {
		cs, err := q.CreateCheckIns(context.Background(), []wellcheck.CheckIn{{PersonID: personID, SlotAt: slot.UTC(), DeadlineAt: deadline.UTC()}})
		if err == nil {
			id = cs[0].ID
		}
		return err
	}))
	return id
}

// listener adds a listener on shift Tuesday 09:00–17:00, present.
func (b *bundle) listener(t *testing.T, email string, langs []string, capacity int, present bool) int64 {
	t.Helper()
	ctx := context.Background()
	u, err := b.store.Queries().CreateUser(ctx, wellcheck.User{
		Email: email, FullName: email, Roles: []wellcheck.Role{wellcheck.RoleListener}, Languages: langs, Capacity: capacity,
	})
	require.NoError(t, err)
	q := b.store.Queries()
	require.NoError(t, q.SetPresent(ctx, u.ID, present))
	require.NoError(t, q.SetShifts(ctx, u.ID, []store.Shift{{Weekday: time.Tuesday, Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(17, 0)}}}))
	return u.ID
}

// state reads a check-in's state and reason.
func (b *bundle) state(t *testing.T, personID, checkInID int64) (wellcheck.CheckInState, wellcheck.CheckInReason) {
	t.Helper()
	rows, err := b.store.Queries().CheckInsForPerson(context.Background(), personID)
	require.NoError(t, err)
	for _, r := range rows {
		if r.ID == checkInID {
			return r.State, r.StateReason
		}
	}
	t.Fatalf("check-in %d not found", checkInID)
	return "", ""
}

// waitingJobs returns the check-in's call jobs that have not run yet.
func (b *bundle) waitingJobs(t *testing.T, checkInID int64) []queuedJob[jobs.CallArgs] {
	t.Helper()
	return slices.DeleteFunc(queued[jobs.CallArgs](t, b), func(j queuedJob[jobs.CallArgs]) bool { return j.Args.CheckInID != checkInID })
}

// queuedJob is a job of kind A waiting in the queue.
type queuedJob[A river.JobArgs] struct {
	ID   int64
	Args A
	At   time.Time
}

// queued returns the jobs of kind A that have not run yet, in id order.
func queued[A river.JobArgs](t *testing.T, b *bundle) []queuedJob[A] {
	t.Helper()
	var kind A
	res, err := b.river.JobList(context.Background(), river.NewJobListParams().
		Kinds(kind.Kind()).States(rivertype.JobStateScheduled, rivertype.JobStateAvailable).First(1000))
	require.NoError(t, err)
	var out []queuedJob[A]
	for _, j := range res.Jobs {
		var args A
		require.NoError(t, json.Unmarshal(j.EncodedArgs, &args))
		out = append(out, queuedJob[A]{ID: j.ID, Args: args, At: j.ScheduledAt})
	}
	slices.SortFunc(out, func(a, b queuedJob[A]) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// retryJob returns the waiting retry job of a check-in, if any.
func (b *bundle) retryJob(t *testing.T, checkInID int64) (jobs.CallArgs, time.Time, bool) {
	t.Helper()
	for _, j := range b.waitingJobs(t, checkInID) {
		if j.Args.Attempt > 1 {
			return j.Args, j.At, true
		}
	}
	return jobs.CallArgs{}, time.Time{}, false
}

// callUntilFinal works the check-in's jobs as River would, moving the clock to
// each retry's time, until the check-in is final; it returns the local times
// of the attempts.
func (b *bundle) callUntilFinal(t *testing.T, personID, checkInID int64) []string {
	t.Helper()
	ctx := context.Background()
	var times []string
	for attempt := 1; attempt <= 10; attempt++ {
		times = append(times, b.clock.Now().In(paris).Format("15:04"))
		require.NoError(t, b.run(ctx, checkInID, attempt))
		if st, _ := b.state(t, personID, checkInID); st.Final() {
			return times
		}
		args, when, ok := b.retryJob(t, checkInID)
		require.True(t, ok, "a check-in still dialing has its next attempt queued")
		require.Equal(t, attempt+1, args.Attempt)
		// The job is queued on the machine's clock: the wait is the policy's.
		wait := when.Sub(time.Now())
		b.clock.Set(b.clock.Now().Add(wait.Round(time.Minute)))
		b.cancelJob(t, checkInID)
	}
	t.Fatal("no final state after 10 attempts")
	return nil
}

// cancelJob removes a worked retry job from the queue, as River's completion would.
func (b *bundle) cancelJob(t *testing.T, checkInID int64) {
	t.Helper()
	for _, j := range b.waitingJobs(t, checkInID) {
		_, err := b.river.JobCancel(context.Background(), j.ID)
		require.NoError(t, err)
	}
}

// script answers the n-th call with outcomes[n-1] (the last repeating).
func script(outcomes ...wellcheck.Outcome) func(string, int) dialer.Result {
	return func(_ string, n int) dialer.Result {
		return dialertest.Result(outcomes[min(n, len(outcomes))-1])
	}
}

func TestEveryOutcomeReachesItsFinalState(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		const (
			no     = wellcheck.OutcomeNoAnswer
			busy   = wellcheck.OutcomeBusy
			silent = wellcheck.OutcomeNoResponse
			reject = wellcheck.OutcomeDeclined
			failed = wellcheck.OutcomeFailed
			ok     = wellcheck.OutcomeOK
			help   = wellcheck.OutcomeHelpRequested
		)
		for _, tc := range []struct {
			name     string
			outcomes []wellcheck.Outcome
			retry    *wellcheck.RetryPolicy
			state    wellcheck.CheckInState
			reason   wellcheck.CheckInReason
			times    []string // local times of the attempts
			followUp wellcheck.FollowUpReason
			priority wellcheck.Priority
			due      string
			issue    bool
		}{
			{name: "pressed 1", outcomes: []wellcheck.Outcome{ok}, state: wellcheck.CheckInConfirmed, reason: wellcheck.ReasonPressed1, times: []string{"10:00"}},
			{name: "pressed 2", outcomes: []wellcheck.Outcome{help}, state: wellcheck.CheckInFlagged, reason: wellcheck.ReasonPressed2, times: []string{"10:00"},
				followUp: wellcheck.FollowUpFlagged, priority: wellcheck.PriorityHigh, due: "Tue 12:00"},
			{name: "number does not work", outcomes: []wellcheck.Outcome{wellcheck.OutcomeInvalidNumber}, state: wellcheck.CheckInUndeliverable,
				reason: wellcheck.ReasonInvalidNumber, times: []string{"10:00"}, issue: true},
			{name: "never answers: 3 attempts, 15 then 30 minutes apart", outcomes: []wellcheck.Outcome{no}, state: wellcheck.CheckInUnreached,
				reason: wellcheck.ReasonAttemptsExhausted, times: []string{"10:00", "10:15", "10:45"},
				followUp: wellcheck.FollowUpUnreached, priority: wellcheck.PriorityNormal, due: "Tue 17:00"},
			{name: "busy, silent, declined", outcomes: []wellcheck.Outcome{busy, silent, reject}, state: wellcheck.CheckInUnreached,
				reason: wellcheck.ReasonAttemptsExhausted, times: []string{"10:00", "10:15", "10:45"},
				followUp: wellcheck.FollowUpUnreached, priority: wellcheck.PriorityNormal, due: "Tue 17:00"},
			{name: "answering machines, then no answer", outcomes: []wellcheck.Outcome{wellcheck.OutcomeVoicemail, wellcheck.OutcomeVoicemail, no},
				state: wellcheck.CheckInUnreached, reason: wellcheck.ReasonAttemptsExhausted, times: []string{"10:00", "10:15", "10:45"},
				followUp: wellcheck.FollowUpUnreached, priority: wellcheck.PriorityNormal, due: "Tue 17:00"},
			{name: "answers on the second attempt", outcomes: []wellcheck.Outcome{busy, ok}, state: wellcheck.CheckInConfirmed,
				reason: wellcheck.ReasonPressed1, times: []string{"10:00", "10:15"}},
			{name: "the person's own policy", outcomes: []wellcheck.Outcome{no}, retry: &wellcheck.RetryPolicy{MaxAttempts: 2, RetryMinutes: []int{60}},
				state: wellcheck.CheckInUnreached, reason: wellcheck.ReasonAttemptsExhausted, times: []string{"10:00", "11:00"},
				followUp: wellcheck.FollowUpUnreached, priority: wellcheck.PriorityNormal, due: "Tue 17:00"},
			{name: "our failures do not count against the person", outcomes: []wellcheck.Outcome{failed, failed, ok}, state: wellcheck.CheckInConfirmed,
				reason: wellcheck.ReasonPressed1, times: []string{"10:00", "10:05", "10:10"}},
			{name: "failures that persist are a system error for a listener", outcomes: []wellcheck.Outcome{failed}, state: wellcheck.CheckInSystemError,
				reason: wellcheck.ReasonCallsFailed, times: []string{"10:00", "10:05", "10:10"},
				followUp: wellcheck.FollowUpSystemError, priority: wellcheck.PriorityNormal, due: "Tue 17:00"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				b := setupIn(t, e)
				b.dialer.Answer = script(tc.outcomes...)
				listener := b.listener(t, "ecoutante@example.org", []string{"fr"}, 10, true)
				pid, number := b.enrol(t, person{retry: tc.retry})
				id := b.checkIn(t, pid, at(10, 0), at(17, 0))

				times := b.callUntilFinal(t, pid, id)
				require.Equal(t, tc.times, times, "attempt times")
				require.Equal(t, len(tc.times), b.dialer.CallsTo(number), "calls placed")
				st, reason := b.state(t, pid, id)
				require.Equal(t, tc.state, st)
				require.Equal(t, tc.reason, reason)

				ctx := context.Background()
				list, err := b.store.Queries().FollowUpsFor(ctx, &listener)
				require.NoError(t, err)
				if tc.followUp == "" {
					require.Empty(t, list, "nothing for a listener")
				} else {
					require.Len(t, list, 1)
					require.Equal(t, pid, list[0].PersonID)
					require.Equal(t, tc.followUp, list[0].Reason)
					require.Equal(t, tc.priority, list[0].Priority)
					require.Equal(t, tc.due, list[0].DueAt.In(paris).Format("Mon 15:04"))
					require.Equal(t, id, *list[0].CheckInID)
				}
				issues, err := b.store.Queries().OpenDataIssues(ctx)
				require.NoError(t, err)
				if tc.issue {
					require.Len(t, issues, 1)
					require.Equal(t, pid, issues[0].PersonID)
				} else {
					require.Empty(t, issues)
				}
				attempts, err := b.store.Queries().AttemptsForPerson(ctx, pid)
				require.NoError(t, err)
				require.Len(t, attempts, len(tc.times))
				for i, a := range attempts {
					require.Equal(t, i+1, a.Number)
					require.NotNil(t, a.EndedAt)
				}
			})
		}
	})
}

func TestRetriesStayInsideTheWindowAndTheCutoff(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		for _, tc := range []struct {
			name            string
			window          string
			slot            time.Time
			deadline        time.Time
			times           []string
			reason          wellcheck.CheckInReason
			unreachedAtTime string
		}{
			{name: "the third attempt would fall after the 15:30 cut-off", window: "09:00-17:00", slot: at(15, 10), deadline: at(17, 0),
				times: []string{"15:10", "15:25"}, reason: wellcheck.ReasonNoTimeLeft},
			{name: "the slot is past the cut-off: one attempt, decided at once", window: "09:00-17:00", slot: at(16, 0), deadline: at(17, 0),
				times: []string{"16:00"}, reason: wellcheck.ReasonNoTimeLeft},
			{name: "the window closes before the retry", window: "09:00-11:00", slot: at(10, 50), deadline: at(11, 0),
				times: []string{"10:50"}, reason: wellcheck.ReasonNoTimeLeft},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				b := setupIn(t, e)
				b.dialer.Answer = script(wellcheck.OutcomeNoAnswer)
				pid, _ := b.enrol(t, person{window: tc.window})
				id := b.checkIn(t, pid, tc.slot, tc.deadline)
				b.clock.Set(tc.slot)
				require.Equal(t, tc.times, b.callUntilFinal(t, pid, id))
				st, reason := b.state(t, pid, id)
				require.Equal(t, wellcheck.CheckInUnreached, st)
				require.Equal(t, tc.reason, reason)
			})
		}
	})
}

func TestAJobDeliveredTwiceNeverCallsTwice(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		b := setupIn(t, e)
		pid, number := b.enrol(t, person{})
		id := b.checkIn(t, pid, at(10, 0), at(17, 0))
		ctx := context.Background()
		// While the call is in progress, River delivers the same job again (a
		// rescued job, a second node): it finds the attempt and does not dial.
		var nested atomic.Int32
		b.dialer.During = func(ctx context.Context, req dialer.Request) {
			if nested.Add(1) == 1 {
				require.NoError(t, b.run(ctx, id, 1))
			}
		}
		require.NoError(t, b.run(ctx, id, 1))
		// And once more after it ended.
		require.NoError(t, b.run(ctx, id, 1))
		require.Equal(t, 1, b.dialer.CallsTo(number))
		st, _ := b.state(t, pid, id)
		require.Equal(t, wellcheck.CheckInConfirmed, st)
	})
}

// A person erased on request leaves their call jobs queued: the job finds
// nobody to call and ends, instead of failing and being retried for a day.
func TestTheJobOfAnErasedPersonEndsQuietly(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		b := setupIn(t, e)
		pid, number := b.enrol(t, person{})
		id := b.checkIn(t, pid, at(10, 0), at(17, 0))
		ctx := context.Background()
		require.NoError(t, b.store.WithTx(ctx, func(q *store.Queries) error { return q.ErasePerson(ctx, pid, "Europe/Paris", b.clock.Now()) }))
		require.NoError(t, b.run(ctx, id, 1))
		require.Zero(t, b.dialer.CallsTo(number))
	})
}

// Whether a check-in's call leaves a message on an answering machine is
// the service's setting, read for each call.
func TestTheVoicemailSettingReachesTheCall(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		ctx := context.Background()
		b := setupIn(t, e)
		q := b.store.Queries()
		for _, leave := range []bool{false, true} {
			pid, number := b.enrol(t, person{})
			set, err := q.Settings(ctx)
			require.NoError(t, err)
			set.VoicemailMessage = leave
			require.NoError(t, q.SaveSettings(ctx, set))
			// Calls read the settings' copy, refreshed every 30 s.
			b.clock.Set(b.clock.Now().Add(30 * time.Second))
			id := b.checkIn(t, pid, at(10, 0), at(17, 0))
			require.NoError(t, b.run(ctx, id, 1))
			calls := b.dialer.Calls()
			require.Equal(t, number, calls[len(calls)-1].To)
			require.Equal(t, leave, calls[len(calls)-1].LeaveMessage)
		}
	})
}

func TestTheCallIsCheckedAgainAtDialTime(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		ctx := context.Background()
		t.Run("consent withdrawn after planning", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			pid, number := b.enrol(t, person{})
			id := b.checkIn(t, pid, at(10, 0), at(17, 0))
			require.NoError(t, b.store.Queries().ChangePerson(ctx, pid, store.PersonChange{Action: "person.withdraw", At: at(9, 0)}, wellcheck.Actor{Label: "test"}))
			require.NoError(t, b.run(ctx, id, 1))
			require.Zero(t, b.dialer.CallsTo(number))
			st, reason := b.state(t, pid, id)
			require.Equal(t, wellcheck.CheckInCancelled, st)
			require.Equal(t, wellcheck.ReasonWithdrawn, reason)
		})
		t.Run("paused after planning", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			pid, number := b.enrol(t, person{})
			id := b.checkIn(t, pid, at(10, 0), at(17, 0))
			require.NoError(t, b.store.Queries().ChangePerson(ctx, pid, store.PersonChange{Action: "person.pause", At: at(9, 0).AddDate(0, 0, 7)}, wellcheck.Actor{Label: "test"}))
			require.NoError(t, b.run(ctx, id, 1))
			require.Zero(t, b.dialer.CallsTo(number))
			st, reason := b.state(t, pid, id)
			require.Equal(t, wellcheck.CheckInCancelled, st)
			require.Equal(t, wellcheck.ReasonPaused, reason)
		})
		t.Run("the job ran after the window closed", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			pid, number := b.enrol(t, person{})
			id := b.checkIn(t, pid, at(10, 0), at(17, 0))
			b.clock.Set(at(17, 2))
			require.NoError(t, b.run(ctx, id, 1))
			require.Zero(t, b.dialer.CallsTo(number))
			st, reason := b.state(t, pid, id)
			require.Equal(t, wellcheck.CheckInSystemError, st, "never called: handed to a listener")
			require.Equal(t, wellcheck.ReasonNotCalledInTime, reason)
			pool, err := b.store.Queries().FollowUpsFor(ctx, nil)
			require.NoError(t, err)
			require.Len(t, pool, 1, "in the shared pool: no listener is on shift")
			require.Equal(t, wellcheck.FollowUpSystemError, pool[0].Reason)
		})
		t.Run("the job came early", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			pid, number := b.enrol(t, person{})
			id := b.checkIn(t, pid, at(10, 0), at(17, 0))
			b.clock.Set(at(9, 58))
			err := b.run(ctx, id, 1)
			var snooze *river.JobSnoozeError
			require.ErrorAs(t, err, &snooze)
			require.Equal(t, 2*time.Minute, snooze.Duration)
			require.Zero(t, b.dialer.CallsTo(number))
		})
	})
}

func TestAssignment(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		ctx := context.Background()
		help := script(wellcheck.OutcomeHelpRequested)

		t.Run("the referent on shift takes their person", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			b.dialer.Answer = help
			other := b.listener(t, "a@example.org", []string{"fr"}, 10, true)
			referent := b.listener(t, "referente@example.org", []string{"fr"}, 10, true)
			pid, _ := b.enrol(t, person{referent: &referent})
			b.callUntilFinal(t, pid, b.checkIn(t, pid, at(10, 0), at(17, 0)))
			requireList(t, b, &referent, pid)
			requireList(t, b, &other)
		})
		t.Run("the listener who took a press 2 live keeps the person", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			referent := b.listener(t, "referente@example.org", []string{"fr"}, 10, true)
			taker := b.listener(t, "ecoute@example.org", []string{"fr"}, 10, true)
			b.dialer.Answer = func(string, int) dialer.Result {
				return dialer.Result{Outcome: wellcheck.OutcomeHelpRequested, Digits: "2", Transferred: true, TakenBy: taker}
			}
			pid, _ := b.enrol(t, person{referent: &referent})
			b.callUntilFinal(t, pid, b.checkIn(t, pid, at(10, 0), at(17, 0)))
			requireList(t, b, &taker, pid)
			requireList(t, b, &referent)
			// The conversation is listed among the case's calls, as the
			// listener's, reached.
			var user int64
			var direction, outcome string
			var reached bool
			require.NoError(t, b.store.Pool().QueryRow(ctx, "SELECT user_id, direction, outcome, answered_at IS NOT NULL FROM case_calls WHERE person_id = $1", pid).
				Scan(&user, &direction, &outcome, &reached))
			require.Equal(t, taker, user)
			require.Equal(t, "out", direction)
			require.Equal(t, "answered", outcome)
			require.True(t, reached)
		})
		t.Run("the referent away: who speaks the language, least loaded", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			b.dialer.Answer = help
			referent := b.listener(t, "referente@example.org", []string{"fr"}, 10, false)
			english := b.listener(t, "english@example.org", []string{"en"}, 10, true)
			busy := b.listener(t, "busy@example.org", []string{"fr", "en"}, 10, true)
			free := b.listener(t, "free@example.org", []string{"en", "fr"}, 10, true)
			first, _ := b.enrol(t, person{language: "en"})
			b.callUntilFinal(t, first, b.checkIn(t, first, at(10, 0), at(17, 0)))
			second, _ := b.enrol(t, person{language: "en"})
			b.callUntilFinal(t, second, b.checkIn(t, second, at(10, 0), at(17, 0)))
			// english (id lowest) got the first, busy the second: each had none.
			requireList(t, b, &english, first)
			requireList(t, b, &busy, second)
			third, _ := b.enrol(t, person{referent: &referent})
			b.callUntilFinal(t, third, b.checkIn(t, third, at(10, 0), at(17, 0)))
			requireList(t, b, &free, third)
			requireList(t, b, &referent)
		})
		t.Run("everyone full or off shift: the pool, due when a shift starts", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			b.dialer.Answer = help
			full := b.listener(t, "full@example.org", []string{"fr"}, 0, true)
			pid, _ := b.enrol(t, person{})
			b.clock.Set(at(10, 0))
			b.callUntilFinal(t, pid, b.checkIn(t, pid, at(10, 0), at(17, 0)))
			requireList(t, b, &full)
			pool := requireList(t, b, nil, pid)
			require.Equal(t, "Tue 12:00", pool[0].DueAt.In(paris).Format("Mon 15:04"), "someone is on shift: due as a flag is")

			// After hours nobody is on shift: due when Wednesday's shift starts.
			require.NoError(t, b.store.Queries().SetShifts(ctx, full, []store.Shift{
				{Weekday: time.Tuesday, Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(12, 0)}},
				{Weekday: time.Wednesday, Window: wellcheck.Window{Start: wellcheck.Clock(9, 30), End: wellcheck.Clock(12, 0)}},
			}))
			late, _ := b.enrol(t, person{})
			b.clock.Set(at(16, 30))
			b.callUntilFinal(t, late, b.checkIn(t, late, at(16, 30), at(17, 0)))
			pool = requireList(t, b, nil, pid, late)
			require.Equal(t, "Wed 09:30", pool[1].DueAt.In(paris).Format("Mon 15:04"))
		})
		t.Run("a new event raises the open case; twice unreached is urgent", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			b.dialer.Answer = script(wellcheck.OutcomeNoAnswer)
			listener := b.listener(t, "l@example.org", []string{"fr"}, 10, true)
			pid, _ := b.enrol(t, person{retry: &wellcheck.RetryPolicy{MaxAttempts: 1}})
			monday := at(10, 0).AddDate(0, 0, -1)
			b.clock.Set(monday)
			b.callUntilFinal(t, pid, b.checkIn(t, pid, monday, monday.Add(7*time.Hour)))
			// Monday: nobody on shift (shifts are on Tuesdays): the pool.
			list := requireList(t, b, nil, pid)
			require.Equal(t, wellcheck.PriorityNormal, list[0].Priority)

			b.clock.Set(at(10, 0))
			b.callUntilFinal(t, pid, b.checkIn(t, pid, at(10, 0), at(17, 0)))
			list = requireList(t, b, &listener, pid)
			require.Equal(t, wellcheck.PriorityUrgent, list[0].Priority, "unreached twice in a row")
			require.Equal(t, wellcheck.FollowUpUnreachedRepeatedly, list[0].Reason)
			requireList(t, b, nil)
			c, followUps, err := b.store.Queries().OpenCase(ctx, pid)
			require.NoError(t, err)
			require.Equal(t, wellcheck.PriorityUrgent, c.Priority)
			require.Equal(t, wellcheck.CaseUnreached, c.OpenedReason)
			require.Len(t, followUps, 1, "one case, one task: the second miss updated it")

			// A less pressing event on the urgent task does not change why it is there.
			late := b.checkIn(t, pid, at(11, 0), at(11, 30))
			b.clock.Set(at(11, 30))
			_, err = b.planner(t).Sweep(ctx)
			require.NoError(t, err)
			st, _ := b.state(t, pid, late)
			require.Equal(t, wellcheck.CheckInSystemError, st)
			list = requireList(t, b, &listener, pid)
			require.Equal(t, wellcheck.FollowUpUnreachedRepeatedly, list[0].Reason)
			require.Equal(t, wellcheck.PriorityUrgent, list[0].Priority)
		})
		t.Run("a call the system missed follows the same rules", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			away := b.listener(t, "away@example.org", []string{"fr"}, 10, false)
			english := b.listener(t, "english@example.org", []string{"en"}, 10, true)
			french := b.listener(t, "french@example.org", []string{"fr"}, 10, true)
			pid, _ := b.enrol(t, person{referent: &away})
			id := b.checkIn(t, pid, at(10, 0), at(11, 0))
			planner := b.planner(t)

			// Nothing called the person by 11:00 (the node was down).
			b.clock.Set(at(11, 0))
			st, err := planner.Sweep(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, st.Missed)
			state, reason := b.state(t, pid, id)
			require.Equal(t, wellcheck.CheckInSystemError, state)
			require.Equal(t, wellcheck.ReasonMissed, reason)
			list := requireList(t, b, &french, pid)
			require.Equal(t, wellcheck.FollowUpMissed, list[0].Reason)
			require.Equal(t, at(11, 0), list[0].DueAt.In(paris), "someone calls the person now")
			requireList(t, b, &away)
			requireList(t, b, &english)
			requireList(t, b, nil)
			require.Empty(t, b.dialer.Calls())
		})
	})
}

// planner is the planner of the bundle's service, handing on through its calls.
func (b *bundle) planner(t *testing.T) *scheduler.Planner {
	logger := slog.New(slog.NewTextHandler(b.logs, nil))
	return &scheduler.Planner{Store: b.store, Jobs: b.queue, HandOn: b.care, Logger: logger, Now: b.clock.Now}
}

// requireList checks the pending follow-ups of a listener (nil: the pool) are
// for these persons, in order, and returns them.
func requireList(t *testing.T, b *bundle, listener *int64, persons ...int64) []wellcheck.FollowUp {
	t.Helper()
	list, err := b.store.Queries().FollowUpsFor(context.Background(), listener)
	require.NoError(t, err)
	got := make([]int64, len(list))
	for i, f := range list {
		got[i] = f.PersonID
	}
	if persons == nil {
		persons = []int64{}
	}
	require.Equal(t, persons, got)
	return list
}

func TestAnInterruptedCallIsRetriedLaterNotAtOnce(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		b := setupIn(t, e)
		pid, number := b.enrol(t, person{})
		id := b.checkIn(t, pid, at(10, 0), at(17, 0))
		ctx := context.Background()
		// Two nodes: this one, and one that dies mid-call (the job never
		// returns, its heartbeat stops).
		require.NoError(t, b.calls.Beat(ctx))
		dead := b.node("dead")
		require.NoError(t, dead.Beat(ctx))
		b.dialer.During = func(ctx context.Context, req dialer.Request) { panic(errNodeDied) }
		require.PanicsWithValue(t, errNodeDied, func() { _, _ = dead.Run(ctx, id, 1) })
		b.dialer.During = nil

		// However far this node's clock runs ahead of the other's, a node
		// that beat a moment ago keeps its call.
		b.clock.Set(at(10, 6))
		n, err := b.calls.Recover(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "a call whose node is alive is left alone")
		// Once it has not beaten for DeadAfter, by the database's clock, its
		// call is presumed lost.
		b.recoversOne(t)

		attempts, err := b.store.Queries().AttemptsForPerson(ctx, pid)
		require.NoError(t, err)
		require.Len(t, attempts, 1)
		require.Equal(t, wellcheck.OutcomeFailed, attempts[0].Outcome)
		require.Equal(t, wellcheck.Interrupted, attempts[0].FailureReason)
		// River re-delivers the dead node's job: it never dials again.
		require.NoError(t, b.run(ctx, id, 1))
		require.Equal(t, 1, b.dialer.CallsTo(number))

		args, when, ok := b.retryJob(t, id)
		require.True(t, ok)
		require.Equal(t, 2, args.Attempt)
		require.InDelta(t, 5*time.Minute, time.Until(when), float64(10*time.Second), "the retry waits like any failed call")
		b.clock.Set(at(10, 11))
		require.NoError(t, b.run(ctx, id, 2))
		st, _ := b.state(t, pid, id)
		require.Equal(t, wellcheck.CheckInConfirmed, st)
		require.Equal(t, 2, b.dialer.CallsTo(number))
	})
}

// A call presumed lost (its node silent: a partition, a database away from
// it) whose real outcome comes later: the person pressed 2. Their answer wins
// over "interrupted": the check-in is flagged and their listener has it, and
// the retry queued meanwhile calls nobody.
func TestALateRealOutcomeWinsOverInterrupted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pid, number := b.enrol(t, person{})
	id := b.checkIn(t, pid, at(10, 0), at(17, 0))
	ctx := context.Background()
	require.NoError(t, b.calls.Beat(ctx))
	cut := b.node("cut")
	require.NoError(t, cut.Beat(ctx))

	// The call is going on when the node loses the database: the person
	// presses 2 while another node presumes the call lost.
	heard := make(chan struct{})
	b.dialer.Answer = script(wellcheck.OutcomeHelpRequested)
	b.dialer.During = func(ctx context.Context, req dialer.Request) {
		b.recoversOne(t)
		close(heard)
	}
	require.NoError(t, jobs.Snooze(cut.Run(ctx, id, 1)))
	<-heard

	attempts, err := b.store.Queries().AttemptsForPerson(ctx, pid)
	require.NoError(t, err)
	require.Len(t, attempts, 1)
	require.Equal(t, wellcheck.OutcomeHelpRequested, attempts[0].Outcome, "what the person said, not what was presumed")
	require.Equal(t, "2", attempts[0].Digits)
	st, _ := b.state(t, pid, id)
	require.Equal(t, wellcheck.CheckInFlagged, st)
	_, _, err = b.store.Queries().OpenCase(ctx, pid)
	require.NoError(t, err, "their request for help opened a case")
	// The retry "interrupted" had queued finds the check-in ended.
	args, _, ok := b.retryJob(t, id)
	require.True(t, ok)
	b.clock.Set(at(10, 6))
	require.NoError(t, b.run(ctx, id, args.Attempt))
	require.Equal(t, 1, b.dialer.CallsTo(number), "called once")
	require.Contains(t, b.logs.String(), "a call's real outcome came late and wins over what was presumed")
}

// A late real outcome ends the check-in while its next attempt rings on
// another node, which then dies: that attempt is ended all the same, and the
// check-in stays as the person left it.
func TestAnAttemptLeftRingingByALateOutcomeIsEnded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pid, _ := b.enrol(t, person{})
	id := b.checkIn(t, pid, at(10, 0), at(17, 0))
	ctx := context.Background()
	require.NoError(t, b.calls.Beat(ctx))
	cut := b.node("cut")
	require.NoError(t, cut.Beat(ctx))

	// Attempt 1 is presumed lost; attempt 2 starts on a node that will die;
	// then attempt 1's real outcome, a press 2, comes and flags the check-in.
	b.dialer.Answer = script(wellcheck.OutcomeHelpRequested)
	b.dialer.During = func(ctx context.Context, req dialer.Request) {
		b.recoversOne(t)
		_, err := b.store.Queries().StartAttempt(ctx, id, 2, b.clock.Now(), "ringer")
		require.NoError(t, err)
	}
	require.NoError(t, jobs.Snooze(cut.Run(ctx, id, 1)))
	st, _ := b.state(t, pid, id)
	require.Equal(t, wellcheck.CheckInFlagged, st)

	// The ringing node never records attempt 2: it is ended as interrupted,
	// and the check-in stays flagged, with nothing more queued.
	b.clock.Set(at(10, 10))
	b.recoversOne(t)
	attempts, err := b.store.Queries().AttemptsForPerson(ctx, pid)
	require.NoError(t, err)
	require.Len(t, attempts, 2)
	require.Equal(t, wellcheck.OutcomeHelpRequested, attempts[0].Outcome)
	require.NotNil(t, attempts[1].EndedAt, "no attempt left open")
	require.Equal(t, wellcheck.Interrupted, attempts[1].FailureReason)
	st, _ = b.state(t, pid, id)
	require.Equal(t, wellcheck.CheckInFlagged, st)
	_, _, ok := b.retryJob(t, id)
	require.True(t, ok, "attempt 1's presumed loss had queued a retry")
	b.clock.Set(at(10, 20))
	for _, j := range b.waitingJobs(t, id) {
		require.NoError(t, b.run(ctx, id, j.Args.Attempt))
	}
	require.Equal(t, 1, len(b.dialer.Calls()), "nobody is called again")
}

// A node that heard "press 2" and died before the database had it: its
// journal holds the outcome, and the node records it when it starts again.
func TestAnOutcomeHeldInTheJournalIsRecordedAtRestart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pid, _ := b.enrol(t, person{})
	id := b.checkIn(t, pid, at(10, 0), at(17, 0))
	ctx := context.Background()
	dir := t.TempDir()

	// The node claims the call; the person presses 2; the node writes it
	// in its journal and dies before the database has it.
	before := b.node("before")
	journal, err := calling.OpenJournal(dir)
	require.NoError(t, err)
	attemptID, err := b.store.Queries().StartAttempt(ctx, id, 1, b.clock.Now(), "before")
	require.NoError(t, err)
	ended := b.clock.Now().Add(40 * time.Second)
	require.NoError(t, journal.Hold(wellcheck.Attempt{ID: attemptID, CheckInID: id, Number: 1, StartedAt: b.clock.Now(), EndedAt: &ended,
		Outcome: wellcheck.OutcomeHelpRequested, Digits: "2", SIPStatus: 200, CallID: "call-1"}))
	_ = before
	require.NoError(t, journal.Close()) // the process is gone; its file stays

	// The node starts again (a new process: another name).
	after := b.node("after")
	after.Journal, err = calling.OpenJournal(dir)
	require.NoError(t, err)
	t.Cleanup(func() { after.Journal.Close() })
	require.Len(t, after.Journal.Pending(), 1)
	require.Equal(t, 1, after.Replay(ctx))

	st, _ := b.state(t, pid, id)
	require.Equal(t, wellcheck.CheckInFlagged, st)
	_, _, err = b.store.Queries().OpenCase(ctx, pid)
	require.NoError(t, err)
	require.Empty(t, after.Journal.Pending(), "recorded, the journal lets it go")
	require.Zero(t, after.Replay(ctx), "and a second start records nothing twice")

	// One node a journal: a second one is refused, clearly.
	_, err = calling.OpenJournal(dir)
	require.ErrorContains(t, err, "used by another node")
}

// A journal a failed write damaged (a full disk): the node still starts,
// says how many lines it lost, and keeps what the others hold; a line cut
// short at the end (the machine stopped mid-write) is cut off.
func TestADamagedJournalStillOpens(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ended := time.Date(2026, 12, 1, 9, 1, 0, 0, time.UTC)
	j, err := calling.OpenJournal(dir)
	require.NoError(t, err)
	for id := range int64(3) {
		require.NoError(t, j.Hold(wellcheck.Attempt{ID: id + 1, CheckInID: 10 + id, Number: 1, StartedAt: ended.Add(-time.Minute), EndedAt: &ended, Outcome: wellcheck.OutcomeHelpRequested, Digits: "2"}))
	}
	require.NoError(t, j.Close())
	path := filepath.Join(dir, "outcomes.jsonl")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(data), "\n")
	lines[1] = `{"attempt":{"id":2,"check_in` + "\n" // a write that failed part way
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "")+`{"recorded":`), 0o600))

	j, err = calling.OpenJournal(dir)
	require.NoError(t, err)
	defer j.Close()
	require.Equal(t, 1, j.Damaged)
	pending := j.Pending()
	require.Len(t, pending, 2)
	require.Equal(t, []int64{1, 3}, []int64{pending[0].ID, pending[1].ID})
	require.Equal(t, "2", pending[1].Digits)
	require.NoError(t, j.Recorded(1))
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(string(data), `{"recorded":1}`+"\n"), "the cut-short line is gone before the next one: %q", data)
}

var errNodeDied = errors.New("node died")

// A node that took a call job and died before dialling: River would hand the
// job on only after RescueAfter (30 min); recovery queues the check-in again
// within StaleAfter, and the old job, rescued later, does not dial.
func TestAJobTakenByADeadNodeIsQueuedAgain(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		b := setupIn(t, e)
		ctx := context.Background()
		pid, number := b.enrol(t, person{})
		id := b.checkIn(t, pid, at(10, 0), at(17, 0))
		require.NoError(t, b.store.WithTx(ctx, func(q *store.Queries) error {
			return b.queue.EnqueueCalls(ctx, q, []wellcheck.CheckIn{{ID: id, SlotAt: at(10, 0)}})
		}))
		taken := func(ago time.Duration) {
			_, err := b.store.Pool().Exec(ctx, "UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() - $1::interval WHERE kind = 'check_in_call'", ago.String())
			require.NoError(t, err)
		}
		b.clock.Set(at(10, 6))
		taken(time.Minute) // a live node waiting for a channel
		n, err := b.calls.Recover(ctx)
		require.NoError(t, err)
		require.Zero(t, n)

		taken(6 * time.Minute) // its node died
		n, err = b.calls.Recover(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		jobs := b.waitingJobs(t, id)
		require.Len(t, jobs, 1)
		require.Equal(t, 1, jobs[0].Args.Attempt, "the first attempt, at once")
		n, err = b.calls.Recover(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "queued once")

		require.NoError(t, b.run(ctx, id, 1))
		require.NoError(t, b.run(ctx, id, 1)) // the dead node's job, rescued
		require.Equal(t, 1, b.dialer.CallsTo(number))
		st, _ := b.state(t, pid, id)
		require.Equal(t, wellcheck.CheckInConfirmed, st)
	})
}

// A node whose machine clock runs 3 minutes ahead of the database's would
// judge windows and opening hours wrong: it starts no call, says why, and
// calls again once its clock is right.
func TestANodeWhoseClockIsOffStartsNoCall(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pid, number := b.enrol(t, person{})
	id := b.checkIn(t, pid, at(10, 0), at(17, 0))
	ctx := context.Background()
	skewed := b.node("skewed")
	skewed.MachineClock = func() time.Time { return time.Now().Add(3 * time.Minute) }
	require.NoError(t, skewed.Beat(ctx))
	offset, tooFar := skewed.Skew()
	require.True(t, tooFar)
	require.InDelta(t, 3*time.Minute, offset, float64(time.Second))

	var snooze *river.JobSnoozeError
	require.ErrorAs(t, jobs.Snooze(skewed.Run(ctx, id, 1)), &snooze)
	require.Equal(t, 30*time.Second, snooze.Duration, "the call waits for a node whose clock is right")
	require.Zero(t, b.dialer.CallsTo(number))
	require.Contains(t, b.logs.String(), "this machine's clock is too far from the database's")

	skewed.MachineClock = nil
	require.NoError(t, skewed.Beat(ctx))
	require.NoError(t, jobs.Snooze(skewed.Run(ctx, id, 1)))
	require.Equal(t, 1, b.dialer.CallsTo(number))
	st, _ := b.state(t, pid, id)
	require.Equal(t, wellcheck.CheckInConfirmed, st)
	require.Contains(t, b.logs.String(), "agrees with the database's again")
}
