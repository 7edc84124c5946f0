package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/calling"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/internal/logctx"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/migrations"
	numbers "github.com/wellcheck/wellcheck/phone"
	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/switchboard"
	"github.com/wellcheck/wellcheck/web"
)

// serve runs the service until ctx ends: it migrates, then runs the node's
// roles (all three by default) and serves health, readiness and metrics.
func (a *app) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	noMigrate := fs.Bool("no-migrate", false, "do not apply migrations at start")
	rolesFlag := fs.String("roles", a.cfg.Roles, "what this node does, comma-separated: web, worker, scheduler [$WELLCHECK_ROLES]")
	fs.DurationVar(&a.cfg.SoftStop, "soft-stop", a.cfg.SoftStop, "on stop, how long calls in progress may go on before they are cut short and handed back [$WELLCHECK_SOFT_STOP]")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	r, err := parseRoles(*rolesFlag)
	if err != nil {
		return err
	}
	if *noMigrate {
		if _, err := a.open(ctx); err != nil {
			return err
		}
	} else if err := a.applyMigrations(ctx, true); err != nil {
		return err
	}
	return a.runNode(ctx, r, nil)
}

// roles are what a node does: the web interface and API (web), the calls
// (worker), the planner's passes and sweeps (scheduler).
type roles struct{ web, worker, scheduler bool }

var allRoles = roles{web: true, worker: true, scheduler: true}

func parseRoles(s string) (roles, error) {
	var r roles
	for name := range strings.SplitSeq(s, ",") {
		switch strings.TrimSpace(name) {
		case "web":
			r.web = true
		case "worker":
			r.worker = true
		case "scheduler":
			r.scheduler = true
		case "":
		default:
			return r, &usageError{fmt.Sprintf("roles %q: use web, worker and scheduler, comma-separated", s)}
		}
	}
	if r == (roles{}) {
		return r, &usageError{"roles: name at least one of web, worker, scheduler"}
	}
	return r, nil
}

func (r roles) String() string {
	var names []string
	for _, role := range []struct {
		on   bool
		name string
	}{{r.web, "web"}, {r.worker, "worker"}, {r.scheduler, "scheduler"}} {
		if role.on {
			names = append(names, role.name)
		}
	}
	return strings.Join(names, ",")
}

// switchboardChannel is where the nodes' switchboards tell each other of
// the calls ringing their listeners' pages (Postgres NOTIFY).
const switchboardChannel = "wellcheck_switchboard"

// runNode runs a node's roles until ctx ends, on a migrated database, with
// /healthz, /readyz and /metrics whatever its roles. started, if set, is told
// the web interface's address once it listens (the demo prints it with its
// accounts), and the pages say it is a demo.
func (a *app) runNode(ctx context.Context, r roles, started func(url string)) error {
	st, err := a.open(ctx)
	if err != nil {
		return err
	}
	planner, err := a.planner(st)
	if err != nil {
		return err
	}
	// The prompts are read once, by the nodes that need them: the dialer
	// plays them, the settings page lists their languages.
	var prompts *dialer.Prompts
	if r.web || r.worker {
		if prompts, err = a.cfg.SIP.prompts(); err != nil {
			return err
		}
	}
	queue, err := jobs.NewJobs(st.Pool(), a.logger)
	if err != nil {
		return err
	}
	cases := a.care(st, queue)
	calls := &calling.Calls{
		Store: st, Queue: queue, Care: cases, Logger: a.logger,
		StaleAfter: a.cfg.SIP.MaxCall + 2*time.Minute, Trunk: a.cfg.TrunkStorm,
	}
	// The calls of the browser phone bear the node's name, as its check-in
	// calls do: when it dies, the others end them.
	cases.Node = calls.NodeName()
	mc := metrics.Config{Store: st, TimeZone: a.cfg.TimeZone, Channels: a.cfg.SIP.Channels, CPS: a.cfg.SIP.CPS,
		Queues: []string{jobs.QueueCalls, jobs.QueuePlanner}, Version: version(), Roles: r.String()}
	var limits *store.TrunkLimits
	if r.worker {
		if limits, err = a.trunkLimits(ctx, st); err != nil {
			return err
		}
		mc.Trunk = limits
	}
	// Before the dialer: it tells the metrics how the line fares.
	m := metrics.New(mc)
	calls.Metrics, cases.Metrics = m, m
	var sipReady, clockReady func() error
	var line *dialer.Dialer // this node's, on a worker
	if r.worker {
		d, err := a.dialer(prompts, limits, m)
		if err != nil {
			return err
		}
		defer d.Close() // unregisters, after River has stopped
		calls.Dialer, calls.Line, line = d, d, d
		sipReady = func() error {
			if err := d.Ready(); err != nil {
				return fmt.Errorf("SIP transport not bound: %w", err)
			}
			// A node configured to register is not ready until the
			// registrar holds its address: calls to it would be lost, and a
			// trunk that needs it refuses ours.
			return d.Registered()
		}
		beats, err := a.heartbeatPool(ctx)
		if err != nil {
			return err
		}
		defer beats.Close() // after River has stopped, and the heartbeat with it
		calls.Heartbeats = store.New(beats)
		calls.MaxSkew = a.cfg.MaxClockSkew
		clockReady = func() error {
			if offset, tooFar := calls.Skew(); tooFar {
				return fmt.Errorf("clock off by %s from the database's", offset.Round(time.Millisecond))
			}
			return nil
		}
		if calls.Journal, err = calling.OpenJournal(filepath.Join(a.stateDir(), "journal")); err != nil {
			return &usageError{err.Error()}
		}
		defer calls.Journal.Close()
		if n := len(calls.Journal.Pending()) + len(calls.Journal.PendingContacts()); n > 0 {
			a.logger.Warn("outcomes heard before the node stopped are to be recorded", "count", n)
		}
		if calls.Journal.Damaged > 0 {
			a.logger.Error("lines of the outcome journal could not be read (a failed write): their outcomes are lost", "lines", calls.Journal.Damaged)
		}
	}

	// The listeners' phone in the browser: where the page's WebSocket and the
	// call to the person meet, a node with both roles. A worker without
	// the web role has a switchboard too, with no pages: the calls it holds
	// ring the other nodes' (switchboard/nodes.go).
	var phone *switchboard.Switchboard
	if line != nil && a.cfg.Phone.On {
		phone = &switchboard.Switchboard{Line: line, Log: cases, Logger: a.logger, Metrics: m,
			Users: func(ctx context.Context, ids []int64) ([]wellcheck.User, error) {
				return st.Queries().UsersByID(ctx, ids)
			},
			Desk: calling.Desk{Calls: calls}, Numbers: numbers.Parser{Region: cmp.Or(a.cfg.Region, "FR")}, Language: string(a.cfg.Lang)}
		if r.web {
			engine, err := a.cfg.Phone.engine(started != nil, a.logger)
			if err != nil {
				return err
			}
			defer engine.Close()
			phone.Phones = engine
		}
		defer phone.Close() // before the engine and the dialer: calls end on both sides
		// The switchboards tell each other of their rings: a listener may
		// take a call another node holds, over SIP between the nodes (UDP
		// or TCP: the dialer serves no TLS).
		if !strings.EqualFold(a.cfg.SIP.Transport, "tls") {
			signals := st.Signals(switchboardChannel)
			phone.Peers = signals
			sub := signals.Listen(phone.Heard, a.logger)
			defer sub.Close()
			go func() {
				select {
				case <-sub.Ready():
					phone.Hello() // which nodes have pages open already
				case <-ctx.Done():
				}
			}()
		}
		calls.Transfers = phone
		line.TakeCalls(phone) // calls to the service ring the listeners' pages
	}

	var river *jobs.Client
	if r.worker || r.scheduler {
		cfg := jobs.Config{PlanEvery: a.cfg.PlanInterval, CallWorkers: a.cfg.SIP.Channels, SoftStop: a.cfg.SoftStop, Metrics: m, Logger: a.logger}
		if r.scheduler {
			cfg.Planner = planner
		}
		if r.worker {
			cfg.Calls, cfg.Care, cfg.Admin = calls, cases, a.admin(st, queue)
		}
		if river, err = jobs.NewClient(st.Pool(), cfg); err != nil {
			return err
		}
		// Not ctx: its end would be River's hard stop, cutting every call;
		// stop below lets them end.
		if err := river.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("start the scheduler: %w", err)
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		status, code := a.readiness(r.Context(), sipReady, clockReady)
		body := map[string]string{"status": status}
		if line != nil {
			// States only: the registration's address and reasons are the
			// settings page's, behind sign-in.
			body["sip_registration"] = string(line.Registration().State)
			body["trunk"] = string(line.TrunkHealth().State)
		}
		writeJSON(w, code, body)
	})
	scrape := metrics.Guard(a.cfg.MetricsToken, m.Handler())
	if a.cfg.MetricsAddr == "" {
		mux.Handle("GET /metrics", scrape)
	} else {
		mln, err := net.Listen("tcp", a.cfg.MetricsAddr)
		if err != nil {
			return &usageError{"listen on " + a.cfg.MetricsAddr + ": " + err.Error()}
		}
		mmux := http.NewServeMux()
		mmux.Handle("GET /metrics", scrape)
		msrv := &http.Server{Handler: mmux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
		defer msrv.Close()
	}
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return &usageError{"listen on " + a.cfg.HTTPAddr + ": " + err.Error()}
	}
	if r.web {
		// The web interface. Its cookies are Secure unless it is only
		// reachable from this machine (the demo, or behind a TLS proxy on the
		// same host).
		if a.cfg.SecretKey == "" {
			a.logger.InfoContext(ctx, "second factors' secrets are kept unsealed in the database: set WELLCHECK_SECRET_KEY to seal them")
		}
		if a.cfg.PublicURL == "" && started != nil {
			// The demo shows passkeys on this machine, by name: WebAuthn
			// refuses IP addresses.
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			a.cfg.PublicURL = "http://localhost:" + port
		}
		if a.cfg.PublicURL == "" {
			a.logger.InfoContext(ctx, "passkeys are not offered: set WELLCHECK_PUBLIC_URL to the address users reach the service at")
		}
		ui := &web.Server{Store: st, Cases: cases, Enrol: a.enroller(st, planner), Admin: a.admin(st, queue), Jobs: queue, Logger: a.logger,
			SecureCookies: !isLoopback(ln.Addr()), Line: a.cfg.SIP.line(prompts, line), Demo: started != nil,
			Hashes: a.cfg.SignInHashes, APIRate: a.cfg.APIRate, APIBurst: a.cfg.APIBurst, TrustedProxies: a.cfg.TrustedProxies,
			PublicURL: a.cfg.PublicURL, Phone: phone}
		if ui.RiverUI, err = web.RiverDashboard(ctx, queue.Client(), a.logger); err != nil {
			return fmt.Errorf("river's dashboard: %w", err)
		}
		pages, err := ui.Routes()
		if err != nil {
			return fmt.Errorf("the web interface: %w", err)
		}
		mux.Handle("/", pages)
	}
	srv := &http.Server{Handler: requestIDs(a.logger, m.HTTP(mux)), ReadHeaderTimeout: 10 * time.Second}
	a.logger.Info("serving", "url", "http://"+ln.Addr().String(), "roles", r.String(), "version", version())
	if started != nil {
		site := "http://" + ln.Addr().String()
		if strings.HasPrefix(a.cfg.PublicURL, "http://localhost:") {
			site = a.cfg.PublicURL // where passkeys work
		}
		started(site)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	return errors.Join(err, a.stop(context.WithoutCancel(ctx), srv, river))
}

// stop ends a node: the HTTP server, and River, whose calls in progress have
// --soft-stop to end before they are cut short. A call cut short hangs up, is
// recorded as our failure and is tried again later, by any node; a job
// waiting for a channel goes back to the queue. A planner pass in progress is
// rolled back batch by batch; the next leader's pass covers it.
func (a *app) stop(ctx context.Context, srv *http.Server, river *jobs.Client) error {
	a.logger.Info("shutting down", "soft_stop", a.cfg.SoftStop)
	var httpErr, riverErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			httpErr = err
		}
	})
	if river != nil {
		wg.Go(func() {
			// Past the soft stop, cut calls hang up and record what happened.
			ctx, cancel := context.WithTimeout(ctx, a.cfg.SoftStop+30*time.Second)
			defer cancel()
			if err := river.Stop(ctx); err != nil {
				riverErr = fmt.Errorf("stop the scheduler: %w", err)
			}
		})
	}
	wg.Wait()
	return errors.Join(httpErr, riverErr)
}

// readiness is whether this node can do its work: the database answers, its
// migrations are current, and (on a worker) the SIP transport is bound.
func (a *app) readiness(ctx context.Context, sipReady, clockReady func() error) (string, int) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	current, err := migrations.Status(ctx, a.pool)
	switch {
	case err != nil:
		a.logger.WarnContext(ctx, "readiness: database", "err", err)
		return "database unreachable", http.StatusServiceUnavailable
	case !current:
		return "migrations pending", http.StatusServiceUnavailable
	}
	if sipReady != nil {
		if err := sipReady(); err != nil {
			if errors.Is(err, dialer.ErrNotRegistered) {
				// The registration logs its failures itself, once per change.
				return err.Error(), http.StatusServiceUnavailable
			}
			a.logger.WarnContext(ctx, "readiness: SIP", "err", err)
			return "SIP transport not bound", http.StatusServiceUnavailable
		}
	}
	if clockReady != nil {
		if err := clockReady(); err != nil {
			return err.Error() + ": no call starts here", http.StatusServiceUnavailable
		}
	}
	return "ready", http.StatusOK
}

// requestIDs names each request in the lines its handling logs, with the
// caller's X-Request-Id if it is a plain token (a proxy's), else a new one,
// and sends it back.
func requestIDs(logger *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestID.MatchString(id) {
			id = rand.Text()[:16]
		}
		w.Header().Set("X-Request-Id", id)
		ctx := logctx.With(r.Context(), slog.String("request_id", id))
		started := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r.WithContext(ctx))
		// The path only: a query string may hold what was searched for.
		logger.DebugContext(ctx, "http request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "took", time.Since(started))
	})
}

var requestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// trunkLimits are the trunk's channels and calls per second, shared by
// every node through the database.
func (a *app) trunkLimits(ctx context.Context, st *store.Store) (*store.TrunkLimits, error) {
	return st.NewTrunkLimits(ctx, store.TrunkLimitsConfig{
		Trunk: a.cfg.SIP.Trunk, Channels: a.cfg.SIP.Channels, CPS: a.cfg.SIP.CPS, Lease: a.cfg.SIP.MaxCall + time.Minute,
	})
}

// dialer builds the worker role's dialer, through the trunk's limits shared
// by every node, registering and sending keep-alives as configured, telling
// the node's metrics how the line fares.
func (a *app) dialer(prompts *dialer.Prompts, limits *store.TrunkLimits, m *metrics.Metrics) (*dialer.Dialer, error) {
	dc, err := a.cfg.SIP.dialerConfig()
	if err != nil {
		return nil, err
	}
	a.cfg.SIP.lineConfig(&dc)
	dc.Limits, dc.Logger, dc.Observer = limits, a.logger, m
	d, err := dialer.New(dc, prompts)
	if err != nil {
		return nil, &usageError{fmt.Sprintf("start the dialer: %v", err)}
	}
	return d, nil
}

// line is what the settings page shows of the line: the configuration,
// never the password, and how this node's dialer (nil on a node without
// the worker role) finds it.
func (c SIPConfig) line(prompts *dialer.Prompts, d *dialer.Dialer) *web.Line {
	l := &web.Line{Trunk: c.Trunk, Transport: c.Transport, Proxy: c.Proxy, Authenticated: c.Username != "",
		Channels: c.Channels, CPS: c.CPS, RingTimeout: c.RingTimeout, MaxCall: c.MaxCall, PromptsDir: c.PromptsDir,
		Languages: prompts.Languages(), EscalationLanguages: prompts.EscalationLanguages(),
		Register: c.Register, Keepalive: c.Keepalive}
	if d != nil {
		l.Node = d
	}
	return l
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// stateDir is the node's own directory: --state-dir, else systemd's
// StateDirectory, else the user's state directory.
func (a *app) stateDir() string {
	if a.cfg.StateDir != "" {
		return a.cfg.StateDir
	}
	if d, _, _ := strings.Cut(os.Getenv("STATE_DIRECTORY"), ":"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "wellcheck")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "wellcheck")
	}
	return filepath.Join(os.TempDir(), "wellcheck")
}
