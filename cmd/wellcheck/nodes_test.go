package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/internal/faultproxy"
	"github.com/wellcheck/wellcheck/internal/metricstest"
)

// mainArgsEnv makes this test binary run wellcheck itself (see TestMain):
// the variable holds the command line as JSON, so a test can start real
// `wellcheck serve` processes.
const mainArgsEnv = "WELLCHECK_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	// Started with wellcheck's arguments rather than the test flags (go test
	// passes -test.… first): it is a node the soak started from this binary.
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-test.") {
		main()
	}
	if raw := os.Getenv(mainArgsEnv); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Args = append([]string{"wellcheck"}, args...)
		main()
	}
	os.Exit(m.Run())
}

// node is a `wellcheck serve` process started by a test.
type node struct {
	cmd  *exec.Cmd
	addr string // its HTTP address
	log  *lockedBuffer
	done chan error
}

// startServe starts `wellcheck serve` with env and args in a process of its
// own, and waits until it is ready.
func startServe(t *testing.T, env map[string]string, args ...string) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	raw, err := json.Marshal(append([]string{"serve"}, args...))
	require.NoError(t, err)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// Each node its own state directory (its outcome journal), as on two machines.
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+string(raw), "WELLCHECK_HTTP_ADDR="+addr, "WELLCHECK_STATE_DIR="+t.TempDir())
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	n := &node{cmd: cmd, addr: addr, log: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = n.log, n.log
	require.NoError(t, cmd.Start())
	go func() { n.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-n.done
	})
	require.Eventually(t, func() bool {
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, time.Minute, 50*time.Millisecond, "serve %v did not get ready:\n%s", args, n.log)
	return n
}

// get returns the body of a GET on the node.
func (n *node) get(t *testing.T, path string) string {
	t.Helper()
	body, err := n.fetch(path)
	require.NoError(t, err)
	return body
}

// fetch returns the body of a GET on the node, or why it has none; unlike
// get, it may run on any goroutine.
func (n *node) fetch(path string) (string, error) {
	res, err := http.Get("http://" + n.addr + path)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", path, res.Status, body)
	}
	return string(body), nil
}

// stop sends SIGTERM, as systemd or Kubernetes do, and returns how the
// process ended.
func (n *node) stop(t *testing.T, within time.Duration) error {
	t.Helper()
	require.NoError(t, n.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-n.done:
		n.done <- err // for the cleanup
		return err
	case <-time.After(within):
		t.Fatalf("the node did not stop within %s:\n%s", within, n.log)
		return nil
	}
}

// Two `wellcheck serve` processes against one database and the callee
// simulator: one runs every role, the other only calls (--roles worker).
// The trunk allows 3 calls at once and 2 new calls a second across both;
// 16 persons are due at the same minute. Both nodes call, the limits hold
// across them as the callee sees it, nobody is called twice, /metrics counts
// what happened, and SIGTERM lets the calls in progress end before the
// process exits cleanly.
func TestTwoNodesShareTheTrunkAndCallEachSlotOnce(t *testing.T) {
	t.Parallel()
	const persons, channels, cps = 16, 3, 2.0
	url := dbtest.NewURL(t)
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Behaviour: callee.PressOne, Ring: 100 * time.Millisecond, KeyDelay: 1500 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { ce.Close() })
	env := map[string]string{
		"WELLCHECK_DATABASE_URL": url, "WELLCHECK_LOG_FORMAT": "json", "WELLCHECK_LOG_LEVEL": "debug",
		"WELLCHECK_SIP_TRUNK": ce.Addr().String(), "WELLCHECK_SIP_LISTEN": "127.0.0.1:0",
		"WELLCHECK_TRUNK_CHANNELS": strconv.Itoa(channels), "WELLCHECK_TRUNK_CPS": fmt.Sprint(cps),
		"WELLCHECK_SOFT_STOP": "20s",
	}

	// The demo's service (open at all hours) and persons, all due at the
	// first whole minute at least 20 s away.
	a := &app{cfg: testConfig(t, env), logger: slog.New(slog.DiscardHandler)}
	defer a.close()
	st, err := a.open(context.Background())
	require.NoError(t, err)
	cast := cast{behaviours: map[string]callee.Behaviour{}}
	for i := range persons {
		cast.persons = append(cast.persons, demoPerson{name: demoNames[i], phone: fmt.Sprintf("+331990002%02d", i), language: "fr", behaviour: callee.PressOne})
	}
	_, first, err := a.seedDemo(context.Background(), st, cast, 0)
	require.NoError(t, err)

	full := startServe(t, env, "--no-migrate")
	worker := startServe(t, env, "--no-migrate", "--roles", "worker")
	require.Contains(t, worker.get(t, "/metrics"), `wellcheck_build_info{roles="worker"`)
	res, err := http.Get("http://" + worker.addr + "/login")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode, "a worker node serves no pages")

	// Stop the worker node while it has calls in progress: they end first.
	ctx := context.Background()
	host, err := os.Hostname()
	require.NoError(t, err)
	workerNode := host + ":" + strconv.Itoa(worker.cmd.Process.Pid) + ":%" // and the process's random part
	require.Eventually(t, func() bool {
		var n int
		return st.Pool().QueryRow(ctx, `SELECT count(*) FROM attempts WHERE ended_at IS NULL AND node LIKE $1`, workerNode).Scan(&n) == nil && n > 0
	}, time.Until(first)+time.Minute, 20*time.Millisecond, "the worker node has a call in progress")
	// Meanwhile /metrics shows the queue: calls due that wait for a channel,
	// and channels held, as the database counts them for every node.
	early := full.get(t, "/metrics")
	require.Positive(t, metricstest.Value(t, early, "wellcheck_calls_due"), "calls waiting for a channel")
	require.Positive(t, metricstest.Value(t, early, "wellcheck_calls_due_oldest_seconds"))
	require.InDelta(t, 2, metricstest.Value(t, early, "wellcheck_trunk_channels_in_use"), 1, "channels held by both nodes")
	stopped := time.Now()
	require.NoError(t, worker.stop(t, 30*time.Second), "SIGTERM stops the node cleanly:\n%s", worker.log)
	t.Logf("the worker node stopped in %s", time.Since(stopped).Round(time.Millisecond))
	var cut int
	require.NoError(t, st.Pool().QueryRow(ctx, `SELECT count(*) FROM attempts WHERE node LIKE $1 AND (ended_at IS NULL OR outcome <> 'ok')`, workerNode).Scan(&cut))
	require.Zero(t, cut, "the worker node's calls in progress ended as the person answered them")

	// The other node calls the rest. (Tomorrow's calls are planned too.)
	counts := map[wellcheck.CheckInState]int{}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		rows, err := st.Pool().Query(ctx, "SELECT state, count(*) FROM check_ins WHERE slot_at <= now() GROUP BY state")
		require.NoError(c, err)
		clear(counts)
		for rows.Next() {
			var state string
			var n int
			require.NoError(c, rows.Scan(&state, &n))
			counts[wellcheck.CheckInState(state)] = n
		}
		require.NoError(c, rows.Err())
		require.Equal(c, persons, counts[wellcheck.CheckInConfirmed], "check-ins by state: %v", counts)
	}, 2*time.Minute, 100*time.Millisecond)
	require.Len(t, counts, 1, "every check-in confirmed, nothing else: %v", counts)

	// Nobody called twice: one attempt per check-in in the database, one
	// INVITE per person at the callee; and both nodes called.
	var attempts, checkIns int
	var nodes []string
	require.NoError(t, st.Pool().QueryRow(ctx, `SELECT count(*), count(DISTINCT check_in_id), array_agg(DISTINCT node) FROM attempts`).Scan(&attempts, &checkIns, &nodes))
	require.Equal(t, persons, attempts)
	require.Equal(t, persons, checkIns)
	require.Len(t, nodes, 2, "both nodes placed calls: %v", nodes)
	records := ce.Records()
	require.Len(t, records, persons)
	called := map[string]int{}
	for _, r := range records {
		called[r.To]++
		require.Equal(t, 1, r.InvitesSeen, "one INVITE per call")
	}
	for _, p := range cast.persons {
		require.Equal(t, 1, called[strings.TrimPrefix(p.phone, "+")]+called[p.phone], "%s called once", p.phone)
	}

	// The limits held across the two nodes, as the callee saw the calls:
	// never more than 3 at once (and 3 were reached, so the limit did the
	// holding), and no faster than cps. Nobody is called before the due
	// minute, and each call reserves its start on the trunk's row, 1/cps after
	// the one before, whichever node places it: the n-th INVITE cannot reach
	// the callee before n-1 gaps after the due minute (it may come late,
	// never early).
	slices.SortFunc(records, func(a, b callee.Record) int { return a.Start.Compare(b.Start) })
	most := 0
	for _, r := range records {
		at := 0
		for _, o := range records {
			if !o.Start.After(r.Start) && o.End.After(r.Start) {
				at++
			}
		}
		most = max(most, at)
	}
	require.Equal(t, channels, most, "calls at once at the callee")
	spacing := time.Duration(float64(time.Second) / cps)
	for i, r := range records {
		require.False(t, r.Start.Before(first.Add(time.Duration(i)*spacing)),
			"INVITE %d of %d came %s after the due minute, before its turn", i+1, len(records), r.Start.Sub(first))
	}
	t.Logf("%d calls, at most %d at once, the last INVITE %s after the due minute", len(records), most, records[len(records)-1].Start.Sub(first).Round(time.Millisecond))

	// /metrics: what the full node did, and the service's day as the
	// database counts it.
	// (The database's figures are counted at most every 10 s.)
	full.get(t, "/login")
	var text string
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		// Run on a goroutine of its own: reports to c, never to t.
		var err error
		text, err = full.fetch("/metrics")
		require.NoError(c, err)
		require.Contains(c, text, fmt.Sprintf("\nwellcheck_check_ins{state=\"confirmed\"} %d\n", persons))
	}, 15*time.Second, 500*time.Millisecond)
	placed := metricstest.Value(t, text, `wellcheck_calls_total{kind="check_in",outcome="ok"}`)
	require.Positive(t, placed)
	require.Less(t, placed, float64(persons), "the full node placed only its share")
	require.Equal(t, placed, metricstest.Value(t, text, `wellcheck_calls_started_total{kind="check_in"}`))
	require.Zero(t, metricstest.Value(t, text, `wellcheck_calls_started_total{kind="escalation"}`))
	require.Equal(t, placed, metricstest.Value(t, text, "wellcheck_call_slot_lag_seconds_count"))
	require.Equal(t, placed, metricstest.Value(t, text, "wellcheck_call_talk_seconds_count"))
	require.Zero(t, metricstest.Value(t, text, "wellcheck_calls_in_progress"))
	require.Contains(t, text, `wellcheck_calls_total{kind="check_in",outcome="busy"} 0`, "every outcome's series exists before its first call")
	require.Equal(t, float64(persons), metricstest.Value(t, text, `wellcheck_check_ins{state="confirmed"}`))
	require.Equal(t, float64(channels), metricstest.Value(t, text, `wellcheck_trunk_limit{limit="channels"}`))
	require.Equal(t, cps, metricstest.Value(t, text, `wellcheck_trunk_limit{limit="cps"}`))
	require.Zero(t, metricstest.Value(t, text, "wellcheck_trunk_channels_in_use"))
	require.Zero(t, metricstest.Value(t, text, "wellcheck_calls_due"))
	require.Equal(t, 1.0, metricstest.Value(t, text, "wellcheck_database_up"))
	require.Equal(t, placed, metricstest.Value(t, text, `wellcheck_river_jobs_worked_total{kind="check_in_call",queue="calls",result="ok"}`))
	require.Positive(t, metricstest.Value(t, text, `wellcheck_river_jobs_fetched_total{queue="calls"}`), "River's metric hook")
	require.Contains(t, text, `wellcheck_river_jobs{queue="calls",state="available"} 0`, "every call placed")
	require.Contains(t, text, `wellcheck_river_jobs{queue="calls",state="discarded"} 0`, "a state with no job shows 0")
	require.Positive(t, metricstest.Value(t, text, `wellcheck_http_request_seconds_count{code="200",method="get",route="GET /metrics"}`))
	require.Equal(t, 1.0, metricstest.Value(t, text, `wellcheck_http_request_seconds_count{code="200",method="get",route="GET /login"}`), "a page by its route")

	// The logs name each job and request, and never a whole number.
	logs := full.log.String() + worker.log.String()
	require.Regexp(t, `"job_id":\d+,"job":"check_in_call"`, logs)
	require.Regexp(t, `"request_id":"[A-Za-z0-9]{16}"`, logs)
	for _, p := range cast.persons {
		require.NotContains(t, logs, p.phone[1:], "a phone number in the logs")
	}
	require.NoError(t, full.stop(t, 30*time.Second))
}

func testConfig(t *testing.T, env map[string]string) Config {
	t.Helper()
	cfg, _, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	return cfg
}

// A database that drops every packet, then one that restarts: /readyz says
// so within 10 s, the log says each outage once rather than at every tick,
// and the node is ready again by itself each time — no restart.
func TestANodeSaysItsDatabaseIsAwayAndComesBack(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.NewURL(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	proxy, err := faultproxy.New(u.Host)
	require.NoError(t, err)
	t.Cleanup(func() { proxy.Close() })
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Behaviour: callee.PressOne})
	require.NoError(t, err)
	t.Cleanup(func() { ce.Close() })
	migrate := newCLI(t, dbURL)
	require.Zero(t, migrate.run("", "migrate").code)
	n := startServe(t, map[string]string{
		"WELLCHECK_DATABASE_URL": proxy.URL(dbURL), "WELLCHECK_SIP_TRUNK": ce.Addr().String(), "WELLCHECK_SIP_LISTEN": "127.0.0.1:0",
	}, "--no-migrate")

	status := func() (int, string) {
		client := http.Client{Timeout: 5 * time.Second}
		res, err := client.Get("http://" + n.addr + "/readyz")
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	proxy.BlackHole()
	cut := time.Now()
	require.Eventually(t, func() bool {
		code, body := status()
		return code == http.StatusServiceUnavailable && strings.Contains(body, "database unreachable")
	}, 10*time.Second, 100*time.Millisecond, "/readyz says the database is away")
	t.Logf("/readyz said so after %s", time.Since(cut).Round(100*time.Millisecond))
	proxy.Heal()
	require.Eventually(t, func() bool {
		code, _ := status()
		return code == http.StatusOK
	}, 30*time.Second, 200*time.Millisecond, "ready again by itself:\n%s", n.log)
	// A restart of the database: every try fails at once, five a second;
	// it lasts until the node's loops and River's have been refused many
	// times over.
	refused := proxy.Stats().Refused
	proxy.Reset()
	require.Eventually(t, func() bool { return proxy.Stats().Refused >= refused+20 }, 30*time.Second, 50*time.Millisecond)
	proxy.Heal()
	require.Eventually(t, func() bool {
		code, _ := status()
		return code == http.StatusOK && strings.Contains(n.log.String(), "make due calls available works again")
	}, 30*time.Second, 200*time.Millisecond, "ready again by itself:\n%s", n.log)
	require.Nil(t, n.cmd.ProcessState, "the process never stopped")
	logs := n.log.String()
	// Each outage logged once by our loops, and River's at most once a
	// minute a message, not at every tick.
	require.Equal(t, strings.Count(logs, "make due calls available fails"), strings.Count(logs, "make due calls available works again"), logs)
	require.LessOrEqual(t, strings.Count(logs, "make due calls available fails"), 2, logs)
	require.LessOrEqual(t, strings.Count(logs, "producer: Error fetching jobs"), 2, logs)
}
