package admin

import (
	"cmp"
	"context"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// retentionActor is who the audit log says purged.
var retentionActor = wellcheck.SystemActor("retention")

// Purged is what a retention pass removed.
type Purged struct {
	ClosedCases, CheckIns, Persons int64
	TestCalls                      int64 // the settings page's, after 30 days
	Uploads                        int64 // registers uploaded and never imported, after an hour
	Audit                          int64 // the audit log's entries, after the audit period
}

// Retain applies the service's retention settings (GDPR): cases closed longer
// ago than the closed-case period go with their notes, follow-ups and
// escalations, as do finished check-ins older than it with their attempts;
// test calls go after 30 days, registers uploaded and never imported after an
// hour; the audit log's entries older than the audit period go (aged by the
// database's clock, which stamped them); persons who withdrew longer ago than
// the withdrawn period are erased. What they counted stays in the daily counts,
// so reports over any period still add up. Each batch is its own transaction: a
// pass cut short resumes next time.
func (s *Service) Retain(ctx context.Context) (Purged, error) {
	now := s.now()
	var p Purged
	r, err := s.Store.Queries().Settings(ctx)
	if err != nil {
		return p, err
	}
	zone := cmp.Or(s.TimeZone, r.TimeZone)
	kept := now.AddDate(0, 0, -r.KeepClosedCasesDays)
	for _, step := range []struct {
		n     *int64
		purge func(q *store.Queries) (int64, error)
	}{
		{&p.ClosedCases, func(q *store.Queries) (int64, error) { return q.PurgeClosedCases(ctx, kept, zone) }},
		{&p.CheckIns, func(q *store.Queries) (int64, error) { return q.PurgeOldCheckIns(ctx, kept, zone) }},
		{&p.Audit, func(q *store.Queries) (int64, error) { return q.PurgeAudit(ctx, r.KeepAuditDays) }},
	} {
		for {
			var n int64
			if err := s.Store.WithTx(ctx, func(q *store.Queries) (err error) { n, err = step.purge(q); return err }); err != nil {
				return p, err
			}
			*step.n += n
			if n == 0 {
				break
			}
		}
	}
	if p.TestCalls, err = s.Store.Queries().PurgeTestCalls(ctx, now); err != nil {
		return p, err
	}
	if p.Uploads, err = s.Store.Queries().PurgeUploads(ctx, now); err != nil {
		return p, err
	}
	for {
		ids, err := s.Store.Queries().WithdrawnBefore(ctx, now.AddDate(0, 0, -r.KeepWithdrawnDays))
		if err != nil || len(ids) == 0 {
			s.logRetention(ctx, p)
			return p, err
		}
		for _, id := range ids {
			err := s.Store.WithTx(ctx, func(q *store.Queries) error {
				if err := q.ErasePerson(ctx, id, zone, now); err != nil {
					return err
				}
				return q.Audit(ctx, retentionActor, "person.purge", &id, nil, map[string]any{"after_days": r.KeepWithdrawnDays})
			})
			if err != nil {
				return p, err
			}
			p.Persons++
		}
	}
}

func (s *Service) logRetention(ctx context.Context, p Purged) {
	if p != (Purged{}) {
		s.log().InfoContext(ctx, "retention applied", "closed_cases", p.ClosedCases, "check_ins", p.CheckIns, "persons", p.Persons, "test_calls", p.TestCalls, "uploads", p.Uploads, "audit", p.Audit)
	}
}
