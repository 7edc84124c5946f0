package wellcheck

import "time"

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
