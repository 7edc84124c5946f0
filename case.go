package wellcheck

import (
	"slices"
	"time"
)

// Priority orders a listener's work; the zero value is not a priority.
type Priority string

const (
	PriorityUrgent Priority = "urgent"
	PriorityHigh   Priority = "high"
	PriorityNormal Priority = "normal"
	PriorityLow    Priority = "low"
)

// Priorities lists them, most pressing first.
var Priorities = []Priority{PriorityUrgent, PriorityHigh, PriorityNormal, PriorityLow}

// CaseState is where a case stands.
type CaseState string

const (
	CaseOpen     CaseState = "open"
	CaseAssigned CaseState = "assigned"
	CaseClosed   CaseState = "closed"
)

// CaseReason is why a case was opened.
type CaseReason string

const (
	CaseFlagged       CaseReason = "flagged"
	CaseUnreached     CaseReason = "unreached"
	CaseUndeliverable CaseReason = "undeliverable"
	CaseReferral      CaseReason = "referral" // the referral carried a concern
	CaseManual        CaseReason = "manual"
	CaseMissed        CaseReason = "missed"       // the system was down at the slot
	CaseSystemError   CaseReason = "system_error" // our calls kept failing
	CaseCalled        CaseReason = "called"       // the person called the service and a listener took the call
)

// Case is the file listeners work on for a person; at most one is open per person.
type Case struct {
	ID            int64
	PersonID      int64
	State         CaseState
	Priority      Priority
	OpenedReason  CaseReason
	DueAt         time.Time
	AssigneeID    *int64
	OpenedAt      time.Time
	ClosedAt      *time.Time
	ClosedBy      *int64 // the user who closed it
	ClosureReason string
	PersonAgreed  *bool
}

// FollowUp is a task on a listener's list (AssigneeID nil: the shared pool).
// A case has at most one pending follow-up; new events update it.
type FollowUp struct {
	ID         int64
	CaseID     int64
	PersonID   int64
	AssigneeID *int64
	Reason     FollowUpReason
	Priority   Priority
	DueAt      time.Time
	State      string
	CheckInID  *int64 // the check-in that put it there, if one did
}

// FollowUpReason is why a follow-up is on a list, as the listener sees it.
type FollowUpReason string

const (
	FollowUpFlagged             FollowUpReason = "flagged"              // pressed 2
	FollowUpUnreached           FollowUpReason = "unreached"            // attempts exhausted
	FollowUpUnreachedRepeatedly FollowUpReason = "unreached_repeatedly" // N check-ins in a row
	FollowUpSystemError         FollowUpReason = "system_error"         // our calls failed; nobody reached them
	FollowUpMissed              FollowUpReason = "missed"               // the system was down at the slot
	FollowUpCallback            FollowUpReason = "callback"             // a listener scheduled it
	FollowUpReferral            FollowUpReason = "referral"             // the referral carried a concern
	FollowUpManual              FollowUpReason = "manual"               // opened by hand
	FollowUpCalled              FollowUpReason = "called"               // the person called the service: the listener who took it writes the note
)

// ClosureReason is why a case closed.
type ClosureReason string

const (
	ClosureResolved     ClosureReason = "resolved"      // the concern is settled
	ClosureOriented     ClosureReason = "oriented"      // handed to a partner service
	ClosureDeclinedHelp ClosureReason = "declined_help" // the person wants no more follow-up
	ClosureHospitalised ClosureReason = "hospitalised"
	ClosureMoved        ClosureReason = "moved"
	ClosureDeceased     ClosureReason = "deceased"
	ClosureOther        ClosureReason = "other"
)

// ClosureReasons lists them, for forms and validation.
var ClosureReasons = []ClosureReason{ClosureResolved, ClosureOriented, ClosureDeclinedHelp, ClosureHospitalised, ClosureMoved, ClosureDeceased, ClosureOther}

// Urgency orders priorities: lower is more urgent.
func (p Priority) Urgency() int {
	switch p {
	case PriorityUrgent:
		return 0
	case PriorityHigh:
		return 1
	case PriorityNormal:
		return 2
	default:
		return 3
	}
}

// Raise returns the more urgent of p and q.
func (p Priority) Raise(q Priority) Priority {
	if q.Urgency() < p.Urgency() {
		return q
	}
	return p
}

// Due is when a follow-up put on a list falls due, in the service's open time.
type Due int

const (
	DueNow           Due = iota // someone calls today, now
	DueWithinTwoOpen            // within two open hours: a flag
	DueAtClosing                // before the service closes today
)

// OpenHours is the service's calendar as a due time needs it.
type OpenHours interface {
	AddOpen(t time.Time, d time.Duration) time.Time // d of open time after t
	ClosesAt(t time.Time) time.Time                 // when the service closes on t's day
}

// At is the due time for an event at now.
func (d Due) At(h OpenHours, now time.Time) time.Time {
	switch d {
	case DueWithinTwoOpen:
		return h.AddOpen(now, 2*time.Hour)
	case DueAtClosing:
		return h.ClosesAt(now)
	}
	return now
}

// Care is what a finished check-in asks of people.
type Care struct {
	// Reached: the person answered; a running escalation stops.
	Reached bool
	// DataIssue: the number does not work; the coordinators' queue gets it.
	DataIssue bool
	// Listed: the person's case opens (or is raised) and goes on a list,
	// opened for CaseReason, listed for FollowUp, at Priority, due at Due.
	Listed     bool
	CaseReason CaseReason
	FollowUp   FollowUpReason
	Priority   Priority
	Due        Due
	// Escalate: the case is urgent; the person's emergency contacts are called.
	Escalate bool
}

// CareAfter decides what a check-in that ended in state for reason asks of
// people. A flag goes to a listener at high priority, due within two open
// hours; a person unreached, before closing, urgent (due now, contacts called)
// when the check-ins before it were unreached too (recent: the person's latest
// final states, this one first, read for an unreached check-in; urgentAfter:
// the service's setting); our failure before closing, due now when we never
// called (the system was down at the slot or the retry) or the trunk failed
// everyone (trunk_down): a listener calls the person by hand. A person at high
// risk is never below high priority. A number that does not work goes to the
// coordinators.
func CareAfter(state CheckInState, reason CheckInReason, risk RiskLevel, recent []CheckInState, urgentAfter int) Care {
	var c Care
	switch state {
	case CheckInConfirmed:
		return Care{Reached: true}
	case CheckInUndeliverable:
		return Care{DataIssue: true}
	case CheckInFlagged:
		c = Care{Reached: true, CaseReason: CaseFlagged, FollowUp: FollowUpFlagged, Priority: PriorityHigh, Due: DueWithinTwoOpen}
	case CheckInUnreached:
		c = Care{CaseReason: CaseUnreached, FollowUp: FollowUpUnreached, Priority: PriorityNormal, Due: DueAtClosing}
		urgentAfter = max(urgentAfter, 0)
		if len(recent) >= urgentAfter && !slices.ContainsFunc(recent[:urgentAfter], func(s CheckInState) bool { return s != CheckInUnreached }) {
			c.FollowUp, c.Priority, c.Due = FollowUpUnreachedRepeatedly, PriorityUrgent, DueNow
		}
	case CheckInSystemError:
		c = Care{CaseReason: CaseSystemError, FollowUp: FollowUpSystemError, Priority: PriorityNormal, Due: DueAtClosing}
		if reason == ReasonMissed || reason == ReasonStalled || reason == ReasonTrunkDown {
			c.CaseReason, c.FollowUp, c.Due = CaseMissed, FollowUpMissed, DueNow
		}
	default:
		return Care{}
	}
	c.Listed = true
	if risk == RiskHigh {
		c.Priority = c.Priority.Raise(PriorityHigh)
	}
	c.Escalate = c.Priority == PriorityUrgent
	return c
}

// PriorityAfterContact is a case's priority once a listener has called: back
// to normal (high for a person at high risk) if they reached the person,
// unchanged if not.
func PriorityAfterContact(current Priority, reached bool, risk RiskLevel) Priority {
	switch {
	case !reached:
		return current
	case risk == RiskHigh:
		return PriorityHigh
	}
	return PriorityNormal
}
