package calling

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// The trunk judged as a whole (wellcheck.TrunkRule): when most calls of the
// last minutes, to many persons, fail the same way, it is a storm — the
// trunk's fault. Its calls count against nobody, calls are held (one let
// through now and then, a probe) and the storm ends with the first call
// placed during it that does not fail its way. The storm lives in the
// database, so every node holds its calls alike.

// storm returns the storm going on, if any.
func storm(ctx context.Context, q *store.Queries) (wellcheck.TrunkStorm, bool, error) {
	s, err := q.OpenTrunkStorm(ctx)
	if errors.Is(err, wellcheck.ErrNotFound) {
		return s, false, nil
	}
	return s, err == nil, err
}

// held reports until when a call must wait for the trunk: zero if it may go.
// A call that is about to leave (take) while a probe is due becomes it.
func (c *Calls) held(ctx context.Context, q *store.Queries, now time.Time, take bool) (time.Time, error) {
	s, ok, err := storm(ctx, q)
	if err != nil || !ok {
		return time.Time{}, err
	}
	if now.Before(s.ProbeAt) {
		return s.ProbeAt, nil
	}
	if !take {
		return time.Time{}, nil
	}
	took, err := q.TakeTrunkProbe(ctx, s, now, c.Trunk.NextProbe(s, now))
	if err != nil || !took {
		return now.Add(time.Second), err // another call took it: look again
	}
	c.log().InfoContext(ctx, "one call goes out to see whether the trunk carries calls again", "fault", s.Fault, "probe", s.Probes+1)
	return time.Time{}, nil
}

// judgeTrunk reads a call that started at started and ended in outcome
// (with sipStatus) against the storm going on, if any, in q's transaction:
// it reports whether the call failed the storm's way (it is the trunk's
// fault), and ends the storm if the call shows the trunk carrying calls
// again.
func (c *Calls) judgeTrunk(ctx context.Context, q *store.Queries, started time.Time, outcome wellcheck.Outcome, sipStatus int) (stormy, trunks bool, err error) {
	s, stormy, err := storm(ctx, q)
	if err != nil || !stormy {
		return false, false, err
	}
	fault := wellcheck.FaultOf(outcome, sipStatus)
	if fault == s.Fault {
		return true, true, nil
	}
	if s.Carried(started, fault) {
		return true, false, c.endStorm(ctx, q, s)
	}
	return true, false, nil
}

// trunkAfter judges the trunk with check-in call a, just ended and recorded
// in q's transaction: the storm going on, if any, keeps it or ends; else the
// rule may find that one begins, and marks the calls of the last minutes it
// failed. It returns the attempts marked as the trunk's (a's included if
// so).
func (c *Calls) trunkAfter(ctx context.Context, q *store.Queries, a wellcheck.Attempt) ([]int64, error) {
	stormy, trunks, err := c.judgeTrunk(ctx, q, a.StartedAt, a.Outcome, a.SIPStatus)
	switch {
	case err != nil:
		return nil, err
	case trunks:
		return []int64{a.ID}, q.MarkTrunkAttempts(ctx, []int64{a.ID})
	case stormy, wellcheck.FaultOf(a.Outcome, a.SIPStatus) == "":
		return nil, nil
	}
	now := *a.EndedAt
	rule := c.Trunk.OrDefault()
	calls, err := q.RecentCalls(ctx, now.Add(-rule.Window))
	if err != nil {
		return nil, err
	}
	fault, ok := rule.Storm(calls)
	if !ok {
		return nil, nil
	}
	var ids []int64
	persons := map[int64]bool{}
	for _, k := range calls {
		if k.Fault == fault {
			ids = append(ids, k.AttemptID)
			persons[k.PersonID] = true
		}
	}
	s, began, err := q.BeginTrunkStorm(ctx, fault, now, now.Add(rule.Probe), len(calls), len(persons))
	if err != nil {
		return nil, err
	}
	if !began && s.Fault != fault {
		return nil, nil // another node found a storm of another kind
	}
	if began {
		c.log().ErrorContext(ctx, "the trunk fails most calls the same way, to many persons: calls are held, and count against nobody, until it carries calls again",
			"fault", fault, "calls", len(calls), "failed", len(ids), "persons", len(persons), "window", rule.Window)
	}
	return ids, q.MarkTrunkAttempts(ctx, ids)
}

// endStorm ends storm s: the trunk carries calls again.
func (c *Calls) endStorm(ctx context.Context, q *store.Queries, s wellcheck.TrunkStorm) error {
	now := c.now()
	ended, err := q.EndTrunkStorm(ctx, s, now)
	if err != nil || !ended {
		return err
	}
	c.log().WarnContext(ctx, "the trunk carries calls again: held calls resume", "fault", s.Fault,
		"lasted", now.Sub(s.Since).Round(time.Second), "probes", s.Probes)
	return nil
}

// markTrunk marks the attempts of ids among as as the trunk's.
func markTrunk(as []wellcheck.Attempt, ids []int64) {
	for i := range as {
		if slices.Contains(ids, as[i].ID) {
			as[i].Trunk = true
		}
	}
}
