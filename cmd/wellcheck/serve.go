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

	"github.com/wellcheck/wellcheck/migrations"
	"github.com/wellcheck/wellcheck/workers"
)

// serve runs the service until ctx ends: it migrates, runs the scheduler role
// (River's elected leader passes the planner at start and every
// --plan-interval, and sweeps missed check-ins every minute), and serves health
// endpoints. The call workers and the web UI join as they are built.
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

	st, err := a.open(ctx)
	if err != nil {
		return err
	}
	planner, err := a.planner(st)
	if err != nil {
		return err
	}
	river, err := workers.NewClient(st.Pool(), workers.Config{Planner: planner, PlanEvery: a.cfg.PlanInterval, Logger: a.logger})
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
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	a.logger.Info("serving", "url", "http://"+ln.Addr().String())
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
	// leader's pass at start covers it.
	if rerr := river.Stop(shutdownCtx); rerr != nil && err == nil {
		err = fmt.Errorf("stop the scheduler: %w", rerr)
	}
	return err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
