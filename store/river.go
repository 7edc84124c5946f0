package store

import "context"

// CallJobKind is the River kind of the job that dials a check-in; the index
// that finds a check-in's job is restricted to it.
const CallJobKind = "check_in_call"

// WaitingCallJobs returns the ids of the call jobs of these check-ins that have
// not run yet.
func (q *Queries) WaitingCallJobs(ctx context.Context, checkInIDs []int64) ([]int64, error) {
	if len(checkInIDs) == 0 {
		return nil, nil
	}
	ids, err := q.q.WaitingCallJobs(ctx, checkInIDs)
	return ids, translate(err, "find call jobs")
}
