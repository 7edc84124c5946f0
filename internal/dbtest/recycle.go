package dbtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A test's database is not dropped when the test ends: it is put back as the
// template left it and handed to the next test of the same process. Copying
// the template costs hundreds of milliseconds (CREATE DATABASE writes every
// page through the WAL, DROP DATABASE removes every file); putting a database
// back costs a few dozen.
//
// Putting back goes like this:
//
//  1. The database is renamed to a new test name. Postgres refuses while any
//     session is connected to it, so nothing the test left running can reach
//     the next test, and the old URL stops working. Refused, it is dropped.
//  2. Its schema is compared with the template's: a test that altered it
//     (a column, an index, an enum value, a schema dropped and rebuilt) gets
//     its database dropped.
//  3. In one transaction: every row of every table that was ever written is
//     deleted, the rows the migrations insert (settings, opening hours,
//     planner state, applied migrations, River's) are copied back as the
//     template holds them, and every sequence is set back to where the
//     template's stands. What a test reads is then what a copy of the
//     template holds: the same rows, the same next identifiers.
//
// At most maxIdle databases wait for a test; the rest are dropped. Those
// still waiting when the process exits carry its pid in their names, and the
// next test process on the host drops them (sweepOrphans).
const maxIdle = 8

var (
	idleMu sync.Mutex
	idle   []string // names of databases put back, ready for a test

	shapeOnce sync.Once
	tmpl      *shape // what a database copied from the template holds
	shapeErr  error
)

// shape is what a fresh copy of the template holds, read once from the first
// copy a process makes (never from the template itself: a session on the
// template would make other processes' CREATE DATABASE fail).
type shape struct {
	schema    string     // fingerprint of the schema (schemaSQL)
	seeds     []seed     // the rows of the tables that migrations fill
	sequences []sequence // where every sequence stands
	// recyclable is false when the schema holds something that deleting
	// rows does not reset (a materialized view): such databases are always
	// dropped.
	recyclable bool
}

type seed struct {
	table   string // quoted, schema-qualified
	columns string // quoted, the ones COPY can write (not generated)
	rows    []byte // COPY text format
}

type sequence struct {
	name   string // quoted, schema-qualified
	value  int64
	called bool
}

// userNamespaces keeps the schemas a test can write to, not the system's nor
// the per-session temporary ones.
const userNamespaces = `SELECT oid, nspname FROM pg_namespace
	WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
	  AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'`

// schemaSQL fingerprints everything DDL can change that a test could notice
// and truncation would not undo. Object identifiers are left out: a schema
// dropped and rebuilt identically is the same schema.
const schemaSQL = `WITH ns AS (` + userNamespaces + `),
rel AS (SELECT c.* FROM pg_class c JOIN ns ON ns.oid = c.relnamespace)
SELECT md5(string_agg(x, E'\n' ORDER BY x COLLATE "C")) FROM (
	SELECT format('schema %s %s %s', n.nspname, n.nspowner::regrole, n.nspacl) FROM pg_namespace n JOIN ns USING (oid)
	UNION ALL SELECT format('relation %s %s %s %s %s %s %s', oid::regclass, relkind, relpersistence, relowner::regrole, relacl, reloptions, relrowsecurity) FROM rel
	UNION ALL SELECT format('column %s %s %s %s %s %s %s %s', attrelid::regclass, attnum, attname, format_type(atttypid, atttypmod), attnotnull, attidentity, attgenerated, attcollation)
		FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid WHERE attnum > 0
	UNION ALL SELECT format('default %s %s %s', adrelid::regclass, adnum, pg_get_expr(adbin, adrelid)) FROM pg_attrdef d JOIN rel ON rel.oid = d.adrelid
	UNION ALL SELECT format('constraint %s %s %s %s', conrelid::regclass, contypid::regtype, conname, pg_get_constraintdef(c.oid)) FROM pg_constraint c JOIN ns ON ns.oid = c.connamespace
	UNION ALL SELECT format('index %s', pg_get_indexdef(indexrelid)) FROM pg_index i JOIN rel ON rel.oid = i.indexrelid
	UNION ALL SELECT format('trigger %s', pg_get_triggerdef(t.oid)) FROM pg_trigger t JOIN rel ON rel.oid = t.tgrelid WHERE NOT tgisinternal
	UNION ALL SELECT format('rule %s %s', ev_class::regclass, pg_get_ruledef(r.oid)) FROM pg_rewrite r JOIN rel ON rel.oid = r.ev_class
	UNION ALL SELECT format('policy %s %s %s', polrelid::regclass, polname, pg_get_expr(polqual, polrelid)) FROM pg_policy p JOIN rel ON rel.oid = p.polrelid
	UNION ALL SELECT format('sequence %s %s %s %s %s %s %s', seqrelid::regclass, seqtypid::regtype, seqstart, seqincrement, seqmax, seqmin, seqcycle) FROM pg_sequence s JOIN rel ON rel.oid = s.seqrelid
	UNION ALL SELECT format('function %s %s %s %s %s %s', p.oid::regprocedure, prorettype::regtype, prokind, provolatile, proconfig, md5(prosrc)) FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
	UNION ALL SELECT format('type %s %s %s', t.oid::regtype, typtype, typowner::regrole) FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
	UNION ALL SELECT format('enum %s %s %s', enumtypid::regtype, enumsortorder, enumlabel) FROM pg_enum
	UNION ALL SELECT format('operator %s', o.oid::regoperator) FROM pg_operator o JOIN ns ON ns.oid = o.oprnamespace
	UNION ALL SELECT format('extension %s %s %s', extname, extversion, extnamespace::regnamespace) FROM pg_extension
	UNION ALL SELECT format('event trigger %s %s %s', evtname, evtevent, evtfoid::regproc) FROM pg_event_trigger
	UNION ALL SELECT format('database %s %s %s', datallowconn, datconnlimit, datacl) FROM pg_database WHERE datname = current_database()
	UNION ALL SELECT format('settings %s', setconfig) FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
	UNION ALL SELECT format('large objects %s', count(*)) FROM pg_largeobject_metadata
) AS s(x)`

// writtenSQL lists the tables that hold pages: the ones the migrations fill
// and the ones written to since (rows inserted, even if deleted or rolled back
// since). A table with no pages holds no rows.
const writtenSQL = `WITH ns AS (` + userNamespaces + `)
SELECT format('%I.%I', ns.nspname, c.relname) FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
WHERE c.relkind = 'r' AND pg_relation_size(c.oid) > 0`

// readShape reads what a fresh copy of the template holds.
func readShape(ctx context.Context, conn *pgx.Conn) (*shape, error) {
	s := &shape{recyclable: true}
	if err := conn.QueryRow(ctx, schemaSQL).Scan(&s.schema); err != nil {
		return nil, fmt.Errorf("fingerprint the schema: %w", err)
	}
	var views bool
	if err := conn.QueryRow(ctx, `WITH ns AS (`+userNamespaces+`)
		SELECT EXISTS (SELECT 1 FROM pg_class c JOIN ns ON ns.oid = c.relnamespace WHERE c.relkind = 'm')`).Scan(&views); err != nil {
		return nil, err
	}
	s.recyclable = !views

	rows, err := conn.Query(ctx, `WITH ns AS (`+userNamespaces+`)
		SELECT format('%I.%I', ns.nspname, c.relname),
		       (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
		        WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped AND attgenerated = '')
		FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
		WHERE c.relkind = 'r' AND pg_relation_size(c.oid) > 0 ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("list seeded tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Table, Columns string }])
	if err != nil {
		return nil, fmt.Errorf("list seeded tables: %w", err)
	}
	for _, t := range tables {
		var buf bytes.Buffer
		if _, err := conn.PgConn().CopyTo(ctx, &buf, fmt.Sprintf("COPY %s (%s) TO STDOUT", t.Table, t.Columns)); err != nil {
			return nil, fmt.Errorf("read the rows of %s: %w", t.Table, err)
		}
		if buf.Len() > 0 {
			s.seeds = append(s.seeds, seed{table: t.Table, columns: t.Columns, rows: buf.Bytes()})
		}
	}

	rows, err = conn.Query(ctx, `WITH ns AS (`+userNamespaces+`)
		SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, start_value), last_value IS NOT NULL
		FROM pg_sequences JOIN ns ON ns.nspname = schemaname ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("list sequences: %w", err)
	}
	s.sequences, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (sequence, error) {
		var q sequence
		err := r.Scan(&q.name, &q.value, &q.called)
		return q, err
	})
	if err != nil {
		return nil, fmt.Errorf("list sequences: %w", err)
	}
	return s, nil
}

// takeIdle returns a database put back by an earlier test, or "".
func takeIdle() string {
	idleMu.Lock()
	defer idleMu.Unlock()
	if len(idle) == 0 {
		return ""
	}
	name := idle[len(idle)-1]
	idle = idle[:len(idle)-1]
	return name
}

// park makes name ready for the next test, unless enough already are.
func park(name string) bool {
	idleMu.Lock()
	defer idleMu.Unlock()
	if len(idle) >= maxIdle {
		return false
	}
	idle = append(idle, name)
	return true
}

// putBack renames name, resets it as the template left it and parks it. It
// returns the name it parked it under, or "" if it dropped it instead.
func putBack(ctx context.Context, name string) (string, error) {
	admin, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return "", unreachable(err)
	}
	defer admin.Close(context.WithoutCancel(ctx))

	next := testDatabaseName()
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+name+" RENAME TO "+next); err != nil {
		var pgErr *pgconn.PgError
		errors.As(err, &pgErr)
		switch {
		case pgErr != nil && pgErr.Code == "55006": // object_in_use: a session is still there
			return "", drop(ctx, admin, name)
		case pgErr != nil && pgErr.Code == "3D000": // invalid_catalog_name: the test dropped it
			return "", nil
		}
		return "", errors.Join(fmt.Errorf("rename %s: %w", name, err), drop(ctx, admin, name))
	}
	if tmpl == nil || !tmpl.recyclable {
		return "", drop(ctx, admin, next)
	}
	fresh, err := reset(ctx, next)
	if err != nil || !fresh || !park(next) {
		return "", errors.Join(err, drop(ctx, admin, next))
	}
	return next, nil
}

// reset empties the database name back to the template's rows and sequences,
// and reports false, touching nothing, if its schema is not the template's.
func reset(ctx context.Context, name string) (fresh bool, err error) {
	conn, err := pgx.Connect(ctx, withDatabase(ServerURL(), name))
	if err != nil {
		return false, fmt.Errorf("reset %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema string
	if err := conn.QueryRow(ctx, schemaSQL).Scan(&schema); err != nil {
		return false, fmt.Errorf("reset %s: fingerprint the schema: %w", name, err)
	}
	if schema != tmpl.schema {
		return false, nil
	}
	rows, err := conn.Query(ctx, writtenSQL)
	if err != nil {
		return false, fmt.Errorf("reset %s: %w", name, err)
	}
	written, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return false, fmt.Errorf("reset %s: %w", name, err)
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// DELETE rather than TRUNCATE: truncating gives each table and index
		// a new file, a few milliseconds apiece, and TRUNCATE takes along
		// every table that references one (users: most of them). The replica
		// role keeps triggers and foreign-key checks quiet: every row goes.
		var del strings.Builder
		del.WriteString("SET LOCAL session_replication_role = replica;")
		for _, table := range written {
			fmt.Fprintf(&del, "DELETE FROM %s;", table)
		}
		if _, err := tx.Exec(ctx, del.String()); err != nil {
			return err
		}
		for _, s := range tmpl.seeds {
			if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(s.rows), fmt.Sprintf("COPY %s (%s) FROM STDIN", s.table, s.columns)); err != nil {
				return fmt.Errorf("copy back the rows of %s: %w", s.table, err)
			}
		}
		names := make([]string, len(tmpl.sequences))
		values := make([]int64, len(tmpl.sequences))
		called := make([]bool, len(tmpl.sequences))
		for i, q := range tmpl.sequences {
			names[i], values[i], called[i] = q.name, q.value, q.called
		}
		_, err := tx.Exec(ctx, "SELECT setval(s::regclass, v, c) FROM unnest($1::text[], $2::bigint[], $3::bool[]) AS q(s, v, c)", names, values, called)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("reset %s: %w", name, err)
	}
	return true, nil
}

func drop(ctx context.Context, admin *pgx.Conn, name string) error {
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	return nil
}
