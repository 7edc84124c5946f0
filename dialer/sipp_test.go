package dialer_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
)

// SIPp plays an independent callee: its scenarios (testdata/sipp) answer, press a
// key with the RFC 4733 packets SIPp ships, are busy, never answer, are overloaded
// or challenge with digest. SIPp is a test dependency: `make test-deps` installs it.

// freePorts finds n UDP ports nobody uses, each with the one two above it
// free too (SIPp's RTP takes two), their ranges apart. They are drawn below
// the system's ephemeral range (32768 and up on Linux), which every socket
// bound to port 0 — the dialer's RTP, the callee's, other tests' — takes
// from: once released for SIPp to bind, a port from there could be handed
// out again before SIPp has it. The sockets found stay bound until all are.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var held []net.PacketConn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	var ports []int
	for tries := 0; len(ports) < n && tries < 200; tries++ {
		port := 20000 + 4*rand.IntN(3000) // 20000-31996
		if slices.ContainsFunc(ports, func(p int) bool { return port >= p-3 && port <= p+3 }) {
			continue
		}
		a, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		held = append(held, a)
		b, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port+2))
		if err != nil {
			continue
		}
		held = append(held, b)
		ports = append(ports, port)
	}
	if len(ports) < n {
		t.Fatalf("no %d free UDP port pairs", n)
	}
	return ports
}

// sipp runs one scenario for one call and returns its SIP port and a function
// that waits for SIPp to finish and requires that the call went as scripted.
func sipp(t *testing.T, scenario string, args ...string) (int, func()) {
	t.Helper()
	bin, err := exec.LookPath("sipp")
	require.NoError(t, err, "SIPp is needed for these tests: run make test-deps (or apt-get install sip-tester)")
	ports := freePorts(t, 2)
	port, media := ports[0], ports[1]
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	cmd := exec.CommandContext(ctx, bin,
		"-sf", filepath.Join("testdata", "sipp", scenario),
		"-i", "127.0.0.1", "-p", fmt.Sprint(port),
		"-mi", "127.0.0.1", "-mp", fmt.Sprint(media),
		"-m", "1", "-nostdin", "-nd",
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"))
	cmd.Args = append(cmd.Args, args...) // a caller's: where it calls
	cmd.Dir = "."
	out, err := os.Create(filepath.Join(dir, "out.log"))
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	var once sync.Once
	wait := func() {
		once.Do(func() {
			err := cmd.Wait()
			cancel()
			out.Close()
			if err != nil {
				log, _ := os.ReadFile(filepath.Join(dir, "out.log"))
				errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
				t.Fatalf("SIPp %s: %v\n%s\n%s", scenario, err, log, errs)
			}
		})
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		cancel()
	})
	return port, wait
}

// recordingLimits is a Limiter that only remembers backoffs: the real one, shared
// through Postgres, has its own tests in store.
type recordingLimits struct {
	mu       sync.Mutex
	backoffs []time.Duration
}

func (l *recordingLimits) Acquire(context.Context) (func(), error) { return func() {}, nil }

func (l *recordingLimits) Backoff(_ context.Context, d time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.backoffs = append(l.backoffs, d)
	return nil
}

func TestAgainstSIPp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		trunk    dialer.Trunk
		outcome  wellcheck.Outcome
		status   int
		digits   string
		backoff  time.Duration
		// renegotiated counts the new descriptions the callee gave mid-call;
		// early, that it played early media (a 183 with SDP).
		renegotiated int
		early        bool
	}{
		{scenario: "answer_rfc4733.xml", outcome: wellcheck.OutcomeOK, status: 200, digits: "1"},
		// Behind NAT: the answer names an address the media never comes from.
		{scenario: "answer_media_elsewhere.xml", outcome: wellcheck.OutcomeOK, status: 200, digits: "1"},
		{scenario: "busy.xml", outcome: wellcheck.OutcomeBusy, status: 486},
		{scenario: "no_answer.xml", outcome: wellcheck.OutcomeNoAnswer, status: 487},
		// SIPp exits 0 only once it had our ACK and BYE: the raced answer was hung up.
		{scenario: "answer_on_cancel.xml", outcome: wellcheck.OutcomeNoAnswer},
		{scenario: "unavailable_503.xml", outcome: wellcheck.OutcomeFailed, status: 503, backoff: 30 * time.Second},
		// The trunk refusing us, or failing inside: every node waits rather
		// than send the next person's INVITE into it.
		{scenario: "forbidden_403.xml", outcome: wellcheck.OutcomeFailed, status: 403, backoff: 2 * time.Minute},
		{scenario: "server_error_500.xml", outcome: wellcheck.OutcomeFailed, status: 500, backoff: 30 * time.Second},
		{scenario: "auth_answer.xml", trunk: dialer.Trunk{Username: "trunkuser", Password: "trunksecret"}, outcome: wellcheck.OutcomeNoResponse, status: 200},
		// Early media never makes the call answered: a failure after it
		// is classified by its final status, and the announcement's key
		// is not the person's.
		{scenario: "early_media_busy.xml", outcome: wellcheck.OutcomeBusy, status: 486, early: true},
		{scenario: "early_media_480.xml", outcome: wellcheck.OutcomeNoAnswer, status: 480, early: true},
		{scenario: "early_media_404.xml", outcome: wellcheck.OutcomeInvalidNumber, status: 404, early: true},
		{scenario: "early_media_503.xml", outcome: wellcheck.OutcomeFailed, status: 503, early: true, backoff: 30 * time.Second},
		{scenario: "early_media_answer.xml", outcome: wellcheck.OutcomeOK, status: 200, digits: "1", early: true},
		// Mid-call: SIPp's scenarios check each 200 OK's SDP themselves.
		{scenario: "reinvite_hold.xml", outcome: wellcheck.OutcomeOK, status: 200, digits: "1", renegotiated: 3},
		{scenario: "reinvite_hold_key.xml", outcome: wellcheck.OutcomeOK, status: 200, digits: "1", renegotiated: 1},
		// A refresh, then a phone's comfort noise (13) and a type nobody
		// negotiated (96) around the key.
		{scenario: "reinvite_comfort_noise.xml", outcome: wellcheck.OutcomeOK, status: 200, digits: "1", renegotiated: 1},
		{scenario: "reinvite_delayed_offer.xml", outcome: wellcheck.OutcomeOK, status: 200, digits: "1", renegotiated: 1},
		{scenario: "update_options_midcall.xml", outcome: wellcheck.OutcomeOK, status: 200, digits: "1", renegotiated: 3},
		// Session timers with us as refresher: SIPp fails unless the
		// refresh (UPDATE, or re-INVITE when UPDATE is not allowed) comes
		// within the interval.
		{scenario: "session_timer_update.xml", outcome: wellcheck.OutcomeOK, status: 200, digits: "1"},
		{scenario: "session_timer_reinvite.xml", outcome: wellcheck.OutcomeOK, status: 200, digits: "1", renegotiated: 1},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			port, wait := sipp(t, tt.scenario)
			limits := &recordingLimits{}
			tt.trunk.Host, tt.trunk.Port = "127.0.0.1", port
			d, err := dialer.New(dialer.Config{
				Trunk: tt.trunk, Listen: "127.0.0.1:0", CallerNumber: callerNumber,
				RingTimeout: 2 * time.Second, KeyTimeout: 3 * time.Second, Limits: limits,
			}, dialertest.ShortPrompts())
			require.NoError(t, err)
			defer d.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res, err := d.Call(ctx, person, "fr")
			require.NoError(t, err)
			wait()
			require.Equal(t, tt.outcome, res.Outcome, "%+v", res)
			require.Equal(t, tt.status, res.SIPStatus)
			require.Equal(t, tt.digits, res.Digits)
			require.Equal(t, tt.renegotiated, res.Renegotiated)
			require.Equal(t, tt.early, res.EarlyMedia)
			if tt.early {
				require.Contains(t, res.Provisional, 183)
			}
			if tt.digits != "" {
				// SIPp plays its RTP from a capture and sends no RTCP: what
				// we measured of its packets is kept, what only its reports
				// could tell stays unknown (NULL), not zero.
				q := res.Quality
				require.NotNil(t, q.LossReceivedPct, "%s", fmtQuality(q))
				require.Nil(t, q.LossSentPct, "%s", fmtQuality(q))
				require.Nil(t, q.RTTMS, "%s", fmtQuality(q))
				require.NotNil(t, q.MOS, "estimated from what is known")
			}
			if tt.backoff > 0 {
				require.Equal(t, []time.Duration{tt.backoff}, limits.backoffs, "the trunk's Retry-After is every node's backoff")
			} else {
				require.Empty(t, limits.backoffs)
			}
		})
	}
}
