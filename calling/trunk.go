package calling

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// The trunk judged as a whole (wellcheck.TrunkRule): when most first calls
// of the last minutes, to many persons, fail the same way, it is a storm —
// the trunk's fault. Its calls count against nobody, calls are held (one let
// through now and then, a probe) and the storm ends with the first call
// placed during it that does not fail its way. The storm lives in the
// database, so every node holds its calls alike.
//
// Locks: the storm's row is locked only to take or confirm a probe, last in
// a transaction (after the check-in, or the case and the escalation); a
// storm that ends is ended in a transaction of its own, after the call that
// showed it over is recorded.

// probeHold is how long a call that took the probe may wait for a channel
// before the probe goes to another.
const probeHold = time.Minute

// lineHold is how long a call waits before it looks again while this node
// sees the trunk down (its keep-alives go unanswered).
const lineHold = 10 * time.Second

// lineDown reports whether this node sees the trunk down.
func (c *Calls) lineDown() bool { return c.Line != nil && c.Line.TrunkDown() }

// storm returns the storm going on, if any.
func storm(ctx context.Context, q *store.Queries) (wellcheck.TrunkStorm, bool, error) {
	s, err := q.OpenTrunkStorm(ctx)
	if errors.Is(err, wellcheck.ErrNotFound) {
		return s, false, nil
	}
	return s, err == nil, err
}

// held reports until when the call named by must wait for the trunk: zero
// if it may go. While this node sees the trunk down (its keep-alives go
// unanswered), every call waits, and looks again lineHold later: nothing
// goes out from here, not even a storm's probe. While a storm lasts one
// call goes out now and then: the first look (claiming false) of a call
// that finds the probe due takes it, so that it alone goes for a channel;
// its claim (claiming true) confirms it, and the call leaves.
func (c *Calls) held(ctx context.Context, q *store.Queries, now time.Time, by string, claiming bool) (time.Time, error) {
	if c.lineDown() {
		return now.Add(lineHold), nil
	}
	s, ok, err := storm(ctx, q)
	if err != nil || !ok {
		return time.Time{}, err
	}
	rule := c.Trunk.OrDefault()
	if s.ProbeBy != by {
		if now.Before(s.ProbeAt) {
			return s.ProbeAt, nil
		}
		// Due, or its holder let its hold run out: this call takes it.
		took, err := q.TakeTrunkProbe(ctx, s, by, now, now.Add(probeHold), now.Add(-2*rule.MaxProbe))
		if err != nil || !took {
			return now.Add(time.Second), err // another call took it: look again
		}
	}
	if !claiming {
		return time.Time{}, nil // go for a channel
	}
	confirmed, err := q.ConfirmTrunkProbe(ctx, s, by, rule.NextProbe(s, now))
	if err != nil || !confirmed {
		return now.Add(time.Second), err
	}
	c.log().InfoContext(ctx, "one call goes out to see whether the trunk carries calls again", "fault", s.Fault, "probe", s.Probes+1)
	return time.Time{}, nil
}

// trunkVerdict is what a call that ended says of the storm going on.
type trunkVerdict struct {
	storm   wellcheck.TrunkStorm
	stormy  bool // a storm is going on
	failed  bool // the call failed its way: the trunk's fault
	carried bool // the call shows the trunk carrying calls again: end the storm (endStorm), once the call is recorded
}

// judgeTrunk reads a call that started at started and ended in outcome
// (with sipStatus and reason) against the storm going on, if any.
func (c *Calls) judgeTrunk(ctx context.Context, q *store.Queries, started time.Time, outcome wellcheck.Outcome, sipStatus int, reason string) (trunkVerdict, error) {
	s, stormy, err := storm(ctx, q)
	if err != nil || !stormy {
		return trunkVerdict{}, err
	}
	fault := wellcheck.FaultOf(outcome, sipStatus, reason)
	return trunkVerdict{storm: s, stormy: true,
		failed: c.Trunk.Failed(s, started, fault), carried: s.Carried(started, fault)}, nil
}

// trunkAfter judges the trunk with check-in call a, just ended and recorded
// in q's transaction: the storm going on, if any, keeps it or is shown over;
// else the rule may find that one begins, and marks the calls of the last
// minutes it failed whose check-ins go on. It returns the attempts marked
// as the trunk's (a's included if so).
func (c *Calls) trunkAfter(ctx context.Context, q *store.Queries, a wellcheck.Attempt) ([]int64, trunkVerdict, error) {
	v, err := c.judgeTrunk(ctx, q, a.StartedAt, a.Outcome, a.SIPStatus, a.FailureReason)
	switch fault := wellcheck.FaultOf(a.Outcome, a.SIPStatus, a.FailureReason); {
	case err != nil:
		return nil, v, err
	case v.failed:
		return []int64{a.ID}, v, q.MarkTrunkAttempts(ctx, []int64{a.ID})
	case v.stormy, fault == "", fault == wellcheck.FaultOurs:
		return nil, v, nil
	}
	now := *a.EndedAt
	rule := c.Trunk.OrDefault()
	calls, err := q.RecentCalls(ctx, now.Add(-rule.Window))
	if err != nil {
		return nil, v, err
	}
	fault, ok := rule.Storm(calls)
	if !ok || fault != wellcheck.FaultOf(a.Outcome, a.SIPStatus, a.FailureReason) {
		return nil, v, nil // no storm, or not this call's: it is judged on its own
	}
	ids := []int64{a.ID}
	persons := map[int64]bool{}
	for _, k := range calls {
		if k.Fault != fault {
			continue
		}
		persons[k.PersonID] = true
		if !k.Final && k.AttemptID != a.ID {
			ids = append(ids, k.AttemptID) // a check-in that ended keeps what it decided
		}
	}
	s, began, err := q.BeginTrunkStorm(ctx, fault, now, now.Add(rule.Probe), len(calls), len(persons))
	if err != nil {
		return nil, v, err
	}
	if !began && s.Fault != fault {
		return nil, v, nil // another node found a storm of another kind
	}
	if began {
		c.log().ErrorContext(ctx, "the trunk fails most calls the same way, to many persons: calls are held, and count against nobody, until it carries calls again",
			"fault", fault, "calls", len(calls), "persons", len(persons), "window", rule.Window)
	}
	return ids, v, q.MarkTrunkAttempts(ctx, ids)
}

// endStorm ends storm s, in a transaction of its own: a call showed the
// trunk carrying calls again.
func (c *Calls) endStorm(ctx context.Context, s wellcheck.TrunkStorm) {
	now := c.now()
	var ended bool
	err := c.Store.WithTx(ctx, func(q *store.Queries) (err error) {
		ended, err = q.EndTrunkStorm(ctx, s, now)
		return err
	})
	switch {
	case err != nil:
		// The next call that goes through ends it.
		c.log().ErrorContext(ctx, "end the trunk's storm", "err", err)
	case ended:
		c.log().WarnContext(ctx, "the trunk carries calls again: held calls resume", "fault", s.Fault,
			"lasted", now.Sub(s.Since).Round(time.Second), "probes", s.Probes)
	}
}

// markTrunk marks the attempts of ids among as as the trunk's.
func markTrunk(as []wellcheck.Attempt, ids []int64) {
	for i := range as {
		if slices.Contains(ids, as[i].ID) {
			as[i].Trunk = true
		}
	}
}
