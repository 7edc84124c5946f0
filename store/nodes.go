package store

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// Heartbeat records that node is alive and reaches the database, on the
// database's clock, and returns that clock. A beat after a gap longer than
// gap begins a new run of beats; only a node whose run has lasted as long as
// a dead node's silence may judge it (LostCalls).
func (q *Queries) Heartbeat(ctx context.Context, node string, gap time.Duration) (dbNow time.Time, err error) {
	dbNow, err = q.q.Heartbeat(ctx, dbsqlc.HeartbeatParams{Name: node, Gap: interval(gap)})
	return dbNow, translate(err, "heartbeat of node "+node)
}

// A LostCall is an attempt in progress whose node died, and its check-in.
type LostCall struct{ CheckInID, AttemptID int64 }

// LostCalls returns the attempts (at most 500) in progress whose node has not
// beaten for deadAfter, as judged by node judge, which must have beaten
// throughout that time (and within gap): after an outage that silenced every
// node, nobody is judged until they all had the time to beat again. A node
// that never beat is judged by its attempt's start, before startedBefore.
func (q *Queries) LostCalls(ctx context.Context, judge string, gap, deadAfter time.Duration, startedBefore time.Time) ([]LostCall, error) {
	rows, err := q.q.ListLostCalls(ctx, dbsqlc.ListLostCallsParams{Judge: judge, Gap: interval(gap), DeadAfter: interval(deadAfter), StartedBefore: startedBefore})
	out := make([]LostCall, len(rows))
	for i, r := range rows {
		out[i] = LostCall{CheckInID: r.CheckInID, AttemptID: r.AttemptID}
	}
	return out, translate(err, "find calls lost with their node")
}

// ForgetNodes deletes the nodes not seen for a day.
func (q *Queries) ForgetNodes(ctx context.Context) error {
	return translate(q.q.ForgetNodes(ctx), "forget nodes gone")
}

// Unavailable reports whether err means the database could not be reached or
// could not answer now — a connection refused, reset or timed out, a server
// shutting down or starting, too many connections, a statement or lock that
// timed out, a serialization failure or deadlock —
// rather than refusing what was asked: trying again later may succeed.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "08", "25", "53", "57", "58": // connection, transaction state (a read-only standby after a failover), resources, operator intervention (a statement timeout), system
			return true
		}
		switch pgErr.Code {
		case "40001", "40P01", "55P03", "55006": // serialization failure, deadlock, lock timeout, object in use
			return true
		}
		return false
	}
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	return errors.As(err, &netErr) || errors.As(err, &connectErr) || pgconn.Timeout(err) ||
		pgconn.SafeToRetry(err) || errors.Is(err, context.DeadlineExceeded) || isClosed(err)
}

// isClosed is a connection that went away mid-query: pgx says so in words.
func isClosed(err error) bool {
	msg := err.Error()
	for _, s := range []string{"conn closed", "closed pool", "unexpected EOF", "connection reset", "broken pipe", "conn busy"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
