package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wellcheck/wellcheck/migrations"
	"github.com/wellcheck/wellcheck/store"
)

// open connects to the database, failing with a message that says what to do.
func (a *app) open(ctx context.Context) (*store.Store, error) {
	if a.pool == nil {
		pool, err := pgxpool.New(ctx, a.cfg.DatabaseURL)
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
		return err
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
