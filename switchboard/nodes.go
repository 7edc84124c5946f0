package switchboard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
)

// Calls across nodes. The trunk brings a call to one node (a check-in whose
// person pressed 2, a call to the service), but the free listener may have
// their page open on another: behind a load balancer, a page is served by
// any node with the web role. The switchboards tell each other of their
// rings (Peers: Postgres NOTIFY), so that every node's free listeners' pages
// ring:
//
//   - the node holding the call publishes ring (a token, its SIP address,
//     who calls, how long it rings);
//   - a node with free listeners on duty rings their pages and answers
//     rang (its own SIP address): the holding node lets that address in;
//   - a listener there who takes the call has their node call the holding
//     node, at the token (dialer.HandOffURI), from the browser's audio; the
//     first such call, or a page of the holding node's, wins, and the
//     holding node joins it to the person's call (dialer.Join);
//   - the ring over, taken or not, the holding node publishes over and the
//     other pages stop ringing.
//
// The call's log, its case and its metrics stay with the holding node, as
// for a page of its own; the other node only joins the browser.

// DefaultPeerWait is how long a call none of this node's pages can take
// waits to hear that another node's page rings (PeerWait).
const DefaultPeerWait = 500 * time.Millisecond

// Peers carries the switchboards' signals to every node (store.Signals).
type Peers interface {
	Publish(ctx context.Context, payload []byte) error
}

// Signal types.
const (
	sigRing  = "ring"
	sigRang  = "rang"
	sigOver  = "over"
	sigPages = "pages" // the sender has listeners' pages open
	sigHello = "hello" // the sender just started listening: who has pages?
)

// signal is what switchboards tell each other, as JSON.
type signal struct {
	Type string `json:"type"`
	Node string `json:"node"` // the switchboard that sends it
	Ring string `json:"ring"` // the ring's token
	// At is the sender's SIP address: where to call to take the call
	// (ring), or where that call will come from (rang).
	At string `json:"at,omitempty"`
	// For is how long the ring lasts, in milliseconds, at most.
	For int64 `json:"for,omitempty"`
	// Who calls, as the pages are told (ring).
	Person   int64  `json:"person,omitempty"`
	Name     string `json:"name,omitempty"`
	Caller   string `json:"caller,omitempty"`
	Incoming bool   `json:"incoming,omitempty"`
	Pages    int    `json:"pages,omitempty"` // rang: how many pages ring
}

// newToken is a ring's name to the other nodes: whoever knows it may take
// the call, so it cannot be guessed.
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Switchboard) nodeID() string {
	s.nodeOnce.Do(func() { s.node = newToken()[:12] })
	return s.node
}

// remember lists r by its token, with s.mu held.
func (s *Switchboard) remember(r *ring) {
	if s.tokens == nil {
		s.tokens = make(map[string]*ring)
	}
	s.tokens[r.token] = r
}

// publish tells the other nodes sig; a signal lost is a ring they miss.
func (s *Switchboard) publish(sig signal) {
	sig.Node = s.nodeID()
	payload, err := json.Marshal(sig)
	if err != nil {
		s.log().Error("tell the other nodes", "signal", sig.Type, "error", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.Peers.Publish(ctx, payload); err != nil {
		s.log().Warn("tell the other nodes", "signal", sig.Type, "error", err)
	}
}

// Heard takes what another node's switchboard published (its own are
// ignored), one at a time, in the order published.
func (s *Switchboard) Heard(payload []byte) {
	var sig signal
	if err := json.Unmarshal(payload, &sig); err != nil || sig.Node == s.nodeID() || sig.Ring == "" {
		return
	}
	switch sig.Type {
	case sigRing:
		// Its listeners' duty is read in the database: not in the way of
		// the signals that follow.
		s.wg.Go(func() { s.offered(sig) })
	case sigRang:
		s.rangThere(sig)
	case sigPages:
		s.mu.Lock()
		if s.pagesAt == nil {
			s.pagesAt = make(map[string]time.Time)
		}
		s.pagesAt[sig.Node] = time.Now()
		s.mu.Unlock()
	case sigHello:
		s.mu.Lock()
		open := len(s.sessions) > 0 && s.Phones != nil
		s.mu.Unlock()
		if open {
			s.wg.Go(func() { s.publish(signal{Type: sigPages, Ring: "-"}) })
		}
	case sigOver:
		s.mu.Lock()
		r := s.tokens[sig.Ring]
		if r == nil {
			s.over(sig.Ring) // before its ring was offered here
		}
		s.mu.Unlock()
		if r != nil && r.from != nil {
			s.lapsed(r)
		}
	}
}

// Hello asks the other nodes which of them have listeners' pages open,
// once this switchboard listens to them.
func (s *Switchboard) Hello() { s.publish(signal{Type: sigHello, Ring: "-"}) }

// pagesFor is how long another node that said it has pages open is
// counted on: pages stay open all day.
const pagesFor = 24 * time.Hour

// PagesElsewhere reports whether another node said it has listeners'
// pages open (when a page opened there, or asked): only then does a call
// no page here can take wait to hear whether one rings there.
func (s *Switchboard) PagesElsewhere() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, at := range s.pagesAt {
		if time.Since(at) < pagesFor {
			return true
		}
	}
	return false
}

// overFor is how long an end heard before its ring is remembered.
const overFor = time.Minute

// over remembers, with s.mu held, that another node's ring ended before it
// was offered here: it is not.
func (s *Switchboard) over(token string) {
	now := time.Now()
	if s.ended == nil {
		s.ended = make(map[string]time.Time)
	}
	for t, at := range s.ended {
		if now.Sub(at) > overFor {
			delete(s.ended, t)
		}
	}
	s.ended[token] = now
}

// offered rings this node's free listeners on duty for another node's
// call, and tells that node where their answer will come from.
func (s *Switchboard) offered(sig signal) {
	if s.Phones == nil || s.stopping() || !dialer.HostOf(sig.At).IsValid() {
		return // no pages here, or nowhere to call
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	free := s.freeListeners(ctx)
	cancel()
	if len(free) == 0 {
		return
	}
	s.mu.Lock()
	if _, gone := s.ended[sig.Ring]; gone || s.closed {
		s.mu.Unlock()
		return
	}
	if s.rings == nil {
		s.rings = make(map[int64]*ring)
	}
	s.rang++
	r := &ring{id: s.rang, person: sig.Person, taken: make(chan *taker, 1), over: make(chan struct{}), token: sig.Ring, from: &sig, rung: free}
	s.rings[r.id] = r
	s.remember(r)
	// Its end is told (over); should that be lost, it lapses a little
	// after it would have ended anyway.
	r.lapse = time.AfterFunc(time.Duration(sig.For)*time.Millisecond+2*time.Second, func() { s.lapsed(r) })
	s.mu.Unlock()
	s.publish(signal{Type: sigRang, Ring: sig.Ring, At: s.Line.SIPAddress(), Pages: len(free)})
	offer := Event{Type: "ring", Ring: r.id, Person: sig.Person, Name: sig.Name, Caller: sig.Caller, Incoming: sig.Incoming}
	for _, p := range free {
		p.tell(offer)
	}
	// Over while the pages were told: it may have been said before the
	// ring, so it is said again.
	s.mu.Lock()
	closed, claimant := r.closed, r.claimed
	s.mu.Unlock()
	if closed {
		for _, p := range free {
			if p != claimant {
				p.tell(Event{Type: "ring_over", Ring: r.id, Person: r.person, Incoming: sig.Incoming})
			}
		}
	}
}

// lapsed ends another node's ring here: the pages that rang and did not
// take it stop ringing.
func (s *Switchboard) lapsed(r *ring) {
	s.mu.Lock()
	if r.closed {
		s.mu.Unlock()
		return
	}
	r.closed = true
	r.lapse.Stop()
	delete(s.rings, r.id)
	delete(s.tokens, r.token)
	close(r.over)
	claimant := r.claimed
	s.mu.Unlock()
	for _, p := range r.rung {
		if p != claimant {
			p.tell(Event{Type: "ring_over", Ring: r.id, Person: r.person, Incoming: r.from.Incoming})
		}
	}
}

// rangThere lets in the node whose page rings for a call held here: its
// listener's call to take it will come from there.
func (s *Switchboard) rangThere(sig signal) {
	ip := dialer.HostOf(sig.At)
	if !ip.IsValid() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.tokens[sig.Ring]
	if r == nil || r.from != nil || r.closed {
		return
	}
	r.untrust = append(r.untrust, s.Line.Trust(ip))
	if sig.Pages > 0 {
		r.heardOnce.Do(func() { close(r.heard) })
	}
}

// takeFrom takes another node's call from this page: once the browser's
// audio connects, this node calls the holding node at the ring's token,
// which joins that call to the person's, first come first served.
func (c *call) takeFrom(r *ring) {
	p, sb := c.session, c.session.sb
	defer p.release(c)
	defer c.browser.Close()
	if !c.pickedUp(r) { // given up: another page here may take it
		return
	}
	c.watch()
	res, err := sb.Line.Connect(context.Background(), dialer.ConnectRequest{
		To: dialer.HandOffURI(r.from.At, r.token, p.user.ID), Leg: &leg{call: c}, Peer: true})
	listenerLeft := closed(c.done)
	c.unjoin()
	switch {
	case err == nil && res.Outcome == wellcheck.OutcomeAnswered:
		p.tell(Event{Type: "ended", Outcome: wellcheck.CallAnswered, Ring: r.id, Person: c.person})
	case listenerLeft:
		p.tell(Event{Type: "ended", Ring: r.id, Person: c.person})
	default:
		// Another listener was quicker, or the person stopped waiting, or
		// the holding node is gone.
		sb.giveUp(r, p)
		sb.log().Info("a call another node offered was not handed over", "outcome", res.Outcome, "status", res.SIPStatus, "error", err)
		p.tell(Event{Type: "ring_over", Ring: r.id, Person: c.person})
	}
}

// handOff takes another node's call to take a call held here: its
// listener, the first, is joined to the person.
func (s *Switchboard) handOff(ctx context.Context, in *dialer.Incoming) {
	token, listener, ok := dialer.ParseHandOff(in.To())
	if !ok {
		return // refused
	}
	s.mu.Lock()
	_, ringing := s.tokens[token]
	s.mu.Unlock()
	if !ringing {
		return // refused
	}
	// Read before the claim: nothing stands between the claim and the
	// person's call, which takes the listener at once.
	user := s.account(ctx, listener)
	s.mu.Lock()
	r := s.tokens[token]
	ok = r != nil && r.from == nil && r.claimed == nil && !r.elsewhere && !r.closed
	if ok {
		r.elsewhere, r.handed = true, true
	}
	s.mu.Unlock()
	if !ok {
		return // too late, or another listener took it: refused
	}
	mine, theirs := dialer.Join()
	remote := &remoteLeg{Leg: mine, sb: s, listener: user.ID}
	r.taken <- &taker{leg: remote, user: user, left: mine.Done(), remote: remote}
	select {
	case <-theirs.Done():
		return // let go as the ring ended: refused
	case <-r.over:
		// The ring is over: taken by this call, or let go just now.
		select {
		case <-theirs.Done():
			return
		default:
		}
	}
	res := in.Bridge(ctx, theirs)
	s.log().Info("call handed over to another node's listener ended", "call_id", in.CallID(), "listener", user.ID,
		"outcome", res.Outcome, "hung_up_by", res.HungUpBy, "talk", res.Talk.Round(time.Millisecond))
}

// account is the listener's account as it is now; only its number when it
// cannot be read.
func (s *Switchboard) account(ctx context.Context, id int64) wellcheck.User {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if s.Users != nil {
		if users, err := s.Users(ctx, []int64{id}); err == nil && len(users) == 1 {
			return users[0]
		} else if err != nil {
			s.log().Warn("read the account of a listener who took a call on another node", "user_id", id, "error", err)
		}
	}
	return wellcheck.User{ID: id, Roles: []wellcheck.Role{wellcheck.RoleListener}}
}

// remoteLeg is the person's side of a call a listener on another node
// took, as the dialer's bridge sees it.
type remoteLeg struct {
	dialer.Leg
	sb       *Switchboard
	listener int64
	// logged is the call's number in its case's log, set before its
	// answer; with it, the other node's side ends only once the end is
	// logged (settled), so that its page shows the call ended on the case.
	logged int64
}

// Ended ends the other node's side, unless the end is to be logged first.
func (l *remoteLeg) Ended() {
	if l.logged == 0 {
		l.Leg.Ended()
	}
}

// settled ends the other node's side once the call's end is logged.
func (l *remoteLeg) settled() { l.Leg.Ended() }

// Listener is who took the call: the case that follows goes to them.
func (l *remoteLeg) Listener() int64 { return l.listener }

func (l *remoteLeg) Answered(p *dialer.Person) {
	l.Leg.Answered(p)
	if l.logged != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := l.sb.Log.CallAnswered(ctx, l.logged); err != nil {
			l.sb.log().Error("log a listener's call answered", "call", l.logged, "error", err)
		}
	}
}
