package wellcheck

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// TrunkFault is a way calls fail that, when it strikes many persons at once,
// is the trunk's (the carrier's, the network's, ours) and not the persons':
// a storm. Answered calls in which a key was pressed are never one.
type TrunkFault string

const (
	FaultUnanswered TrunkFault = "unanswered"     // 480, 408: the network says the line cannot be reached
	FaultRangOut    TrunkFault = "rang_out"       // rang until we gave up: nobody picked up, or their answer never reached us
	FaultBusy       TrunkFault = "busy"           // 486, 600
	FaultDeclined   TrunkFault = "declined"       // 603 (a carrier's call filter, say)
	FaultNoNumber   TrunkFault = "invalid_number" // 404 and the like (a dialling plan gone wrong)
	FaultSilent     TrunkFault = "silent"         // answered, no key heard (our media not getting through)
	FaultRefused    TrunkFault = "refused"        // 401, 403, 407: the trunk refuses us
	FaultServer     TrunkFault = "server_error"   // 5xx
	FaultNoTrunk    TrunkFault = "unreachable"    // no final answer from the trunk at all
	// FaultOurs is a call that failed on our side (no RTP port, the node
	// stopping or dying): it says nothing of the trunk, either way.
	FaultOurs TrunkFault = "ours"
)

// OnOurSide begins the failure reason of a call that failed on our side
// before or without the trunk's doing (Interrupted is one too).
const OnOurSide = "on our side: "

// FaultOf is the kind of failure a call's ending is (with its SIP status
// and failure reason), or "" for a call in which the person pressed a key.
func FaultOf(o Outcome, sipStatus int, reason string) TrunkFault {
	if o == OutcomeFailed && (strings.HasPrefix(reason, OnOurSide) || reason == Interrupted) {
		return FaultOurs
	}
	switch o {
	case OutcomeNoAnswer:
		if sipStatus == 487 || sipStatus == 200 { // we cancelled it (or hung up on a late answer) after the ring timeout
			return FaultRangOut
		}
		return FaultUnanswered
	case OutcomeBusy:
		return FaultBusy
	case OutcomeDeclined:
		return FaultDeclined
	case OutcomeInvalidNumber:
		return FaultNoNumber
	case OutcomeNoResponse, OutcomeVoicemail:
		// A carrier that answers every call with an announcement sounds like
		// a machine to the detector: the same fault as no key heard.
		return FaultSilent
	case OutcomeFailed:
		switch {
		case sipStatus == 401 || sipStatus == 403 || sipStatus == 407:
			return FaultRefused
		case sipStatus >= 500:
			return FaultServer
		}
		return FaultNoTrunk
	}
	return ""
}

// TrunkRule tells a trunk that fails from persons who do not answer. Over the
// last Window, when at least Calls check-in calls to at least Persons
// different persons ended, and at least Percent of them failed the same way
// (one TrunkFault), it is a storm: the trunk's, not the persons'.
type TrunkRule struct {
	Window  time.Duration // default 5 min
	Calls   int           // default 10
	Persons int           // default 5
	Percent int           // default 80
	// Probe is the wait before the first call let through while a storm
	// lasts, doubling after each call that fails the same way, up to
	// MaxProbe (defaults 1 and 5 min).
	Probe, MaxProbe time.Duration
}

// OrDefault fills in the defaults.
func (r TrunkRule) OrDefault() TrunkRule {
	return TrunkRule{
		Window: cmp.Or(r.Window, 5*time.Minute), Calls: cmp.Or(r.Calls, 10),
		Persons: cmp.Or(r.Persons, 5), Percent: cmp.Or(r.Percent, 80),
		Probe: cmp.Or(r.Probe, time.Minute), MaxProbe: cmp.Or(r.MaxProbe, 5*time.Minute),
	}
}

// TrunkCall is one check-in call that ended within the rule's window: a
// first call (a retry is biased: it goes to someone who did not answer
// before), not counted in a storm before.
type TrunkCall struct {
	AttemptID int64
	PersonID  int64
	Fault     TrunkFault // "" when a key was pressed
	// Final says its check-in has ended: counted, but not marked as the
	// trunk's, since what it decided stands.
	Final bool
}

// Storm reports the fault that makes calls, the check-in calls ended in the
// last Window, a storm, if they are one. Calls that failed on our side are
// left out.
func (r TrunkRule) Storm(calls []TrunkCall) (TrunkFault, bool) {
	r = r.OrDefault()
	calls = slices.DeleteFunc(slices.Clone(calls), func(c TrunkCall) bool { return c.Fault == FaultOurs })
	if len(calls) < r.Calls {
		return "", false
	}
	count := map[TrunkFault]int{}
	for _, c := range calls {
		count[c.Fault]++
	}
	for f, n := range count {
		if f == "" || n*100 < r.Percent*len(calls) {
			continue
		}
		persons := map[int64]bool{}
		for _, c := range calls {
			if c.Fault == f {
				persons[c.PersonID] = true
			}
		}
		if len(persons) >= r.Persons {
			return f, true // at most one fault can have more than half the calls
		}
	}
	return "", false
}

// TrunkStorm is a storm: since Since (until Until, once over), calls fail
// with Fault; the next call is let through at ProbeAt, after Probes calls
// that failed the same way while it lasted. Calls and Persons are what made
// it one.
type TrunkStorm struct {
	ID             int64
	Fault          TrunkFault
	Since          time.Time
	Until          *time.Time
	ProbeAt        time.Time
	Probes         int
	ProbeBy        string // the call that has the probe, while it waits for a channel
	Calls, Persons int
}

// NextProbe is when the call after a probe that failed at now is let through.
func (r TrunkRule) NextProbe(s TrunkStorm, now time.Time) time.Time {
	r = r.OrDefault()
	wait := r.Probe
	for range s.Probes {
		if wait *= 2; wait >= r.MaxProbe {
			break
		}
	}
	return now.Add(min(wait, r.MaxProbe))
}

// Carried reports whether a call that started at started and ended in fault
// shows the trunk in storm s carrying calls again: a call placed during the
// storm that did not fail its way (a call placed before may have gone
// through where later ones did not), nor on our side.
func (s TrunkStorm) Carried(started time.Time, fault TrunkFault) bool {
	return fault != s.Fault && fault != FaultOurs && !started.Before(s.Since)
}

// Failed reports whether a call that started at started and ended in fault
// is storm s's doing: it failed its way, and started within the rule's
// window before the storm was seen, or after.
func (r TrunkRule) Failed(s TrunkStorm, started time.Time, fault TrunkFault) bool {
	return fault == s.Fault && !started.Before(s.Since.Add(-r.OrDefault().Window))
}
