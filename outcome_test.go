package wellcheck_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

var (
	nonFinal = []wellcheck.Outcome{wellcheck.OutcomeNoResponse, wellcheck.OutcomeVoicemail, wellcheck.OutcomeNoAnswer, wellcheck.OutcomeBusy, wellcheck.OutcomeDeclined, wellcheck.OutcomeFailed}
	outcomes = append([]wellcheck.Outcome{wellcheck.OutcomeOK, wellcheck.OutcomeHelpRequested, wellcheck.OutcomeInvalidNumber}, nonFinal...)
)

func attempts(os ...wellcheck.Outcome) []wellcheck.Attempt {
	as := make([]wellcheck.Attempt, len(os))
	for i, o := range os {
		as[i] = wellcheck.Attempt{Number: i + 1, Outcome: o}
	}
	return as
}

// The cases a coordinator reads in the docs, one by one.
func TestAfterCall(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	policy := wellcheck.RetryPolicy{MaxAttempts: 3, RetryMinutes: []int{15, 30}}
	always := func(time.Time) bool { return true }
	beforeNoon := func(t time.Time) bool { return t.Hour() < 12 }
	no, busy, failed := wellcheck.OutcomeNoAnswer, wellcheck.OutcomeBusy, wellcheck.OutcomeFailed
	for _, tc := range []struct {
		name     string
		made     []wellcheck.Outcome
		policy   wellcheck.RetryPolicy
		allowed  func(time.Time) bool
		want     wellcheck.Next
		retryIn  time.Duration
		failures wellcheck.Failures
	}{
		{name: "pressed 1", made: []wellcheck.Outcome{wellcheck.OutcomeOK}, want: wellcheck.Next{State: wellcheck.CheckInConfirmed, Reason: wellcheck.ReasonPressed1}},
		{name: "pressed 2 after a miss", made: []wellcheck.Outcome{no, wellcheck.OutcomeHelpRequested}, want: wellcheck.Next{State: wellcheck.CheckInFlagged, Reason: wellcheck.ReasonPressed2}},
		{name: "no such number", made: []wellcheck.Outcome{wellcheck.OutcomeInvalidNumber}, want: wellcheck.Next{State: wellcheck.CheckInUndeliverable, Reason: wellcheck.ReasonInvalidNumber}},
		{name: "first miss: 15 min", made: []wellcheck.Outcome{no}, retryIn: 15 * time.Minute},
		{name: "second miss: 30 min", made: []wellcheck.Outcome{no, busy}, retryIn: 30 * time.Minute},
		{name: "an answering machine is a miss", made: []wellcheck.Outcome{no, wellcheck.OutcomeVoicemail}, retryIn: 30 * time.Minute},
		{name: "third miss: unreached", made: []wellcheck.Outcome{no, busy, wellcheck.OutcomeNoResponse}, want: wellcheck.Next{State: wellcheck.CheckInUnreached, Reason: wellcheck.ReasonAttemptsExhausted}},
		{name: "the last delay repeats", made: []wellcheck.Outcome{no, no, no}, policy: wellcheck.RetryPolicy{MaxAttempts: 5, RetryMinutes: []int{15, 30}}, retryIn: 30 * time.Minute},
		{name: "no delays: 15 min", made: []wellcheck.Outcome{no}, policy: wellcheck.RetryPolicy{MaxAttempts: 2}, retryIn: 15 * time.Minute},
		{name: "our failure: 5 min, not the person's", made: []wellcheck.Outcome{no, failed}, retryIn: 5 * time.Minute},
		{name: "three failures in a row: system error", made: []wellcheck.Outcome{failed, failed, failed}, want: wellcheck.Next{State: wellcheck.CheckInSystemError, Reason: wellcheck.ReasonCallsFailed}},
		{name: "failures not in a row", made: []wellcheck.Outcome{failed, failed, no, failed}, retryIn: 5 * time.Minute},
		{name: "the service's failure settings", made: []wellcheck.Outcome{failed}, failures: wellcheck.Failures{RetryAfter: time.Minute, InARow: 1}, want: wellcheck.Next{State: wellcheck.CheckInSystemError, Reason: wellcheck.ReasonCallsFailed}},
		{name: "no time for a retry after a miss", made: []wellcheck.Outcome{no}, allowed: func(time.Time) bool { return false }, want: wellcheck.Next{State: wellcheck.CheckInUnreached, Reason: wellcheck.ReasonNoTimeLeft}},
		{name: "no time after our failure", made: []wellcheck.Outcome{failed}, allowed: func(time.Time) bool { return false }, want: wellcheck.Next{State: wellcheck.CheckInSystemError, Reason: wellcheck.ReasonCallsFailed}},
		{name: "time enough", made: []wellcheck.Outcome{no}, allowed: beforeNoon, retryIn: 15 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			if p.MaxAttempts == 0 {
				p = policy
			}
			allowed := tc.allowed
			if allowed == nil {
				allowed = always
			}
			want := tc.want
			if tc.retryIn > 0 {
				want = wellcheck.Next{Retry: now.Add(tc.retryIn)}
			}
			require.Equal(t, want, wellcheck.AfterCall(attempts(tc.made...), p, tc.failures, now, allowed))
		})
	}
}

// Every outcome × attempt number × window × policy: whatever the calls did,
// the decision is one the duty of care allows.
func TestAfterCallOverEveryCombination(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	policies := []wellcheck.RetryPolicy{
		{MaxAttempts: 1}, {MaxAttempts: 2, RetryMinutes: []int{10}}, {MaxAttempts: 3, RetryMinutes: []int{15, 30}},
		{MaxAttempts: 4, RetryMinutes: []int{5, 10, 20}}, {MaxAttempts: 5},
	}
	windows := map[string]func(time.Time) bool{
		"open all day": func(time.Time) bool { return true },
		"closed":       func(time.Time) bool { return false },
		"20 min left":  func(t time.Time) bool { return t.Before(now.Add(20 * time.Minute)) },
		"6 min left":   func(t time.Time) bool { return t.Before(now.Add(6 * time.Minute)) },
	}
	f := wellcheck.Failures{}.OrDefault()
	checked := 0
	// Every history of up to five attempts: the earlier ones did not end the
	// check-in (no key, no dead number), the last is any outcome.
	var histories [][]wellcheck.Outcome
	var grow func(h []wellcheck.Outcome)
	grow = func(h []wellcheck.Outcome) {
		for _, last := range outcomes {
			histories = append(histories, append(slices.Clone(h), last))
		}
		if len(h) < 4 {
			for _, o := range nonFinal {
				grow(append(slices.Clone(h), o))
			}
		}
	}
	grow(nil)
	for _, h := range histories {
		missed, inARow := 0, 0
		for _, o := range h {
			if o.MissedByPerson() {
				missed++
			}
			if o == wellcheck.OutcomeFailed {
				inARow++
			} else {
				inARow = 0
			}
		}
		last := h[len(h)-1]
		for _, p := range policies {
			if missed > p.MaxAttempts || missed == p.MaxAttempts && !last.MissedByPerson() {
				continue // a history the policy would have stopped earlier
			}
			for name, allowed := range windows {
				as := attempts(h...)
				got := wellcheck.AfterCall(as, p, wellcheck.Failures{}, now, allowed)
				require.Equal(t, attempts(h...), as, "the attempts are not changed")
				what := fmt.Sprintf("%v, at most %d attempts %v, %s", h, p.MaxAttempts, p.RetryMinutes, name)
				switch last {
				case wellcheck.OutcomeOK:
					require.Equal(t, wellcheck.Next{State: wellcheck.CheckInConfirmed, Reason: wellcheck.ReasonPressed1}, got, what)
					continue
				case wellcheck.OutcomeHelpRequested:
					require.Equal(t, wellcheck.Next{State: wellcheck.CheckInFlagged, Reason: wellcheck.ReasonPressed2}, got, what)
					continue
				case wellcheck.OutcomeInvalidNumber:
					require.Equal(t, wellcheck.Next{State: wellcheck.CheckInUndeliverable, Reason: wellcheck.ReasonInvalidNumber}, got, what)
					continue
				}
				if !got.Final() {
					// A retry is always allowed, later, after the right wait.
					require.True(t, allowed(got.Retry), "%s: a retry outside the window", what)
					wait := f.RetryAfter
					if last != wellcheck.OutcomeFailed {
						wait = p.Delay(missed)
					}
					require.Equal(t, now.Add(wait), got.Retry, what)
					require.Less(t, inARow, f.InARow, "%s: retried after too many failures", what)
					if last != wellcheck.OutcomeFailed {
						require.Less(t, missed, p.MaxAttempts, "%s: more attempts than the policy allows", what)
					}
					continue
				}
				require.True(t, got.State.Final(), what)
				switch got.State {
				case wellcheck.CheckInUnreached:
					// Only a person who was called and did not answer is unreached.
					require.Positive(t, missed, what)
					require.Contains(t, []wellcheck.CheckInReason{wellcheck.ReasonAttemptsExhausted, wellcheck.ReasonNoTimeLeft}, got.Reason, what)
				case wellcheck.CheckInSystemError:
					// Our fault, never the person's: never counted as them not answering.
					require.Equal(t, wellcheck.ReasonCallsFailed, got.Reason, what)
					require.True(t, inARow >= f.InARow || missed == 0, "%s: a person called and missed is unreached, not our error", what)
				default:
					t.Fatalf("%s: ended %s", what, got.State)
				}
				checked++
			}
		}
	}
	require.Greater(t, checked, 10000, "the combinations were all tried")
}

func TestGiveUp(t *testing.T) {
	for _, tc := range []struct {
		made []wellcheck.Outcome
		want wellcheck.Next
	}{
		{nil, wellcheck.Next{State: wellcheck.CheckInSystemError, Reason: wellcheck.ReasonNotCalledInTime}},
		{[]wellcheck.Outcome{wellcheck.OutcomeFailed}, wellcheck.Next{State: wellcheck.CheckInSystemError, Reason: wellcheck.ReasonCallsFailed}},
		{[]wellcheck.Outcome{wellcheck.OutcomeFailed, wellcheck.OutcomeBusy}, wellcheck.Next{State: wellcheck.CheckInUnreached, Reason: wellcheck.ReasonNoTimeLeft}},
	} {
		require.Equal(t, tc.want, wellcheck.GiveUp(attempts(tc.made...)), "%v", tc.made)
	}
}

// A late real outcome against every state a check-in can be in meanwhile.
func TestCorrectedOutcomeWinsOverWhatWasPresumed(t *testing.T) {
	t.Parallel()
	states := []wellcheck.CheckInState{wellcheck.CheckInPlanned, wellcheck.CheckInDialing, wellcheck.CheckInConfirmed, wellcheck.CheckInFlagged,
		wellcheck.CheckInUnreached, wellcheck.CheckInUndeliverable, wellcheck.CheckInSystemError, wellcheck.CheckInCancelled}
	outcomes := []wellcheck.Outcome{wellcheck.OutcomeOK, wellcheck.OutcomeHelpRequested, wellcheck.OutcomeNoAnswer, wellcheck.OutcomeBusy,
		wellcheck.OutcomeNoResponse, wellcheck.OutcomeVoicemail, wellcheck.OutcomeFailed, wellcheck.OutcomeInvalidNumber}
	for _, s := range states {
		for _, o := range outcomes {
			next, ok := wellcheck.Corrected(s, o)
			switch {
			case o == wellcheck.OutcomeHelpRequested:
				// The duty of care: a "press 2" always reaches a listener.
				require.Equal(t, s != wellcheck.CheckInFlagged, ok, "%s after %s", o, s)
				if ok {
					require.Equal(t, wellcheck.CheckInFlagged, next.State)
				}
			case o == wellcheck.OutcomeOK:
				want := !s.Final() || s == wellcheck.CheckInUnreached || s == wellcheck.CheckInSystemError
				require.Equal(t, want, ok, "%s after %s", o, s)
				if ok {
					require.Equal(t, wellcheck.CheckInConfirmed, next.State)
				}
			case o == wellcheck.OutcomeInvalidNumber:
				require.Equal(t, !s.Final(), ok, "%s after %s", o, s)
			default:
				require.False(t, ok, "%s after %s changes nothing", o, s)
			}
		}
	}
}
