package web_test

// The browser phone in a real headless Chromium: a fake microphone playing
// a 440 Hz tone, the WebRTC leg to our webphone engine on loopback, the
// dialer calling the callee simulator as the person's phone.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/calling"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/phone"
	"github.com/wellcheck/wellcheck/switchboard"
)

// toneWAV writes a WAV file of hz, 48 kHz mono 16-bit, for Chromium's fake
// microphone (which plays it over and over).
func toneWAV(t *testing.T, hz float64) string {
	t.Helper()
	const rate = 48000
	samples := make([]int16, rate) // one second: whole periods of any whole hz
	for i := range samples {
		samples[i] = int16(12000 * math.Sin(2*math.Pi*hz*float64(i)/rate))
	}
	var b bytes.Buffer
	le := func(v any) { require.NoError(t, binary.Write(&b, binary.LittleEndian, v)) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*len(samples)))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1)) // PCM
	le(uint16(1)) // mono
	le(uint32(rate))
	le(uint32(rate * 2))
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(2 * len(samples)))
	le(samples)
	path := filepath.Join(t.TempDir(), fmt.Sprintf("tone-%g.wav", hz))
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	return path
}

// phoneTab is a tab whose microphone plays a 440 Hz tone, granted without
// asking, and whose pages may play sound by themselves.
func (s *site) phoneTab(t *testing.T) *tab {
	t.Helper()
	return s.tab(t,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", toneWAV(t, listenerVoice)),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
}

// packetsReceived is how many RTP packets of the person's audio the page's
// peer connection received.
const packetsReceived = `window.wellcheckPhone ? window.wellcheckPhone.getStats().then(r => {
	let n = 0;
	r.forEach(s => { if (s.type === "inbound-rtp" && s.kind === "audio") n += s.packetsReceived; });
	return n;
}) : 0`

func (b *tab) packetsReceived(t *testing.T) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](packetsReceived, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	return n
}

// A listener calls a person from her case: the bar says she is on the
// call, the person hears her voice and she theirs, the person's key shows,
// hers reaches the person; she hangs up, the person's side gets our BYE,
// and the case lists the answered call with "reached" ticked.
// WELLCHECK_SHOTS=dir saves the bar idle and in a call.
func TestBrowserPhoneCall(t *testing.T) {
	t.Parallel()
	line := &phoneLine{}
	s := setup(t, withPhone(t, callee.Config{Behaviour: callee.Talk, TalkKey: '5', KeyDelay: time.Second}, line))
	caseID := s.task(t, s.enrol(t, "Jeanne Martin", "+33612345678"), &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)

	b := s.phoneTab(t)
	b.signIn(t, elise)
	// Her list: a call button on each row, once the phone is ready.
	b.run(t, chromedp.WaitVisible(css(`#list button[data-call-case]`)))
	require.Equal(t, "Appeler Jeanne Martin depuis le navigateur",
		eval[string](t, b, `document.querySelector("#list button[data-call-case]").getAttribute("aria-label")`))
	b.checkA11y(t, "list, phone ready")
	b.shoot(t, "phone-list")
	b.run(t,
		chromedp.Navigate(fmt.Sprintf("%s/cases/%d", s.srv.URL, caseID)),
		chromedp.WaitVisible(css(`button[data-call-case]`)),
	)
	require.Equal(t, "Téléphone prêt", b.text(t, "#phone .phone-words"))
	b.checkA11y(t, "case page, phone ready")
	b.shoot(t, "phone-idle")

	b.run(t, chromedp.Click(css(`button[data-call-case]`)))
	b.waitText(t, "#phone .phone-words", "En communication avec Jeanne Martin")
	b.waitText(t, "#phone .phone-key", "La personne a appuyé sur 5")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Greater(c, b.packetsReceived(t), 50, "the page receives the person's audio")
	}, 10*time.Second, 200*time.Millisecond)
	require.Regexp(t, `^0:\d\d$`, b.text(t, "#phone .phone-timer"), "the call's time, running")
	b.run(t,
		chromedp.Click(css(`#phone .phone-keypad`)),
		chromedp.WaitVisible(css(`#phone [data-key="7"]`)),
		chromedp.Click(css(`#phone [data-key="7"]`)),
	)
	b.checkA11y(t, "case page, in a call")
	b.shoot(t, "phone-call")
	// Leaving the page would end the call: the browser asks first, and
	// staying keeps it.
	dialogs := make(chan page.DialogType, 1)
	require.NoError(t, chromedp.Listen(b.ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			select {
			case dialogs <- d.Type:
			default:
			}
			go func() {
				_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		}
	}))
	b.run(t, chromedp.Evaluate[chromedp.Void](`setTimeout(() => { location.href = "/"; }, 0)`))
	select {
	case typ := <-dialogs:
		require.Equal(t, page.DialogTypeBeforeunload, typ)
	case <-time.After(5 * time.Second):
		t.Fatal("leaving the page during a call asked nothing")
	}
	b.waitText(t, "#phone .phone-words", "En communication avec Jeanne Martin")
	b.run(t, chromedp.Click(css(`#phone .phone-hangup`)))
	b.waitText(t, "#phone .phone-words", "Appel terminé")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := line.callee.Wait(ctx, 1)
	require.NoError(t, err)
	rec := recs[0]
	require.Equal(t, "caller", rec.ByeFrom, "our BYE ended the person's side")
	require.Equal(t, "7", rec.KeysHeard, "her key reached the person")
	loud, tone := dialertest.ToneFrames(rec.Heard, listenerVoice)
	require.Greater(t, loud, 50, "the person heard the listener")
	require.Greater(t, tone, loud*8/10, "and it was her voice: the microphone's tone")

	// The case's calls, read again: the answered call, and "reached" ticked.
	b.waitText(t, "#calls tbody tr:first-child", "Élise Écoutante")
	require.Contains(t, b.text(t, "#calls tbody tr:first-child"), "appel sortant")
	require.True(t, b.checked(t, `input[name=reached][value=yes]`), "reached, ticked for her")
	b.checkA11y(t, "case page, call ended")
	b.shoot(t, "phone-ended")
}

// The tab closed during a call hangs up: the person's side gets our BYE
// within seconds.
func TestBrowserPhoneClosedTab(t *testing.T) {
	t.Parallel()
	line := &phoneLine{}
	s := setup(t, withPhone(t, callee.Config{Behaviour: callee.Talk}, line))
	caseID := s.task(t, s.enrol(t, "Jeanne Martin", "+33612345678"), &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)

	b := s.phoneTab(t)
	b.signIn(t, elise)
	b.run(t,
		chromedp.Navigate(fmt.Sprintf("%s/cases/%d", s.srv.URL, caseID)),
		chromedp.WaitVisible(css(`button[data-call-case]`)),
		chromedp.Click(css(`button[data-call-case]`)),
	)
	b.waitText(t, "#phone .phone-words", "En communication")
	closed := time.Now()
	b.close()

	wait, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := line.callee.Wait(wait, 1)
	require.NoError(t, err)
	require.Equal(t, "caller", recs[0].ByeFrom, "our BYE ended the person's side")
	require.Less(t, recs[0].End.Sub(closed), 5*time.Second, "within seconds")
}

// A browser that refuses the microphone: the bar says so, and what to do;
// nothing is called.
func TestBrowserPhoneMicrophoneRefused(t *testing.T) {
	t.Parallel()
	line := &phoneLine{}
	s := setup(t, withPhone(t, callee.Config{Behaviour: callee.Talk}, line))
	caseID := s.task(t, s.enrol(t, "Jeanne Martin", "+33612345678"), &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)

	// A microphone, but no one to say yes to the browser's question.
	b := s.tab(t, chromedp.Flag("use-fake-device-for-media-stream", true))
	b.signIn(t, elise)
	b.run(t,
		chromedp.Navigate(fmt.Sprintf("%s/cases/%d", s.srv.URL, caseID)),
		chromedp.WaitVisible(css(`button[data-call-case]`)),
		chromedp.Click(css(`button[data-call-case]`)),
	)
	b.waitText(t, "#phone .phone-words", "Le navigateur refuse le micro")
	require.Equal(t, "error", eval[string](t, b, `document.getElementById("phone").dataset.state`))
	require.False(t, eval[bool](t, b, `document.querySelector("button[data-call-case]").disabled`), "she may try again")
	b.checkA11y(t, "case page, microphone refused")
	b.shoot(t, "phone-refused")
	require.Empty(t, line.callee.Records(), "nobody was called")
}

// A person who presses 2 rings the listener's page, which says who with a
// link to their file in a new tab and rings, heard as well as seen. Nobody
// taking it in time, the bar says the call went elsewhere. Rung again, she
// picks up: she is on the call with the person, each hears the other, she
// hangs up, and the check-in was put through. WELLCHECK_SHOTS=dir saves the
// bar ringing and on the call taken.
func TestBrowserPhoneTakesARingingCall(t *testing.T) {
	t.Parallel()
	line := &phoneLine{}
	s := setup(t, withPhone(t, callee.Config{Behaviour: callee.Talk, TalkKey: '2', KeyDelay: 300 * time.Millisecond}, line))
	person := s.enrol(t, "Jeanne Martin", "+33612345678")

	b := s.phoneTab(t)
	b.signIn(t, elise)
	b.waitText(t, "#phone .phone-words", "Téléphone prêt")

	// Nobody takes it within the wait.
	s.ui.Phone.RingFor = time.Second
	done := s.pressTwo(t, line, person, "Jeanne Martin")
	b.waitText(t, "#phone .phone-words", "Jeanne Martin demande à parler à un écoutant")
	b.waitText(t, "#phone .phone-words", "L'appel a été pris par un autre écoutant ou la personne sera rappelée.")
	require.True(t, eval[bool](t, b, `document.querySelector("#phone .phone-ring").hidden`), "Décrocher is gone")
	res := placed(t, done)
	require.Equal(t, wellcheck.OutcomeHelpRequested, res.Outcome, "%+v", res)
	require.False(t, res.Transferred)

	s.ui.Phone.RingFor = 0 // the usual 20 s
	done = s.pressTwo(t, line, person, "Jeanne Martin")
	b.waitText(t, "#phone .phone-words", "Jeanne Martin demande à parler à un écoutant")
	b.run(t, chromedp.WaitVisible(css(`#phone .phone-take`)))
	require.Equal(t, "Décrocher", b.text(t, "#phone .phone-take"))
	require.Equal(t, "incoming", eval[string](t, b, `document.getElementById("phone").dataset.state`))
	require.True(t, eval[bool](t, b, `document.querySelector("#phone .phone-file") === null`),
		"a listener opens no person's file (only coordinators and admins do): no link to a page they would be refused")
	require.Contains(t, eval[string](t, b, `document.title`), "Jeanne Martin demande à parler", "a tab in the background says it too")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, "on", eval[string](t, b, `document.getElementById("phone").dataset.ringSound || ""`), "the ring is heard (this tab may play sound)")
	}, 5*time.Second, 100*time.Millisecond)
	b.checkA11y(t, "list, ringing")
	b.shoot(t, "phone-ringing")

	b.run(t, chromedp.Click(css(`#phone .phone-take`)))
	b.waitText(t, "#phone .phone-words", "En communication avec Jeanne Martin")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Greater(c, b.packetsReceived(t), 50, "the page receives the person's audio")
	}, 10*time.Second, 200*time.Millisecond)
	require.Regexp(t, `^0:\d\d$`, b.text(t, "#phone .phone-timer"), "the call's time, running")
	b.checkA11y(t, "list, on the call taken")
	b.shoot(t, "phone-taken")
	b.run(t, chromedp.Click(css(`#phone .phone-hangup`)))
	b.waitText(t, "#phone .phone-words", "Appel terminé")

	res = placed(t, done)
	require.Equal(t, wellcheck.OutcomeHelpRequested, res.Outcome, "%+v", res)
	require.True(t, res.Transferred)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := line.callee.Wait(ctx, 2)
	require.NoError(t, err)
	loud, tone := dialertest.ToneFrames(recs[1].Heard, listenerVoice)
	require.Greater(t, loud, 50, "the person heard the listener")
	require.Greater(t, tone, loud*7/10, "and it was her voice: the microphone's tone")
}

// talkWith picks up the call ringing the page, from name's phone (caller,
// whose call ends on ended): they hear each other, then the caller hangs
// up and the page says the call ended.
func (b *tab) talkWith(t *testing.T, name string, caller *dialertest.Leg, ended <-chan dialer.Result) {
	t.Helper()
	b.run(t, chromedp.Click(css(`#phone .phone-take`)))
	b.waitText(t, "#phone .phone-words", "En communication avec "+name)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		heard, _, _ := caller.Snapshot()
		assert.True(c, dialertest.Hears(heard, listenerVoice, 50), "the caller hears the listener")
		assert.Greater(c, b.packetsReceived(t), 50, "the page receives the caller's audio")
	}, 10*time.Second, 200*time.Millisecond)
	caller.HangUp()
	b.waitText(t, "#phone .phone-words", "Appel terminé")
	require.Equal(t, wellcheck.OutcomeAnswered, (<-ended).Outcome)
}

// A person calls the service: the listener's page rings with their name,
// she picks up and they talk; a number the service does not know rings
// with the number, and nobody taking it, the caller hears the message.
func TestBrowserPhoneTakesACallToTheService(t *testing.T) {
	t.Parallel()
	line := &phoneLine{}
	s := setup(t, withPhone(t, callee.Config{Behaviour: callee.PressOne}, line))
	s.enrol(t, "Jeanne Martin", "+33612345678")
	open := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) // a Tuesday, 11:00 in Paris
	s.ui.Phone.Desk = calling.Desk{Calls: &calling.Calls{Store: s.store, Care: s.ui.Cases, Now: func() time.Time { return open }}}
	s.ui.Phone.Numbers = phone.Parser{Region: "FR"}
	line.dialer.TakeCalls(s.ui.Phone)

	b := s.phoneTab(t)
	b.signIn(t, elise)
	b.waitText(t, "#phone .phone-words", "Téléphone prêt")

	caller := dialertest.NewLeg(t)
	caller.Voice = 1000
	ended := dialertest.CallIn(t, line.dialer, "+33612345678", caller)
	b.waitText(t, "#phone .phone-words", "Appel entrant de Jeanne Martin")
	require.Contains(t, eval[string](t, b, `document.title`), "Appel entrant de Jeanne Martin", "a tab in the background says it too")
	b.checkA11y(t, "list, a call to the service ringing")
	b.shoot(t, "phone-incoming")
	b.talkWith(t, "Jeanne Martin", caller, ended)

	s.ui.Phone.RingFor = time.Second
	stranger := dialertest.NewLeg(t)
	ended = dialertest.CallIn(t, line.dialer, "+33698765432", stranger)
	b.waitText(t, "#phone .phone-words", "Appel entrant du 06 98 76 54 32 (numéro inconnu du service)")
	b.shoot(t, "phone-incoming-unknown")
	b.waitText(t, "#phone .phone-words", "L'appel a été pris par un autre écoutant, ou la personne a raccroché ou répondu au menu vocal.")
	res := <-ended
	require.Equal(t, "them", res.HungUpBy, "the service said its message and hung up")
	heard, _, _ := stranger.Snapshot()
	require.True(t, dialertest.Hears(heard, 440, 20), "the caller heard the message")
}

// A person's call reaches another node (a worker without pages): the
// listener's page, served by this one, rings with their name all the
// same, and she takes it and they talk. The call is logged on the
// person's case by the node that held it, ended before her page says so.
func TestBrowserPhoneTakesACallHeldByAnotherNode(t *testing.T) {
	t.Parallel()
	line := &phoneLine{}
	s := setup(t, withPhone(t, callee.Config{Behaviour: callee.PressOne}, line))
	s.enrol(t, "Jeanne Martin", "+33612345678")
	open := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) // a Tuesday, 11:00 in Paris
	held, err := dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Port: int(line.callee.Addr().Port())}, Listen: "127.0.0.1:0",
		CallerNumber: "+33199000000", RingTimeout: 5 * time.Second}, dialertest.ShortPrompts())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, held.Close()) })
	worker := &switchboard.Switchboard{Line: held, Log: s.ui.Cases, Numbers: phone.Parser{Region: "FR"},
		Desk: calling.Desk{Calls: &calling.Calls{Store: s.store, Care: s.ui.Cases, Now: func() time.Time { return open }}}}
	t.Cleanup(worker.Close)
	held.TakeCalls(worker)
	line.dialer.TakeCalls(s.ui.Phone)
	for _, sb := range []*switchboard.Switchboard{worker, s.ui.Phone} {
		signals := s.store.Signals("wellcheck_switchboard")
		sb.Peers = signals
		sub := signals.Listen(sb.Heard, nil)
		t.Cleanup(sub.Close)
		<-sub.Ready()
	}

	b := s.phoneTab(t)
	b.signIn(t, elise)
	b.waitText(t, "#phone .phone-words", "Téléphone prêt")
	require.Eventually(t, worker.PagesElsewhere, 10*time.Second, 10*time.Millisecond, "the worker heard a page opened here")
	caller := dialertest.NewLeg(t)
	caller.Voice = 1000
	ended := dialertest.CallIn(t, held, "+33612345678", caller)
	b.waitText(t, "#phone .phone-words", "Appel entrant de Jeanne Martin")
	b.shoot(t, "phone-incoming-other-node") // ringing, as on the node holding the call
	b.talkWith(t, "Jeanne Martin", caller, ended)
	var caseIDs []int64
	require.NoError(t, s.store.Pool().QueryRow(context.Background(), "SELECT array_agg(id) FROM cases").Scan(&caseIDs))
	require.Len(t, caseIDs, 1, "the call opened the person's case")
	calls, err := s.ui.Cases.Calls(context.Background(), caseIDs[0])
	require.NoError(t, err)
	require.Len(t, calls, 1)
	require.NotNil(t, calls[0].EndedAt, "its end logged before the page said the call ended")
	require.Equal(t, wellcheck.CallIn, calls[0].Direction)
	require.Equal(t, wellcheck.CallAnswered, calls[0].Outcome)
}
