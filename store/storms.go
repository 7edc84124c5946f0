package store

import (
	"context"
	"errors"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// RecentCalls returns the check-in calls that ended since since (the
// latest 2000 at most), as the trunk rule reads them (wellcheck.TrunkCall).
func (q *Queries) RecentCalls(ctx context.Context, since time.Time) ([]wellcheck.TrunkCall, error) {
	rows, err := q.q.ListRecentCalls(ctx, since)
	out := make([]wellcheck.TrunkCall, len(rows))
	for i, r := range rows {
		out[i] = wellcheck.TrunkCall{AttemptID: r.ID, PersonID: r.PersonID, Final: r.Final,
			Fault: wellcheck.FaultOf(wellcheck.Outcome(deref(r.Outcome)), int(deref(r.SipStatus)), r.FailureReason)}
	}
	return out, translate(err, "read the calls just ended")
}

// MarkTrunkAttempts marks attempts as failed by the trunk in a storm: counted
// against nobody.
func (q *Queries) MarkTrunkAttempts(ctx context.Context, ids []int64) error {
	return translate(q.q.MarkTrunkAttempts(ctx, ids), "mark calls failed by the trunk")
}

// OpenTrunkStorm returns the storm going on, or wellcheck.ErrNotFound.
func (q *Queries) OpenTrunkStorm(ctx context.Context) (wellcheck.TrunkStorm, error) {
	s, err := q.q.OpenTrunkStorm(ctx)
	return stormOf(s), translate(err, "read the trunk's storm")
}

// BeginTrunkStorm records that a storm of fault begins at at, found in calls
// to persons; its first probe is due at probeAt. began is false when a storm
// was already going on (another node saw it first): s is that one.
func (q *Queries) BeginTrunkStorm(ctx context.Context, fault wellcheck.TrunkFault, at, probeAt time.Time, calls, persons int) (s wellcheck.TrunkStorm, began bool, err error) {
	row, err := q.q.BeginTrunkStorm(ctx, dbsqlc.BeginTrunkStormParams{
		Fault: string(fault), BeganAt: at, ProbeAt: probeAt, Calls: int32(calls), Persons: int32(persons)})
	if err == nil {
		return stormOf(row), true, nil
	}
	if err = translate(err, "begin a trunk storm"); !errors.Is(err, wellcheck.ErrNotFound) {
		return s, false, err
	}
	s, err = q.OpenTrunkStorm(ctx)
	return s, false, err
}

// TakeTrunkProbe gives storm s's probe to call by, if one is due at now and
// no other call has it, until until (while it waits for a channel); a storm
// with no probe since quietSince starts its waits over.
func (q *Queries) TakeTrunkProbe(ctx context.Context, s wellcheck.TrunkStorm, by string, now, until, quietSince time.Time) (bool, error) {
	n, err := q.q.TakeTrunkProbe(ctx, dbsqlc.TakeTrunkProbeParams{ID: s.ID, By: &by, Now: now, Until: until, QuietSince: quietSince})
	return n == 1, translate(err, "take the trunk's probe")
}

// ConfirmTrunkProbe says call by, which has storm s's probe, leaves; the
// next probe is due at next. False if by does not have it (any more).
func (q *Queries) ConfirmTrunkProbe(ctx context.Context, s wellcheck.TrunkStorm, by string, next time.Time) (bool, error) {
	n, err := q.q.ConfirmTrunkProbe(ctx, dbsqlc.ConfirmTrunkProbeParams{ID: s.ID, By: &by, Next: next})
	return n == 1, translate(err, "confirm the trunk's probe")
}

// EndTrunkStorm ends storm s at at; false if it had ended already.
func (q *Queries) EndTrunkStorm(ctx context.Context, s wellcheck.TrunkStorm, at time.Time) (bool, error) {
	n, err := q.q.EndTrunkStorm(ctx, dbsqlc.EndTrunkStormParams{ID: s.ID, EndedAt: at})
	return n == 1, translate(err, "end the trunk's storm")
}

// TrunkStorms returns the latest count storms, the one going on first.
func (q *Queries) TrunkStorms(ctx context.Context, count int) ([]wellcheck.TrunkStorm, error) {
	rows, err := q.q.ListTrunkStorms(ctx, int32(count))
	out := make([]wellcheck.TrunkStorm, len(rows))
	for i, r := range rows {
		out[i] = stormOf(r)
	}
	return out, translate(err, "read the trunk's storms")
}

func stormOf(s dbsqlc.TrunkStorm) wellcheck.TrunkStorm {
	return wellcheck.TrunkStorm{ID: s.ID, Fault: wellcheck.TrunkFault(s.Fault), Since: s.BeganAt, Until: s.EndedAt,
		ProbeAt: s.ProbeAt, Probes: int(s.Probes), ProbeBy: deref(s.ProbeBy), Calls: int(s.Calls), Persons: int(s.Persons)}
}
