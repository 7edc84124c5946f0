// Package switchboard puts listeners on the telephone from their browser: a
// listener's page holds a Session (its WebSocket, in web/), and a call from
// a case joins the browser's audio (dialer/webphone) to a call to the person
// through the trunk (dialer.Connect), from the service's number. Each call is
// logged on the case by itself — start, answer, end, who hung up — so that
// the listener only writes the note. No audio is recorded or stored.
package switchboard

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/webphone"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/phone"
)

// Line places the person's side of a call (*dialer.Dialer), and a
// listener's side of a call another node hands over (nodes.go).
type Line interface {
	Connect(ctx context.Context, req dialer.ConnectRequest) (dialer.Result, error)
	// SIPAddress is where the other nodes reach this one; Trust lets one
	// of them in while its listener may take a call held here.
	SIPAddress() string
	Trust(ip netip.Addr) (untrust func())
}

// Log keeps a case's calls (*care.Cases): it also decides who may call from a
// case, and whom (StartCall with no number dials the person's own).
type Log interface {
	StartCall(ctx context.Context, by wellcheck.User, caseID int64, direction, number string) (wellcheck.CaseCall, error)
	CallAnswered(ctx context.Context, id int64) (wellcheck.CaseCall, error)
	CallSIPID(ctx context.Context, id int64, sipCallID string) (wellcheck.CaseCall, error)
	EndCall(ctx context.Context, id int64, outcome wellcheck.CallOutcome, hungUpBy wellcheck.HungUpBy) (wellcheck.CaseCall, error)
}

// Switchboard connects listeners' browsers to persons. Its fields are set
// before the first Open.
type Switchboard struct {
	Phones *webphone.Engine
	Line   Line
	Log    Log
	Logger *slog.Logger
	// Metrics counts the calls as the dialer's are (kind listener).
	Metrics *metrics.Metrics
	// Connecting is how long the browser's audio may take to connect before
	// the person's phone is rung (default 15 s): the person never answers
	// into a silence.
	Connecting time.Duration
	// RingFor is how long a person who pressed 2 waits for a listener to
	// take their call (default DefaultRingFor).
	RingFor time.Duration
	// Users reads accounts as they are now, in one read: a person who
	// pressed 2 rings only the listeners present on their shift (nil: every
	// listener whose page is open).
	Users func(ctx context.Context, ids []int64) ([]wellcheck.User, error)
	// Desk, if set, recognises the persons who call the service and
	// records what they ask (reception.go); without it, every caller is
	// one the service does not know. Numbers reads their numbers, and
	// Language is the service's, spoken to callers it does not know
	// (default fr).
	Desk     Desk
	Numbers  phone.Parser
	Language string
	// Peers, if set, carries rings to the other nodes' switchboards and
	// back (nodes.go), whose Heard it calls with what they publish: a call
	// held here may then be taken by a listener whose page another node
	// serves. PeerWait is how long a call no page of this node can take
	// waits to hear that another node rang one (default DefaultPeerWait).
	Peers    Peers
	PeerWait time.Duration

	mu       sync.Mutex
	sessions map[*Session]struct{}
	rings    map[int64]*ring      // calls offered to listeners, by id
	tokens   map[string]*ring     // those the other nodes know of, by token
	ended    map[string]time.Time // other nodes' rings heard over before offered here
	pagesAt  map[string]time.Time // when other nodes said they had pages open
	rang     int64                // the last ring's id
	closed   bool                 // Close was called
	node     string               // this switchboard, to the others (nodes.go)
	nodeOnce sync.Once
	wg       sync.WaitGroup // logs of calls taken on other nodes
}

// Event is what a listener's page is told, as JSON.
type Event struct {
	// Type is ready (the phone works: ICE holds the STUN and TURN servers
	// to use), answer (SDP: the server's answer to the page's offer),
	// ringing, answered, key (Key: the person pressed it), ended (Outcome:
	// how; Error, a code, when it was not the person's doing), error
	// (Error: a code the page puts in words; nothing was called), ring (a
	// person who pressed 2 waits for a listener: Ring, Person, Name; the
	// page answers with Session.Accept) or ring_over (that call went to
	// another listener, or back to the usual call back).
	Type    string                `json:"type"`
	ICE     []ICEServer           `json:"ice,omitempty"`
	SDP     string                `json:"sdp,omitempty"`
	Key     string                `json:"key,omitempty"`
	Outcome wellcheck.CallOutcome `json:"outcome,omitempty"`
	Error   string                `json:"error,omitempty"`
	// Call is the call's number in the case's log.
	Call int64 `json:"call,omitempty"`
	// Case is the case the call is about.
	Case int64 `json:"case,omitempty"`
	// Ring names a call offered to the page (ring, ring_over: a person who
	// pressed 2 and waits for a listener); Person and Name are whom it is
	// with, so the page opens their file.
	Ring   int64  `json:"ring,omitempty"`
	Person int64  `json:"person,omitempty"`
	Name   string `json:"name,omitempty"`
	// Incoming says a ring is a call to the service (reception.go);
	// Caller is its number, formatted, when the service does not know it
	// ("" withheld).
	Incoming bool   `json:"incoming,omitempty"`
	Caller   string `json:"caller,omitempty"`
}

// ICEServer is a STUN or TURN server as a browser's RTCPeerConnection takes it.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Error codes of Event.Error.
const (
	ErrBusy      = "busy"      // a call is already going on in this page
	ErrForbidden = "forbidden" // not this user's case to call from
	ErrClosed    = "case_closed"
	ErrBadOffer  = "bad_offer" // the browser's offer cannot be answered
	ErrNoMedia   = "no_media"  // the browser's audio never connected
	ErrNoLine    = "no_line"   // no channel free on the trunk, or the node stopping
	ErrInternal  = "internal"  // ours: the log says why
)

// Open starts a listener's session: send is how events reach their page
// (called from the session's goroutines, one at a time). It tells the page
// the phone is ready.
func (s *Switchboard) Open(user wellcheck.User, send func(Event)) *Session {
	p := &Session{sb: s, user: user, send: send}
	s.mu.Lock()
	if s.sessions == nil {
		s.sessions = make(map[*Session]struct{})
	}
	announce := s.Peers != nil && !s.closed
	if s.closed {
		p.closed = true // the node is stopping: no call from here
	} else {
		s.sessions[p] = struct{}{}
	}
	if announce {
		s.wg.Add(1) // with mu held: Close waits for it
	}
	s.mu.Unlock()
	if announce {
		// The other nodes' calls may ring this page from now on.
		go func() {
			defer s.wg.Done()
			s.publish(signal{Type: sigPages, Ring: "-"})
		}()
	}
	p.tell(Event{Type: "ready", ICE: s.iceServers()})
	return p
}

// Close ends every session, as when their pages close: the node is
// stopping, and its calls end on both sides rather than hold the trunk's
// channels. It returns once every call is over and logged.
func (s *Switchboard) Close() {
	s.mu.Lock()
	s.closed = true
	sessions := make([]*Session, 0, len(s.sessions))
	for p := range s.sessions {
		sessions = append(sessions, p)
	}
	s.mu.Unlock()
	for _, p := range sessions {
		p.Close()
	}
	s.wg.Wait()
}

func (s *Switchboard) iceServers() []ICEServer {
	var out []ICEServer
	for _, srv := range s.Phones.ICEServers() {
		c, _ := srv.Credential.(string)
		out = append(out, ICEServer{URLs: srv.URLs, Username: srv.Username, Credential: c})
	}
	return out
}

func (s *Switchboard) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Session is one listener's phone: their page, as long as it is open.
type Session struct {
	sb   *Switchboard
	user wellcheck.User

	sendMu sync.Mutex
	send   func(Event)

	mu     sync.Mutex
	active *call // the call going on, if any
	closed bool
	wg     sync.WaitGroup
}

func (p *Session) tell(e Event) {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	p.send(e)
}

// Call answers the page's offer and calls the person of caseID from it. It
// returns once the page has the answer (or an error event): the call goes
// on by itself, its progress told as events, until either side hangs up.
func (p *Session) Call(ctx context.Context, caseID int64, offer string) {
	p.mu.Lock()
	if p.active != nil || p.closed {
		p.mu.Unlock()
		p.tell(Event{Type: "error", Error: ErrBusy, Case: caseID})
		return
	}
	c := newCall(p)
	c.caseID = caseID
	p.active = c
	p.wg.Add(1) // with active: Close waits for this call from now on
	p.mu.Unlock()
	started := false
	defer func() {
		if !started {
			p.wg.Done()
		}
	}()

	logged, err := p.sb.Log.StartCall(ctx, p.user, caseID, string(wellcheck.CallOut), "")
	if err != nil {
		p.release(c)
		p.tell(Event{Type: "error", Error: codeOf(err), Case: caseID})
		if codeOf(err) == ErrInternal {
			p.sb.log().Error("start a listener's call", "case_id", caseID, "error", err)
		}
		return
	}
	c.logged = logged
	browser, err := p.sb.Phones.Answer(ctx, offer)
	if err != nil {
		p.release(c)
		p.end(context.WithoutCancel(ctx), c, wellcheck.CallFailed, "")
		p.tell(Event{Type: "error", Error: ErrBadOffer, Case: caseID, Call: logged.ID})
		return
	}
	c.browser = browser
	p.tell(Event{Type: "answer", SDP: browser.Answer(), Case: caseID, Call: logged.ID})
	started = true
	go func() {
		defer p.wg.Done()
		c.run(context.WithoutCancel(ctx))
	}()
}

// HangUp ends the call going on, if any.
func (p *Session) HangUp() {
	p.mu.Lock()
	c := p.active
	p.mu.Unlock()
	if c != nil {
		c.hang()
	}
}

// Close ends the session (the page closed, its connection lost): the call
// going on is hung up on both sides, and Close returns once it is over and
// logged.
func (p *Session) Close() {
	p.mu.Lock()
	p.closed = true
	c := p.active
	p.mu.Unlock()
	if c != nil {
		c.hang()
	}
	p.wg.Wait()
	p.sb.mu.Lock()
	delete(p.sb.sessions, p)
	p.sb.mu.Unlock()
}

func (p *Session) release(c *call) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active == c {
		p.active = nil
	}
}

// end logs c's end. A call whose end cannot be logged (the database away a
// moment) would stay "in progress" on its case for good — its node is
// alive, so no recovery ends it —: the end is tried again in the
// background, a while, at growing intervals (endRetries; its time then the
// log's when it succeeds), and Close waits for it.
func (p *Session) end(ctx context.Context, c *call, outcome wellcheck.CallOutcome, by wellcheck.HungUpBy) {
	p.sb.endCall(ctx, &p.wg, c.logged, outcome, by)
}

// endCall logs the end of the call logged, trying again in the background
// under wg.
func (s *Switchboard) endCall(ctx context.Context, wg *sync.WaitGroup, logged wellcheck.CaseCall, outcome wellcheck.CallOutcome, by wellcheck.HungUpBy) {
	_, err := s.Log.EndCall(ctx, logged.ID, outcome, by)
	if err == nil {
		return
	}
	if wellcheck.ErrorCode(err) != wellcheck.EInternal {
		s.log().Error("log the end of a listener's call", "case_id", logged.CaseID, "call", logged.ID, "error", err)
		return
	}
	s.log().Warn("log the end of a listener's call: trying again", "case_id", logged.CaseID, "call", logged.ID, "error", err)
	wg.Go(func() {
		for _, wait := range endRetries {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return
			}
			if _, err = s.Log.EndCall(ctx, logged.ID, outcome, by); err == nil {
				return
			}
		}
		s.log().Error("log the end of a listener's call", "case_id", logged.CaseID, "call", logged.ID, "error", err)
	})
}

// endRetries are the waits before each new try to log a call's end: about
// a minute in all.
var endRetries = []time.Duration{100 * time.Millisecond, time.Second, 3 * time.Second, 10 * time.Second, 45 * time.Second}

// codeOf is the page's code for an error of the log's.
func codeOf(err error) string {
	switch wellcheck.ErrorCode(err) {
	case wellcheck.EForbidden, wellcheck.ENotFound:
		return ErrForbidden
	case wellcheck.EConflict:
		return ErrClosed
	}
	return ErrInternal
}

// call is one listener's call in a session.
type call struct {
	session *Session
	caseID  int64
	logged  wellcheck.CaseCall
	browser *webphone.Call

	// person is whom a call put through to the listener is with
	// (transfer.go); caseID is 0 for it, unless it is a call to the
	// service logged on the person's case, whose end is logged once
	// settled is closed (reception.go).
	person  int64
	settled chan struct{}

	hangOnce sync.Once
	hangUp   chan struct{} // closed when the listener hangs up (or the page goes)
	done     chan struct{} // closed when the leg to the listener is over: Leg.Done
	overOnce sync.Once
	ended    chan struct{} // closed when the person's side is over: Leg.Ended

	keys   chan byte // the person's keys, on their way to the browser
	relays sync.WaitGroup
}

func newCall(p *Session) *call {
	return &call{session: p, hangUp: make(chan struct{}), done: make(chan struct{}), ended: make(chan struct{}), keys: make(chan byte, 16)}
}

func (c *call) hang() { c.hangOnce.Do(func() { close(c.hangUp) }) }

func (c *call) over() { c.overOnce.Do(func() { close(c.ended) }) }

// watch closes done once the leg is over: the listener hangs up, or the
// browser's audio is lost for good.
func (c *call) watch() {
	go func() {
		select {
		case <-c.hangUp:
		case <-c.browser.Done():
		}
		close(c.done)
	}()
}

// unjoin ends the listener's side once the person's is over: the browser
// hung up and the relays between them stopped.
func (c *call) unjoin() {
	c.hang()
	<-c.done
	c.browser.Close() // the relays read from it until it is closed
	c.relays.Wait()
}

// Why a call's browser did not connect (connected).
const (
	isConnected  = iota
	notConnected // its audio never came: gone, or too slow
	listenerLeft // the listener hung up first, or the page went
	stopped      // stop was closed first
)

// connected waits for the browser's audio to connect, at most Connecting,
// and says whether it did, or why not.
func (c *call) connected(stop <-chan struct{}) int {
	wait := time.NewTimer(cmp.Or(c.session.sb.Connecting, 15*time.Second))
	defer wait.Stop()
	select {
	case <-c.browser.Connected():
		return isConnected
	case <-c.hangUp:
		return listenerLeft
	case <-c.browser.Done():
		if c.browser.Err() == webphone.ErrHungUp {
			return listenerLeft
		}
		return notConnected
	case <-wait.C:
		return notConnected
	case <-stop:
		return stopped
	}
}

// run waits for the browser's audio, calls the person, joins them, and logs
// how it ended.
func (c *call) run(ctx context.Context) {
	p, sb := c.session, c.session.sb
	defer p.release(c)
	defer c.browser.Close()
	switch c.connected(nil) {
	case notConnected:
		p.end(ctx, c, wellcheck.CallFailed, "")
		p.tell(Event{Type: "ended", Outcome: wellcheck.CallFailed, Error: ErrNoMedia, Case: c.caseID, Call: c.logged.ID})
		return
	case listenerLeft:
		p.end(ctx, c, wellcheck.CallNoAnswer, wellcheck.HungUpByListener)
		p.tell(Event{Type: "ended", Outcome: wellcheck.CallNoAnswer, Case: c.caseID, Call: c.logged.ID})
		return
	}
	c.watch()
	leg := &leg{call: c}
	// Counted as the dialer's calls are: from the moment a channel is
	// theirs, not while they wait for one.
	placed := false
	res, err := sb.Line.Connect(ctx, dialer.ConnectRequest{To: c.logged.Number.E164(), Leg: leg, Claim: func(context.Context) error {
		placed = true
		sb.Metrics.CallStarted(metrics.ListenerCall, time.Time{}, time.Now())
		return nil
	}})
	if placed {
		if err != nil {
			res.Outcome = wellcheck.OutcomeFailed
		}
		sb.Metrics.CallEnded(metrics.ListenerCall, res.Outcome, res.Ring, res.Talk)
		sb.Metrics.CallQuality(res.Quality)
	}
	// The listener's side went first (hung up, the tab closed, its audio
	// lost) if the leg was over before we ended it.
	listenerLeft := closed(c.done)
	c.unjoin()
	if err != nil {
		if listenerLeft {
			p.end(ctx, c, wellcheck.CallNoAnswer, wellcheck.HungUpByListener)
			p.tell(Event{Type: "ended", Outcome: wellcheck.CallNoAnswer, Case: c.caseID, Call: c.logged.ID})
			return
		}
		sb.log().Warn("place a listener's call", "case_id", c.caseID, "call", c.logged.ID, "error", err)
		p.end(ctx, c, wellcheck.CallFailed, "")
		p.tell(Event{Type: "ended", Outcome: wellcheck.CallFailed, Error: ErrNoLine, Case: c.caseID, Call: c.logged.ID})
		return
	}
	if res.CallID != "" {
		if _, err := sb.Log.CallSIPID(ctx, c.logged.ID, res.CallID); err != nil {
			sb.log().Error("log a listener's call's SIP id", "call", c.logged.ID, "error", err)
		}
	}
	outcome, by := outcomeOf(res, listenerLeft)
	if errors.Is(c.browser.Err(), webphone.ErrDisconnected) || errors.Is(c.browser.Err(), webphone.ErrFailed) {
		by = "" // nobody hung up: the browser's network went
	}
	p.end(ctx, c, outcome, by)
	ev := Event{Type: "ended", Outcome: outcome, Case: c.caseID, Call: c.logged.ID}
	if outcome == wellcheck.CallFailed {
		ev.Error = ErrInternal
	}
	p.tell(ev)
}

// outcomeOf is how a listener's call ended, for the case's log, and who
// hung up: the person, the listener (who left first), or neither (the
// call's maximum length, the node stopping, the line failing).
func outcomeOf(res dialer.Result, listenerLeft bool) (wellcheck.CallOutcome, wellcheck.HungUpBy) {
	var by wellcheck.HungUpBy
	switch {
	case res.Outcome == wellcheck.OutcomeAnswered && res.HungUpBy == "them":
		by = wellcheck.HungUpByPerson
	case listenerLeft:
		by = wellcheck.HungUpByListener
	}
	switch res.Outcome {
	case wellcheck.OutcomeAnswered:
		return wellcheck.CallAnswered, by
	case wellcheck.OutcomeNoAnswer, wellcheck.OutcomeBusy, wellcheck.OutcomeDeclined, wellcheck.OutcomeInvalidNumber:
		return wellcheck.CallOutcome(res.Outcome), by
	}
	return wellcheck.CallFailed, by
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// leg is a call's browser as the dialer's bridge sees it.
type leg struct{ call *call }

func (l *leg) Ringing() {
	c := l.call
	c.session.tell(Event{Type: "ringing", Case: c.caseID, Call: c.logged.ID})
}

func (l *leg) Answered(person *dialer.Person) {
	c := l.call
	c.relays.Go(func() {
		for pkt := range c.browser.Audio() {
			person.Say(pkt.Payload, pkt.Timestamp)
		}
	})
	c.relays.Go(func() {
		for k := range c.browser.Keys() {
			person.Press(k)
		}
	})
	c.relays.Go(func() {
		for {
			select {
			case k := <-c.keys:
				_ = c.browser.SendKey(context.Background(), k, 120*time.Millisecond)
			case <-c.done:
				return
			}
		}
	})
	// Joined first, logged after: the log's database never holds up the
	// voices.
	if c.logged.ID != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := c.session.sb.Log.CallAnswered(ctx, c.logged.ID); err != nil {
			c.session.sb.log().Error("log a listener's call answered", "call", c.logged.ID, "error", err)
		}
		cancel()
	}
	c.session.tell(Event{Type: "answered", Case: c.caseID, Call: c.logged.ID, Person: c.person})
}

func (l *leg) Hear(ulaw []byte) { _ = l.call.browser.WriteAudio(ulaw) }

func (l *leg) Pressed(key byte) {
	c := l.call
	c.session.tell(Event{Type: "key", Key: string(key), Case: c.caseID, Call: c.logged.ID})
	select {
	case c.keys <- key:
	default:
	}
}

func (l *leg) Done() <-chan struct{} { return l.call.done }

func (l *leg) Ended() { l.call.over() }

// Listener is who took the call: the case that follows goes to them.
func (l *leg) Listener() int64 { return l.call.session.user.ID }

var _ dialer.Leg = (*leg)(nil)
