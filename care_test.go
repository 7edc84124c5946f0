package wellcheck_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

// hours is a service open 9:00–17:00 every day, in UTC: enough to read due times.
type hours struct{}

func (hours) AddOpen(t time.Time, d time.Duration) time.Time { return t.Add(d) }
func (hours) ClosesAt(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 17, 0, 0, 0, t.Location())
}

func TestCareAfter(t *testing.T) {
	u, c := wellcheck.CheckInUnreached, wellcheck.CheckInConfirmed
	for _, tc := range []struct {
		name   string
		state  wellcheck.CheckInState
		reason wellcheck.CheckInReason
		risk   wellcheck.RiskLevel
		recent []wellcheck.CheckInState
		want   wellcheck.Care
	}{
		{name: "all is well", state: c, reason: wellcheck.ReasonPressed1, want: wellcheck.Care{Reached: true}},
		{name: "pressed 2", state: wellcheck.CheckInFlagged, reason: wellcheck.ReasonPressed2,
			want: wellcheck.Care{Reached: true, Listed: true, CaseReason: wellcheck.CaseFlagged, FollowUp: wellcheck.FollowUpFlagged, Priority: wellcheck.PriorityHigh, Due: wellcheck.DueWithinTwoOpen}},
		{name: "unreached once", state: u, reason: wellcheck.ReasonAttemptsExhausted, recent: []wellcheck.CheckInState{u, c},
			want: wellcheck.Care{Listed: true, CaseReason: wellcheck.CaseUnreached, FollowUp: wellcheck.FollowUpUnreached, Priority: wellcheck.PriorityNormal, Due: wellcheck.DueAtClosing}},
		{name: "unreached twice in a row: urgent, contacts called", state: u, reason: wellcheck.ReasonNoTimeLeft, recent: []wellcheck.CheckInState{u, u},
			want: wellcheck.Care{Listed: true, CaseReason: wellcheck.CaseUnreached, FollowUp: wellcheck.FollowUpUnreachedRepeatedly, Priority: wellcheck.PriorityUrgent, Due: wellcheck.DueNow, Escalate: true}},
		{name: "unreached, first check-in", state: u, reason: wellcheck.ReasonAttemptsExhausted, recent: []wellcheck.CheckInState{u},
			want: wellcheck.Care{Listed: true, CaseReason: wellcheck.CaseUnreached, FollowUp: wellcheck.FollowUpUnreached, Priority: wellcheck.PriorityNormal, Due: wellcheck.DueAtClosing}},
		{name: "our calls failed", state: wellcheck.CheckInSystemError, reason: wellcheck.ReasonCallsFailed,
			want: wellcheck.Care{Listed: true, CaseReason: wellcheck.CaseSystemError, FollowUp: wellcheck.FollowUpSystemError, Priority: wellcheck.PriorityNormal, Due: wellcheck.DueAtClosing}},
		{name: "never called: someone calls now", state: wellcheck.CheckInSystemError, reason: wellcheck.ReasonMissed,
			want: wellcheck.Care{Listed: true, CaseReason: wellcheck.CaseMissed, FollowUp: wellcheck.FollowUpMissed, Priority: wellcheck.PriorityNormal, Due: wellcheck.DueNow}},
		{name: "never called back", state: wellcheck.CheckInSystemError, reason: wellcheck.ReasonStalled,
			want: wellcheck.Care{Listed: true, CaseReason: wellcheck.CaseMissed, FollowUp: wellcheck.FollowUpMissed, Priority: wellcheck.PriorityNormal, Due: wellcheck.DueNow}},
		{name: "a person at high risk unreached", state: u, reason: wellcheck.ReasonAttemptsExhausted, risk: wellcheck.RiskHigh, recent: []wellcheck.CheckInState{u},
			want: wellcheck.Care{Listed: true, CaseReason: wellcheck.CaseUnreached, FollowUp: wellcheck.FollowUpUnreached, Priority: wellcheck.PriorityHigh, Due: wellcheck.DueAtClosing}},
		{name: "the number does not work", state: wellcheck.CheckInUndeliverable, reason: wellcheck.ReasonInvalidNumber, want: wellcheck.Care{DataIssue: true}},
		{name: "cancelled: nobody to tell", state: wellcheck.CheckInCancelled, reason: wellcheck.ReasonPaused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			risk := tc.risk
			if risk == "" {
				risk = wellcheck.RiskNormal
			}
			require.Equal(t, tc.want, wellcheck.CareAfter(tc.state, tc.reason, risk, tc.recent, 2))
		})
	}
}

// Every final state × reason × risk × recent history × setting: whoever
// needs a listener gets one, urgency calls the contacts, and a person at high
// risk is never below high.
func TestCareAfterOverEveryCombination(t *testing.T) {
	states := []wellcheck.CheckInState{wellcheck.CheckInConfirmed, wellcheck.CheckInFlagged, wellcheck.CheckInUnreached,
		wellcheck.CheckInUndeliverable, wellcheck.CheckInCancelled, wellcheck.CheckInSystemError}
	reasons := []wellcheck.CheckInReason{wellcheck.ReasonPressed1, wellcheck.ReasonPressed2, wellcheck.ReasonInvalidNumber, wellcheck.ReasonAttemptsExhausted,
		wellcheck.ReasonNoTimeLeft, wellcheck.ReasonCallsFailed, wellcheck.ReasonNotCalledInTime, wellcheck.ReasonMissed, wellcheck.ReasonStalled,
		wellcheck.ReasonPaused, wellcheck.ReasonWithdrawn, wellcheck.ReasonClosed, wellcheck.ReasonReplanned}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var histories [][]wellcheck.CheckInState
	for n := range 4 {
		for mask := range 1 << n {
			h := []wellcheck.CheckInState{wellcheck.CheckInUnreached} // this one
			for i := range n {
				h = append(h, []wellcheck.CheckInState{wellcheck.CheckInConfirmed, wellcheck.CheckInUnreached}[mask>>i&1])
			}
			histories = append(histories, h)
		}
	}
	for _, state := range states {
		for _, reason := range reasons {
			for _, risk := range wellcheck.RiskLevels {
				for _, recent := range histories {
					for urgentAfter := 1; urgentAfter <= 3; urgentAfter++ {
						what := fmt.Sprintf("%s (%s), risk %s, recent %v, urgent after %d", state, reason, risk, recent, urgentAfter)
						got := wellcheck.CareAfter(state, reason, risk, recent, urgentAfter)
						needsListener := state == wellcheck.CheckInFlagged || state == wellcheck.CheckInUnreached || state == wellcheck.CheckInSystemError
						require.Equal(t, needsListener, got.Listed, what)
						require.Equal(t, state == wellcheck.CheckInUndeliverable, got.DataIssue, what)
						require.Equal(t, state == wellcheck.CheckInConfirmed || state == wellcheck.CheckInFlagged, got.Reached, what)
						if !got.Listed {
							continue
						}
						require.Equal(t, got.Priority == wellcheck.PriorityUrgent, got.Escalate, "%s: escalation is for urgency", what)
						if risk == wellcheck.RiskHigh {
							require.LessOrEqual(t, got.Priority.Urgency(), wellcheck.PriorityHigh.Urgency(), what)
						}
						streak := 0
						for _, s := range recent {
							if s != wellcheck.CheckInUnreached {
								break
							}
							streak++
						}
						if state == wellcheck.CheckInUnreached {
							require.Equal(t, streak >= urgentAfter, got.Escalate, "%s: urgency is for a streak", what)
						}
						due := got.Due.At(hours{}, now)
						require.False(t, due.Before(now), what)
						require.False(t, due.After(hours{}.ClosesAt(now)), "%s: due after closing", what)
					}
				}
			}
		}
	}
}

func TestPriorityAfterContact(t *testing.T) {
	require.Equal(t, wellcheck.PriorityUrgent, wellcheck.PriorityAfterContact(wellcheck.PriorityUrgent, false, wellcheck.RiskNormal), "not reached: unchanged")
	require.Equal(t, wellcheck.PriorityNormal, wellcheck.PriorityAfterContact(wellcheck.PriorityUrgent, true, wellcheck.RiskNormal))
	require.Equal(t, wellcheck.PriorityHigh, wellcheck.PriorityAfterContact(wellcheck.PriorityUrgent, true, wellcheck.RiskHigh))
}

// opening is a service open or closed now, opening next at next.
type opening struct {
	open bool
	next time.Time
}

func (o opening) OpenAt(time.Time) bool        { return o.open }
func (o opening) NextOpen(time.Time) time.Time { return o.next }

func TestNextContact(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	consented := now.AddDate(0, -1, 0)
	alice := wellcheck.EmergencyContact{ID: 1, Position: 1, FullName: "Alice", ConsentAt: &consented}
	bob := wellcheck.EmergencyContact{ID: 2, Position: 2, FullName: "Bob"}
	both := []wellcheck.EmergencyContact{alice, bob}
	call := func(pos int, o wellcheck.Outcome, ended *time.Time) wellcheck.EscalationCall {
		return wellcheck.EscalationCall{Position: pos, Outcome: o, EndedAt: ended}
	}
	storm := func(k wellcheck.EscalationCall) wellcheck.EscalationCall { k.Trunk = true; return k }
	nextOpen := now.Add(23 * time.Hour)
	for _, tc := range []struct {
		name     string
		contacts []wellcheck.EmergencyContact
		calls    []wellcheck.EscalationCall
		consent  bool
		closed   bool
		want     wellcheck.EscalationStep
	}{
		{name: "the first contact first", contacts: both, want: wellcheck.EscalationStep{Contact: alice, Attempt: 1}},
		{name: "nobody to call", want: wellcheck.EscalationStep{End: wellcheck.EscalationNoContacts}},
		{name: "only those who consented, where the service asks", contacts: []wellcheck.EmergencyContact{bob}, consent: true, want: wellcheck.EscalationStep{End: wellcheck.EscalationNoContacts}},
		{name: "consent asked, the first consented", contacts: both, consent: true, want: wellcheck.EscalationStep{Contact: alice, Attempt: 1}},
		{name: "she did not answer: the next", contacts: both, calls: []wellcheck.EscalationCall{call(1, wellcheck.OutcomeNoAnswer, ago(time.Minute))}, want: wellcheck.EscalationStep{Contact: bob, Attempt: 1}},
		{name: "she answered without pressing 1: the next", contacts: both, calls: []wellcheck.EscalationCall{call(1, wellcheck.OutcomeNoResponse, ago(time.Minute))}, want: wellcheck.EscalationStep{Contact: bob, Attempt: 1}},
		{name: "our failure: the same contact after 5 min", contacts: both, calls: []wellcheck.EscalationCall{call(1, wellcheck.OutcomeFailed, ago(time.Minute))}, want: wellcheck.EscalationStep{Wait: now.Add(4 * time.Minute)}},
		{name: "our failure, 5 min on", contacts: both, calls: []wellcheck.EscalationCall{call(1, wellcheck.OutcomeFailed, ago(5*time.Minute))}, want: wellcheck.EscalationStep{Contact: alice, Attempt: 2}},
		{name: "our calls kept failing: the next", contacts: both, calls: []wellcheck.EscalationCall{
			call(1, wellcheck.OutcomeFailed, ago(time.Hour)), call(1, wellcheck.OutcomeFailed, ago(time.Hour)), call(1, wellcheck.OutcomeFailed, ago(time.Hour))},
			want: wellcheck.EscalationStep{Contact: bob, Attempt: 1}},
		{name: "everyone called", contacts: both, calls: []wellcheck.EscalationCall{call(1, wellcheck.OutcomeBusy, ago(time.Hour)), call(2, wellcheck.OutcomeNoAnswer, ago(time.Minute))},
			want: wellcheck.EscalationStep{End: wellcheck.EscalationNobody}},
		{name: "closed: wait for the opening", contacts: both, closed: true, want: wellcheck.EscalationStep{Wait: nextOpen}},
		{name: "calls a storm failed never use her up", contacts: both, calls: []wellcheck.EscalationCall{
			storm(call(1, wellcheck.OutcomeFailed, ago(time.Hour))), storm(call(1, wellcheck.OutcomeFailed, ago(time.Hour))),
			storm(call(1, wellcheck.OutcomeFailed, ago(time.Hour))), storm(call(1, wellcheck.OutcomeFailed, ago(time.Minute)))},
			want: wellcheck.EscalationStep{Contact: alice, Attempt: 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := wellcheck.NextContact(tc.contacts, tc.calls, tc.consent, wellcheck.Failures{}, now, opening{!tc.closed, nextOpen})
			require.Equal(t, tc.want, got)
		})
	}
}
