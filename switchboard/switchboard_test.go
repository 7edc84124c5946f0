package switchboard_test

// A listener's call from their browser, end to end on loopback: a pion peer
// plays the browser, the dialer calls the callee simulator as the person's
// phone, the case's log is the real Postgres.

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/dialer/webphone"
	"github.com/wellcheck/wellcheck/dialer/webphone/webphonetest"
	"github.com/wellcheck/wellcheck/internal/clocktest"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/internal/metricstest"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/switchboard"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/emiago/sipgo/sip.(*TransportUDP).readUDPConnection"))
}

// listenerVoice is the pitch the browser speaks at (Hz).
const listenerVoice = 440

type bundle struct {
	store            *store.Store
	board            *switchboard.Switchboard
	callee           *callee.Callee
	cases            *care.Cases
	dialer           *dialer.Dialer
	metrics          *metrics.Metrics
	listener, other  wellcheck.User
	personID, caseID int64
}

// setup is a person with a case assigned to a listener, the person's phone
// a callee simulator behaving as cc says, and a switchboard to reach it.
func setup(t testing.TB, cc callee.Config) *bundle {
	t.Helper()
	return setupWith(t, cc, nil)
}

// setupWith is setup with the trunk's channels shared through limits.
func setupWith(t testing.TB, cc callee.Config, limits dialer.Limiter) *bundle {
	t.Helper()
	ctx := context.Background()
	st := store.New(dbtest.New(t))
	clock := clocktest.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	b := &bundle{store: st, cases: &care.Cases{Store: st, Now: clock.Now, Node: "node-a"}}
	user := func(email string) wellcheck.User {
		u, err := st.Queries().CreateUser(ctx, wellcheck.User{Email: email, FullName: email, Roles: []wellcheck.Role{wellcheck.RoleListener}, Capacity: 10})
		require.NoError(t, err)
		return u
	}
	b.listener, b.other = user("elise@example.org"), user("louis@example.org")
	given := clock.Now().AddDate(0, -1, 0)
	e := wellcheck.Enrolment{
		Person:   wellcheck.Person{FullName: "Jeanne Martin", Phone: "+33612345678", Language: "fr", TimeZone: "Europe/Paris", RiskLevel: wellcheck.RiskNormal},
		Referral: wellcheck.Referral{Source: wellcheck.ReferralFamily, ReferredAt: given},
		Consent:  &wellcheck.Consent{GivenBy: wellcheck.ConsentByPerson, GivenAt: given, Method: wellcheck.ConsentByPhone},
		Plan:     wellcheck.Plan{Cron: "0 10 * * 2", Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(17, 0)}},
	}
	require.NoError(t, st.WithTx(ctx, func(q *store.Queries) error {
		ids, err := q.CopyEnrolments(ctx, []wellcheck.Enrolment{e}, given, wellcheck.Actor{Label: "test"}, store.AuditDetails{Via: "test"})
		if err != nil {
			return err
		}
		b.personID = ids[0]
		c, err := q.CreateCase(ctx, wellcheck.Case{PersonID: b.personID, Priority: wellcheck.PriorityHigh, OpenedReason: wellcheck.CaseFlagged,
			OpenedAt: clock.Now(), DueAt: clock.Now(), AssigneeID: &b.listener.ID})
		b.caseID = c.ID
		return err
	}))

	cc.Listen = "127.0.0.1:0"
	ce, err := callee.New(cc)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, ce.Close()) })
	b.callee = ce
	d, err := dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Port: int(ce.Addr().Port())}, Listen: "127.0.0.1:0",
		CallerNumber: "+33199000000", RingTimeout: 2 * time.Second, Limits: limits}, dialertest.ShortPrompts())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	phones, err := webphone.New(webphone.Config{IPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, phones.Close()) })
	b.dialer = d
	b.metrics = metrics.New(metrics.Config{})
	b.board = &switchboard.Switchboard{Phones: phones, Line: d, Log: b.cases, Metrics: b.metrics}
	return b
}

// page is a listener's page as the switchboard sees it: the events it was
// told.
type page struct {
	mu      sync.Mutex
	events  []switchboard.Event
	at      []time.Time   // when each came
	changed chan struct{} // closed, and replaced, at each event
}

func newPage() *page { return &page{changed: make(chan struct{})} }

func (p *page) send(e switchboard.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, e)
	p.at = append(p.at, time.Now())
	close(p.changed)
	p.changed = make(chan struct{})
}

// wait returns the first event of type typ, waiting up to d for it.
func (p *page) wait(t *testing.T, typ string, d time.Duration) switchboard.Event {
	t.Helper()
	return p.waitTB(t, typ, d)
}

func (p *page) waitTB(t testing.TB, typ string, d time.Duration) switchboard.Event {
	e, ok := p.first(d, typ)
	if !ok {
		t.Fatalf("no %q event within %s; got %v", typ, d, p.types())
	}
	return e
}

// first returns the first event of one of types, waiting up to d for it
// (false: none came).
func (p *page) first(d time.Duration, types ...string) (switchboard.Event, bool) {
	deadline := time.After(d)
	for {
		p.mu.Lock()
		for _, e := range p.events {
			if slices.Contains(types, e.Type) {
				p.mu.Unlock()
				return e, true
			}
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			return switchboard.Event{}, false
		}
	}
}

// when is when the first event of type typ came (zero if none did).
func (p *page) when(typ string) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, e := range p.events {
		if e.Type == typ {
			return p.at[i]
		}
	}
	return time.Time{}
}

func (p *page) types() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.events {
		out = append(out, e.Type)
	}
	return out
}

// call opens the listener's phone and calls the case from a browser.
func (b *bundle) call(t *testing.T, user wellcheck.User) (*switchboard.Session, *page, *webphonetest.Browser) {
	t.Helper()
	pg := newPage()
	session := b.board.Open(user, pg.send)
	t.Cleanup(session.Close)
	require.Equal(t, "ready", pg.wait(t, "ready", time.Second).Type)
	br := webphonetest.New(t, webphonetest.Options{})
	session.Call(context.Background(), b.caseID, br.Offer(t))
	return session, pg, br
}

// A listener calls a person from a case: the person's phone rings with the
// service's number, each hears the other, each one's key reaches the other,
// and the listener hanging up ends the call on the trunk. The call is on the
// case: answered, how long, hung up by the listener.
func TestListenerCallsFromTheCase(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Talk, TalkKey: '5', KeyDelay: 700 * time.Millisecond, Ring: 200 * time.Millisecond})
	session, pg, br := b.call(t, b.listener)
	answer := pg.wait(t, "answer", 10*time.Second)
	br.Accept(t, answer.SDP)
	br.Say(listenerVoice)
	pg.wait(t, "ringing", 10*time.Second)
	pg.wait(t, "answered", 10*time.Second)
	br.PressKey(t, '7', 100*time.Millisecond)
	require.Equal(t, "5", pg.wait(t, "key", 5*time.Second).Key, "the person's key shows on the page")
	require.Eventually(t, func() bool { return len(br.Events()) > 0 }, 5*time.Second, 20*time.Millisecond,
		"the person's key reaches the browser as telephone events")
	require.Equal(t, byte(5), br.Events()[0].Payload[0], "key 5's event")
	require.Eventually(t, func() bool { // they talk a second
		recs := b.callee.Records()
		return len(recs) == 1 && dialertest.Hears(recs[0].Heard, listenerVoice, 50) && dialertest.Hears(br.Heard(), callee.VoiceTone, 50)
	}, 10*time.Second, 20*time.Millisecond, "each hears the other")
	session.HangUp()
	ended := pg.wait(t, "ended", 10*time.Second)
	require.Equal(t, wellcheck.CallAnswered, ended.Outcome)
	require.Equal(t, []string{"ready", "answer", "ringing", "answered", "key", "ended"}, pg.types())

	ctx := context.Background()
	recs, err := b.callee.Wait(ctx, 1)
	require.NoError(t, err)
	rec := recs[0]
	require.Equal(t, "caller", rec.ByeFrom, "our BYE ended the person's side")
	require.Equal(t, "+33199000000", rec.FromUser, "the service's number, never the listener's")
	require.Equal(t, "7", rec.KeysHeard, "the listener's key reached the person, once")
	loud, tone := dialertest.ToneFrames(rec.Heard, listenerVoice)
	require.Greater(t, loud, 50, "the person heard the listener")
	require.Greater(t, tone, loud*8/10, "and it was the listener's voice")
	loud, tone = dialertest.ToneFrames(br.Heard(), callee.VoiceTone)
	require.Greater(t, loud, 50, "the listener heard the person")
	require.Greater(t, tone, loud*8/10, "and it was the person's voice")

	calls, err := b.cases.Calls(ctx, b.caseID)
	require.NoError(t, err)
	require.Len(t, calls, 1)
	c := calls[0]
	require.Equal(t, wellcheck.CallAnswered, c.Outcome)
	require.Equal(t, wellcheck.HungUpByListener, c.HungUpBy)
	require.Equal(t, b.listener.ID, c.UserID)
	require.Equal(t, rec.CallID, c.SIPCallID)
	require.NotNil(t, c.AnsweredAt)
	require.NotNil(t, c.EndedAt)

	scraped := metricstest.Scrape(t, b.metrics.Handler())
	require.Equal(t, 1.0, metricstest.Value(t, scraped, `wellcheck_calls_total{kind="listener",outcome="answered"}`))
	require.Equal(t, 0.0, metricstest.Value(t, scraped, `wellcheck_calls_in_progress`), "the channel given back")
}

// The tab closing ends the call on both sides: the person's phone gets our
// BYE within seconds, and the case says the listener's side hung up.
func TestClosedTabEndsTheCall(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Talk})
	session, pg, br := b.call(t, b.listener)
	br.Accept(t, pg.wait(t, "answer", 10*time.Second).SDP)
	br.Say(listenerVoice)
	pg.wait(t, "answered", 10*time.Second)
	closed := time.Now()
	br.Close()      // the tab goes: its peer connection closes
	session.Close() // and its WebSocket
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := b.callee.Wait(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "caller", recs[0].ByeFrom)
	require.Less(t, recs[0].End.Sub(closed), 3*time.Second, "the person's side ended at once")
	calls, err := b.cases.Calls(ctx, b.caseID)
	require.NoError(t, err)
	require.Equal(t, wellcheck.CallAnswered, calls[0].Outcome)
	require.Equal(t, wellcheck.HungUpByListener, calls[0].HungUpBy)
	require.NotNil(t, calls[0].EndedAt, "nothing left open")
}

// A listener who gives up while the phone rings: the person's phone stops
// ringing, and the case says the listener hung up, not that the person
// did not answer.
func TestListenerGivesUpWhileRinging(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.NeverAnswer})
	session, pg, br := b.call(t, b.listener)
	br.Accept(t, pg.wait(t, "answer", 10*time.Second).SDP)
	pg.wait(t, "ringing", 10*time.Second)
	session.HangUp()
	require.Equal(t, wellcheck.CallNoAnswer, pg.wait(t, "ended", 5*time.Second).Outcome)
	calls, err := b.cases.Calls(context.Background(), b.caseID)
	require.NoError(t, err)
	require.Equal(t, wellcheck.HungUpByListener, calls[0].HungUpBy)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	recs, err := b.callee.Wait(ctx, 1)
	require.NoError(t, err)
	require.True(t, recs[0].Cancelled, "the person's phone stopped ringing")
}

// fullTrunk is a trunk whose every channel is busy; waiting is told when a
// call starts waiting for one.
type fullTrunk struct{ waiting chan struct{} }

func (f fullTrunk) Acquire(ctx context.Context) (func(), error) {
	f.waiting <- struct{}{}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (fullTrunk) Backoff(context.Context, time.Duration) error { return nil }

// While every channel of the trunk is busy, a listener who hangs up is
// free at once, nothing reaches the person's phone, and no call counts as
// placed.
func TestHangUpWhileWaitingForAChannel(t *testing.T) {
	t.Parallel()
	trunk := fullTrunk{waiting: make(chan struct{}, 1)}
	b := setupWith(t, callee.Config{Behaviour: callee.Talk}, trunk)
	session, pg, br := b.call(t, b.listener)
	br.Accept(t, pg.wait(t, "answer", 10*time.Second).SDP)
	select {
	case <-trunk.waiting: // connected, waiting for a channel
	case <-time.After(10 * time.Second):
		t.Fatal("the call never asked for a channel")
	}
	session.HangUp()
	ended := pg.wait(t, "ended", 3*time.Second)
	require.Equal(t, wellcheck.CallNoAnswer, ended.Outcome)
	require.Empty(t, b.callee.Records(), "no INVITE went out")
	scraped := metricstest.Scrape(t, b.metrics.Handler())
	require.Equal(t, 0.0, metricstest.Value(t, scraped, `wellcheck_calls_started_total{kind="listener"}`), "no call placed")
	require.Equal(t, 0.0, metricstest.Value(t, scraped, `wellcheck_calls_in_progress`))
}

// The person hanging up ends the call; the page is told, and the case
// says who hung up.
func TestPersonHangsUp(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Talk, TalkFor: 1500 * time.Millisecond})
	_, pg, br := b.call(t, b.listener)
	br.Accept(t, pg.wait(t, "answer", 10*time.Second).SDP)
	ended := pg.wait(t, "ended", 15*time.Second)
	require.Equal(t, wellcheck.CallAnswered, ended.Outcome)
	calls, err := b.cases.Calls(context.Background(), b.caseID)
	require.NoError(t, err)
	require.Equal(t, wellcheck.HungUpByPerson, calls[0].HungUpBy)
	br.WaitState(t, 10*time.Second, func(s webrtc.PeerConnectionState) bool { return s != webrtc.PeerConnectionStateConnected })
}

// A busy line is logged as such and the page told; nobody is joined.
func TestBusyPerson(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Busy})
	_, pg, br := b.call(t, b.listener)
	br.Accept(t, pg.wait(t, "answer", 10*time.Second).SDP)
	ended := pg.wait(t, "ended", 15*time.Second)
	require.Equal(t, wellcheck.CallBusy, ended.Outcome)
	require.NotContains(t, pg.types(), "answered")
	calls, err := b.cases.Calls(context.Background(), b.caseID)
	require.NoError(t, err)
	require.Equal(t, wellcheck.CallBusy, calls[0].Outcome)
}

// Another listener's case cannot be called from, and a page calls one
// person at a time; a bad offer is refused. Nothing reaches the phone.
func TestRefusedCalls(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Talk})
	_, pg, _ := b.call(t, b.other)
	require.Equal(t, switchboard.ErrForbidden, pg.wait(t, "error", 5*time.Second).Error)

	session, pg, br := b.call(t, b.listener)
	br.Accept(t, pg.wait(t, "answer", 10*time.Second).SDP)
	pg.wait(t, "answered", 10*time.Second)
	session.Call(context.Background(), b.caseID, webphonetest.New(t, webphonetest.Options{}).Offer(t))
	require.Equal(t, switchboard.ErrBusy, pg.wait(t, "error", 5*time.Second).Error)

	pg2 := newPage()
	s2 := b.board.Open(b.listener, pg2.send)
	defer s2.Close()
	s2.Call(context.Background(), b.caseID, "v=0 garbage")
	require.Equal(t, switchboard.ErrBadOffer, pg2.wait(t, "error", 5*time.Second).Error)
	session.HangUp()
	pg.wait(t, "ended", 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := b.callee.Wait(ctx, 1)
	require.NoError(t, err)
	require.Len(t, recs, 1, "only the one call reached a phone")
}

// A node stopping ends its listeners' calls on both sides at once (the
// person gets our BYE) rather than leave them holding the trunk's channels,
// and logs them.
func TestStoppingEndsEveryCall(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Talk})
	_, pg, br := b.call(t, b.listener)
	br.Accept(t, pg.wait(t, "answer", 10*time.Second).SDP)
	pg.wait(t, "answered", 10*time.Second)
	b.board.Close()
	require.Equal(t, wellcheck.CallAnswered, pg.wait(t, "ended", time.Second).Outcome, "told before Close returns")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	recs, err := b.callee.Wait(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "caller", recs[0].ByeFrom)
	calls, err := b.cases.Calls(ctx, b.caseID)
	require.NoError(t, err)
	require.NotNil(t, calls[0].EndedAt)
}

// flakyLog is the case log with the database away for a moment: the first
// end of a call it is asked to log fails.
type flakyLog struct {
	switchboard.Log
	failed atomic.Bool
}

func (l *flakyLog) EndCall(ctx context.Context, id int64, outcome wellcheck.CallOutcome, by wellcheck.HungUpBy) (wellcheck.CaseCall, error) {
	if l.failed.CompareAndSwap(false, true) {
		return wellcheck.CaseCall{}, errors.New("the database is away")
	}
	return l.Log.EndCall(ctx, id, outcome, by)
}

// A call's end that cannot be logged at once is logged a moment later: the
// case does not show a call in progress for good.
func TestACallsEndIsLoggedThoughTheDatabaseBlinks(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Talk})
	b.board.Log = &flakyLog{Log: b.cases}
	session, pg, br := b.call(t, b.listener)
	br.Accept(t, pg.wait(t, "answer", 10*time.Second).SDP)
	pg.wait(t, "answered", 10*time.Second)
	session.HangUp()
	pg.wait(t, "ended", 5*time.Second)
	require.Eventually(t, func() bool {
		calls, err := b.cases.Calls(context.Background(), b.caseID)
		return err == nil && len(calls) == 1 && calls[0].EndedAt != nil
	}, 5*time.Second, 50*time.Millisecond, "the call ended on the case")
}
