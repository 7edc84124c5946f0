// Package migrations applies wellcheck's schema: the embedded, numbered SQL files
// in sql/ and River's own tables (rivermigrate), in one transaction under an
// advisory lock so that two processes migrating at once are safe.
package migrations

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed sql/*.sql
var files embed.FS

// RunnerVersion changes whenever the runner's own bookkeeping (schema_migrations)
// changes shape, so that cached test templates are rebuilt.
const RunnerVersion = 3

// lockKey is the pg_advisory_lock key every migrating process takes.
const lockKey = 0x77656c6c63686b // "wellchk"

// Migration is one embedded SQL file.
type Migration struct {
	Version  int
	Name     string
	SQL      string
	Checksum string // sha256 of SQL, recorded when applied
}

func (m Migration) String() string { return fmt.Sprintf("%04d_%s", m.Version, m.Name) }

var fileName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// All returns the embedded migrations in version order.
func All() ([]Migration, error) {
	entries, err := fs.ReadDir(files, "sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %q: name must look like 0001_name.sql", e.Name())
		}
		body, err := files.ReadFile(path.Join("sql", e.Name()))
		if err != nil {
			return nil, err
		}
		v, _ := strconv.Atoi(m[1])
		if len(out) > 0 && out[len(out)-1].Version == v {
			return nil, fmt.Errorf("two migrations numbered %d", v)
		}
		sum := sha256.Sum256(body)
		out = append(out, Migration{Version: v, Name: m[2], SQL: string(body), Checksum: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	return out, nil
}

// Result says what Up changed.
type Result struct {
	Applied      []Migration // app migrations applied by this call
	RiverApplied []int       // River migration versions applied by this call
}

// Up applies every pending migration, River's then the app's. It is idempotent, and
// concurrent callers (other processes included) wait for each other on a
// session-level advisory lock. The app migrations apply in one transaction; River's
// apply in River's own transactions (some of them add enum values, which Postgres
// does not allow to be used in the transaction that adds them).
func Up(ctx context.Context, pool *pgxpool.Pool) (Result, error) {
	all, err := All()
	if err != nil {
		return Result{}, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return Result{}, fmt.Errorf("take migration lock: %w", err)
	}
	defer func() {
		// The lock must go even if ctx was cancelled; a broken connection drops it anyway.
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(lockKey)); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()

	// River's tables first: ours may index them (0002 indexes call jobs by
	// check-in).
	var res Result
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return Result{}, fmt.Errorf("river migrator: %w", err)
	}
	rr, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return Result{}, fmt.Errorf("apply river migrations: %w", err)
	}
	for _, v := range rr.Versions {
		res.RiverApplied = append(res.RiverApplied, v.Version)
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// A migration may rewrite a large table: the service's statement
		// timeout is for its queries, not for this.
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			checksum   text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		done, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		if err := verify(all, done); err != nil {
			return err
		}
		for _, m := range all {
			if _, ok := done[m.Version]; ok {
				continue
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", m.Version, m.Name, m.Checksum); err != nil {
				return fmt.Errorf("record migration %04d: %w", m.Version, err)
			}
			res.Applied = append(res.Applied, m)
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}

	return res, nil
}

// Status reports whether every embedded app migration and every River migration
// has been applied. An applied migration that differs from this build's, or that
// this build does not know, is an error.
func Status(ctx context.Context, pool *pgxpool.Pool) (current bool, err error) {
	all, err := All()
	if err != nil {
		return false, err
	}
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil || !exists {
		return false, err
	}
	done, err := appliedVersions(ctx, pool)
	if err != nil {
		return false, err
	}
	if err := verify(all, done); err != nil {
		return false, err
	}
	if len(done) != len(all) {
		return false, nil
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return false, err
	}
	v, err := migrator.Validate(ctx, nil)
	if err != nil {
		return false, err
	}
	return v.OK, nil
}

// verify checks what the database has applied against this build's files:
// migrations are forward-only, so an applied file must never change, and a
// database migrated by a newer build is not run by an older one.
func verify(all []Migration, done map[int]string) error {
	known := make(map[int]Migration, len(all))
	for _, m := range all {
		known[m.Version] = m
		if sum, ok := done[m.Version]; ok && sum != m.Checksum {
			return fmt.Errorf("migration %s was changed after it was applied (applied %.12s…, this build has %.12s…): migrations are forward-only; restore the file and put the change in a new migration", m, sum, m.Checksum)
		}
	}
	for v := range done {
		if _, ok := known[v]; !ok {
			return fmt.Errorf("the database has migration %04d, which this build does not know: run a newer wellcheck", v)
		}
	}
	return nil
}

// appliedVersions returns the checksum of every applied migration by version.
func appliedVersions(ctx context.Context, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) (map[int]string, error) {
	rows, err := db.Query(ctx, "SELECT version, checksum FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	done := map[int]string{}
	var version int32
	var checksum string
	_, err = pgx.ForEachRow(rows, []any{&version, &checksum}, func() error {
		done[int(version)] = checksum
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return done, nil
}

// CreateDatabase creates the database named in connString if it does not exist,
// connecting to the server's "postgres" database to do so. It reports whether it
// created it.
func CreateDatabase(ctx context.Context, connString string) (bool, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return false, fmt.Errorf("parse database URL: %w", err)
	}
	name := cfg.Database
	if name == "" || name == "postgres" {
		return false, nil
	}
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	// duplicate_database, or the catalogue's unique index when another process
	// created it at the same moment.
	if errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505") {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create database %s: %w", name, err)
	}
	return true, nil
}

// RiverVersion is the newest River migration this build applies.
func RiverVersion() int {
	m, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return 0
	}
	all := m.AllVersions()
	return all[len(all)-1].Version
}
