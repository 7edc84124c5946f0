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
	ClosureReason string
	PersonAgreed  *bool
}

// FollowUp is a task on a listener's list.
type FollowUp struct {
	ID         int64
	CaseID     int64
	AssigneeID *int64
	Reason     string
	Priority   Priority
	DueAt      time.Time
	State      string
}
