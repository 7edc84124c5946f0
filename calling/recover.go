package calling

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/store"
)

// NodeName is this node's name in heartbeats and on the calls it places:
// Node, else one of its own for this process's life.
func (c *Calls) NodeName() string { return c.node() }

// BeatEvery is how often the node tells the database it is alive: every
// 10 s, and at least four times within DeadAfter.
func (c *Calls) BeatEvery() time.Duration { return min(10*time.Second, c.deadAfter()/4) }

// Beat tells the database this node is alive, on the database's clock: a
// node that beats keeps its calls (Recover). It also measures how far the
// machine's clock is from the database's: a node off by more than MaxSkew
// starts no call (Skew) until it is right again.
func (c *Calls) Beat(ctx context.Context) error {
	sent := c.machine()
	dbNow, err := cmp.Or(c.Heartbeats, c.Store).Queries().Heartbeat(ctx, c.node(), 3*c.BeatEvery())
	if err != nil {
		return err
	}
	back := c.machine()
	if back.Sub(sent) > c.maxSkew() {
		// A slow beat (a reconnection, a busy pool) measures nothing: the
		// database read its clock somewhere in that time.
		return nil
	}
	// The database read its clock between sent and back: the middle is the
	// best guess, off by half the round trip at most.
	offset := sent.Add(back.Sub(sent) / 2).Sub(dbNow)
	c.offset.Store(int64(offset))
	c.Metrics.ClockOffset(offset)
	if was := c.skewed.Swap(c.tooFar(offset)); was != c.tooFar(offset) {
		if !was {
			c.log().ErrorContext(ctx, "this machine's clock is too far from the database's: no call starts here until it is set right",
				"offset", offset.Round(time.Millisecond), "max", c.maxSkew())
		} else {
			c.log().InfoContext(ctx, "this machine's clock agrees with the database's again: calls start here again", "offset", offset.Round(time.Millisecond))
		}
	}
	return nil
}

// Skew is how far the machine's clock was from the database's at the last
// beat, and whether that is too far to start calls.
func (c *Calls) Skew() (offset time.Duration, tooFar bool) {
	return time.Duration(c.offset.Load()), c.skewed.Load()
}

func (c *Calls) tooFar(offset time.Duration) bool {
	return offset > c.maxSkew() || offset < -c.maxSkew()
}

func (c *Calls) maxSkew() time.Duration { return cmp.Or(c.MaxSkew, 2*time.Second) }

func (c *Calls) machine() time.Time {
	if c.MachineClock != nil {
		return c.MachineClock()
	}
	return time.Now()
}

func (c *Calls) deadAfter() time.Duration { return cmp.Or(c.DeadAfter, time.Minute) }

// Recover ends the attempts whose node died mid-call as failed,
// "interrupted", and decides what follows as for any failed call: the person
// is called again later, never at once. A node is dead when it has not beaten
// for DeadAfter, by the database's clock, as seen by this node which beat
// throughout: never by comparing node clocks, and not right after an outage
// that silenced every node (see store.LostCalls). Its real outcome, should
// it come later, wins (apply). Recover also queues again check-ins whose job
// a dead node took before dialling, and takes up escalations whose node died
// mid-call.
func (c *Calls) Recover(ctx context.Context) (int, error) {
	now := c.now()
	if err := c.Beat(ctx); err != nil {
		return 0, fmt.Errorf("heartbeat before looking for lost calls: %w", err)
	}
	if _, skewed := c.Skew(); skewed {
		return 0, nil // judged on a wrong clock, live calls could be ended; other nodes recover
	}
	if err := c.Store.Queries().ForgetNodes(ctx); err != nil {
		return 0, err
	}
	lost, err := c.Store.Queries().LostCalls(ctx, c.node(), 3*c.BeatEvery(), c.deadAfter(), now.Add(-c.staleAfter()))
	if err != nil {
		return 0, fmt.Errorf("look for calls whose node died: %w", err)
	}
	recovered := 0
	for _, l := range lost {
		err := c.Store.WithTx(ctx, func(q *store.Queries) error {
			ci, err := q.LockCheckInForCall(ctx, l.CheckInID)
			if err != nil {
				return err
			}
			// The lost attempt, if it is still in progress: it may have ended
			// meanwhile (its real outcome came), and another begun.
			i := slices.IndexFunc(ci.Attempts, func(a wellcheck.Attempt) bool { return a.ID == l.AttemptID && a.EndedAt == nil })
			if i < 0 {
				return nil
			}
			a := ci.Attempts[i]
			a.EndedAt, a.Outcome, a.FailureReason = &now, wellcheck.OutcomeFailed, wellcheck.Interrupted
			if err := q.EndAttempt(ctx, a); err != nil {
				return err
			}
			ci.Attempts[i] = a
			c.log().WarnContext(ctx, "call interrupted: its node stopped mid-call", "check_in_id", l.CheckInID, "attempt", a.Number, "call_id", a.CallID)
			recovered++
			if ci.State.Final() {
				return nil // an earlier call's late outcome ended the check-in while this one rang
			}
			return c.after(ctx, q, ci, now)
		})
		if err != nil {
			// One check-in that cannot be recovered does not hold up the others.
			c.log().ErrorContext(ctx, "recover a call lost with its node", "check_in_id", l.CheckInID, "err", err)
		}
	}
	// A listener's call from the browser dies with its node too: its case
	// says so (calls counted apart: they are no check-in's). A node that
	// never beat is judged by the longest a conversation may last.
	if c.Care != nil {
		longest := now.Add(-dialer.DefaultMaxConversation - c.staleAfter())
		if _, err := c.Care.EndLostCalls(ctx, c.node(), 3*c.BeatEvery(), c.deadAfter(), longest); err != nil {
			c.log().ErrorContext(ctx, "end the browser phone's calls lost with their node", "err", err)
		}
	}
	// A check-in whose job a dead node took before dialling gets a new job at
	// once, not when River rescues the old one; should that one still be alive,
	// the attempt rows let only one of the two dial.
	unworked, err := c.Store.Queries().UnworkedCheckIns(ctx, now.Add(-c.staleAfter()), now, time.Now().Add(-c.staleAfter()))
	if err != nil {
		return recovered, fmt.Errorf("look for check-ins no job works: %w", err)
	}
	if len(unworked) > 0 {
		err := c.Store.WithTx(ctx, func(q *store.Queries) error {
			for _, u := range unworked {
				if err := c.Queue.EnqueueRetry(ctx, q, u.CheckInID, u.Attempts+1, time.Now()); err != nil {
					return err
				}
				c.log().WarnContext(ctx, "check-in due with no job working it: queued again", "check_in_id", u.CheckInID, "attempt", u.Attempts+1)
			}
			return nil
		})
		if err != nil {
			return recovered, fmt.Errorf("queue again check-ins no job works: %w", err)
		}
		recovered += len(unworked)
	}
	// An escalation whose node died (mid-call or between calls), or whose job
	// gave up, is taken up again.
	stale, err := c.Store.Queries().StaleEscalations(ctx, now.Add(-c.staleAfter()), time.Now().Add(-c.staleAfter()))
	if err != nil {
		return recovered, fmt.Errorf("look for escalations nothing works: %w", err)
	}
	for _, id := range stale {
		err := c.Store.WithTx(ctx, func(q *store.Queries) error {
			return c.Queue.EnqueueEscalation(ctx, q, id)
		})
		if err != nil {
			return recovered, fmt.Errorf("take up escalation %d: %w", id, err)
		}
		c.log().WarnContext(ctx, "escalation taken up: nothing was working it (its node stopped, or its job gave up or waited long for a channel)", "escalation_id", id)
		recovered++
	}
	return recovered, nil
}
