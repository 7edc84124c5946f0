package wellcheck_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

// calls makes n calls that ended in fault, to persons taking turns among
// persons (ids from first).
func calls(n, persons int, first int64, fault wellcheck.TrunkFault) []wellcheck.TrunkCall {
	out := make([]wellcheck.TrunkCall, n)
	for i := range out {
		out[i] = wellcheck.TrunkCall{AttemptID: int64(i), PersonID: first + int64(i%persons), Fault: fault}
	}
	return out
}

// The rule as the docs state it: over 5 minutes, 10 calls at least, to 5
// persons at least, 80 % of them failing the same way.
func TestTheTrunkIsJudgedAsAWhole(t *testing.T) {
	var rule wellcheck.TrunkRule // the defaults
	unanswered, busy := wellcheck.FaultUnanswered, wellcheck.FaultBusy
	for _, tc := range []struct {
		name  string
		calls []wellcheck.TrunkCall
		storm wellcheck.TrunkFault // "" when it is not one
	}{
		{"10 calls to 10 persons, none answered", calls(10, 10, 1, unanswered), unanswered},
		{"9 calls are too few to tell", calls(9, 9, 1, unanswered), ""},
		{"4 persons called again and again are those persons", calls(20, 4, 1, unanswered), ""},
		{"5 persons are enough", calls(10, 5, 1, unanswered), unanswered},
		{"8 in 10 fail the same way", append(calls(8, 8, 1, unanswered), calls(2, 2, 100, "")...), unanswered},
		{"7 in 10 is a bad morning, not a storm", append(calls(7, 7, 1, unanswered), calls(3, 3, 100, "")...), ""},
		{"failing in different ways is not one storm", append(calls(5, 5, 1, unanswered), calls(5, 5, 100, busy)...), ""},
		{"500 to everyone", calls(12, 12, 1, wellcheck.FaultServer), wellcheck.FaultServer},
		{"401 to everyone", calls(12, 12, 1, wellcheck.FaultRefused), wellcheck.FaultRefused},
		{"everyone pressed a key", calls(30, 30, 1, ""), ""},
		{"our own failures are not the trunk's", append(calls(12, 12, 1, wellcheck.FaultOurs), calls(2, 2, 100, wellcheck.FaultServer)...), ""},
		{"nor do they dilute one", append(calls(10, 10, 1, wellcheck.FaultServer), calls(20, 20, 100, wellcheck.FaultOurs)...), wellcheck.FaultServer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fault, ok := rule.Storm(tc.calls)
			require.Equal(t, tc.storm != "", ok)
			require.Equal(t, tc.storm, fault)
		})
	}
	t.Run("the service's thresholds", func(t *testing.T) {
		strict := wellcheck.TrunkRule{Calls: 20, Persons: 10, Percent: 95}
		_, ok := strict.Storm(calls(19, 19, 1, unanswered))
		require.False(t, ok)
		_, ok = strict.Storm(append(calls(19, 19, 1, unanswered), calls(1, 1, 100, "")...))
		require.True(t, ok, "19 in 20 is 95 %")
	})
}

func TestEachWayACallEndsIsOneFault(t *testing.T) {
	for _, tc := range []struct {
		outcome wellcheck.Outcome
		status  int
		fault   wellcheck.TrunkFault
		reason  string
	}{
		{wellcheck.OutcomeOK, 200, "", ""},
		{wellcheck.OutcomeHelpRequested, 200, "", ""},
		{wellcheck.OutcomeNoAnswer, 480, wellcheck.FaultUnanswered, ""},
		{wellcheck.OutcomeNoAnswer, 408, wellcheck.FaultUnanswered, ""},
		{wellcheck.OutcomeNoAnswer, 0, wellcheck.FaultUnanswered, ""},
		{wellcheck.OutcomeNoAnswer, 487, wellcheck.FaultRangOut, ""}, // we cancelled it after the ring timeout
		{wellcheck.OutcomeNoAnswer, 200, wellcheck.FaultRangOut, ""}, // answered as we cancelled it: hung up
		{wellcheck.OutcomeBusy, 486, wellcheck.FaultBusy, ""},
		{wellcheck.OutcomeDeclined, 603, wellcheck.FaultDeclined, ""},
		{wellcheck.OutcomeInvalidNumber, 404, wellcheck.FaultNoNumber, ""},
		{wellcheck.OutcomeNoResponse, 200, wellcheck.FaultSilent, ""},
		{wellcheck.OutcomeVoicemail, 200, wellcheck.FaultSilent, ""},
		{wellcheck.OutcomeFailed, 401, wellcheck.FaultRefused, ""},
		{wellcheck.OutcomeFailed, 403, wellcheck.FaultRefused, ""},
		{wellcheck.OutcomeFailed, 407, wellcheck.FaultRefused, ""},
		{wellcheck.OutcomeFailed, 500, wellcheck.FaultServer, ""},
		{wellcheck.OutcomeFailed, 503, wellcheck.FaultServer, ""},
		{wellcheck.OutcomeFailed, 0, wellcheck.FaultNoTrunk, "the trunk did not respond to the INVITE"},
		{wellcheck.OutcomeFailed, 0, wellcheck.FaultOurs, wellcheck.OnOurSide + "open an RTP port: too many open files"},
		{wellcheck.OutcomeFailed, 0, wellcheck.FaultOurs, wellcheck.Interrupted},
	} {
		require.Equal(t, tc.fault, wellcheck.FaultOf(tc.outcome, tc.status, tc.reason), "%s %d", tc.outcome, tc.status)
	}
}

// While a storm lasts one call is let through now and then: after 1 minute,
// then 2, 4, and every 5 minutes at most.
func TestAStormLetsACallThroughLessAndLessOften(t *testing.T) {
	var rule wellcheck.TrunkRule
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var waits []time.Duration
	for probes := range 5 {
		waits = append(waits, rule.NextProbe(wellcheck.TrunkStorm{Probes: probes}, now).Sub(now))
	}
	require.Equal(t, []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}, waits)
}

func TestAStormEndsWithACallItDidNotFail(t *testing.T) {
	since := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := wellcheck.TrunkStorm{Fault: wellcheck.FaultUnanswered, Since: since}
	require.True(t, s.Carried(since.Add(time.Minute), ""), "a key pressed on a call placed during the storm")
	require.True(t, s.Carried(since.Add(time.Minute), wellcheck.FaultBusy), "a busy line: the trunk reached it")
	require.True(t, s.Carried(since.Add(time.Minute), wellcheck.FaultRangOut), "a phone that rang: the trunk reached it")
	require.False(t, s.Carried(since.Add(time.Minute), wellcheck.FaultUnanswered), "failed the storm's way")
	require.False(t, s.Carried(since.Add(-time.Minute), ""), "placed before the storm: says nothing of the trunk now")
	require.False(t, s.Carried(since.Add(time.Minute), wellcheck.FaultOurs), "failed on our side: says nothing of the trunk")

	var rule wellcheck.TrunkRule
	require.True(t, rule.Failed(s, since.Add(time.Minute), wellcheck.FaultUnanswered))
	require.True(t, rule.Failed(s, since.Add(-4*time.Minute), wellcheck.FaultUnanswered), "within the window that made the storm")
	require.False(t, rule.Failed(s, since.Add(-6*time.Minute), wellcheck.FaultUnanswered), "long before: a call of its own")
	require.False(t, rule.Failed(s, since.Add(time.Minute), wellcheck.FaultBusy))
}

// The calls a storm failed count against nobody: the check-in is tried
// again, and, if no time is left, ends as the trunk's failure.
func TestACallTheTrunkFailedCountsAgainstNobody(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	policy := wellcheck.RetryPolicy{MaxAttempts: 2, RetryMinutes: []int{15}}
	always := func(time.Time) bool { return true }
	never := func(time.Time) bool { return false }
	trunk := func(as []wellcheck.Attempt, i ...int) []wellcheck.Attempt {
		for _, k := range i {
			as[k].Trunk = true
		}
		return as
	}
	no, failed := wellcheck.OutcomeNoAnswer, wellcheck.OutcomeFailed

	// Two unanswered calls would make the person unreached; in a storm, they are tried again.
	next := wellcheck.AfterCall(trunk(attempts(no, no), 0, 1), policy, wellcheck.Failures{}, now, always)
	require.Equal(t, wellcheck.Next{Retry: now.Add(5 * time.Minute)}, next)
	// One real miss and one in the storm: one attempt left.
	next = wellcheck.AfterCall(trunk(attempts(no, no, no), 1), wellcheck.RetryPolicy{MaxAttempts: 3, RetryMinutes: []int{15}}, wellcheck.Failures{}, now, always)
	require.Equal(t, wellcheck.Next{Retry: now.Add(15 * time.Minute)}, next)
	// Three failures in a row would be a system error; those of a storm are not counted.
	next = wellcheck.AfterCall(trunk(attempts(failed, failed, failed), 0, 1, 2), policy, wellcheck.Failures{}, now, always)
	require.False(t, next.Final())
	next = wellcheck.AfterCall(trunk(attempts(failed, failed, failed), 1), policy, wellcheck.Failures{}, now, always)
	require.False(t, next.Final(), "failures apart from the storm's: two in a row")
	next = wellcheck.AfterCall(trunk(attempts(failed, failed, failed, failed), 1), policy, wellcheck.Failures{}, now, always)
	require.Equal(t, wellcheck.Next{State: wellcheck.CheckInSystemError, Reason: wellcheck.ReasonCallsFailed}, next, "three apart from the storm's")
	// No time left: the trunk's failure, not the person unreached.
	next = wellcheck.AfterCall(trunk(attempts(no), 0), policy, wellcheck.Failures{}, now, never)
	require.Equal(t, wellcheck.Next{State: wellcheck.CheckInSystemError, Reason: wellcheck.ReasonTrunkDown}, next)
	// A real miss before the storm stays one.
	next = wellcheck.AfterCall(trunk(attempts(no, no), 1), policy, wellcheck.Failures{}, now, never)
	require.Equal(t, wellcheck.Next{State: wellcheck.CheckInUnreached, Reason: wellcheck.ReasonNoTimeLeft}, next)
}
