package dialer_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/internal/logtest"
	"github.com/wellcheck/wellcheck/internal/media"
)

const (
	callerNumber = "+33123456789"
	callerName   = "Allo Bienveillance"
	person       = "+33612345678"
)

func TestMain(m *testing.M) {
	if os.Getenv(calleeProcessEnv) != "" {
		calleeProcess() // the benchmarks' callee, in a process of its own
		return
	}
	// Loopback needs no half-second retransmission timer; a short one keeps the
	// hung-trunk cases (which wait for SIP's 64×T1 transaction timeout) short.
	sip.SetTimers(50*time.Millisecond, 400*time.Millisecond, 500*time.Millisecond)
	// sipgo's reader of a UDP connection it opened for a late message (about
	// one run in eight under load) can outlive the test that closed the user
	// agent; it is the library's, and ends with the process. Ours are all checked.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/emiago/sipgo/sip.(*TransportUDP).readUDPConnection"))
}

type bundle struct {
	callee *callee.Callee
	dialer *dialer.Dialer
}

// setup starts a callee simulator and a dialer whose trunk is that simulator, both
// on loopback, and closes them at the end of the test.
func setup(t *testing.T, cc callee.Config, dc dialer.Config) bundle {
	t.Helper()
	return setupWith(t, cc, dc, dialertest.ShortPrompts())
}

// setupWith is setup with the dialer saying prompts.
func setupWith(t *testing.T, cc callee.Config, dc dialer.Config, prompts *dialer.Prompts) bundle {
	t.Helper()
	cc.Listen = "127.0.0.1:0"
	if cc.KeyDelay == 0 {
		cc.KeyDelay = 100 * time.Millisecond
	}
	ce, err := callee.New(cc)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, ce.Close()) })

	dc.Trunk.Host = ce.Addr().Addr().String()
	dc.Trunk.Port = int(ce.Addr().Port())
	if dc.Trunk.Transport == "" {
		dc.Trunk.Transport = cc.Network
	}
	dc.Listen = "127.0.0.1:0"
	dc.CallerNumber, dc.CallerName = callerNumber, callerName
	if dc.RingTimeout == 0 {
		dc.RingTimeout = 2 * time.Second
	}
	if dc.KeyTimeout == 0 {
		dc.KeyTimeout = 400 * time.Millisecond
	}
	d, err := dialer.New(dc, prompts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return bundle{callee: ce, dialer: d}
}

func (b bundle) call(t *testing.T, to string) (dialer.Result, callee.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := b.dialer.Call(ctx, to, "fr")
	require.NoError(t, err)
	recs, err := b.callee.Wait(ctx, 1)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	return res, recs[0]
}

func TestCallOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		callee    callee.Config
		outcome   wellcheck.Outcome
		status    int
		digits    string
		answered  bool
		cancelled bool
		byeFrom   string
	}{
		{name: "press 1, RFC 4733", callee: callee.Config{Behaviour: callee.PressOne, Keys: callee.RFC4733},
			outcome: wellcheck.OutcomeOK, status: 200, digits: "1", answered: true, byeFrom: "caller"},
		{name: "press 2, RFC 4733", callee: callee.Config{Behaviour: callee.PressTwo, Keys: callee.RFC4733},
			outcome: wellcheck.OutcomeHelpRequested, status: 200, digits: "2", answered: true, byeFrom: "caller"},
		{name: "press 1, RFC 4733 under payload type 96 named by the answer", callee: callee.Config{Behaviour: callee.PressOne, Keys: callee.RFC4733, EventType: 96},
			outcome: wellcheck.OutcomeOK, status: 200, digits: "1", answered: true, byeFrom: "caller"},
		{name: "press 1, SIP INFO dtmf-relay", callee: callee.Config{Behaviour: callee.PressOne, Keys: callee.InfoRelay},
			outcome: wellcheck.OutcomeOK, status: 200, digits: "1", answered: true, byeFrom: "caller"},
		{name: "press 2, SIP INFO dtmf", callee: callee.Config{Behaviour: callee.PressTwo, Keys: callee.InfoDTMF},
			outcome: wellcheck.OutcomeHelpRequested, status: 200, digits: "2", answered: true, byeFrom: "caller"},
		{name: "press 1, in-band tone over PCMU", callee: callee.Config{Behaviour: callee.PressOne, Keys: callee.InBand},
			outcome: wellcheck.OutcomeOK, status: 200, digits: "1", answered: true, byeFrom: "caller"},
		{name: "press 2, in-band tone over PCMA", callee: callee.Config{Behaviour: callee.PressTwo, Keys: callee.InBand, Codec: "PCMA"},
			outcome: wellcheck.OutcomeHelpRequested, status: 200, digits: "2", answered: true, byeFrom: "caller"},
		// A phone with voice activity detection sends comfort noise (13),
		// a type nobody negotiated, between the key's packets or tones.
		{name: "press 1 among comfort noise, RFC 4733", callee: callee.Config{Behaviour: callee.PressOne, Keys: callee.RFC4733, ComfortNoise: true},
			outcome: wellcheck.OutcomeOK, status: 200, digits: "1", answered: true, byeFrom: "caller"},
		{name: "press 2 among comfort noise, in-band", callee: callee.Config{Behaviour: callee.PressTwo, Keys: callee.InBand, ComfortNoise: true},
			outcome: wellcheck.OutcomeHelpRequested, status: 200, digits: "2", answered: true, byeFrom: "caller"},
		{name: "early media, then answers and presses 1", callee: callee.Config{Behaviour: callee.EarlyMedia, Ring: 500 * time.Millisecond},
			outcome: wellcheck.OutcomeOK, status: 200, digits: "1", answered: true, byeFrom: "caller"},
		{name: "TCP, press 1", callee: callee.Config{Behaviour: callee.PressOne, Keys: callee.RFC4733, Network: "tcp"},
			outcome: wellcheck.OutcomeOK, status: 200, digits: "1", answered: true, byeFrom: "caller"},
		{name: "answers, presses nothing", callee: callee.Config{Behaviour: callee.Silent},
			outcome: wellcheck.OutcomeNoResponse, status: 200, answered: true, byeFrom: "caller"},
		{name: "answers, hangs up without a key", callee: callee.Config{Behaviour: callee.HangUp},
			outcome: wellcheck.OutcomeNoResponse, status: 200, answered: true, byeFrom: "callee"},
		{name: "answers late, inside the ring timeout", callee: callee.Config{Behaviour: callee.AnswerLate, AnswerAfter: 500 * time.Millisecond},
			outcome: wellcheck.OutcomeOK, status: 200, digits: "1", answered: true, byeFrom: "caller"},
		{name: "never answers", callee: callee.Config{Behaviour: callee.NeverAnswer},
			outcome: wellcheck.OutcomeNoAnswer, status: 487, cancelled: true},
		{name: "answers after the ring timeout", callee: callee.Config{Behaviour: callee.AnswerLate, AnswerAfter: 10 * time.Second},
			outcome: wellcheck.OutcomeNoAnswer, status: 487, cancelled: true},
		{name: "busy", callee: callee.Config{Behaviour: callee.Busy}, outcome: wellcheck.OutcomeBusy, status: 486},
		{name: "declines", callee: callee.Config{Behaviour: callee.Decline}, outcome: wellcheck.OutcomeDeclined, status: 603},
		{name: "number does not exist", callee: callee.Config{Behaviour: callee.NotFound}, outcome: wellcheck.OutcomeInvalidNumber, status: 404},
		{name: "trunk overloaded", callee: callee.Config{Behaviour: callee.Unavailable}, outcome: wellcheck.OutcomeFailed, status: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tt.callee, dialer.Config{RingTimeout: time.Second})
			res, rec := b.call(t, person)

			require.Equal(t, tt.outcome, res.Outcome, "result %+v", res)
			require.Equal(t, tt.status, res.SIPStatus)
			require.Equal(t, tt.digits, res.Digits)
			require.NotEmpty(t, res.CallID)
			require.Equal(t, res.CallID, rec.CallID)
			require.Positive(t, res.Ring)

			require.Equal(t, person, rec.To)
			require.Equal(t, callerNumber, rec.FromUser, "the person's phone shows the service's number")
			require.Equal(t, callerName, rec.FromName)
			require.Equal(t, 1, rec.InvitesSeen)
			require.Equal(t, tt.answered, rec.Answered)
			require.Equal(t, tt.cancelled, rec.Cancelled)
			require.Equal(t, tt.byeFrom, rec.ByeFrom)
			if tt.answered {
				require.Positive(t, res.Talk)
				require.Positive(t, rec.AudioPackets, "the prompt reached the callee")
				require.Equal(t, tt.digits, rec.KeysSent)
			}
			if tt.outcome == wellcheck.OutcomeFailed {
				require.NotEmpty(t, res.Reason)
			}
			if tt.cancelled {
				require.Contains(t, res.Provisional, 180)
			}
			require.Equal(t, tt.callee.Behaviour == callee.EarlyMedia, res.EarlyMedia)
			// Nothing of ours reaches the far end before the 200 OK: early
			// media is a carrier's ringback or announcement, not the person.
			require.Zero(t, rec.EarlyPackets, "no audio of ours before the answer")
		})
	}
}

// The menu is said twice when no key comes: a silent callee hears the greeting,
// the menu, the menu again and the closing, and nothing more.
func TestMenuRepeatedOnceWithoutKey(t *testing.T) {
	t.Parallel()
	// Prompts long next to the waits after the menu, so that what the callee
	// hears is counted in packets of sound, 20 ms each.
	const greeting, menu, closing = 10, 50, 10
	set := &dialer.PromptSet{Greeting: dialertest.Tone(200), Menu: dialertest.Tone(1000),
		OK: dialertest.Tone(200), Help: dialertest.Tone(200), NoResponse: dialertest.Tone(200)}
	b := setupWith(t, callee.Config{Behaviour: callee.Silent}, dialer.Config{KeyTimeout: 50 * time.Millisecond},
		dialer.NewPrompts(map[string]*dialer.PromptSet{"fr": set}))
	res, rec := b.call(t, person)
	require.Equal(t, wellcheck.OutcomeNoResponse, res.Outcome)
	t.Logf("the callee received %d packets", rec.AudioPackets)
	// Every packet of sound is sent, however late the sender wakes; the
	// closing's last few may cross the BYE. The waits and the moments between
	// prompts add packets of silence, far fewer than a menu's.
	require.GreaterOrEqual(t, rec.AudioPackets, greeting+2*menu+closing-5, "the menu is said twice")
	require.Less(t, rec.AudioPackets, greeting+3*menu+closing-5, "the menu is not said a third time")
}

func TestDigestAuth(t *testing.T) {
	t.Parallel()
	t.Run("right credentials", func(t *testing.T) {
		t.Parallel()
		b := setup(t, callee.Config{Username: "trunk", Password: "s3cret"},
			dialer.Config{Trunk: dialer.Trunk{Username: "trunk", Password: "s3cret"}})
		res, rec := b.call(t, person)
		require.Equal(t, wellcheck.OutcomeOK, res.Outcome)
		require.True(t, rec.Challenged)
		require.Equal(t, 2, rec.InvitesSeen, "challenged, then answered")
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		b := setup(t, callee.Config{Username: "trunk", Password: "s3cret"},
			dialer.Config{Trunk: dialer.Trunk{Username: "trunk", Password: "wrong"}})
		res, rec := b.call(t, person)
		require.Equal(t, wellcheck.OutcomeFailed, res.Outcome)
		require.Equal(t, 401, res.SIPStatus)
		require.Contains(t, res.Reason, "password")
		require.False(t, rec.Answered)
	})
}

func TestRealPrompts(t *testing.T) {
	t.Parallel()
	prompts, err := dialer.DefaultPrompts()
	require.NoError(t, err)
	require.Equal(t, []string{"en", "fr"}, prompts.Languages())
	for _, lang := range prompts.Languages() {
		for _, script := range []dialer.Script{dialer.ScriptCheckIn, dialer.ScriptEscalation} {
			set, err := prompts.ForScript(script, lang)
			require.NoError(t, err)
			for _, s := range []*media.Sound{set.Greeting, set.Menu, set.OK, set.Help, set.NoResponse} {
				require.Greater(t, s.Duration(), 500*time.Millisecond)
				require.Less(t, s.Duration(), 15*time.Second)
			}
		}
		checkIn, _ := prompts.For(lang)
		escalation, _ := prompts.ForScript(dialer.ScriptEscalation, lang)
		require.NotEqual(t, checkIn.Greeting.Duration(), escalation.Greeting.Duration(), "an escalation says something else")
	}

	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Behaviour: callee.PressTwo, KeyDelay: time.Second})
	require.NoError(t, err)
	defer ce.Close()
	d, err := dialer.New(dialer.Config{
		Trunk:  dialer.Trunk{Host: "127.0.0.1", Port: int(ce.Addr().Port())},
		Listen: "127.0.0.1:0", CallerNumber: callerNumber,
	}, prompts)
	require.NoError(t, err)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := d.Call(ctx, person, "en")
	require.NoError(t, err)
	require.Equal(t, wellcheck.OutcomeHelpRequested, res.Outcome)
	res, err = d.Place(ctx, dialer.Request{To: person, Lang: "fr", Script: dialer.ScriptEscalation})
	require.NoError(t, err)
	require.Equal(t, wellcheck.OutcomeHelpRequested, res.Outcome, "the contact cannot go")
	_, err = d.Call(ctx, person, "de")
	require.ErrorContains(t, err, `no check-in prompts in language "de"`)
}

// A language's escalation prompts are all there or all absent.
func TestEscalationPromptsAreWholeOrAbsent(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{}
	for _, name := range []string{"greeting", "menu", "ok", "help", "no_response"} {
		wav, err := os.ReadFile("prompts/fr/" + name + ".wav")
		require.NoError(t, err)
		files["fr/"+name+".wav"] = &fstest.MapFile{Data: wav}
	}
	prompts, err := dialer.LoadPrompts(files)
	require.NoError(t, err, "no escalation set: the language only checks in")
	_, err = prompts.ForScript(dialer.ScriptEscalation, "fr")
	require.ErrorContains(t, err, `no escalation prompts in language "fr"`)

	files["fr/escalation_greeting.wav"] = files["fr/greeting.wav"]
	_, err = dialer.LoadPrompts(files)
	require.ErrorContains(t, err, "prompt fr/escalation_menu.wav")
}

// A call never outlives its maximum, however long the person stays silent.
func TestMaxDuration(t *testing.T) {
	t.Parallel()
	b := setup(t, callee.Config{Behaviour: callee.Silent}, dialer.Config{KeyTimeout: 10 * time.Second, MaxDuration: 800 * time.Millisecond})
	res, rec := b.call(t, person)
	require.Equal(t, wellcheck.OutcomeFailed, res.Outcome)
	require.Contains(t, res.Reason, "maximum length")
	require.Equal(t, "caller", rec.ByeFrom, "we hung up")
}

// A trunk that swallows INVITEs: the call fails as the system's fault once SIP's
// transaction timer runs out, and nothing is left running.
func TestSilentTrunk(t *testing.T) {
	t.Parallel()
	hole, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer hole.Close()
	d, err := dialer.New(dialer.Config{
		Trunk:       dialer.Trunk{Host: "127.0.0.1", Port: hole.LocalAddr().(*net.UDPAddr).Port},
		Listen:      "127.0.0.1:0",
		RingTimeout: 500 * time.Millisecond, CallerNumber: callerNumber,
	}, dialertest.ShortPrompts())
	require.NoError(t, err)
	defer d.Close()
	res, err := d.Call(context.Background(), person, "fr")
	require.NoError(t, err)
	require.Equal(t, wellcheck.OutcomeFailed, res.Outcome)
	require.Zero(t, res.SIPStatus)
	require.NotEmpty(t, res.Reason)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	_, err := dialer.New(dialer.Config{Listen: "127.0.0.1:0", CallerNumber: callerNumber}, dialertest.ShortPrompts())
	require.ErrorContains(t, err, "no trunk host")
	_, err = dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Transport: "sctp"}, Listen: "127.0.0.1:0", CallerNumber: callerNumber}, dialertest.ShortPrompts())
	require.ErrorContains(t, err, "not udp, tcp or tls")
	_, err = dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1"}, Listen: "127.0.0.1:0", CallerNumber: "0123456789"}, dialertest.ShortPrompts())
	require.ErrorContains(t, err, "E.164")
	_, err = dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1"}, Listen: "127.0.0.1:0", CallerNumber: callerNumber, Register: &dialer.Register{}}, dialertest.ShortPrompts())
	require.ErrorContains(t, err, "registration needs a user")
	_, err = dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Username: "u"}, Listen: "127.0.0.1:0", CallerNumber: callerNumber,
		Register: &dialer.Register{Registrar: "a:b:c"}}, dialertest.ShortPrompts())
	require.ErrorContains(t, err, `registrar "a:b:c"`)
	_, err = dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1"}, Listen: "127.0.0.1:0", CallerNumber: callerNumber, Keepalive: -time.Second}, dialertest.ShortPrompts())
	require.ErrorContains(t, err, "keep-alive interval -1s is negative")

	d, err := dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Port: 9}, Listen: "127.0.0.1:0", CallerNumber: callerNumber}, dialertest.ShortPrompts())
	require.NoError(t, err)
	defer d.Close()
	for _, to := range []string{"06 12 34 56 78", "+33 6 12", "tel:+33612345678", "sip:", ""} {
		_, err := d.Call(context.Background(), to, "fr")
		require.Error(t, err, to)
		require.NotContains(t, err.Error(), "612345678", "numbers are masked in errors")
	}
}

func TestInfoKey(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		ct, body string
		key      byte
		ok       bool
	}{
		{"application/dtmf-relay", "Signal=1\r\nDuration=160\r\n", '1', true},
		{"application/dtmf-relay", "signal= 2\nduration=250", '2', true},
		{"application/dtmf-relay", "Signal=10\r\nDuration=160\r\n", '*', true},
		{"application/dtmf-relay", "Signal=#\r\n", '#', true},
		{"Application/DTMF-Relay; charset=utf-8", "Signal=9", '9', true},
		{"application/dtmf", "2", '2', true},
		{"application/dtmf", "d\r\n", 'D', true},
		{"application/dtmf", "12", 0, false},
		{"application/dtmf-relay", "Duration=160", 0, false},
		{"application/dtmf-relay", "Signal=X", 0, false},
		{"text/plain", "1", 0, false},
		{"", "1", 0, false},
	} {
		key, ok := dialer.InfoKey(tt.ct, []byte(tt.body))
		require.Equal(t, tt.ok, ok, "%s %q", tt.ct, tt.body)
		require.Equal(t, tt.key, key, "%s %q", tt.ct, tt.body)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]wellcheck.Outcome{
		486: wellcheck.OutcomeBusy, 600: wellcheck.OutcomeBusy, 603: wellcheck.OutcomeDeclined,
		404: wellcheck.OutcomeInvalidNumber, 410: wellcheck.OutcomeInvalidNumber, 484: wellcheck.OutcomeInvalidNumber, 604: wellcheck.OutcomeInvalidNumber,
		480: wellcheck.OutcomeNoAnswer, 408: wellcheck.OutcomeNoAnswer, 487: wellcheck.OutcomeNoAnswer,
		403: wellcheck.OutcomeFailed, 488: wellcheck.OutcomeFailed, 500: wellcheck.OutcomeFailed, 503: wellcheck.OutcomeFailed, 606: wellcheck.OutcomeFailed,
	} {
		require.Equal(t, want, dialer.Classify(status), "status %d", status)
	}
}

// Logs say which call, never whose number.
func TestLogsMaskNumbers(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	b := setup(t, callee.Config{Behaviour: callee.Busy}, dialer.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	res, _ := b.call(t, person)
	require.Equal(t, wellcheck.OutcomeBusy, res.Outcome)
	out := logs.String()
	require.Contains(t, out, res.CallID)
	require.Contains(t, out, wellcheck.MaskPhone(person))
	require.NotContains(t, out, "612345678")
}

func FuzzInfoKey(f *testing.F) {
	f.Add("application/dtmf-relay", []byte("Signal=1\r\nDuration=160\r\n"))
	f.Add("application/dtmf", []byte("#"))
	f.Add("application/dtmf-relay; x=y", []byte("Signal=11"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		key, ok := dialer.InfoKey(ct, body)
		if ok && !strings.ContainsRune("0123456789*#ABCD", rune(key)) {
			t.Fatalf("key %q", key)
		}
		if !ok && key != 0 {
			t.Fatalf("key %q without ok", key)
		}
	})
}

// Ready is what /readyz asks of a worker node: the SIP transport is bound
// and serving, over UDP and TCP, until the dialer closes.
func TestReadyWhileTheTransportServes(t *testing.T) {
	t.Parallel()
	for _, transport := range []string{"udp", "tcp"} {
		d, err := dialer.New(dialer.Config{Trunk: dialer.Trunk{Host: "127.0.0.1", Port: 9, Transport: transport}, Listen: "127.0.0.1:0", CallerNumber: callerNumber}, dialertest.ShortPrompts())
		require.NoError(t, err)
		require.NoError(t, d.Ready(), transport)
		require.NoError(t, d.Close())
		require.ErrorContains(t, d.Ready(), "the SIP transport on "+d.Addr().String()+" stopped", transport)
	}
}
