package switchboard

import (
	"cmp"
	"context"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
)

// A person who presses 2 during a check-in is put through there and then
// when a listener is free: the check-in's call offers itself to the pages
// of this node's free listeners (Transfer), which ring with the person's
// name; the first to take it (Session.Accept) is joined to the person once
// their browser's audio connects. Nobody taking it within the wait, the
// person hears they will be called back, as without a switchboard.

// DefaultRingFor is how long a person who pressed 2 waits for a listener.
const DefaultRingFor = 20 * time.Second

// Transfer is how the check-in call to person (their name shown to the
// listeners) puts them through (dialer.Request.Transfer).
func (s *Switchboard) Transfer(person int64, name string) dialer.Transfer {
	return &transfer{sb: s, person: person, name: name}
}

type transfer struct {
	sb     *Switchboard
	person int64
	name   string
}

// ring is a call offered to listeners: the first to accept claims it.
type ring struct {
	id     int64
	person int64
	taken  chan *call    // the claimant's call, once its audio connected (nil: it failed)
	over   chan struct{} // closed when the ring ends, taken or not
	// With the switchboard's mu held: who accepted, once one did; whether
	// their call was handed to the person's; whether it is too late.
	claimed *Session
	handed  bool
	closed  bool
}

// Ring rings the free listeners' pages and waits for one of them to take the
// call, until the wait (RingFor) or ctx ends.
func (t *transfer) Ring(ctx context.Context) dialer.Leg {
	if c := t.sb.ring(ctx, Event{Person: t.person, Name: t.name}); c != nil {
		return &leg{call: c}
	}
	return nil
}

// ring offers a call to the pages of the free listeners on duty, telling
// them who calls (offer's Person, Name, Caller, Incoming), and returns the
// call of the first to take it once their audio connected, or nil: nobody
// free, nobody took it within RingFor, or ctx ended.
func (sb *Switchboard) ring(ctx context.Context, offer Event) *call {
	sb.mu.Lock()
	var open []*Session
	for p := range sb.sessions {
		if p.free() {
			open = append(open, p)
		}
	}
	sb.mu.Unlock()
	free := sb.onDuty(ctx, open)
	if len(free) == 0 {
		return nil
	}
	sb.mu.Lock()
	sb.rang++
	r := &ring{id: sb.rang, person: offer.Person, taken: make(chan *call, 1), over: make(chan struct{})}
	if sb.rings == nil {
		sb.rings = make(map[int64]*ring)
	}
	sb.rings[r.id] = r
	sb.mu.Unlock()
	defer func() {
		sb.mu.Lock()
		delete(sb.rings, r.id)
		r.closed = true
		close(r.over)
		sb.mu.Unlock()
		for _, p := range free {
			if p != r.claimed {
				p.tell(Event{Type: "ring_over", Ring: r.id, Person: offer.Person, Incoming: offer.Incoming})
			}
		}
	}()
	offer.Type, offer.Ring = "ring", r.id
	for _, p := range free {
		p.tell(offer)
	}
	wait := time.NewTimer(cmp.Or(sb.RingFor, DefaultRingFor))
	defer wait.Stop()
	select {
	case c := <-r.taken:
		return c
	case <-wait.C:
	case <-ctx.Done():
	}
	// Too late now: a claimant still connecting gives up (r.over), one
	// whose call was handed over just now is let go.
	sb.mu.Lock()
	r.closed = true
	handed := r.handed
	sb.mu.Unlock()
	if handed {
		if c := <-r.taken; c != nil {
			c.hang()
			c.over()
		}
	}
	return nil
}

// free reports whether the session's page can take a call now: open, on no
// call, and a listener's.
func (p *Session) free() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.closed && p.active == nil && p.user.Has(wellcheck.RoleListener) && !p.user.Disabled
}

// onDuty keeps of sessions those whose user is, now, a listener present
// on their shift, their account enabled (a page left open keeps the account
// it signed in with). Without Users, it keeps them all.
func (s *Switchboard) onDuty(ctx context.Context, sessions []*Session) []*Session {
	if s.Users == nil || len(sessions) == 0 {
		return sessions
	}
	ids := make([]int64, len(sessions))
	for i, p := range sessions {
		ids[i] = p.user.ID
	}
	users, err := s.Users(ctx, ids)
	if err != nil {
		s.log().Warn("read the listeners before ringing them", "error", err)
		return nil
	}
	on := make(map[int64]bool, len(users))
	for _, u := range users {
		on[u.ID] = u.Present && !u.Disabled && u.Has(wellcheck.RoleListener)
	}
	var out []*Session
	for _, p := range sessions {
		if on[p.user.ID] {
			out = append(out, p)
		}
	}
	return out
}

// Accept takes the call offered as ring with the page's offer. It returns
// once the page has the answer (or a ring_over event: another listener was
// quicker, or the person stopped waiting); the call goes on by itself.
func (p *Session) Accept(ctx context.Context, ringID int64, offer string) {
	sb := p.sb
	sb.mu.Lock()
	r := sb.rings[ringID]
	ok := r != nil && r.claimed == nil && !r.closed
	if ok {
		r.claimed = p
	}
	sb.mu.Unlock()
	if !ok {
		p.tell(Event{Type: "ring_over", Ring: ringID})
		return
	}
	p.mu.Lock()
	if p.active != nil || p.closed {
		p.mu.Unlock()
		r.taken <- nil
		p.tell(Event{Type: "error", Error: ErrBusy, Ring: ringID})
		return
	}
	c := newCall(p)
	c.person = r.person
	p.active = c
	p.wg.Add(1) // with active: Close waits for this call from now on
	p.mu.Unlock()
	browser, err := sb.Phones.Answer(ctx, offer)
	if err != nil {
		p.release(c)
		p.wg.Done()
		r.taken <- nil
		p.tell(Event{Type: "error", Error: ErrBadOffer, Ring: ringID})
		return
	}
	c.browser = browser
	p.tell(Event{Type: "answer", SDP: browser.Answer(), Ring: ringID, Person: r.person})
	go func() {
		defer p.wg.Done()
		c.take(r)
	}()
}

// take waits for the browser's audio, hands the call to the person's (the
// dialer then joins them), and ends the listener's side once the person's
// is over.
func (c *call) take(r *ring) {
	p, sb := c.session, c.session.sb
	defer p.release(c)
	defer c.browser.Close()
	switch c.connected(r.over) {
	case notConnected:
		r.taken <- nil
		p.tell(Event{Type: "ended", Error: ErrNoMedia, Ring: r.id, Person: c.person})
		return
	case listenerLeft:
		r.taken <- nil
		p.tell(Event{Type: "ended", Ring: r.id, Person: c.person})
		return
	case stopped:
		p.tell(Event{Type: "ring_over", Ring: r.id, Person: c.person})
		return
	}
	sb.mu.Lock()
	late := r.closed
	r.handed = !late
	sb.mu.Unlock()
	if late {
		p.tell(Event{Type: "ring_over", Ring: r.id, Person: c.person})
		return
	}
	c.watch()
	r.taken <- c
	<-c.ended // the person's side is over: the dialer said so
	c.unjoin()
	if c.settled != nil {
		<-c.settled // its end logged: the page's case shows it
	}
	p.tell(Event{Type: "ended", Outcome: wellcheck.CallAnswered, Ring: r.id, Person: c.person, Case: c.caseID, Call: c.logged.ID})
}
