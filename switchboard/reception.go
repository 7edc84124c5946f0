package switchboard

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/metrics"
)

// Calls to the service. A person who calls the service's number (the
// trunk sends the INVITE to this node's dialer) is recognised by their
// number, and while the service is open the pages of the free listeners
// on duty ring with their name — or, for a number the service does not
// know, with the number alone. The first listener to take the call is
// joined to the caller; a known person's call is logged on their case
// (opened for it if none is, and kept by that listener), so that the
// listener writes the note. Nobody taking it within RingFor, or the
// service closed, a known person hears the voice menu (1: all is well,
// today's missed check-in is confirmed; 2: a listener calls back), and a
// caller the service does not know a message (call again in opening
// hours; the emergency numbers).

// Caller is the enrolled person a call to the service comes from.
type Caller struct {
	ID       int64
	Name     string
	Language string
}

// Desk is what calls to the service need of the rest of wellcheck.
type Desk interface {
	// Caller returns the enrolled person whose number is number (E.164),
	// or an error with wellcheck.ErrNotFound for a number nobody has.
	Caller(ctx context.Context, number wellcheck.Phone) (Caller, error)
	// Open reports whether the service is open now (its hours, holidays
	// and closures).
	Open(ctx context.Context) (bool, error)
	// TakeCall logs the call of person that by took (care.Cases.TakeCall).
	TakeCall(ctx context.Context, by wellcheck.User, person int64, number string) (wellcheck.CaseCall, error)
	// CalledIn applies the key person pressed at the voice menu
	// (calling.Calls.CalledIn).
	CalledIn(ctx context.Context, person int64, key byte) error
}

// Receive takes a call to the service (dialer.Reception): it returns once
// the call is over.
func (s *Switchboard) Receive(ctx context.Context, in *dialer.Incoming) {
	if strings.HasPrefix(in.To(), dialer.HandOffUser) {
		s.handOff(ctx, in) // another node's listener takes a call held here
		return
	}
	log := s.log().With("call_id", in.CallID())
	number := s.callerNumber(in.Caller())
	var who Caller
	known := false
	if number != "" && s.Desk != nil {
		var err error
		who, err = s.Desk.Caller(ctx, number)
		switch {
		case err == nil:
			known = true
		case !errors.Is(err, wellcheck.ErrNotFound):
			log.Error("recognise a caller", "error", err)
		}
	}
	lang := cmp.Or(who.Language, s.Language, "fr")
	open := true
	if s.Desk != nil {
		var err error
		if open, err = s.Desk.Open(ctx); err != nil {
			// Whether it is open cannot be read: a listener on duty may
			// take the call all the same.
			log.Warn("read whether the service is open; its listeners are rung", "error", err)
			open = true
		}
	}
	offer := Event{Incoming: true, Person: who.ID, Name: who.Name}
	if !known && number != "" {
		offer.Caller = s.Numbers.Format(number)
	}
	var c *taker
	if open && !s.stopping() {
		c = s.ring(ctx, offer)
	}
	s.Metrics.CallStarted(metrics.IncomingCall, time.Time{}, time.Now())
	var res dialer.Result
	switch {
	case c != nil:
		res = s.putThrough(ctx, in, c, who, number)
	case ctx.Err() != nil:
		// The caller hung up while the listeners' pages rang.
		res = dialer.Result{Outcome: wellcheck.OutcomeNoAnswer}
	case known:
		res = in.Menu(ctx, lang)
		if err := s.Desk.CalledIn(context.WithoutCancel(ctx), who.ID, firstKey(res.Digits)); err != nil {
			log.Error("apply a caller's key at the service's menu", "person_id", who.ID, "error", err)
		}
	default:
		res = in.Message(ctx, lang)
	}
	s.Metrics.CallEnded(metrics.IncomingCall, res.Outcome, res.Ring, res.Talk)
	if res.Outcome == wellcheck.OutcomeAnswered || res.Talk > 0 {
		s.Metrics.CallQuality(res.Quality)
	}
	log.Info("call to the service ended", "known", known, "open", open, "taken", c != nil, "outcome", res.Outcome,
		"digits", res.Digits, "hung_up_by", res.HungUpBy, "talk", res.Talk.Round(time.Millisecond))
}

// putThrough joins the caller to the listener who took the call, logged
// on the known person's case.
func (s *Switchboard) putThrough(ctx context.Context, in *dialer.Incoming, t *taker, who Caller, number wellcheck.Phone) dialer.Result {
	var logged wellcheck.CaseCall
	if who.ID != 0 && s.Desk != nil {
		var err error
		if logged, err = s.Desk.TakeCall(ctx, t.user, who.ID, number.E164()); err != nil {
			s.log().Error("log a call to the service taken by a listener", "person_id", who.ID, "error", err)
		} else if c := t.call; c != nil {
			c.logged, c.caseID, c.settled = logged, logged.CaseID, make(chan struct{})
			defer close(c.settled)
		} else {
			t.remote.logged = logged.ID
			defer t.remote.settled()
		}
	}
	res := in.Bridge(ctx, t.leg)
	if logged.ID != 0 {
		outcome, by := outcomeOf(res, t.listenerLeft())
		if res.CallID != "" {
			if _, err := s.Log.CallSIPID(context.WithoutCancel(ctx), logged.ID, res.CallID); err != nil {
				s.log().Error("log a call's SIP id", "call", logged.ID, "error", err)
			}
		}
		wg := &s.wg
		if t.call != nil {
			wg = &t.call.session.wg
		}
		s.endCall(context.WithoutCancel(ctx), wg, logged, outcome, by)
	}
	return res
}

// callerNumber reads the number the trunk gave in E.164, in the service's
// region; "" when there is none or it is not a number.
func (s *Switchboard) callerNumber(raw string) wellcheck.Phone {
	if raw == "" {
		return ""
	}
	n, err := s.Numbers.Parse(raw)
	if err != nil {
		return ""
	}
	return n
}

// stopping reports whether Close was called.
func (s *Switchboard) stopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func firstKey(digits string) byte {
	if digits == "" {
		return 0
	}
	return digits[0]
}
