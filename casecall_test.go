package wellcheck_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

// A call's duration is the conversation, from the answer to the end; a call
// nobody answered, or still going, has none. Reached is whether the person
// came on the line, even if the line failed afterwards.
func TestCaseCallDurationAndReached(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := start.Add(d); return &t }
	for _, tc := range []struct {
		name     string
		call     wellcheck.CaseCall
		duration time.Duration
		reached  bool
	}{
		{"answered, ended", wellcheck.CaseCall{AnsweredAt: at(12 * time.Second), EndedAt: at(4*time.Minute + 17*time.Second), Outcome: wellcheck.CallAnswered}, 4*time.Minute + 5*time.Second, true},
		{"answered, still talking", wellcheck.CaseCall{AnsweredAt: at(12 * time.Second)}, 0, true},
		{"rang out", wellcheck.CaseCall{EndedAt: at(time.Minute), Outcome: wellcheck.CallNoAnswer}, 0, false},
		{"busy", wellcheck.CaseCall{EndedAt: at(2 * time.Second), Outcome: wellcheck.CallBusy}, 0, false},
		{"the line failed mid-call", wellcheck.CaseCall{AnsweredAt: at(5 * time.Second), EndedAt: at(65 * time.Second), Outcome: wellcheck.CallFailed}, time.Minute, true},
		{"ringing", wellcheck.CaseCall{}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.call.StartedAt = start
			require.Equal(t, tc.duration, tc.call.Duration())
			require.Equal(t, tc.reached, tc.call.Reached())
			require.Equal(t, tc.call.EndedAt == nil, tc.call.InProgress())
		})
	}
}

func TestCallOutcomeValid(t *testing.T) {
	t.Parallel()
	for _, o := range wellcheck.CallOutcomes {
		require.True(t, o.Valid(), o)
	}
	require.False(t, wellcheck.CallOutcome("ok").Valid(), "a check-in's outcome is not a listener's call's")
	require.False(t, wellcheck.CallOutcome("").Valid())
}

// The record form reads "reached" from the user's own latest call on the
// case, if it was today in the person's zone.
func TestLastCallToday(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	now := time.Date(2026, 12, 1, 15, 0, 0, 0, paris)
	answered := func(user int64, started time.Time) wellcheck.CaseCall {
		a := started.Add(10 * time.Second)
		return wellcheck.CaseCall{UserID: user, StartedAt: started, AnsweredAt: &a}
	}
	missed := func(user int64, started time.Time) wellcheck.CaseCall {
		return wellcheck.CaseCall{UserID: user, StartedAt: started, Outcome: wellcheck.CallNoAnswer}
	}
	for _, tc := range []struct {
		name  string
		calls []wellcheck.CaseCall
		want  bool
	}{
		{"no call", nil, false},
		{"answered this morning", []wellcheck.CaseCall{answered(1, now.Add(-5*time.Hour))}, true},
		{"answered, then not", []wellcheck.CaseCall{missed(1, now.Add(-time.Hour)), answered(1, now.Add(-2*time.Hour))}, false},
		{"not answered", []wellcheck.CaseCall{missed(1, now.Add(-time.Hour))}, false},
		{"another listener's answered call", []wellcheck.CaseCall{answered(2, now.Add(-time.Hour)), missed(1, now.Add(-2*time.Hour))}, false},
		{"theirs answered, another's since", []wellcheck.CaseCall{missed(2, now.Add(-time.Hour)), answered(1, now.Add(-2*time.Hour))}, true},
		{"answered yesterday evening", []wellcheck.CaseCall{answered(1, time.Date(2026, 11, 30, 23, 30, 0, 0, paris))}, false},
		// 23:30 UTC on the 30th is 00:30 on the 1st in Paris: today there.
		{"today in the person's zone, not in UTC", []wellcheck.CaseCall{answered(1, time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC))}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := wellcheck.LastCallToday(tc.calls, 1, now, paris)
			require.Equal(t, tc.want, ok && c.Reached())
		})
	}
}
