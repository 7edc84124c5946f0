package store

import "context"

// The River jobs whose rows this package's SQL reads (to cancel a check-in's
// call, to find a check-in or an escalation nothing works): their kinds and
// their arguments as River stores them (JSON). Package jobs defines its job
// arguments as these types, so the two cannot drift; river_test.go checks the
// SQL against them.
const (
	// CallJobKind is the job that dials a check-in; the index that finds a
	// check-in's job is restricted to it.
	CallJobKind = "check_in_call"
	// EscalationJobKind is the job that calls an escalation's contacts.
	EscalationJobKind = "escalate"
)

// CallJob is the arguments of a CallJobKind job: the check-in, and which of
// its attempts it dials (0 or 1: the first).
type CallJob struct {
	CheckInID int64 `json:"check_in_id"`
	Attempt   int   `json:"attempt,omitempty"`
}

// EscalationJob is the arguments of an EscalationJobKind job.
type EscalationJob struct {
	EscalationID int64 `json:"escalation_id"`
}

// WaitingCallJobs returns the ids of the call jobs of these check-ins that have
// not run yet.
func (q *Queries) WaitingCallJobs(ctx context.Context, checkInIDs []int64) ([]int64, error) {
	if len(checkInIDs) == 0 {
		return nil, nil
	}
	ids, err := q.q.WaitingCallJobs(ctx, checkInIDs)
	return ids, translate(err, "find call jobs")
}
