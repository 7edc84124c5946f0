package switchboard

import (
	"cmp"
	"context"
	"sync"
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
	taken  chan *taker   // the claimant, once their audio connected (nil: it failed)
	over   chan struct{} // closed when the ring ends, taken or not
	// With the switchboard's mu held: who accepted, once one did (a page
	// of this node's, or elsewhere: a listener on another node); whether
	// their call was handed to the person's; whether it is too late.
	claimed   *Session
	elsewhere bool
	handed    bool
	closed    bool

	// Across nodes (nodes.go): token names the ring to the other nodes.
	// A ring of this node's learns on heard that another node rang a page,
	// and lets the nodes that did in (untrust, at its end). A ring of
	// another node's, offered to this node's pages, says where its call is
	// (from), which pages it rang, and when it lapses if its end is never
	// heard.
	token     string
	heard     chan struct{}
	heardOnce sync.Once
	untrust   []func()
	from      *signal
	rung      []*Session
	lapse     *time.Timer
}

// giveUp is p's claim on r failing before the call was handed over: a
// ring of this node's ends (its call goes back to the usual call back);
// another node's rings on, for the other pages here.
func (sb *Switchboard) giveUp(r *ring, p *Session) {
	if r.from != nil {
		sb.mu.Lock()
		if r.claimed == p {
			r.claimed = nil
		}
		sb.mu.Unlock()
		return
	}
	select {
	case r.taken <- nil:
	default:
	}
}

// taker is who took a call: a listener, and the leg their side of the
// call is to the person's.
type taker struct {
	leg  dialer.Leg
	user wellcheck.User
	// call is theirs when their page is this node's; on another node,
	// left is closed once their side of the call is over.
	call   *call
	left   <-chan struct{}
	remote *remoteLeg
}

// listenerLeft reports whether the listener's side was over first.
func (t *taker) listenerLeft() bool {
	if t.call != nil {
		return closed(t.call.done)
	}
	return closed(t.left)
}

// drop lets go of a taker the person's call can no longer be joined to.
func (t *taker) drop() {
	if t.call != nil {
		t.call.hang()
	}
	t.leg.Ended()
}

// Ring rings the free listeners' pages and waits for one of them to take the
// call, until the wait (RingFor) or ctx ends.
func (t *transfer) Ring(ctx context.Context) dialer.Leg {
	if tk := t.sb.ring(ctx, Event{Person: t.person, Name: t.name}); tk != nil {
		return tk.leg
	}
	return nil
}

// ring offers a call to the pages of the free listeners on duty, on this
// node and, with Peers, on the others, telling them who calls (offer's
// Person, Name, Caller, Incoming), and returns the first to take it once
// their audio connected, or nil: nobody free, nobody took it within
// RingFor, or ctx ended.
func (sb *Switchboard) ring(ctx context.Context, offer Event) *taker {
	free := sb.freeListeners(ctx)
	if len(free) == 0 && (sb.Peers == nil || !sb.PagesElsewhere()) {
		return nil // nobody to ring, here or elsewhere
	}
	ringFor := cmp.Or(sb.RingFor, DefaultRingFor)
	sb.mu.Lock()
	sb.rang++
	r := &ring{id: sb.rang, person: offer.Person, taken: make(chan *taker, 1), over: make(chan struct{}), heard: make(chan struct{})}
	if sb.rings == nil {
		sb.rings = make(map[int64]*ring)
	}
	sb.rings[r.id] = r
	if sb.Peers != nil {
		r.token = newToken()
		sb.remember(r)
	}
	sb.mu.Unlock()
	defer func() {
		sb.mu.Lock()
		delete(sb.rings, r.id)
		delete(sb.tokens, r.token)
		r.closed = true
		close(r.over)
		untrust := r.untrust
		sb.mu.Unlock()
		for _, p := range free {
			if p != r.claimed {
				p.tell(Event{Type: "ring_over", Ring: r.id, Person: offer.Person, Incoming: offer.Incoming})
			}
		}
		if r.token != "" {
			// In the background: the person is joined meanwhile.
			sb.wg.Go(func() { sb.publish(signal{Type: sigOver, Ring: r.token}) })
		}
		for _, f := range untrust {
			f()
		}
	}()
	offer.Type, offer.Ring = "ring", r.id
	for _, p := range free {
		p.tell(offer)
	}
	if r.token != "" {
		sb.publish(signal{Type: sigRing, Ring: r.token, At: sb.Line.SIPAddress(), For: ringFor.Milliseconds(),
			Person: offer.Person, Name: offer.Name, Caller: offer.Caller, Incoming: offer.Incoming})
	}
	wait := time.NewTimer(ringFor)
	defer wait.Stop()
	// No page of this node's rings: unless another node says one of its
	// own does, soon, the person is not kept waiting.
	heard, alone := r.heard, (<-chan time.Time)(nil)
	if len(free) == 0 {
		t := time.NewTimer(cmp.Or(sb.PeerWait, DefaultPeerWait))
		defer t.Stop()
		alone = t.C
	}
wait:
	for {
		select {
		case t := <-r.taken:
			return t
		case <-heard:
			heard, alone = nil, nil
		case <-alone:
			break wait
		case <-wait.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	// Too late now: a claimant still connecting gives up (r.over), one
	// whose call was handed over just now is let go.
	sb.mu.Lock()
	r.closed = true
	handed := r.handed
	sb.mu.Unlock()
	if handed {
		if t := <-r.taken; t != nil {
			t.drop()
		}
	}
	return nil
}

// freeListeners is the sessions whose page can take a call now, their listener on
// duty.
func (sb *Switchboard) freeListeners(ctx context.Context) []*Session {
	sb.mu.Lock()
	var open []*Session
	for p := range sb.sessions {
		if p.free() {
			open = append(open, p)
		}
	}
	sb.mu.Unlock()
	return sb.onDuty(ctx, open)
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
	ok := r != nil && r.claimed == nil && !r.elsewhere && !r.closed
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
		sb.giveUp(r, p)
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
		sb.giveUp(r, p)
		p.tell(Event{Type: "error", Error: ErrBadOffer, Ring: ringID})
		return
	}
	c.browser = browser
	p.tell(Event{Type: "answer", SDP: browser.Answer(), Ring: ringID, Person: r.person})
	go func() {
		defer p.wg.Done()
		if r.from != nil {
			c.takeFrom(r)
		} else {
			c.take(r)
		}
	}()
}

// pickedUp waits for the browser's audio of a page that took r, and
// reports whether it connected in time; if not, the page is told, and the
// ring given up by it.
func (c *call) pickedUp(r *ring) bool {
	p, sb := c.session, c.session.sb
	switch c.connected(r.over) {
	case notConnected:
		sb.giveUp(r, p)
		p.tell(Event{Type: "ended", Error: ErrNoMedia, Ring: r.id, Person: c.person})
		return false
	case listenerLeft:
		sb.giveUp(r, p)
		p.tell(Event{Type: "ended", Ring: r.id, Person: c.person})
		return false
	case stopped:
		p.tell(Event{Type: "ring_over", Ring: r.id, Person: c.person})
		return false
	}
	return true
}

// take waits for the browser's audio, hands the call to the person's (the
// dialer then joins them), and ends the listener's side once the person's
// is over.
func (c *call) take(r *ring) {
	p, sb := c.session, c.session.sb
	defer p.release(c)
	defer c.browser.Close()
	if !c.pickedUp(r) {
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
	r.taken <- &taker{leg: &leg{call: c}, user: p.user, call: c}
	<-c.ended // the person's side is over: the dialer said so
	c.unjoin()
	if c.settled != nil {
		<-c.settled // its end logged: the page's case shows it
	}
	p.tell(Event{Type: "ended", Outcome: wellcheck.CallAnswered, Ring: r.id, Person: c.person, Case: c.caseID, Call: c.logged.ID})
}
