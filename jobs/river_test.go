package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/calling"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/internal/logtest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/store"
)

// TestTwoNodesCallEveryCheckInOnce runs two worker nodes (two River clients,
// two pools, two SIP dialers sharing the trunk's limits) against one database
// and the callee simulator, every call job delivered twice. Every check-in
// ends in exactly one final state, and the callee sees one call per person.
func TestTwoNodesCallEveryCheckInOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewURL(t)
	pools := [2]*store.Store{store.New(dbtest.Connect(t, url)), store.New(dbtest.Connect(t, url))}
	logs := &logtest.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))

	behaviours := []callee.Behaviour{callee.PressOne, callee.PressTwo, callee.NotFound, callee.Busy, callee.Decline, callee.PressOne}
	want := map[callee.Behaviour]wellcheck.CheckInState{
		callee.PressOne: wellcheck.CheckInConfirmed, callee.PressTwo: wellcheck.CheckInFlagged,
		callee.NotFound: wellcheck.CheckInUndeliverable, callee.Busy: wellcheck.CheckInUnreached, callee.Decline: wellcheck.CheckInUnreached,
	}
	const persons = 24
	numbers := map[string]callee.Behaviour{}

	// The service clock: Tuesday 17 November 2026 from 10:00 (an open day in the
	// past, so the jobs are due at once), running at the machine's pace.
	start, wall := time.Date(2026, 11, 17, 10, 0, 0, 0, paris), time.Now()
	now := func() time.Time { return start.Add(time.Since(wall)) }

	b := &bundle{store: pools[0]}
	listener := b.listener(t, "ecoutante@example.org", []string{"fr"}, 100, true)
	var checkIns []wellcheck.CheckIn
	type planned struct {
		person    int64
		behaviour callee.Behaviour
	}
	ids := map[int64]planned{}
	for i := range persons {
		// One attempt each: the unanswered ones are decided at once.
		pid, number := b.enrol(t, person{retry: &wellcheck.RetryPolicy{MaxAttempts: 1}})
		beh := behaviours[i%len(behaviours)]
		numbers[number] = beh
		checkIns = append(checkIns, wellcheck.CheckIn{PersonID: pid, SlotAt: start.UTC(), DeadlineAt: start.Add(7 * time.Hour).UTC()})
	}
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Numbers: numbers, Ring: 20 * time.Millisecond, KeyDelay: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, ce.Close()) })

	queue, err := jobs.NewJobs(pools[0].Pool(), logger)
	require.NoError(t, err)
	require.NoError(t, pools[0].WithTx(ctx, func(q *store.Queries) error {
		created, err := q.CreateCheckIns(ctx, checkIns)
		if err != nil {
			return err
		}
		for i, c := range created {
			ids[c.ID] = planned{c.PersonID, behaviours[i%len(behaviours)]}
		}
		// At-least-once: every job twice.
		if err := queue.EnqueueCalls(ctx, q, created); err != nil {
			return err
		}
		return queue.EnqueueCalls(ctx, q, created)
	}))

	for i, st := range pools {
		limits, err := st.NewTrunkLimits(ctx, store.TrunkLimitsConfig{Trunk: "callee", Channels: 3, CPS: 100, Lease: time.Minute, Poll: 20 * time.Millisecond})
		require.NoError(t, err)
		d, err := dialer.New(dialer.Config{
			Trunk:  dialer.Trunk{Host: ce.Addr().Addr().String(), Port: int(ce.Addr().Port())},
			Listen: "127.0.0.1:0", CallerNumber: "+33199000000", RingTimeout: 2 * time.Second, KeyTimeout: 400 * time.Millisecond,
			Limits: limits, Logger: logger,
		}, dialertest.ShortPrompts())
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, d.Close()) })
		nodeJobs, err := jobs.NewJobs(st.Pool(), logger)
		require.NoError(t, err)
		cases := &care.Cases{Store: st, Queue: nodeJobs, Logger: logger, Now: now}
		calls := &calling.Calls{Store: st, Dialer: d, Queue: nodeJobs, Care: cases, Logger: logger, Node: []string{"a", "b"}[i], Now: now}
		client, err := jobs.NewClient(st.Pool(), jobs.Config{Calls: calls, Care: cases, Admin: &admin.Service{Store: st, Logger: logger, Now: now}, CallWorkers: 4, Logger: logger})
		require.NoError(t, err)
		require.NoError(t, client.Start(ctx))
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			require.NoError(t, client.Stop(stopCtx))
		})
	}

	// A flag reaches the listener's list within seconds.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		list, err := pools[0].Queries().FollowUpsFor(ctx, &listener)
		require.NoError(c, err)
		assert.NotEmpty(c, list)
	}, 20*time.Second, 50*time.Millisecond)

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		counts, err := pools[0].Queries().CountCheckIns(ctx)
		require.NoError(c, err)
		assert.Zero(c, counts[wellcheck.CheckInPlanned]+counts[wellcheck.CheckInDialing])
	}, 60*time.Second, 50*time.Millisecond, "every check-in reaches a final state")

	q := pools[0].Queries()
	flagged := 0
	for id, p := range ids {
		st, _ := b.state(t, p.person, id)
		require.Equal(t, want[p.behaviour], st, "check-in %d (%s)", id, p.behaviour)
		attempts, err := q.AttemptsForPerson(ctx, p.person)
		require.NoError(t, err)
		require.Len(t, attempts, 1, "check-in %d: one attempt", id)
		if p.behaviour == callee.PressTwo {
			flagged++
		}
	}
	perNumber := map[string]int{}
	for _, r := range ce.Records() {
		perNumber[r.To]++
	}
	require.Len(t, perNumber, persons)
	for n, c := range perNumber {
		require.Equal(t, 1, c, "calls to %s", n)
	}
	list, err := q.FollowUpsFor(ctx, &listener)
	require.NoError(t, err)
	reasons := map[wellcheck.FollowUpReason]int{}
	for _, f := range list {
		reasons[f.Reason]++
	}
	require.Equal(t, flagged, reasons[wellcheck.FollowUpFlagged])
	require.NotContains(t, logs.String(), "+3361", "no number in the logs")
}

// An urgent case's escalation end to end: River runs it on a node with the
// real dialer; the callee simulator plays the contacts (the first busy, the
// second pressing 1 to the escalation prompts).
func TestEscalationCallsTheContactsOverSIP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewURL(t)
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Ring: 20 * time.Millisecond, KeyDelay: 200 * time.Millisecond,
		Numbers: map[string]callee.Behaviour{"+33699000001": callee.Busy, "+33699000002": callee.PressOne, "+33699000003": callee.PressOne}})
	require.NoError(t, err)
	t.Cleanup(func() { ce.Close() })
	n := startNode(t, nodeConfig{URL: url, Callee: ce.Addr().String(), Channels: 2, Name: "a", Offset: time.Until(at(10, 0))})
	b := &bundle{store: n.store}
	coord := b.coordinator(t)
	pid, _ := b.enrol(t, person{contacts: contacts()})
	c, err := n.calls.Care.Open(ctx, coord, pid, wellcheck.PriorityUrgent, "")
	require.NoError(t, err)

	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		var outcome *string
		require.NoError(ct, n.store.Pool().QueryRow(ctx, "SELECT outcome FROM escalations WHERE case_id = $1", c.ID).Scan(&outcome))
		assert.NotNil(ct, outcome)
	}, 20*time.Second, 50*time.Millisecond)
	var seen []string
	for _, r := range ce.Records() {
		seen = append(seen, fmt.Sprintf("%s %s answered=%v", r.To, r.Behaviour, r.Answered))
		if r.Answered {
			// 20 ms packets: the escalation closing alone is 50 of them (a
			// check-in's is 5).
			require.GreaterOrEqual(t, r.AudioPackets, int(dialertest.EscalationOK/(20*time.Millisecond)), "the contact heard the escalation prompts")
		}
	}
	require.Equal(t, []string{"+33699000001 busy answered=false", "+33699000002 ok answered=true"}, seen)
	unacked, err := n.store.Queries().UnacknowledgedEscalations(ctx)
	require.NoError(t, err)
	require.Empty(t, unacked, "acknowledged by the second contact")
}

// A node told to stop while a call is in progress lets it go on for the soft
// stop, then hangs up: the person hears the call end, the attempt is recorded
// as the system's failure (cut short), not as the person's, and the check-in's
// next call is queued for any node rather than the check-in given up.
func TestACallPastTheSoftStopIsCutShortAndQueuedAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewURL(t)
	// The person answers and takes a minute to press 1.
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Ring: 20 * time.Millisecond, KeyDelay: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { ce.Close() })
	// The service's clock: a past Tuesday at 10:00, so the call is due at once.
	n, err := newNode(ctx, nodeConfig{URL: url, Callee: ce.Addr().String(), Channels: 1, Name: "a",
		Offset: time.Until(time.Date(2026, 11, 17, 10, 0, 0, 0, paris)), SoftStop: time.Second})
	require.NoError(t, err)
	closed := false
	t.Cleanup(func() {
		if !closed {
			n.close()
		}
	})
	st := store.New(dbtest.Connect(t, url)) // the node's closes with it
	b := &bundle{store: st}
	pid, _ := b.enrol(t, person{})
	planAt(t, st, map[string]int64{"": pid}, n.calls.Now())

	require.Eventually(t, func() bool {
		rs := ce.Records()
		return len(rs) == 1 && rs[0].Answered
	}, 10*time.Second, 20*time.Millisecond, "the person answers")
	n.close()
	closed = true

	// Had the node waited for the call to end, the person would have pressed
	// 1 a minute in and hung up: we hung up first, before any key.
	rs := ce.Records()
	require.Len(t, rs, 1)
	require.Equal(t, "caller", rs[0].ByeFrom, "we hung up")
	require.Empty(t, rs[0].KeysSent, "cut short before the person's key")
	var (
		outcome, reason, state string
		ended, retryAt         time.Time
	)
	require.NoError(t, st.Pool().QueryRow(ctx, `
		SELECT a.outcome, a.failure_reason, a.ended_at, c.state, c.retry_at
		FROM attempts a JOIN check_ins c ON c.id = a.check_in_id WHERE c.person_id = $1`, pid).
		Scan(&outcome, &reason, &ended, &state, &retryAt))
	require.Equal(t, string(wellcheck.OutcomeFailed), outcome, "the system's failure, not the person's")
	require.Contains(t, reason, "call cut short")
	t.Logf("recorded: %s", reason)
	require.Equal(t, string(wellcheck.CheckInDialing), state, "not given up")
	require.Equal(t, 5*time.Minute, retryAt.Sub(ended).Round(time.Second), "called again after the failed-call wait")
	var retries int
	require.NoError(t, st.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state IN ('scheduled', 'available') AND args->>'attempt' = '2'`,
		jobs.CallArgs{}.Kind()).Scan(&retries))
	require.Equal(t, 1, retries, "the retry is queued for any node")
}
