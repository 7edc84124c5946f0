package jobs_test

// A trunk that answers everyone the same way — 480 to all, 500, 401 — is the
// trunk's fault, not the persons': calls are held, one let through now and
// then, and when the trunk carries calls again everyone is called as if
// nothing had been counted against them.

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/internal/metricstest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/store"
)

func TestATrunkStormCountsAgainstNobody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		storm callee.Behaviour
		fault wellcheck.TrunkFault
	}{
		{"480 to everyone", callee.TempUnavailable, wellcheck.FaultUnanswered},
		{"500 to everyone", callee.ServerError, wellcheck.FaultServer},
		{"401 to everyone", callee.Unauthorized, wellcheck.FaultRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := setup(t)
			ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Behaviour: callee.PressOne, Ring: 20 * time.Millisecond, KeyDelay: 100 * time.Millisecond})
			require.NoError(t, err)
			t.Cleanup(func() { ce.Close() })
			limits, err := b.store.NewTrunkLimits(ctx, store.TrunkLimitsConfig{Trunk: "callee", Channels: 4, CPS: 100, Lease: time.Minute, Poll: 20 * time.Millisecond})
			require.NoError(t, err)
			d, err := dialer.New(dialer.Config{
				Trunk:  dialer.Trunk{Host: ce.Addr().Addr().String(), Port: int(ce.Addr().Port())},
				Listen: "127.0.0.1:0", CallerNumber: "+33199000000", RingTimeout: 2 * time.Second, KeyTimeout: 400 * time.Millisecond,
				// The dialer's own pause after a refusal or a 5xx is not what
				// is tested here: a millisecond.
				RefusedBackoff: time.Millisecond, OverloadBackoff: time.Millisecond,
				Limits: limits, Logger: b.calls.Logger,
			}, dialertest.ShortPrompts())
			require.NoError(t, err)
			t.Cleanup(func() { d.Close() })
			b.calls.Dialer = d
			m := metrics.New(metrics.Config{Store: b.store, Now: b.clock.Now})
			storm := func() float64 {
				return metricstest.Value(t, metricstest.Scrape(t, m.Handler()), `wellcheck_trunk_storm{fault="`+string(tc.fault)+`"}`)
			}

			// Twelve persons due at 10:00, on a morning the trunk fails everyone.
			const n = 12
			persons, checkIns := make([]int64, n), make([]int64, n)
			numbers := map[string]int64{}
			for i := range n {
				var number string
				persons[i], number = b.enrol(t, person{})
				numbers[number] = persons[i]
				checkIns[i] = b.checkIn(t, persons[i], at(10, 0), at(17, 0))
			}
			ce.Storm(tc.storm)
			for i := range n {
				err := b.run(ctx, checkIns[i], 1)
				if i < 10 {
					require.NoError(t, err, "call %d", i+1)
				} else {
					require.Error(t, err, "call %d is held: its job comes back later", i+1)
				}
			}
			// Ten calls to ten persons failing alike make it a storm: the
			// last two calls were held, the ten count against nobody.
			require.Len(t, ce.Records(), 10)
			for _, p := range persons[:10] {
				attempts, err := b.store.Queries().AttemptsForPerson(ctx, p)
				require.NoError(t, err)
				require.Len(t, attempts, 1)
				require.True(t, attempts[0].Trunk, "person %d: the trunk's failure", p)
			}
			s, err := b.store.Queries().OpenTrunkStorm(ctx)
			require.NoError(t, err)
			require.Equal(t, tc.fault, s.Fault)
			require.Equal(t, 10, s.Calls)
			require.Equal(t, 10, s.Persons)
			// The call that showed the storm is the trunk's too: retried after
			// 5 minutes, not the policy's 15 for a person who did not answer.
			require.Equal(t, at(10, 5).UTC(), retryAt(t, b, checkIns[9]).UTC())
			// The admins are told: the log and the alert's series.
			require.Contains(t, b.logs.String(), "the trunk fails most calls the same way, to many persons")
			require.Equal(t, 1.0, storm())

			// 10:01: one call goes through to try the trunk; it fails the same
			// way, so the storm goes on and the next call waits longer.
			b.clock.Set(at(10, 1))
			require.NoError(t, b.run(ctx, checkIns[10], 1))
			require.Error(t, b.run(ctx, checkIns[11], 1), "held until the next probe")
			require.Len(t, ce.Records(), 11)

			// 10:05: the trunk is back. The next probe goes through and ends the storm.
			ce.Storm("")
			b.clock.Set(at(10, 5))
			require.NoError(t, b.run(ctx, checkIns[11], 1))
			_, err = b.store.Queries().OpenTrunkStorm(ctx)
			require.ErrorIs(t, err, wellcheck.ErrNotFound)
			storms, err := b.store.Queries().TrunkStorms(ctx, 5)
			require.NoError(t, err)
			require.Len(t, storms, 1)
			require.Equal(t, at(10, 5).UTC(), storms[0].Until.UTC())
			require.Equal(t, 0.0, storm())
			require.Contains(t, b.logs.String(), "the trunk carries calls again")

			// A busy line right after does not bring the storm back from its
			// own calls, still within the window.
			other, otherNumber := b.enrol(t, person{})
			numbers[otherNumber] = other
			otherCheckIn := b.checkIn(t, other, at(10, 5), at(17, 0))
			ce.Storm(callee.Busy)
			require.NoError(t, b.run(ctx, otherCheckIn, 1))
			ce.Storm("")
			_, err = b.store.Queries().OpenTrunkStorm(ctx)
			require.ErrorIs(t, err, wellcheck.ErrNotFound, "the storm stays over")

			// Everyone else is called again when their retry comes, and is
			// confirmed: nobody unreached, no case, no family called.
			for _, id := range checkIns[:11] {
				_, _, ok := b.retryJob(t, id)
				require.True(t, ok, "check-in %d has its retry", id)
				var retry time.Time
				require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT retry_at FROM check_ins WHERE id = $1`, id).Scan(&retry))
				require.True(t, retry.Before(at(10, 30)), "check-in %d retried at %s", id, retry)
			}
			b.clock.Set(at(10, 30))
			for _, id := range checkIns[:11] {
				require.NoError(t, b.run(ctx, id, 2))
			}
			for i, p := range persons {
				st, _ := b.state(t, p, checkIns[i])
				require.Equal(t, wellcheck.CheckInConfirmed, st, "person %d", i+1)
				_, _, err := b.store.Queries().OpenCase(ctx, p)
				require.ErrorIs(t, err, wellcheck.ErrNotFound, "person %d has no case", i+1)
			}
			var escalations int
			require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT count(*) FROM escalations`).Scan(&escalations))
			require.Zero(t, escalations)
			perPerson := map[int64]int{}
			for _, r := range ce.Records() {
				perPerson[numbers[r.To]]++
			}
			for i, p := range persons {
				want := 2 // the storm's call, then the one that reached them
				if i == n-1 {
					want = 1 // held, then the probe that ended the storm
				}
				require.Equal(t, want, perPerson[p], "calls to person %d", i+1)
			}
			require.Equal(t, 1, perPerson[other], "the busy line, retried later")
		})
	}
}

// A storm holds the calls to emergency contacts too, and a contact's call
// that fails the storm's way is the trunk's failure, tried again: it never
// uses the contact up, and the escalation goes on once the trunk is back.
func TestATrunkStormHoldsAnEscalation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	q := b.store.Queries()
	_, began, err := q.BeginTrunkStorm(ctx, wellcheck.FaultUnanswered, at(9, 58), at(10, 1), 10, 10)
	require.NoError(t, err)
	require.True(t, began)
	trunkDown := true
	b.dialer.Answer = func(string, int) dialer.Result {
		if trunkDown {
			r := dialertest.Result(wellcheck.OutcomeNoAnswer)
			r.SIPStatus = 480
			return r
		}
		return dialertest.Result(wellcheck.OutcomeOK)
	}
	_, caseID := b.urgent(t, contacts())
	escalation := queued[jobs.EscalateArgs](t, b)
	require.Len(t, escalation, 1)
	id := escalation[0].Args.EscalationID

	// 10:00: held, nobody called.
	require.Error(t, b.escalate(ctx, id), "held: the job comes back later")
	require.Empty(t, escalationCalls(b))

	// 10:01, 10:02, 10:04: the call to the first contact goes out as the
	// storm's probe, fails its way, and is the trunk's failure: that contact
	// is called again at the next probe, however many times — more than the
	// three failures that would otherwise pass her over.
	for _, minute := range []int{1, 2, 4} {
		b.clock.Set(at(10, minute))
		require.Error(t, b.escalate(ctx, id), "10:%02d: the contact's call is retried later", minute)
	}
	require.Equal(t, slices.Repeat([]string{"+33699000001 fr"}, 3), escalationCalls(b))
	calls, err := q.EscalationCalls(ctx, id)
	require.NoError(t, err)
	require.Len(t, calls, 3)
	for _, k := range calls {
		require.Equal(t, wellcheck.OutcomeFailed, k.Outcome)
		require.True(t, k.Trunk)
		require.Contains(t, k.Reason, "the trunk fails every call")
	}
	require.Error(t, b.escalate(ctx, id), "10:04: held until the next probe")
	require.Len(t, escalationCalls(b), 3)

	// 10:08: the trunk is back; the same contact is called and acknowledges.
	trunkDown = false
	b.clock.Set(at(10, 8))
	require.NoError(t, b.escalate(ctx, id))
	require.Equal(t, slices.Repeat([]string{"+33699000001 fr"}, 4), escalationCalls(b), "the second contact is never called")
	e := lastEscalation(t, b, caseID)
	require.Equal(t, wellcheck.EscalationAcknowledged, e.Outcome)
	_, err = q.OpenTrunkStorm(ctx)
	require.ErrorIs(t, err, wellcheck.ErrNotFound, "the acknowledged call ended the storm")
}

// retryAt is when a check-in's next call is due.
func retryAt(t *testing.T, b *bundle, checkInID int64) time.Time {
	t.Helper()
	var retry time.Time
	require.NoError(t, b.store.Pool().QueryRow(context.Background(), `SELECT retry_at FROM check_ins WHERE id = $1`, checkInID).Scan(&retry))
	return retry
}

// A storm that lasts until a person can no longer be called hands them to
// a listener, before the planner's sweep would call them missed: a person
// the storm kept from being called at all as the trunk's failure, due now;
// a person who had really missed a call before it as unreached, at the
// day's cut-off and not after.
func TestAStormThatOutlastsTheDayHandsPersonsOn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	q := b.store.Queries()
	b.dialer.Answer = func(string, int) dialer.Result {
		r := dialertest.Result(wellcheck.OutcomeNoAnswer)
		r.SIPStatus = 480
		return r
	}

	// Kept from being called: due at 10:00, deadline 10:30; no probe until 11:00.
	never, _ := b.enrol(t, person{})
	neverID := b.checkIn(t, never, at(10, 0), at(10, 30))
	_, _, err := q.BeginTrunkStorm(ctx, wellcheck.FaultUnanswered, at(9, 58), at(11, 0), 10, 10)
	require.NoError(t, err)
	require.Error(t, b.run(ctx, neverID, 1), "held")
	b.clock.Set(at(10, 29))
	require.NoError(t, b.run(ctx, neverID, 1))
	st, reason := b.state(t, never, neverID)
	require.Equal(t, wellcheck.CheckInSystemError, st)
	require.Equal(t, wellcheck.ReasonTrunkDown, reason)
	c, _, err := q.OpenCase(ctx, never)
	require.NoError(t, err, "a listener calls them by hand")
	require.Equal(t, wellcheck.CaseMissed, c.OpenedReason)
	require.Zero(t, b.dialer.Calls(), "never called")
	storms, err := q.TrunkStorms(ctx, 1)
	require.NoError(t, err)
	require.Nil(t, storms[0].Until)
	_, err = q.EndTrunkStorm(ctx, storms[0], at(10, 30))
	require.NoError(t, err)

	// Missed a call at 15:00; a storm from 15:05 holds the retry (15:15)
	// past the cut-off (15:30): unreached, decided in time.
	missed, number := b.enrol(t, person{})
	missedID := b.checkIn(t, missed, at(15, 0), at(17, 0))
	b.clock.Set(at(15, 0))
	require.NoError(t, b.run(ctx, missedID, 1))
	require.Equal(t, 1, b.dialer.CallsTo(number))
	_, _, err = q.BeginTrunkStorm(ctx, wellcheck.FaultUnanswered, at(15, 5), at(16, 0), 10, 10)
	require.NoError(t, err)
	b.clock.Set(at(15, 15))
	require.Error(t, b.run(ctx, missedID, 2), "held")
	b.clock.Set(at(15, 29).Add(30 * time.Second))
	require.NoError(t, b.run(ctx, missedID, 2))
	st, reason = b.state(t, missed, missedID)
	require.Equal(t, wellcheck.CheckInUnreached, st)
	require.Equal(t, wellcheck.ReasonNoTimeLeft, reason)
	require.Equal(t, 1, b.dialer.CallsTo(number), "not called after the cut-off")
}
