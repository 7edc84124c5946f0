package workers

import (
	"cmp"
	"context"

	"github.com/riverqueue/river"

	"github.com/wellcheck/wellcheck/store"
)

// RetentionArgs is the periodic job that applies the retention settings.
type RetentionArgs struct{}

func (RetentionArgs) Kind() string { return "retention" }

func (RetentionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCalls, MaxAttempts: 3, UniqueOpts: notQueuedTwice}
}

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
func (c *Calls) Retain(ctx context.Context) (Purged, error) {
	now := c.now()
	var p Purged
	r, err := c.Store.Queries().Settings(ctx)
	if err != nil {
		return p, err
	}
	zone := cmp.Or(c.TimeZone, r.TimeZone)
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
			if err := c.Store.WithTx(ctx, func(q *store.Queries) (err error) { n, err = step.purge(q); return err }); err != nil {
				return p, err
			}
			*step.n += n
			if n == 0 {
				break
			}
		}
	}
	if p.TestCalls, err = c.Store.Queries().PurgeTestCalls(ctx, now); err != nil {
		return p, err
	}
	if p.Uploads, err = c.Store.Queries().PurgeUploads(ctx, now); err != nil {
		return p, err
	}
	for {
		ids, err := c.Store.Queries().WithdrawnBefore(ctx, now.AddDate(0, 0, -r.KeepWithdrawnDays))
		if err != nil || len(ids) == 0 {
			c.logRetention(ctx, p)
			return p, err
		}
		for _, id := range ids {
			err := c.Store.WithTx(ctx, func(q *store.Queries) error {
				if err := q.ErasePerson(ctx, id, zone, now); err != nil {
					return err
				}
				return q.Audit(ctx, systemActor, "person.purge", &id, nil, map[string]any{"after_days": r.KeepWithdrawnDays})
			})
			if err != nil {
				return p, err
			}
			p.Persons++
		}
	}
}

func (c *Calls) logRetention(ctx context.Context, p Purged) {
	if p != (Purged{}) {
		c.log().InfoContext(ctx, "retention applied", "closed_cases", p.ClosedCases, "check_ins", p.CheckIns, "persons", p.Persons, "test_calls", p.TestCalls, "uploads", p.Uploads)
	}
}
