package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/internal/faultproxy"
	"github.com/wellcheck/wellcheck/store"
)

// soak runs a busy morning against a failing database: two `wellcheck serve`
// processes reach a fresh database through a fault proxy that cuts it again
// and again (a restart that resets every connection, or a partition that lets
// no byte through), while persons' check-ins come due and the callee
// simulator answers. Then it compares what the simulated persons did with
// what the database holds: a key pressed and not recorded as pressed is lost,
// a call beyond one per attempt (or after a key was pressed) is a duplicate.
// It fails when anything is lost or duplicated, or a node had to stop.
func (a *app) soak(ctx context.Context, args []string) (err error) {
	// An operator's tool: what went wrong is said as it is.
	defer func() {
		var ue *usageError
		var rep *reported
		if err != nil && !errors.As(err, &ue) && !errors.As(err, &rep) && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(a.stderr, "wellcheck soak:", err)
			err = &reported{err}
		}
	}()
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	o := soakOptions{}
	fs.DurationVar(&o.duration, "duration", 30*time.Minute, "how long check-ins come due and the database is cut; then every check-in due is waited for")
	fs.IntVar(&o.persons, "persons", 2000, "fictitious persons, each with one check-in due in the first 80 % of the run (1 to 8000)")
	dbName := fs.String("database", "wellcheck_soak", "the soak's database on the configured server; dropped at start and at the end")
	keep := fs.Bool("keep", false, "keep the database at the end, to look into it")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of the cuts and of what the simulated persons do (default: from the clock)")
	reportFile := fs.String("report", "", "also write the report, in Markdown, to this file")
	weights := fs.String("weights", "ok=80,help=8,silent=4,no_answer=4,busy=4", "what the simulated persons do, in proportion (as for wellcheck callee)")
	fs.DurationVar(&o.outageMin, "outage-min", 5*time.Second, "shortest cut of the database")
	fs.DurationVar(&o.outageMax, "outage-max", 2*time.Minute, "longest cut of the database")
	fs.DurationVar(&o.gapMin, "gap-min", 30*time.Second, "shortest quiet time between two cuts, calls flowing")
	fs.DurationVar(&o.gapMax, "gap-max", 2*time.Minute, "longest quiet time between two cuts")
	fs.IntVar(&o.maxCuts, "max-cuts", 0, "cut at most this many times (0: as many as fit)")
	fs.BoolVar(&o.rawHoles, "raw-black-holes", false, "end a black hole leaving the connections that crossed it open, their bytes lost mid-stream (a fault TCP does not make)")
	fs.DurationVar(&o.settle, "settle", 10*time.Minute, "after the run, how long to wait for every check-in due to end")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	switch {
	case fs.NArg() > 0:
		return &usageError{"soak takes no arguments"}
	case o.duration < 10*time.Second || o.duration > 24*time.Hour:
		return &usageError{"--duration: between 10s and 24h"}
	case o.persons < 1 || o.persons > 8000:
		return &usageError{"--persons: between 1 and 8000"}
	case o.outageMin <= 0 || o.outageMax < o.outageMin:
		return &usageError{"--outage-min and --outage-max: positive, the least first"}
	case o.gapMin <= 0 || o.gapMax < o.gapMin:
		return &usageError{"--gap-min and --gap-max: positive, the least first"}
	case o.maxCuts < 0:
		return &usageError{"--max-cuts: 0 or more"}
	}
	w, err := callee.ParseWeights(*weights)
	if err != nil {
		return &usageError{"--weights: " + err.Error()}
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	dsn, err := pgx.ParseConfig(a.cfg.DatabaseURL)
	if err != nil {
		return &usageError{fmt.Sprintf("database URL: %v", err)}
	}

	// The nodes' logs, their journals and the soak's own log: kept after the
	// run, to read what happened around a figure.
	o.dir, err = os.MkdirTemp("", "wellcheck-soak-")
	if err != nil {
		return err
	}
	logs, err := os.Create(filepath.Join(o.dir, "soak.log"))
	if err != nil {
		return err
	}
	defer logs.Close()
	if a.logger, err = a.cfg.logger(logs); err != nil {
		return err
	}

	if err := a.dropDatabase(ctx, dsn, *dbName); err != nil {
		return err
	}
	a.cfg.DatabaseURL = withDatabase(a.cfg.DatabaseURL, *dbName)
	if err := a.applyMigrations(ctx, true); err != nil {
		return err
	}
	defer func() {
		a.close()
		a.pool = nil
		if !*keep {
			if err := a.dropDatabase(context.WithoutCancel(ctx), dsn, *dbName); err != nil {
				fmt.Fprintln(a.stderr, "wellcheck soak:", err)
			}
		}
	}()
	st, err := a.open(ctx)
	if err != nil {
		return err
	}
	s, err := a.seedService(ctx, st, "soak", "wellcheck soak", wellcheck.RetryPolicy{MaxAttempts: 3, RetryMinutes: []int{1}}, []demoAccount{
		{"coordinator", "coordinatrice@example.org", "Camille Coordinatrice", ""},
		{"listener", "ecoutant1@example.org", "Élise Écoutante", ""},
		{"listener", "ecoutant2@example.org", "Louis Écoutant", ""},
	})
	if err != nil {
		return err
	}

	// Calls last a few seconds: a ring of a second, the key two seconds after
	// answering.
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Weights: w, Seed: o.seed,
		Ring: time.Second, KeyDelay: 2 * time.Second, Logger: a.logger})
	if err != nil {
		return fmt.Errorf("start the callee simulator: %w", err)
	}
	defer ce.Close()
	proxy, err := faultproxy.New(net.JoinHostPort(dsn.Host, strconv.Itoa(int(dsn.Port))))
	if err != nil {
		return err
	}
	defer proxy.Close()

	run := &soakRun{soakOptions: o, app: a, st: st, proxy: proxy, callee: ce, out: a.stdout}
	fmt.Fprintf(a.stdout, "wellcheck soak: %s, %d persons, seed %d; logs in %s\n", o.duration, o.persons, o.seed, o.dir)
	nodesErr := run.startNodes(ctx)
	if nodesErr == nil {
		run.morning(ctx, s)
	}
	run.stopNodes()
	if nodesErr != nil {
		return nodesErr
	}
	rep, err := run.analyse(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	rep.interrupted = ctx.Err() != nil
	rep.text(a.stdout)
	if *reportFile != "" {
		f, err := os.Create(*reportFile)
		if err != nil {
			return err
		}
		rep.markdown(f)
		if err := f.Close(); err != nil {
			return err
		}
	}
	if msg := rep.failure(); msg != "" {
		fmt.Fprintln(a.stderr, "wellcheck soak: failed:", msg)
		return &reported{errors.New(msg)}
	}
	return nil
}

type soakOptions struct {
	duration, settle     time.Duration
	persons              int
	seed                 uint64
	outageMin, outageMax time.Duration
	gapMin, gapMax       time.Duration
	maxCuts              int
	rawHoles             bool
	dir                  string // logs and state directories
}

// The nodes' calls: unanswered ones given up after 15 s, as in the demo; on
// SIGTERM, 10 s for calls in progress.
const (
	soakRing     = 15 * time.Second
	soakSoftStop = 10 * time.Second
)

// soakRun is one soak under way.
type soakRun struct {
	soakOptions
	app    *app
	st     *store.Store
	proxy  *faultproxy.Proxy
	callee *callee.Callee
	out    io.Writer

	nodes []*soakNode
	// What happened, in order: the run's span, when check-ins were due, the
	// cuts, and when the database had more outcomes (seen every half second).
	start, firstDue, lastDue, end time.Time
	mu                            sync.Mutex
	cuts                          []soakCut
	recorded                      []time.Time
}

// soakCut is one cut of the database: a reset or a black hole, from start to
// healed; due says whether check-ins were waiting for their first call as it
// healed, and next is the next one due after, if none was.
type soakCut struct {
	blackHole     bool
	start, healed time.Time
	due           int
	next          time.Time
}

func (c soakCut) kind() string {
	if c.blackHole {
		return "black hole"
	}
	return "reset"
}

// soakNode is a `wellcheck serve` process of the soak.
type soakNode struct {
	name, addr, log string
	cmd             *exec.Cmd
	done            chan struct{}
	exited          time.Time // before it was told to stop
	stopErr         error     // how it ended when told to stop
	stopping        bool
	mu              sync.Mutex
}

// startNodes starts two nodes of every role, each with its own state
// directory and log file, through the proxy, and waits until both are ready.
func (r *soakRun) startNodes(ctx context.Context) error {
	bin, err := os.Executable()
	if err != nil {
		return err
	}
	cfg := r.app.cfg
	for i := range 2 {
		n := &soakNode{name: fmt.Sprintf("node%d", i+1), done: make(chan struct{})}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		n.addr = ln.Addr().String()
		ln.Close()
		state := filepath.Join(r.dir, n.name)
		n.log = filepath.Join(r.dir, n.name+".log")
		logFile, err := os.Create(n.log)
		if err != nil {
			return err
		}
		args := []string{
			"--database-url", r.proxy.URL(cfg.DatabaseURL), "--http-addr", n.addr, "--state-dir", state,
			"--sip-trunk", r.callee.Addr().String(), "--sip-transport", "udp", "--sip-listen", "127.0.0.1:0",
			"--ring-timeout", soakRing.String(),
			"--trunk-channels", strconv.Itoa(cfg.SIP.Channels), "--trunk-cps", strconv.FormatFloat(cfg.SIP.CPS, 'g', -1, 64),
			"--caller-number", cfg.SIP.CallerNumber, "--lang", string(cfg.Lang),
			"--log-format", cfg.LogFormat, "--log-level", strings.ToLower(cfg.LogLevel.String()),
			"--soft-stop", soakSoftStop.String(),
		}
		for _, f := range []struct{ name, v string }{{"time-zone", cfg.TimeZone}, {"region", cfg.Region}, {"prompts-dir", cfg.SIP.PromptsDir}} {
			if f.v != "" {
				args = append(args, "--"+f.name, f.v)
			}
		}
		n.cmd = exec.Command(bin, append(args, "serve", "--no-migrate", "--roles", "web,worker,scheduler")...)
		n.cmd.Stdout, n.cmd.Stderr = logFile, logFile
		// Its own process group: Ctrl-C reaches the soak, which stops the
		// nodes itself.
		detach(n.cmd)
		if err := n.cmd.Start(); err != nil {
			logFile.Close()
			return fmt.Errorf("start %s: %w", n.name, err)
		}
		go func() {
			err := n.cmd.Wait()
			logFile.Close()
			n.mu.Lock()
			if n.stopping {
				n.stopErr = err
			} else {
				n.exited = time.Now()
				r.app.logger.Error("a node exited on its own", "node", n.name, "err", err)
			}
			n.mu.Unlock()
			close(n.done)
		}()
		r.nodes = append(r.nodes, n)
	}
	ready := func(n *soakNode) bool {
		client := http.Client{Timeout: 2 * time.Second}
		res, err := client.Get("http://" + n.addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
	deadline := time.Now().Add(time.Minute)
	for _, n := range r.nodes {
		for !ready(n) {
			select {
			case <-n.done:
				return fmt.Errorf("%s stopped as it started: see %s", n.name, n.log)
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not ready within a minute: see %s", n.name, n.log)
			}
		}
	}
	return nil
}

// stopNodes sends SIGTERM to the nodes still running and waits for them.
func (r *soakRun) stopNodes() {
	for _, n := range r.nodes {
		n.mu.Lock()
		n.stopping = true
		n.mu.Unlock()
		_ = n.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, n := range r.nodes {
		select {
		case <-n.done:
		case <-time.After(soakSoftStop + time.Minute):
			_ = n.cmd.Process.Kill()
			<-n.done
		}
	}
}

// morning enrols the persons, their check-ins due over the first 80 % of
// the run, cuts the database at random meanwhile, and waits for every
// check-in due to end (at most --settle after the run).
func (r *soakRun) morning(ctx context.Context, s seeded) {
	r.start = time.Now()
	r.end = r.start.Add(r.duration)
	// Cron is by the minute: the due minutes are the whole minutes from 10 s
	// on (the first minute's persons are enrolled meanwhile) to 80 % of the
	// run, at least one; not 23:59, the day's end.
	var minutes []time.Time
	r.firstDue = r.start.Add(10 * time.Second).Truncate(time.Minute).Add(time.Minute)
	for t := r.firstDue; len(minutes) == 0 || !t.After(r.start.Add(r.duration*8/10)); t = t.Add(time.Minute) {
		if l := t.In(s.zone); l.Hour() == 23 && l.Minute() == 59 {
			continue
		}
		minutes = append(minutes, t)
	}
	r.firstDue, r.lastDue = minutes[0], minutes[len(minutes)-1]
	// A short run lasts until its calls have come due and been cut once.
	if last := r.lastDue.Add(15 * time.Second); last.After(r.end) {
		r.end = last
	}
	fmt.Fprintf(r.out, "%s  two nodes ready; %d check-ins due from %s to %s (%d a minute)\n",
		clock(r.start), r.persons, clock(r.firstDue), clock(r.lastDue), (r.persons+len(minutes)-1)/len(minutes))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { r.watch(ctx) })
	// Persons in the order they come due, so that the first are enrolled
	// before their minute.
	for i := range r.persons {
		p := demoPerson{name: fmt.Sprintf("%s (%d)", demoNames[i%len(demoNames)], i+1),
			phone: fmt.Sprintf("+331990%05d", 1000+i), language: "fr"}
		if err := s.enrol(ctx, i, p, minutes[i*len(minutes)/r.persons]); err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(r.out, "enrolment stopped: %v\n", err)
			}
			break
		}
	}
	fmt.Fprintf(r.out, "%s  %d persons enrolled\n", clock(time.Now()), r.persons)

	cutting, stopCutting := context.WithCancel(ctx)
	wg.Go(func() { r.cut(cutting) })
	wait(ctx, time.Until(r.end))
	stopCutting()
	// Wait for the cuts to heal before waiting for the calls.
	for r.cutting() && ctx.Err() == nil {
		wait(ctx, 100*time.Millisecond)
	}
	if ctx.Err() == nil {
		fmt.Fprintf(r.out, "%s  the run is over; waiting for every check-in due to end (at most %s)\n", clock(time.Now()), r.settle)
		r.settleDown(ctx)
	}
	cancel()
	wg.Wait()
	r.proxy.Heal()
}

// cut cuts the database at random until ctx ends: a quiet time, then a reset
// or a black hole, from the first minute due to 85 % of the run (and at
// least 10 s past the last minute due), at most --max-cuts times.
func (r *soakRun) cut(ctx context.Context) {
	rng := rand.New(rand.NewPCG(r.seed, r.seed^0x5eed))
	between := func(lo, hi time.Duration) time.Duration { // whole seconds, when they fit
		d := lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
		if r := d.Round(time.Second); r >= lo && r <= hi {
			return r
		}
		return d
	}
	until := r.start.Add(r.duration * 85 / 100)
	if last := r.lastDue.Add(10 * time.Second); last.After(until) {
		until = last
	}
	at := r.firstDue
	for n := 0; r.maxCuts == 0 || n < r.maxCuts; n++ {
		gap, away, hole := between(r.gapMin, r.gapMax), between(r.outageMin, r.outageMax), rng.IntN(2) == 1
		at = at.Add(gap)
		if !at.Before(until) || !wait(ctx, time.Until(at)) {
			return
		}
		c := soakCut{blackHole: hole, start: time.Now()}
		r.mu.Lock()
		if hole {
			r.proxy.BlackHole()
		} else {
			r.proxy.Reset()
		}
		r.cuts = append(r.cuts, c)
		r.mu.Unlock()
		fmt.Fprintf(r.out, "%s  cut %d: %s for %s\n", clock(c.start), len(r.cuts), c.kind(), away)
		wait(ctx, away)
		// What is waiting for its first call as the database comes back:
		// how soon calls resume is measured from then, or from the next due.
		c.due, c.next = r.dueAt(context.WithoutCancel(ctx))
		r.mu.Lock()
		if hole && !r.rawHoles {
			// A partition does not lose bytes of a connection that lives
			// through it: TCP sends them again, and gives up on the connection
			// when they go unanswered for longer than the node's
			// TCP_USER_TIMEOUT (15 s). The proxy, which has read and dropped
			// them, closes instead every connection that crossed the hole.
			r.proxy.Reset()
		}
		r.proxy.Heal()
		c.healed = time.Now()
		r.cuts[len(r.cuts)-1] = c
		r.mu.Unlock()
		at = c.healed
	}
}

// cutting reports whether the database is cut now.
func (r *soakRun) cutting() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.cuts) > 0 && r.cuts[len(r.cuts)-1].healed.IsZero()
}

// dueAt counts, on the soak's own connection, the check-ins waiting for their
// first call, and the next one due if there is none.
func (r *soakRun) dueAt(ctx context.Context) (int, time.Time) {
	due, next, err := r.st.Queries().SoakDue(ctx, time.Now(), r.lastDue.Add(time.Minute))
	if err != nil {
		r.app.logger.Warn("soak: count the check-ins due", "err", err)
	}
	return due, next
}

// watch notes, every half second on the soak's own connection, when the
// database has more outcomes than before.
func (r *soakRun) watch(ctx context.Context) {
	last := 0
	for wait(ctx, 500*time.Millisecond) {
		n, err := r.st.Queries().SoakOutcomes(ctx)
		if err != nil {
			continue
		}
		if n > last {
			r.mu.Lock()
			r.recorded = append(r.recorded, time.Now())
			r.mu.Unlock()
			last = n
		}
	}
}

// settleDown waits until every check-in due has ended, at most --settle.
func (r *soakRun) settleDown(ctx context.Context) {
	deadline := time.Now().Add(r.settle)
	for time.Now().Before(deadline) {
		open, err := r.st.Queries().SoakOpen(ctx, r.lastDue.Add(time.Minute))
		if err == nil && open == 0 {
			return
		}
		if !wait(ctx, time.Second) {
			return
		}
	}
}

// wait waits d, and reports false if ctx ended first.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func clock(t time.Time) string { return t.Format("15:04:05") }

// soakReport is what the soak found.
type soakReport struct {
	duration    time.Duration
	persons     int
	seed        uint64
	dir         string
	interrupted bool
	rawHoles    bool

	due, finished int
	states        map[string]int
	placed        int            // calls the callee received
	recorded      int            // attempts ended in the database
	outcomes      map[string]int // of the attempts ended
	pressed       int            // calls in which a key was pressed
	lost          []string       // keys pressed not recorded as pressed, then check-ins unfinished
	unfinished    int
	duplicates    []string
	cuts          []soakCut
	resumeOutcome []time.Duration // by cut; -1: none
	resumeCall    []time.Duration
	nodes         []string // what became of each node
	nodeDied      bool
}

type soakAttempt struct {
	checkIn       int64
	number        int
	started       time.Time
	outcome       string
	callID, phone string
	failure       string
	matched       int // calls the callee received for it
}

// analyse compares the callee's records with the database, on the soak's
// own connection. The nodes have stopped: every call has ended.
func (r *soakRun) analyse(ctx context.Context) (*soakReport, error) {
	rep := &soakReport{duration: r.duration, persons: r.persons, seed: r.seed, dir: r.dir, rawHoles: r.rawHoles,
		states: map[string]int{}, outcomes: map[string]int{}, cuts: r.cuts}
	before := r.lastDue.Add(time.Minute)
	q := r.st.Queries()

	var unfinished []string
	states, err := q.SoakCheckIns(ctx, before)
	if err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}
	for _, id := range slices.Sorted(maps.Keys(states)) {
		state := states[id]
		rep.due++
		rep.states[string(state)]++
		if !state.Final() {
			unfinished = append(unfinished, fmt.Sprintf("check-in %d unfinished (%s)", id, state))
		} else {
			rep.finished++
		}
	}

	rows, err := q.SoakAttempts(ctx, before)
	if err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}
	var attempts []*soakAttempt
	byCallID := map[string]*soakAttempt{}
	for _, row := range rows {
		a := &soakAttempt{checkIn: row.CheckInID, number: row.Number, started: row.StartedAt, outcome: string(row.Outcome),
			callID: row.CallID, phone: row.Phone, failure: row.FailureReason}
		attempts = append(attempts, a)
		if a.outcome != "" {
			rep.recorded++
			rep.outcomes[a.outcome]++
		}
		if a.callID != "" {
			byCallID[a.callID] = a
		}
	}

	// Each call the callee received is an attempt's: by its Call-ID, which
	// the attempt keeps once its outcome is recorded; else (an attempt
	// without one) by the number called and the time, within a minute.
	records := r.callee.Records()
	rep.placed = len(records)
	slices.SortFunc(records, func(x, y callee.Record) int { return x.Start.Compare(y.Start) })
	pressedAt := map[string]time.Time{} // by number: the first call in which a key was pressed
	for _, rec := range records {
		number := "+" + strings.TrimPrefix(rec.To, "+")
		a := byCallID[rec.CallID]
		if a == nil {
			var best time.Duration
			for _, c := range attempts {
				d := c.started.Sub(rec.Start).Abs()
				if c.phone == number && c.callID == "" && c.matched == 0 && d <= time.Minute && (a == nil || d < best) {
					a, best = c, d
				}
			}
		}
		if a == nil {
			rep.duplicates = append(rep.duplicates, fmt.Sprintf("call %s at %s: no attempt in the database", rec.CallID, clock(rec.Start)))
		} else if a.matched++; a.matched > 1 {
			rep.duplicates = append(rep.duplicates, fmt.Sprintf("check-in %d attempt %d: called again at %s (call %s)", a.checkIn, a.number, clock(rec.Start), rec.CallID))
		}
		if at, ok := pressedAt[number]; ok && rec.Start.After(at) {
			where := "a person"
			if a != nil {
				where = fmt.Sprintf("check-in %d attempt %d", a.checkIn, a.number)
			}
			rep.duplicates = append(rep.duplicates, fmt.Sprintf("%s: called at %s after a key was pressed at %s (call %s)", where, clock(rec.Start), clock(at), rec.CallID))
		}
		want := map[string]wellcheck.Outcome{"1": wellcheck.OutcomeOK, "2": wellcheck.OutcomeHelpRequested}[rec.KeysSent]
		if want == "" {
			continue
		}
		rep.pressed++
		if _, ok := pressedAt[number]; !ok {
			pressedAt[number] = rec.Start
		}
		switch {
		case a == nil:
			rep.lost = append(rep.lost, fmt.Sprintf("call %s at %s: pressed %s, no attempt in the database", rec.CallID, clock(rec.Start), rec.KeysSent))
		case a.outcome != string(want):
			got := cmp.Or(a.outcome, "no outcome")
			if a.failure != "" {
				got += " (" + a.failure + ")"
			}
			rep.lost = append(rep.lost, fmt.Sprintf("check-in %d attempt %d: pressed %s, recorded %s (call %s)", a.checkIn, a.number, rec.KeysSent, got, rec.CallID))
		}
	}

	rep.unfinished = len(unfinished)
	rep.lost = append(rep.lost, unfinished...)

	// How soon the calls resumed after each cut: the first outcome the
	// database had after it healed, and the first call started (from the
	// next check-in due, when none was waiting) — later cuts or not.
	for _, c := range r.cuts {
		outcome, call := time.Duration(-1), time.Duration(-1)
		if c.healed.IsZero() {
			rep.resumeOutcome, rep.resumeCall = append(rep.resumeOutcome, outcome), append(rep.resumeCall, call)
			continue
		}
		for _, t := range r.recorded {
			if t.After(c.healed) {
				outcome = t.Sub(c.healed)
				break
			}
		}
		for _, rec := range records {
			if rec.Start.After(c.healed) {
				from := c.healed
				if c.due == 0 && !c.next.IsZero() && !rec.Start.Before(c.next) {
					from = c.next
				}
				call = max(rec.Start.Sub(from), 0)
				break
			}
		}
		rep.resumeOutcome, rep.resumeCall = append(rep.resumeOutcome, outcome), append(rep.resumeCall, call)
	}

	for _, n := range r.nodes {
		n.mu.Lock()
		switch {
		case !n.exited.IsZero():
			rep.nodeDied = true
			rep.nodes = append(rep.nodes, fmt.Sprintf("%s exited on its own at %s (see %s)", n.name, clock(n.exited), n.log))
		case n.stopErr != nil:
			rep.nodes = append(rep.nodes, fmt.Sprintf("%s ran to the end, then stopped with %v", n.name, n.stopErr))
		default:
			rep.nodes = append(rep.nodes, n.name+" ran to the end and stopped cleanly")
		}
		n.mu.Unlock()
	}
	return rep, nil
}

// failure is why the soak failed, or "".
func (rep *soakReport) failure() string {
	var why []string
	if len(rep.lost) > 0 {
		why = append(why, fmt.Sprintf("%d lost", len(rep.lost)))
	}
	if len(rep.duplicates) > 0 {
		why = append(why, fmt.Sprintf("%d duplicate calls", len(rep.duplicates)))
	}
	if rep.nodeDied {
		why = append(why, "a node exited")
	}
	return strings.Join(why, ", ")
}

// resume is the median and the largest of ds, those that are known.
func resume(ds []time.Duration) (median, most time.Duration, n int) {
	var known []time.Duration
	for _, d := range ds {
		if d >= 0 {
			known = append(known, d)
		}
	}
	if len(known) == 0 {
		return 0, 0, 0
	}
	slices.Sort(known)
	return known[len(known)/2], known[len(known)-1], len(known)
}

// figures are the report's lines: what, and the figure.
func (rep *soakReport) figures() [][2]string {
	resets, holes := 0, 0
	var longest soakCut
	for i, c := range rep.cuts {
		if c.blackHole {
			holes++
		} else {
			resets++
		}
		// Survived: the calls resumed after it.
		if !c.healed.IsZero() && rep.resumeCall[i] >= 0 && c.healed.Sub(c.start) > longest.healed.Sub(longest.start) {
			longest = c
		}
	}
	f := [][2]string{
		{"check-ins due", fmt.Sprintf("%d (%d persons); ended %d: %s", rep.due, rep.persons, rep.finished, counts(rep.states))},
		{"calls placed", fmt.Sprintf("%d (as the callee simulator saw them; a key pressed in %d)", rep.placed, rep.pressed)},
		{"outcomes recorded", fmt.Sprintf("%d: %s", rep.recorded, counts(rep.outcomes))},
		{"lost", fmt.Sprintf("%d (goal 0): %d keys pressed not recorded as pressed, %d check-ins left unfinished", len(rep.lost), len(rep.lost)-rep.unfinished, rep.unfinished)},
		{"duplicate calls", fmt.Sprintf("%d (goal 0: calls beyond one per attempt, or after a key was pressed)", len(rep.duplicates))},
		{"cuts", fmt.Sprintf("%d (%d resets, %d black holes%s)", len(rep.cuts), resets, holes, map[bool]string{true: ", left open at the end"}[rep.rawHoles])},
	}
	if longest.healed.IsZero() {
		f = append(f, [2]string{"longest outage survived", "none"})
	} else {
		f = append(f, [2]string{"longest outage survived", fmt.Sprintf("%s (%s)", longest.healed.Sub(longest.start).Round(time.Second), longest.kind())})
	}
	om, ox, on := resume(rep.resumeOutcome)
	cm, cx, cn := resume(rep.resumeCall)
	f = append(f,
		[2]string{"resume: first outcome recorded", fmt.Sprintf("median %s, max %s (after %d of %d cuts)", round(om), round(ox), on, len(rep.cuts))},
		[2]string{"resume: first new call started", fmt.Sprintf("median %s, max %s (after %d of %d cuts)", round(cm), round(cx), cn, len(rep.cuts))},
		[2]string{"nodes", strings.Join(rep.nodes, "; ")},
	)
	return f
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return m[b] - m[a] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// text writes the report for the terminal.
func (rep *soakReport) text(w io.Writer) {
	title := fmt.Sprintf("\nwellcheck soak: %s, %d persons, seed %d", rep.duration, rep.persons, rep.seed)
	if rep.interrupted {
		title += " (interrupted: the figures are what happened until then)"
	}
	fmt.Fprintln(w, title)
	fmt.Fprintln(w)
	for _, f := range rep.figures() {
		fmt.Fprintf(w, "  %-32s %s\n", f[0], f[1])
	}
	if len(rep.cuts) > 0 {
		fmt.Fprintf(w, "\n  %-4s %-11s %-9s %-8s %-16s %s\n", "cut", "kind", "at", "lasted", "outcome after", "call after")
		for i, c := range rep.cuts {
			fmt.Fprintf(w, "  %-4d %-11s %-9s %-8s %-16s %s\n", i+1, c.kind(), clock(c.start), lasted(c), after(rep.resumeOutcome[i]), after(rep.resumeCall[i]))
		}
	}
	for _, l := range [][]string{rep.lost, rep.duplicates} {
		if len(l) > 0 {
			fmt.Fprintln(w)
		}
		for i, s := range l {
			if i == 20 {
				fmt.Fprintf(w, "  … and %d more\n", len(l)-i)
				break
			}
			fmt.Fprintln(w, "  "+s)
		}
	}
	fmt.Fprintf(w, "\n  logs: %s (node1.log, node2.log, soak.log)\n", rep.dir)
}

// markdown writes the report as a Markdown page.
func (rep *soakReport) markdown(w io.Writer) {
	fmt.Fprintf(w, "# wellcheck soak: %s, %d persons, seed %d\n\n", rep.duration, rep.persons, rep.seed)
	if rep.interrupted {
		fmt.Fprint(w, "Interrupted: the figures are what happened until then.\n\n")
	}
	fmt.Fprint(w, "| what | figure |\n|---|---|\n")
	for _, f := range rep.figures() {
		fmt.Fprintf(w, "| %s | %s |\n", f[0], f[1])
	}
	if len(rep.cuts) > 0 {
		fmt.Fprint(w, "\n| cut | kind | at | lasted | first outcome after | first call after |\n|---|---|---|---|---|---|\n")
		for i, c := range rep.cuts {
			fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s |\n", i+1, c.kind(), clock(c.start), lasted(c), after(rep.resumeOutcome[i]), after(rep.resumeCall[i]))
		}
	}
	for _, l := range [][]string{rep.lost, rep.duplicates} {
		if len(l) > 0 {
			fmt.Fprintln(w)
		}
		for _, s := range l {
			fmt.Fprintf(w, "- %s\n", s)
		}
	}
}

func lasted(c soakCut) string {
	if c.healed.IsZero() {
		return "-"
	}
	return c.healed.Sub(c.start).Round(time.Second).String()
}

func after(d time.Duration) string {
	if d < 0 {
		return "none"
	}
	return round(d).String()
}
