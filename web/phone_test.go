package web_test

// The browser phone's WebSocket (/phone), with a real client: the
// switchboard behind it is real — the WebRTC leg on loopback, a dialer
// calling the callee simulator as the person's phone, the case's log in
// Postgres.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/dialer/webphone"
	"github.com/wellcheck/wellcheck/dialer/webphone/webphonetest"
	"github.com/wellcheck/wellcheck/switchboard"
	"github.com/wellcheck/wellcheck/web"
)

// listenerVoice is the pitch a listener's browser speaks at (Hz).
const listenerVoice = 440

// phoneLine is the person's side of the browser phone: the callee
// simulator the switchboard's dialer calls.
type phoneLine struct {
	callee *callee.Callee
	// dialer is the switchboard's: a test places check-in calls with it,
	// whose person may press 2 to be put through to a page.
	dialer *dialer.Dialer
}

// withPhone gives the site a browser phone whose calls reach a callee
// simulator behaving as cc says.
func withPhone(t *testing.T, cc callee.Config, line *phoneLine) func(*web.Server) {
	return func(ui *web.Server) {
		t.Helper()
		cc.Listen = "127.0.0.1:0"
		ce, err := callee.New(cc)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, ce.Close()) })
		d, err := dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Port: int(ce.Addr().Port())}, Listen: "127.0.0.1:0",
			CallerNumber: "+33199000000", RingTimeout: 5 * time.Second}, dialertest.ShortPrompts())
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, d.Close()) })
		phones, err := webphone.New(webphone.Config{IPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, phones.Close()) })
		ui.Phone = &switchboard.Switchboard{Phones: phones, Line: d, Log: ui.Cases, Logger: ui.Logger}
		ui.RawAudio = true
		line.callee, line.dialer = ce, d
	}
}

// phoneSocket is a page's WebSocket to its phone, read on a goroutine of
// its own: the events, as the page is told them.
type phoneSocket struct {
	conn   *websocket.Conn
	events chan switchboard.Event
}

// dialPhone opens /phone with c's cookies, from origin.
func (s *site) dialPhone(t *testing.T, c *http.Client, origin string) (*phoneSocket, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.srv.URL, "http")+"/phone",
		&websocket.DialOptions{HTTPClient: c, HTTPHeader: http.Header{"Origin": {origin}}})
	if err != nil {
		return nil, res, err
	}
	ps := &phoneSocket{conn: conn, events: make(chan switchboard.Event, 100)}
	go func() {
		defer close(ps.events)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			var e switchboard.Event
			if json.Unmarshal(b, &e) == nil {
				ps.events <- e
			}
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return ps, res, nil
}

// next is the next event, which must be of type typ.
func (p *phoneSocket) next(t *testing.T, typ string, d time.Duration) switchboard.Event {
	t.Helper()
	select {
	case e, ok := <-p.events:
		require.True(t, ok, "the socket closed before a %q event", typ)
		require.Equal(t, typ, e.Type, "event %+v", e)
		return e
	case <-time.After(d):
		t.Fatalf("no %q event within %s", typ, d)
	}
	return switchboard.Event{}
}

func (p *phoneSocket) send(t *testing.T, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, p.conn.Write(ctx, websocket.MessageText, []byte(msg)))
}

// call sends a call for caseID from br and accepts the server's answer.
func (p *phoneSocket) call(t *testing.T, caseID int64, br *webphonetest.Browser) switchboard.Event {
	t.Helper()
	offer, err := json.Marshal(map[string]any{"type": "call", "case": caseID, "sdp": br.Offer(t)})
	require.NoError(t, err)
	p.send(t, string(offer))
	answer := p.next(t, "answer", 10*time.Second)
	br.Accept(t, answer.SDP)
	br.Say(listenerVoice)
	return answer
}

// The phone's WebSocket: only a signed-in user's page of this site opens
// it; its events follow a call; what a page sends that means nothing is
// ignored; closing the socket ends the call on the trunk at once.
func TestPhoneSocket(t *testing.T) {
	t.Parallel()
	line := &phoneLine{}
	s := setup(t, withPhone(t, callee.Config{Behaviour: callee.Talk, TalkKey: '5', KeyDelay: 1500 * time.Millisecond}, line))
	caseID := s.task(t, s.enrol(t, "Jeanne Martin", "+33612345678"), &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)

	_, res, err := s.dialPhone(t, s.browser(t), s.srv.URL)
	require.Error(t, err, "signed out: no phone")
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/login", res.Header.Get("Location"))

	c := s.browser(t)
	csrf := s.signIn(t, c)
	_, res, err = s.dialPhone(t, c, "http://evil.example")
	require.Error(t, err, "another site's page: no phone (the WebSocket's CSRF guard)")
	require.Equal(t, http.StatusForbidden, res.StatusCode)

	// A call, answered, the person's key shown, hung up by the listener.
	ps, _, err := s.dialPhone(t, c, s.srv.URL)
	require.NoError(t, err)
	ps.next(t, "ready", 5*time.Second)
	ps.send(t, "not json")
	ps.send(t, `{"type":"dance"}`)
	ps.send(t, `{"type":"call","case":0,"sdp":""}`)
	require.NoError(t, ps.conn.Write(context.Background(), websocket.MessageBinary, []byte{1, 2, 3}))
	// Another listener's case: refused, nothing called.
	louis := s.task(t, s.enrol(t, "Paul Durand", "+33612345679"), &s.other.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	refused, err := json.Marshal(map[string]any{"type": "call", "case": louis, "sdp": webphonetest.New(t, webphonetest.Options{}).Offer(t)})
	require.NoError(t, err)
	ps.send(t, string(refused))
	require.Equal(t, switchboard.ErrForbidden, ps.next(t, "error", 5*time.Second).Error)

	br := webphonetest.New(t, webphonetest.Options{})
	answer := ps.call(t, caseID, br)
	require.Equal(t, caseID, answer.Case)
	require.NotZero(t, answer.Call)
	ps.next(t, "ringing", 10*time.Second)
	ps.next(t, "answered", 10*time.Second)
	require.Equal(t, "5", ps.next(t, "key", 5*time.Second).Key)
	ps.send(t, `{"type":"hangup"}`)
	ended := ps.next(t, "ended", 10*time.Second)
	require.Equal(t, wellcheck.CallAnswered, ended.Outcome)
	require.Empty(t, ended.Error)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := line.callee.Wait(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "caller", recs[0].ByeFrom)
	loud, tone := dialertest.ToneFrames(recs[0].Heard, listenerVoice)
	require.Greater(t, loud, 25, "the person heard the listener")
	require.Greater(t, tone, loud*8/10)

	// Another call; the page goes (its socket closes): the person's side
	// ends within seconds, and the case's log has both calls ended.
	br2 := webphonetest.New(t, webphonetest.Options{})
	ps.call(t, caseID, br2)
	ps.next(t, "ringing", 10*time.Second)
	ps.next(t, "answered", 10*time.Second)
	closed := time.Now()
	require.NoError(t, ps.conn.Close(websocket.StatusGoingAway, ""))
	br2.Close()
	recs, err = line.callee.Wait(ctx, 2)
	require.NoError(t, err)
	require.Equal(t, "caller", recs[1].ByeFrom, "our BYE ended the person's side")
	require.Less(t, recs[1].End.Sub(closed), 3*time.Second, "at once")
	require.Len(t, line.callee.Records(), 2, "the refused call reached no phone")

	// A page open after its user signed out (in another tab): its call is
	// refused, and its socket closed.
	ps, _, err = s.dialPhone(t, c, s.srv.URL)
	require.NoError(t, err)
	ps.next(t, "ready", 5*time.Second)
	res, _ = s.post(t, c, "/logout", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	offer, err := json.Marshal(map[string]any{"type": "call", "case": caseID, "sdp": webphonetest.New(t, webphonetest.Options{}).Offer(t)})
	require.NoError(t, err)
	ps.send(t, string(offer))
	require.Equal(t, "signed_out", ps.next(t, "error", 5*time.Second).Error)
	select {
	case _, open := <-ps.events:
		require.False(t, open, "the socket closed")
	case <-time.After(5 * time.Second):
		t.Fatal("the socket of a signed-out page stays open")
	}
	require.Len(t, line.callee.Records(), 2, "nobody was called")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		calls, err := s.ui.Cases.Calls(ctx, caseID)
		if assert.NoError(c, err) && assert.Len(c, calls, 2) {
			for _, call := range calls {
				assert.NotNil(c, call.EndedAt, "call %d ended", call.ID)
			}
		}
	}, 5*time.Second, 50*time.Millisecond)
}

// pressTwo places a check-in call to person (named name on the pages) with
// the site's dialer, through to a free listener's page when they press 2:
// its result comes on the channel.
func (s *site) pressTwo(t *testing.T, line *phoneLine, person int64, name string) <-chan placedCall {
	t.Helper()
	done := make(chan placedCall, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	go func() {
		res, err := line.dialer.Place(ctx, dialer.Request{To: "+33612345678", Lang: "fr", Transfer: s.ui.Phone.Transfer(person, name)})
		done <- placedCall{res, err}
	}()
	return done
}

// placedCall is what Place returned.
type placedCall struct {
	res dialer.Result
	err error
}

// placed is the check-in call's result, once Place returned.
func placed(t *testing.T, done <-chan placedCall) dialer.Result {
	t.Helper()
	select {
	case p := <-done:
		require.NoError(t, p.err)
		return p.res
	case <-time.After(20 * time.Second):
		t.Fatal("the check-in call did not end")
	}
	return dialer.Result{}
}

// A person who presses 2 during a check-in rings a free listener's page
// with their name; the page takes the call with its offer ("accept") and is
// joined to the person: each hears the other, until the page hangs up. The
// check-in is still the person's request for help, put through.
func TestPhoneSocketTakesARingingCall(t *testing.T) {
	t.Parallel()
	line := &phoneLine{}
	s := setup(t, withPhone(t, callee.Config{Behaviour: callee.Talk, TalkKey: '2', KeyDelay: 300 * time.Millisecond}, line))
	person := s.enrol(t, "Jeanne Martin", "+33612345678")
	c := s.browser(t)
	s.signIn(t, c)
	ps, _, err := s.dialPhone(t, c, s.srv.URL)
	require.NoError(t, err)
	ps.next(t, "ready", 5*time.Second)
	// What means nothing is ignored: no ring, no offer.
	ps.send(t, `{"type":"accept","ring":0,"sdp":"v=0"}`)
	ps.send(t, `{"type":"accept","ring":1}`)

	done := s.pressTwo(t, line, person, "Jeanne Martin")
	ring := ps.next(t, "ring", 20*time.Second)
	require.Equal(t, person, ring.Person)
	require.Equal(t, "Jeanne Martin", ring.Name)
	require.NotZero(t, ring.Ring)

	br := webphonetest.New(t, webphonetest.Options{})
	accept, err := json.Marshal(map[string]any{"type": "accept", "ring": ring.Ring, "sdp": br.Offer(t)})
	require.NoError(t, err)
	ps.send(t, string(accept))
	answer := ps.next(t, "answer", 10*time.Second)
	require.Equal(t, ring.Ring, answer.Ring)
	require.Equal(t, person, answer.Person)
	br.Accept(t, answer.SDP)
	br.Say(listenerVoice)
	require.Equal(t, person, ps.next(t, "answered", 15*time.Second).Person)
	// They talk: a second of the person's voice reaches the page.
	require.True(t, br.Await(10*time.Second, func() bool {
		_, tone := dialertest.ToneFrames(br.Heard(), callee.VoiceTone)
		return tone > 50
	}), "the listener heard the person")
	ps.send(t, `{"type":"hangup"}`)
	ended := ps.next(t, "ended", 10*time.Second)
	require.Equal(t, wellcheck.CallAnswered, ended.Outcome)
	require.Empty(t, ended.Error)

	res := placed(t, done)
	require.Equal(t, wellcheck.OutcomeHelpRequested, res.Outcome, "%+v", res)
	require.True(t, res.Transferred)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := line.callee.Wait(ctx, 1)
	require.NoError(t, err)
	loud, tone := dialertest.ToneFrames(recs[0].Heard, listenerVoice)
	require.Greater(t, loud, 50, "the person heard the listener")
	require.Greater(t, tone, loud*7/10, "and it was the listener's voice (the prompts are 440 Hz too)")
}
