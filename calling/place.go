package calling

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/metrics"
)

// place places a call of a kind through the dialer and, once its claim holds
// (the call is going out), counts it in the node's metrics; slot, if set, is the
// check-in's, whose lag to the call is recorded. A call still waiting for a
// channel when the node drains gives up with errHandedBack.
func (c *Calls) place(ctx context.Context, kind metrics.CallKind, req dialer.Request, slot time.Time) (dialer.Result, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var claiming atomic.Bool
	defer context.AfterFunc(c.drainContext(), func() {
		if !claiming.Load() {
			cancel(errHandedBack)
		}
	})()
	claim, claimed := req.Claim, false
	req.Claim = func(ctx context.Context) error {
		// From here the call is this node's: a drain lets it go on.
		claiming.Store(true)
		if context.Cause(ctx) == errHandedBack {
			return errHandedBack
		}
		if claim != nil {
			if err := claim(ctx); err != nil {
				return err
			}
		}
		claimed = true
		c.Metrics.CallStarted(kind, slot, c.now())
		return nil
	}
	res, err := c.Dialer.Place(ctx, req)
	if !claimed && context.Cause(ctx) == errHandedBack {
		return res, errHandedBack
	}
	if claimed {
		outcome := res.Outcome
		if err != nil {
			outcome = wellcheck.OutcomeFailed
		}
		c.Metrics.CallEnded(kind, outcome, res.Ring, res.Talk)
		c.Metrics.CallQuality(res.Quality)
	}
	return res, err
}

// errHandedBack is a call that had not started when its node began to stop:
// its job goes back to the queue for another node.
var errHandedBack = errors.New("the node is stopping: the call goes back to the queue")

// Drain makes the calls of this node that wait for a channel give up and go
// back to the queue, as the node stops; calls in progress go on.
func (c *Calls) Drain() { c.drainContext(); c.drainCancel() }

func (c *Calls) drainContext() context.Context {
	c.drainOnce.Do(func() { c.drain, c.drainCancel = context.WithCancel(context.Background()) })
	return c.drain
}
