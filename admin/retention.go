// Package admin is the administration of a wellcheck service: the rules that
// keep its data no longer than needed (retention), and, as they move here,
// users and passwords, closures, settings, partners and listeners' profiles,
// each validated, audited and re-planned in one place for the pages, the API
// and the command line.
package admin

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// Service is the administration's use cases.
type Service struct {
	Store *store.Store
	// TimeZone, when set, overrides the service's zone (WELLCHECK_TIME_ZONE).
	TimeZone string
	Logger   *slog.Logger
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// retentionActor is who the audit log says purged.
var retentionActor = wellcheck.Actor{Label: "system:calls"}

// Purged is what a retention pass removed.
type Purged struct {
	ClosedCases, CheckIns, Persons int64
	TestCalls                      int64 // the settings page's, after 30 days
	Uploads                        int64 // registers uploaded and never imported, after an hour
}

// Retain applies the service's retention settings (GDPR): cases closed longer
// ago than the closed-case period go with their notes, follow-ups and
// escalations, as do finished check-ins older than it with their attempts;
// test calls go after 30 days, registers uploaded and never imported after an
// hour; persons who withdrew longer ago than the withdrawn period are erased. What
// they counted stays in the daily counts, so reports over any period still add
// up. Each batch is its own transaction: a pass cut short resumes next time.
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
		s.log().InfoContext(ctx, "retention applied", "closed_cases", p.ClosedCases, "check_ins", p.CheckIns, "persons", p.Persons, "test_calls", p.TestCalls, "uploads", p.Uploads)
	}
}
