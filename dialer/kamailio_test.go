package dialer_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/internal/logtest"
)

// Kamailio plays the carrier's registrar and proxy (testdata/kamailio): it
// challenges REGISTER with 401 and INVITE with 407 for one account, keeps
// contacts in memory, records its route on calls and relays every number to
// the callee simulator. It is a test dependency: `make test-deps` installs it.

const (
	kamUser     = "service"
	kamPassword = "line-s3cret"
)

// kamConfig fills testdata/kamailio/kamailio.cfg.tmpl.
type kamConfig struct {
	Port, Callee                           int
	Dir, Modules                           string
	User, Password                         string
	DefaultExpires, MinExpires, MaxExpires int
	Children                               int
}

// kamailio is one kamailio process.
type kamailio struct {
	cfg kamConfig
	log string // its standard error
}

// startKamailio runs kamailio in the foreground on a free loopback port,
// relaying calls to the callee port given, and stops it when the test ends.
func startKamailio(t testing.TB, calleePort int, tweak func(*kamConfig)) *kamailio {
	t.Helper()
	bin, err := exec.LookPath("kamailio")
	if err != nil {
		bin = "/usr/sbin/kamailio" // Debian's, off a user's PATH
	}
	_, err = os.Stat(bin)
	require.NoError(t, err, "kamailio is needed for these tests: run make test-deps (or apt-get install kamailio)")
	// Debian's modules, in the architecture's directory.
	modules, _ := filepath.Glob("/usr/lib/*/kamailio/modules")
	modules = append(modules, "/usr/lib/kamailio/modules")
	dir := t.TempDir()
	k := &kamailio{cfg: kamConfig{
		Port: freePorts(t, 1)[0], Callee: calleePort, Dir: dir, Modules: modules[0],
		User: kamUser, Password: kamPassword, DefaultExpires: 600, MinExpires: 1, MaxExpires: 3600, Children: 2,
	}, log: filepath.Join(dir, "kamailio.log")}
	if tweak != nil {
		tweak(&k.cfg)
	}
	tmpl, err := template.ParseFiles(filepath.Join("testdata", "kamailio", "kamailio.cfg.tmpl"))
	require.NoError(t, err)
	var cfg bytes.Buffer
	require.NoError(t, tmpl.Execute(&cfg, k.cfg))
	cfgPath := filepath.Join(dir, "kamailio.cfg")
	require.NoError(t, os.WriteFile(cfgPath, cfg.Bytes(), 0o600))
	out, err := os.Create(k.log)
	require.NoError(t, err)
	cmd := exec.Command(bin, "-DD", "-E", "-f", cfgPath, "-P", filepath.Join(dir, "kamailio.pid"), "-Y", dir, "-m", "32", "-M", "4")
	cmd.Stdout, cmd.Stderr = out, out
	// kamailio forks its workers: in a process group of their own, they all
	// go with it (killing the main process alone left them running).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); out.Close(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	// Ready once its control socket answers.
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := k.rpc("core.version"); err == nil {
			break
		}
		select {
		case <-exited:
			t.Fatalf("kamailio exited at start:\n%s", k.logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kamailio did not start within 15 s:\n%s", k.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return k
}

func (k *kamailio) logs() string {
	b, _ := os.ReadFile(k.log)
	return string(b)
}

// rpc runs a command on kamailio's control socket (kamcmd).
func (k *kamailio) rpc(args ...string) (string, error) {
	bin, err := exec.LookPath("kamcmd")
	if err != nil {
		bin = "/usr/sbin/kamcmd"
	}
	out, err := exec.Command(bin, append([]string{"-s", "unix:" + filepath.Join(k.cfg.Dir, "kamailio_ctl")}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("kamcmd %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// binding is a contact kamailio's location table holds.
type binding struct {
	Address string
	Expires int
	CSeq    int
}

var (
	ulAddress = regexp.MustCompile(`Address: (\S+)`)
	ulExpires = regexp.MustCompile(`Expires: (-?\d+)`)
	ulCSeq    = regexp.MustCompile(`CSeq: (\d+)`)
)

// bindings reads what kamailio's usrloc holds for the AOR of user (ul.dump;
// the location table is keyed by user alone).
func (k *kamailio) bindings(t testing.TB, user string) []binding {
	t.Helper()
	out, err := k.rpc("ul.dump")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(out, "AoR: "+user+"\n")
	if !ok {
		return nil
	}
	if i := strings.Index(rest, "AoR: "); i >= 0 {
		rest = rest[:i]
	}
	var out2 []binding
	for _, c := range strings.Split(rest, "Contact: {")[1:] {
		var b binding
		if m := ulAddress.FindStringSubmatch(c); m != nil {
			b.Address = m[1]
		}
		if m := ulExpires.FindStringSubmatch(c); m != nil {
			b.Expires, _ = strconv.Atoi(m[1])
		}
		if m := ulCSeq.FindStringSubmatch(c); m != nil {
			b.CSeq, _ = strconv.Atoi(m[1])
		}
		out2 = append(out2, b)
	}
	return out2
}

// recordingObserver remembers what the dialer told the metrics.
type recordingObserver struct {
	mu         sync.Mutex
	registered []bool
	failed     int
	up         []bool
	rtts       []time.Duration
}

func (o *recordingObserver) SIPRegistered(b bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.registered = append(o.registered, b)
}

func (o *recordingObserver) SIPRegistrationFailed() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed++
}

func (o *recordingObserver) TrunkUp(b bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.up = append(o.up, b)
}

func (o *recordingObserver) TrunkRTT(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rtts = append(o.rtts, d)
}

// kamDialer is a dialer whose trunk is kamailio k, with the account's
// credentials (password given), registering when reg is set.
func kamDialer(t *testing.T, k *kamailio, password string, reg *dialer.Register, o dialer.Observer) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(dialer.Config{
		Trunk:  dialer.Trunk{Host: "127.0.0.1", Port: k.cfg.Port, Username: kamUser, Password: password},
		Listen: "127.0.0.1:0", CallerNumber: callerNumber, CallerName: callerName,
		RingTimeout: 2 * time.Second, KeyTimeout: 400 * time.Millisecond,
		Register: reg, Observer: o,
	}, dialertest.ShortPrompts())
	require.NoError(t, err)
	return d
}

// The node registers its Contact with kamailio, answering the 401; kamailio
// holds it; the registrar's grant, shorter than what was asked, is what is
// refreshed, before it lapses; a clean stop unregisters it.
func TestRegisterWithKamailio(t *testing.T) {
	t.Parallel()
	// Ten minutes asked, two seconds granted: refreshed between one and 1.6 s.
	k := startKamailio(t, 9, func(c *kamConfig) { c.MaxExpires = 2 })
	obs := &recordingObserver{}
	d := kamDialer(t, k, kamPassword, &dialer.Register{Expires: 10 * time.Minute}, obs)
	closed := false
	t.Cleanup(func() {
		if !closed {
			d.Close()
		}
	})
	aor := "sip:" + kamUser + "@127.0.0.1"
	contact := fmt.Sprintf("sip:wellcheck@%s", d.Addr())

	var first dialer.Registration
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		first = d.Registration()
		assert.Equal(c, dialer.RegRegistered, first.State)
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, d.Registered(), "/readyz: ready")
	require.Equal(t, aor, first.AOR)
	require.Equal(t, contact, first.Contact)
	require.WithinDuration(t, time.Now().Add(2*time.Second), first.ExpiresAt, time.Second, "the registrar's grant, not the ten minutes asked")
	require.True(t, first.RefreshAt.Before(first.ExpiresAt), "refreshed before it lapses")
	bs := k.bindings(t, kamUser)
	require.Len(t, bs, 1, "kamailio holds our contact")
	require.Equal(t, contact, bs[0].Address)

	// Refreshed: kamailio sees the same binding's CSeq grow, and the
	// registration never lapses meanwhile.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		r := d.Registration()
		assert.Equal(c, dialer.RegRegistered, r.State)
		assert.True(c, r.ExpiresAt.After(first.ExpiresAt.Add(500*time.Millisecond)), "refreshed")
	}, 10*time.Second, 10*time.Millisecond)
	bs = k.bindings(t, kamUser)
	require.Len(t, bs, 1, "a refresh updates the binding, it adds none")
	require.Greater(t, bs[0].CSeq, 2, "challenged, then refreshed at least once: %+v", bs[0])
	require.Equal(t, dialer.RegRegistered, d.Registration().State)

	// A clean stop: kamailio forgets us at once.
	require.NoError(t, d.Close())
	closed = true
	require.Empty(t, k.bindings(t, kamUser), "unregistered on Close")
	require.Equal(t, dialer.RegOff, d.Registration().State)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	require.Equal(t, true, obs.registered[0])
	require.Equal(t, false, obs.registered[len(obs.registered)-1], "the gauge falls on unregister")
	require.Zero(t, obs.failed)
}

// A registration shorter than the registrar's minimum gets 423 Interval
// Too Brief: the node asks again for the Min-Expires it names.
func TestRegisterHonoursMinExpires(t *testing.T) {
	t.Parallel()
	k := startKamailio(t, 9, func(c *kamConfig) { c.MinExpires = 120 })
	d := kamDialer(t, k, kamPassword, &dialer.Register{Expires: 30 * time.Second}, nil)
	defer d.Close()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, dialer.RegRegistered, d.Registration().State, "%+v", d.Registration())
	}, 10*time.Second, 10*time.Millisecond, "kamailio:\n%s", k.logs())
	r := d.Registration()
	require.WithinDuration(t, time.Now().Add(120*time.Second), r.ExpiresAt, 2*time.Second, "the registrar's minimum")
	bs := k.bindings(t, kamUser)
	require.Len(t, bs, 1)
	require.InDelta(t, 120, bs[0].Expires, 3)
}

// A wrong password: the state says the registrar refuses the credentials
// (never what they are), /readyz says the node is not ready, it is tried
// again later, and kamailio holds nothing.
func TestRegisterWrongPassword(t *testing.T) {
	t.Parallel()
	k := startKamailio(t, 9, nil)
	obs := &recordingObserver{}
	var logs logtest.Buffer
	d, err := dialer.New(dialer.Config{
		Trunk:  dialer.Trunk{Host: "127.0.0.1", Port: k.cfg.Port, Username: kamUser, Password: "wrong-pass"},
		Listen: "127.0.0.1:0", CallerNumber: callerNumber, Observer: obs, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Register: &dialer.Register{RetryMin: 100 * time.Millisecond, RetryMax: 200 * time.Millisecond},
	}, dialertest.ShortPrompts())
	require.NoError(t, err)
	defer d.Close()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		r := d.Registration()
		assert.Equal(c, dialer.RegFailing, r.State)
		assert.GreaterOrEqual(c, r.Failures, 2, "tried again")
	}, 10*time.Second, 10*time.Millisecond)
	r := d.Registration()
	require.Equal(t, 401, r.Status)
	require.Contains(t, r.Reason, "401")
	require.Contains(t, r.Reason, "check the SIP username and password")
	require.NotContains(t, r.Reason, "wrong-pass")
	require.True(t, r.ExpiresAt.IsZero())
	err = d.Registered()
	require.ErrorIs(t, err, dialer.ErrNotRegistered)
	require.ErrorContains(t, err, "not registered with the SIP registrar: the registrar answered 401")
	require.Contains(t, logs.String(), "SIP registration failed")
	require.NotContains(t, logs.String(), "wrong-pass", "no password in the log")
	require.Empty(t, k.bindings(t, kamUser))
	obs.mu.Lock()
	defer obs.mu.Unlock()
	require.GreaterOrEqual(t, obs.failed, 2)
	require.NotContains(t, obs.registered, true)
}

// The retry waits grow from RetryMin to RetryMax, jittered.
func TestRegisterRetriesBackOff(t *testing.T) {
	t.Parallel()
	k := startKamailio(t, 9, nil)
	d := kamDialer(t, k, "wrong-pass", &dialer.Register{RetryMin: 200 * time.Millisecond, RetryMax: 800 * time.Millisecond}, nil)
	defer d.Close()
	var waits []time.Duration
	seen := 0
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		r := d.Registration()
		if r.State == dialer.RegFailing && r.Failures > seen {
			seen = r.Failures
			waits = append(waits, time.Until(r.RefreshAt))
		}
		assert.GreaterOrEqual(c, seen, 4)
	}, 20*time.Second, 5*time.Millisecond)
	// The first wait is about RetryMin (±25 %), the later ones about
	// RetryMax, never beyond 1.25×.
	require.Less(t, waits[0], 260*time.Millisecond)
	require.Greater(t, waits[len(waits)-1], 500*time.Millisecond)
	for _, w := range waits {
		require.LessOrEqual(t, w, time.Second)
	}
}

// throughKamailio is the person's phone behaving as cc, kamailio as the
// trunk's proxy and registrar in front of it, and a dialer registered with
// it.
func throughKamailio(t *testing.T, cc callee.Config) (*callee.Callee, *kamailio, *dialer.Dialer) {
	t.Helper()
	cc.Listen = "127.0.0.1:0"
	ce, err := callee.New(cc)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, ce.Close()) })
	k := startKamailio(t, int(ce.Addr().Port()), nil)
	d := kamDialer(t, k, kamPassword, &dialer.Register{}, nil)
	t.Cleanup(func() { d.Close() })
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, dialer.RegRegistered, d.Registration().State)
	}, 10*time.Second, 10*time.Millisecond)
	return ce, k, d
}

// A check-in call through kamailio: the INVITE's 407 answered, the call
// relayed to the person's phone (the callee simulator), the key 1 heard,
// and our BYE sent along the route kamailio recorded.
func TestCallThroughKamailio(t *testing.T) {
	t.Parallel()
	ce, k, d := throughKamailio(t, callee.Config{Behaviour: callee.PressOne, KeyDelay: 100 * time.Millisecond})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := d.Call(ctx, person, "fr")
	require.NoError(t, err)
	require.Equal(t, wellcheck.OutcomeOK, res.Outcome, "%+v", res)
	require.Equal(t, "1", res.Digits)
	require.Equal(t, 200, res.SIPStatus)
	require.Equal(t, "us", res.HungUpBy)
	recs, err := ce.Wait(ctx, 1)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.Equal(t, person, recs[0].To)
	require.Equal(t, callerNumber, recs[0].FromUser)
	require.Equal(t, "caller", recs[0].ByeFrom)
	require.Equal(t, 1, recs[0].InvitesSeen, "the 407 was kamailio's, answered there")
	logs := k.logs()
	require.Contains(t, logs, "in-dialog ACK loose-routed", "the ACK followed the recorded route")
	require.Contains(t, logs, "in-dialog BYE loose-routed", "the BYE followed the recorded route")
}

// The trunk's keep-alive: kamailio answers OPTIONS 200, its RTT is kept.
func TestKeepaliveKamailio(t *testing.T) {
	t.Parallel()
	k := startKamailio(t, 9, nil)
	obs := &recordingObserver{}
	d, err := dialer.New(dialer.Config{
		Trunk:  dialer.Trunk{Host: "127.0.0.1", Port: k.cfg.Port},
		Listen: "127.0.0.1:0", CallerNumber: callerNumber, Keepalive: 50 * time.Millisecond, Observer: obs,
	}, dialertest.ShortPrompts())
	require.NoError(t, err)
	defer d.Close()
	awaitTrunkUp(t, d)
	h := d.TrunkHealth()
	require.Equal(t, 200, h.Status)
	require.Positive(t, h.RTT)
	require.Equal(t, fmt.Sprintf("127.0.0.1:%d", k.cfg.Port), h.Target)
	require.False(t, d.TrunkDown())
}

// With an outbound proxy, the keep-alives go to the proxy: the trunk behind
// it (here an address where nothing answers) is the proxy's business.
func TestKeepaliveGoesToTheOutboundProxy(t *testing.T) {
	t.Parallel()
	k := startKamailio(t, 9, nil)
	d, err := dialer.New(dialer.Config{
		Trunk:  dialer.Trunk{Host: "127.0.0.1", Port: freePorts(t, 1)[0], Proxy: fmt.Sprintf("127.0.0.1:%d", k.cfg.Port)},
		Listen: "127.0.0.1:0", CallerNumber: callerNumber, Keepalive: 100 * time.Millisecond,
	}, dialertest.ShortPrompts())
	require.NoError(t, err)
	defer d.Close()
	awaitTrunkUp(t, d)
	h := d.TrunkHealth()
	require.Equal(t, fmt.Sprintf("127.0.0.1:%d", k.cfg.Port), h.Target)
	require.Equal(t, 200, h.Status, "kamailio's own answer")
}

// Keep-alives against the callee simulator, which answers OPTIONS 405 (still
// alive): up with an RTT; the far end stopped, down after three misses in
// a row; back at the first answer.
func TestKeepaliveDownAndUp(t *testing.T) {
	t.Parallel()
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	addr := ce.Addr()
	obs := &recordingObserver{}
	d, err := dialer.New(dialer.Config{
		Trunk: dialer.Trunk{Host: "127.0.0.1", Port: int(addr.Port())},
		// Under a loaded machine's worst pauses: three misses in a row are
		// the far end's doing.
		Listen: "127.0.0.1:0", CallerNumber: callerNumber, Keepalive: 100 * time.Millisecond, Observer: obs,
	}, dialertest.ShortPrompts())
	require.NoError(t, err)
	defer d.Close()
	awaitTrunkUp(t, d)
	up := d.TrunkHealth()
	require.Equal(t, 405, up.Status, "a 405 is an answer: the trunk is there")
	require.Positive(t, up.RTT)
	require.Zero(t, up.Misses)

	require.NoError(t, ce.Close())
	var misses []int
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		h := d.TrunkHealth()
		if len(misses) == 0 || misses[len(misses)-1] != h.Misses {
			misses = append(misses, h.Misses)
		}
		if h.Misses > 0 && h.Misses < dialer.MissesDown {
			assert.Equal(c, dialer.TrunkUp, h.State, "still up after %d misses", h.Misses)
		}
		assert.Equal(c, dialer.TrunkDown, h.State)
	}, 10*time.Second, 2*time.Millisecond)
	down := d.TrunkHealth()
	require.GreaterOrEqual(t, down.Misses, dialer.MissesDown)
	require.True(t, d.TrunkDown())
	require.Contains(t, down.Reason, "no answer to OPTIONS")
	require.True(t, down.Since.After(up.Since))

	// The far end is back on the same address: up at its first answer.
	back, err := callee.New(callee.Config{Listen: addr.String()})
	require.NoError(t, err)
	defer back.Close()
	awaitTrunkUp(t, d)
	require.False(t, d.TrunkDown())
	require.Zero(t, d.TrunkHealth().Misses)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	require.Equal(t, []bool{true, false, true}, compact(obs.up), "the gauge went up, down, up")
	require.NotEmpty(t, obs.rtts)
}

// compact drops repeats in a row.
func compact(bs []bool) []bool {
	var out []bool
	for _, b := range bs {
		if len(out) == 0 || out[len(out)-1] != b {
			out = append(out, b)
		}
	}
	return out
}

// BenchmarkCallsThroughKamailio places short answered calls through kamailio
// (the INVITE challenged with 407 and answered, Record-Route, the key sent
// as SIP INFO along the recorded route, the BYE too) to the callee
// simulator, many in flight, and reports calls per second. Every call must
// end ok.
func BenchmarkCallsThroughKamailio(b *testing.B) {
	blip := dialertest.Tone(20)
	set := &dialer.PromptSet{Greeting: blip, Menu: blip, OK: blip, Help: blip, NoResponse: blip}
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Behaviour: callee.PressOne, Keys: callee.InfoRelay,
		Ring: time.Microsecond, KeyDelay: time.Microsecond})
	require.NoError(b, err)
	b.Cleanup(func() { ce.Close() })
	k := startKamailio(b, int(ce.Addr().Port()), func(c *kamConfig) { c.Children = 4 })
	d, err := dialer.New(dialer.Config{
		Trunk:  dialer.Trunk{Host: "127.0.0.1", Port: k.cfg.Port, Username: kamUser, Password: kamPassword},
		Listen: "127.0.0.1:0", CallerNumber: callerNumber, KeyTimeout: 5 * time.Second,
	}, dialer.NewPrompts(map[string]*dialer.PromptSet{"fr": set}))
	require.NoError(b, err)
	b.Cleanup(func() { d.Close() })
	b.ResetTimer()
	elapsed := placeCalls(b, d, b.N, 32)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
}

// awaitTrunkUp waits until d's keep-alives find the trunk up.
func awaitTrunkUp(t *testing.T, d *dialer.Dialer) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, dialer.TrunkUp, d.TrunkHealth().State)
	}, 10*time.Second, 5*time.Millisecond)
}

// A listener's call from the browser goes through kamailio as the trunk's
// proxy, its digest challenge answered, like a check-in: the person hears
// the listener and the listener the person, and the listener's hang-up
// follows the recorded route.
func TestListenerCallThroughKamailio(t *testing.T) {
	t.Parallel()
	ce, k, d := throughKamailio(t, callee.Config{Behaviour: callee.Talk, TalkKey: '5', KeyDelay: 300 * time.Millisecond})

	leg := dialertest.NewLeg(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		select {
		case <-leg.Picked():
		case <-ctx.Done():
			return
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			recs := ce.Records() // the key, and a second of talk
			heard, pressed, _ := leg.Snapshot()
			if pressed == "5" && len(recs) == 1 && dialertest.Hears(recs[0].Heard, listenerVoice, 40) && dialertest.Hears(heard, callee.VoiceTone, 40) {
				break
			}
		}
		leg.HangUp()
	}()
	res, err := d.Connect(ctx, dialer.ConnectRequest{To: person, Leg: leg})
	require.NoError(t, err)
	require.Equal(t, wellcheck.OutcomeAnswered, res.Outcome, "%+v", res)
	require.Equal(t, "us", res.HungUpBy)
	recs, err := ce.Wait(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, callerNumber, recs[0].FromUser, "the service's number")
	require.Equal(t, 1, recs[0].InvitesSeen, "the 407 was kamailio's, answered there")
	require.Equal(t, "caller", recs[0].ByeFrom)
	loud, tone := dialertest.ToneFrames(recs[0].Heard, listenerVoice)
	require.Greater(t, loud, 40, "the person heard the listener")
	require.Greater(t, tone, loud*8/10)
	heard, _, _ := leg.Snapshot()
	loud, tone = dialertest.ToneFrames(heard, callee.VoiceTone)
	require.Greater(t, loud, 40, "the listener heard the person")
	require.Greater(t, tone, loud*8/10)
	require.Contains(t, k.logs(), "in-dialog BYE loose-routed", "the BYE followed the recorded route")
}
