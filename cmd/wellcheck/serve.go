package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/migrations"
	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/web"
	"github.com/wellcheck/wellcheck/workers"
)

// serve runs the service until ctx ends: it migrates, runs the scheduler role
// (River's elected leader passes the planner at start and every
// --plan-interval, and sweeps missed check-ins every minute) and the worker
// role (check-in calls through the trunk, within its limits across every
// node), and serves health endpoints. The web UI joins as it is built.
func (a *app) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	noMigrate := fs.Bool("no-migrate", false, "do not apply migrations at start")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *noMigrate {
		if _, err := a.open(ctx); err != nil {
			return err
		}
	} else if err := a.applyMigrations(ctx, true); err != nil {
		return err
	}
	return a.runNode(ctx, nil)
}

// runNode runs every role of a node until ctx ends, on a migrated database.
// started, if set, is told the web interface's address once it listens (the
// demo prints it with its accounts), and the pages say it is a demo.
func (a *app) runNode(ctx context.Context, started func(url string)) error {
	st, err := a.open(ctx)
	if err != nil {
		return err
	}
	planner, err := a.planner(st)
	if err != nil {
		return err
	}
	// The prompts are read once: the dialer plays them, the settings page
	// lists their languages.
	prompts, err := a.cfg.SIP.prompts()
	if err != nil {
		return err
	}
	calls, closeDialer, err := a.calls(ctx, st, prompts)
	if err != nil {
		return err
	}
	defer closeDialer()
	river, err := workers.NewClient(st.Pool(), workers.Config{
		Planner: planner, PlanEvery: a.cfg.PlanInterval,
		Calls: calls, CallWorkers: a.cfg.SIP.Channels,
		Logger: a.logger,
	})
	if err != nil {
		return err
	}
	if err := river.Start(ctx); err != nil {
		return fmt.Errorf("start the scheduler: %w", err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		current, err := migrations.Status(ctx, a.pool)
		switch {
		case err != nil:
			a.logger.Warn("readiness: database", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
		case !current:
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "migrations pending"})
		default:
			writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		}
	})
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return &usageError{"listen on " + a.cfg.HTTPAddr + ": " + err.Error()}
	}
	// The web interface. Its cookies are Secure unless it is only reachable
	// from this machine (the demo, or behind a TLS proxy on the same host).
	ui := &web.Server{Store: st, Cases: calls.Cases(), Enrol: a.enroller(st, planner), Jobs: calls.Jobs, Logger: a.logger,
		SecureCookies: !isLoopback(ln.Addr()), Line: a.cfg.SIP.line(prompts), Demo: started != nil}
	if ui.RiverUI, err = web.RiverDashboard(ctx, calls.Jobs.Client(), a.logger); err != nil {
		return fmt.Errorf("river's dashboard: %w", err)
	}
	mux.Handle("/", ui.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	a.logger.Info("serving", "url", "http://"+ln.Addr().String())
	if started != nil {
		started("http://" + ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	a.logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutdownCtx); serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	// A pass in progress is cancelled and rolled back batch by batch; the next
	// leader's pass at start covers it. Calls in progress end first (up to
	// the shutdown's 10 s; a call cut short is retried later as interrupted).
	if rerr := river.Stop(shutdownCtx); rerr != nil && err == nil {
		err = fmt.Errorf("stop the scheduler: %w", rerr)
	}
	return err
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// calls builds the worker role: the dialer, through the trunk's limits shared
// by every node, and the logic that decides what each call means.
func (a *app) calls(ctx context.Context, st *store.Store, prompts *dialer.Prompts) (*workers.Calls, func(), error) {
	dc, err := a.cfg.SIP.dialerConfig()
	if err != nil {
		return nil, nil, err
	}
	limits, err := st.NewTrunkLimits(ctx, store.TrunkLimitsConfig{
		Trunk: a.cfg.SIP.Trunk, Channels: a.cfg.SIP.Channels, CPS: a.cfg.SIP.CPS, Lease: a.cfg.SIP.MaxCall + time.Minute,
	})
	if err != nil {
		return nil, nil, err
	}
	dc.Limits, dc.Logger = limits, a.logger
	d, err := dialer.New(dc, prompts)
	if err != nil {
		return nil, nil, &usageError{fmt.Sprintf("start the dialer: %v", err)}
	}
	jobs, err := workers.NewJobs(st.Pool(), a.logger)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	calls := &workers.Calls{
		Store: st, Dialer: d, Jobs: jobs, Logger: a.logger, TimeZone: a.cfg.TimeZone,
		StaleAfter: a.cfg.SIP.MaxCall + 2*time.Minute,
	}
	return calls, func() { d.Close() }, nil
}

// line is what the settings page shows of the line: the configuration,
// never the password.
func (c SIPConfig) line(prompts *dialer.Prompts) *web.Line {
	return &web.Line{Trunk: c.Trunk, Transport: c.Transport, Proxy: c.Proxy, Authenticated: c.Username != "",
		Channels: c.Channels, CPS: c.CPS, RingTimeout: c.RingTimeout, MaxCall: c.MaxCall, PromptsDir: c.PromptsDir,
		Languages: prompts.Languages(), EscalationLanguages: prompts.EscalationLanguages()}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
