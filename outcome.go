package wellcheck

import (
	"cmp"
	"slices"
	"time"
)

// Failures is how calls that failed through the system's fault (the trunk,
// the network, a node stopping mid-call) are tried again: they never count
// against the person.
type Failures struct {
	// RetryAfter is the wait before dialling again (default 5 min).
	RetryAfter time.Duration
	// InARow is how many such failures in a row make the check-in a
	// system_error for the admins (default 3).
	InARow int
}

// OrDefault fills in the defaults.
func (f Failures) OrDefault() Failures {
	return Failures{RetryAfter: cmp.Or(f.RetryAfter, 5*time.Minute), InARow: cmp.Or(f.InARow, 3)}
}

// Next is what a call's outcome does to its check-in: it ends, in State for
// Reason, or it is dialled again at Retry.
type Next struct {
	State  CheckInState // a final state; empty when the check-in is retried
	Reason CheckInReason
	Retry  time.Time
}

// Final reports whether the check-in ends.
func (n Next) Final() bool { return n.State != "" }

// AfterCall decides what a check-in's attempts, the last just ended at now,
// mean for it. A key pressed or a number that does not exist ends it. A call
// the person did not take is tried again after the policy's delay until the
// policy's attempts are made (then: unreached); a call that failed through our
// fault after f.RetryAfter, until f.InARow failures in a row (then:
// system_error). A retry that does not fit (allowed reports whether a call at
// a time is: inside the person's window, the service's hours, before the
// day's cut-off and the check-in's deadline) gives up at once (see GiveUp).
func AfterCall(attempts []Attempt, policy RetryPolicy, f Failures, now time.Time, allowed func(time.Time) bool) Next {
	f = f.OrDefault()
	last := attempts[len(attempts)-1].Outcome
	if attempts[len(attempts)-1].Trunk {
		// The trunk failed everyone, not the person: tried again once it
		// carries calls (TrunkRule holds the calls until then).
		if retry := now.Add(f.RetryAfter); allowed(retry) {
			return Next{Retry: retry}
		}
		return GiveUp(attempts)
	}
	switch last {
	case OutcomeOK:
		return Next{State: CheckInConfirmed, Reason: ReasonPressed1}
	case OutcomeHelpRequested:
		return Next{State: CheckInFlagged, Reason: ReasonPressed2}
	case OutcomeInvalidNumber:
		return Next{State: CheckInUndeliverable, Reason: ReasonInvalidNumber}
	}
	var wait time.Duration
	if last == OutcomeFailed {
		if failuresInARow(attempts) >= f.InARow {
			return Next{State: CheckInSystemError, Reason: ReasonCallsFailed}
		}
		wait = f.RetryAfter
	} else {
		made := missedByPerson(attempts)
		if made >= policy.MaxAttempts {
			return Next{State: CheckInUnreached, Reason: ReasonAttemptsExhausted}
		}
		wait = policy.Delay(made)
	}
	if retry := now.Add(wait); allowed(retry) {
		return Next{Retry: retry}
	}
	return GiveUp(attempts)
}

// GiveUp is how a check-in that can no longer be called ends: unreached if
// the person was called and did not take it, system_error if the system never
// managed to call them (trunk_down if a storm was the cause).
func GiveUp(attempts []Attempt) Next {
	switch {
	case missedByPerson(attempts) > 0:
		return Next{State: CheckInUnreached, Reason: ReasonNoTimeLeft}
	case slices.ContainsFunc(attempts, func(a Attempt) bool { return a.Trunk }):
		return Next{State: CheckInSystemError, Reason: ReasonTrunkDown}
	case len(attempts) > 0:
		return Next{State: CheckInSystemError, Reason: ReasonCallsFailed}
	}
	return Next{State: CheckInSystemError, Reason: ReasonNotCalledInTime}
}

// MissedByPerson reports whether an outcome counts against the person's
// attempts: they were called and did not say all was well.
func (o Outcome) MissedByPerson() bool {
	switch o {
	case OutcomeNoAnswer, OutcomeBusy, OutcomeNoResponse, OutcomeVoicemail, OutcomeDeclined:
		return true
	}
	return false
}

func missedByPerson(as []Attempt) int {
	n := 0
	for _, a := range as {
		if a.Outcome.MissedByPerson() && !a.Trunk {
			n++
		}
	}
	return n
}

// failuresInARow counts the failed attempts at the end of as; those of a
// storm are passed over: they say nothing of this person's line.
func failuresInARow(as []Attempt) int {
	n := 0
	for _, a := range slices.Backward(as) {
		if a.Trunk {
			continue
		}
		if a.Outcome != OutcomeFailed {
			break
		}
		n++
	}
	return n
}

// Delay is the wait after the made-th unanswered attempt (made ≥ 1): the
// policy's delays in turn, the last repeating, 15 minutes if it has none.
func (p RetryPolicy) Delay(made int) time.Duration {
	if len(p.RetryMinutes) == 0 {
		return 15 * time.Minute
	}
	return time.Duration(p.RetryMinutes[min(made-1, len(p.RetryMinutes)-1)]) * time.Minute
}

// Corrected decides what a call's real outcome, heard after the call was
// presumed lost (Interrupted) or after its check-in ended, does to the
// check-in, in state. What the person said wins over what was presumed:
//   - pressing 2 flags the check-in whatever it became meanwhile, confirmed
//     included: a request for help is never lost;
//   - pressing 1 confirms a check-in still going, or one that ended without
//     the person (unreached, system_error); a flag stays a flag;
//   - a number that does not exist ends a check-in still going;
//   - anything else (no answer, busy, a failure) changes nothing: the
//     check-in goes on as decided.
//
// ok is false when nothing changes.
func Corrected(state CheckInState, real Outcome) (next Next, ok bool) {
	switch {
	case real == OutcomeHelpRequested && state != CheckInFlagged:
		return Next{State: CheckInFlagged, Reason: ReasonPressed2}, true
	case real == OutcomeOK && (!state.Final() || state == CheckInUnreached || state == CheckInSystemError):
		return Next{State: CheckInConfirmed, Reason: ReasonPressed1}, true
	case real == OutcomeInvalidNumber && !state.Final():
		return Next{State: CheckInUndeliverable, Reason: ReasonInvalidNumber}, true
	}
	return Next{}, false
}
