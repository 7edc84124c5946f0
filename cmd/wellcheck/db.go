package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wellcheck/wellcheck/migrations"
	"github.com/wellcheck/wellcheck/store"
)

// open connects to the database, failing with a message that says what to do.
func (a *app) open(ctx context.Context) (*store.Store, error) {
	if a.pool == nil {
		cfg, err := poolConfig(a.cfg)
		if err != nil {
			return nil, &usageError{fmt.Sprintf("database URL: %v", err)}
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, &usageError{fmt.Sprintf("database URL: %v", err)}
		}
		if err := pool.Ping(ctx); err != nil {
			pool.Close()
			return nil, a.unreachable(err)
		}
		a.pool = pool
	}
	return store.New(a.pool), nil
}

func (a *app) unreachable(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "3D000" {
		return &usageError{fmt.Sprintf("the database does not exist yet (%s): run 'wellcheck migrate', which creates it", pgErr.Message)}
	}
	return &usageError{fmt.Sprintf("cannot reach Postgres at %s: %v\n"+
		"Start the local cluster with:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"+
		"No Postgres on this machine? On Debian or Ubuntu:  apt-get install postgresql  (make run does both),\n"+
		"or set WELLCHECK_DATABASE_URL / --database-url to a server you have.", redact(a.cfg.DatabaseURL), err)}
}

// redact hides a password in a database URL.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return dsn
}

func (a *app) migrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	createDB := fs.Bool("create-db", true, "create the database when it does not exist")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return &usageError{"migrate takes no arguments"}
	}
	return a.applyMigrations(ctx, *createDB)
}

func (a *app) applyMigrations(ctx context.Context, createDB bool) error {
	if createDB {
		created, err := migrations.CreateDatabase(ctx, a.cfg.DatabaseURL)
		var connErr *pgconn.ConnectError
		if errors.As(err, &connErr) {
			return a.unreachable(err)
		}
		if err != nil {
			return err
		}
		if created {
			a.logger.Info("database created")
		}
	}
	st, err := a.open(ctx)
	if err != nil {
		return err
	}
	res, err := migrations.Up(ctx, st.Pool())
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range res.Applied {
		a.logger.Info("migration applied", "version", m.Version, "name", m.Name)
	}
	if len(res.RiverApplied) > 0 {
		a.logger.Info("river migrations applied", "versions", res.RiverApplied)
	}
	if len(res.Applied) == 0 && len(res.RiverApplied) == 0 {
		a.logger.Info("schema up to date")
	}
	return nil
}

// Bounded waits on the database, unless the URL says otherwise: a database
// that drops packets fails a connection in connectTimeout and a query in
// about tcpUserTimeout, rather than hanging a node for the system's TCP
// retransmissions (15 minutes); a statement or a lock that takes longer than
// any of ours should is cut short, and so is a transaction left open.
const (
	connectTimeout = 5 * time.Second
	tcpUserTimeout = 15 * time.Second
)

var sessionLimits = map[string]string{
	"statement_timeout":                   "60s",
	"lock_timeout":                        "10s",
	"idle_in_transaction_session_timeout": "5min",
}

// heartbeatPool is a one-connection pool of its own for the node's
// heartbeat: calls holding every connection of the node's pool must never
// silence it (its calls would be presumed lost).
func (a *app) heartbeatPool(ctx context.Context) (*pgxpool.Pool, error) {
	cfg, err := poolConfig(a.cfg)
	if err != nil {
		return nil, &usageError{fmt.Sprintf("database URL: %v", err)}
	}
	cfg.MaxConns, cfg.MinConns = 1, 0
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, &usageError{fmt.Sprintf("database URL: %v", err)}
	}
	return pool, nil
}

// poolConfig is the database pool for cfg: bounded waits (above), and as
// many connections as the node's roles use at once (poolSize).
func poolConfig(cfg Config) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = connectTimeout
	}
	for k, v := range sessionLimits {
		if _, set := pc.ConnConfig.RuntimeParams[k]; !set {
			pc.ConnConfig.RuntimeParams[k] = v
		}
	}
	// The pool pings a connection that was idle before it hands it out; a
	// connection whose requests went nowhere (its stream cut mid-way) would
	// hold the ping, and whoever waits for a connection, for ever.
	if pc.PingTimeout == 0 {
		pc.PingTimeout = connectTimeout
	}
	dialer := &net.Dialer{KeepAlive: 5 * time.Second, Control: userTimeout(tcpUserTimeout)}
	pc.ConnConfig.DialFunc = dialer.DialContext
	if !strings.Contains(cfg.DatabaseURL, "pool_max_conns") {
		r, _ := parseRoles(cfg.Roles) // checked when the configuration was read
		pc.MaxConns = poolSize(r, cfg.SIP.Channels)
	}
	return pc, nil
}

// poolSize is how many connections a node's roles use at once: River's own
// (leader, producer, notifier: 3); the web's requests (8); the calls' —
// each call holds a connection only to claim and to record (not while it
// rings or talks), so up to 16 at once whatever the channels, plus recovery,
// promotion and escalations (4); the planner's two batches and its sweep
// (3). A node of every role on 30 channels: 34, and the heartbeat's own
// connection (heartbeatPool). See docs/scaling.md.
func poolSize(r roles, channels int) int32 {
	n := 3
	if r.web {
		n += 8
	}
	if r.worker {
		n += 4 + min(channels, 16)
	}
	if r.scheduler {
		n += 3
	}
	return int32(n)
}
