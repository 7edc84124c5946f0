package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// benchZones are where generated persons live: metropolitan France and its
// neighbours, overseas départements, and a few far away.
var benchZones = []string{
	"Europe/Paris", "Europe/Paris", "Europe/Paris", "Europe/Brussels", "Europe/London",
	"America/Guadeloupe", "Indian/Reunion", "America/Cayenne", "Pacific/Noumea", "America/New_York",
}

// benchDays are the days people choose to be called.
var benchDays = []string{"*", "MON-FRI", "MON,WED,FRI", "TUE,THU", "MON", "WED", "FRI", "MON,THU"}

// benchPlans enrols n generated persons with varied plans and zones, each plan
// inside opening hours (10:00–15:00 in Paris).
func benchPlans(b *testing.B, pool *pgxpool.Pool, n int) {
	b.Helper()
	ctx := context.Background()
	st := store.New(pool)
	const chunk = 10_000
	es := make([]wellcheck.Enrolment, 0, chunk)
	for i := range n {
		zone := benchZones[i%len(benchZones)]
		loc := mustZone(zone)
		parisHour := 10 + (i/7)%5
		local := time.Date(2026, 11, 30, parisHour, 0, 0, 0, paris).In(loc)
		minute := []int{0, 15, 30, 45}[(i/3)%4]
		start := wellcheck.Clock(local.Hour(), minute)
		es = append(es, wellcheck.Enrolment{
			Person: wellcheck.Person{
				FullName: fmt.Sprintf("Personne %d", i), Phone: wellcheck.Phone(fmt.Sprintf("+336%08d", i)),
				Language: "fr", TimeZone: zone, RiskLevel: wellcheck.RiskNormal,
			},
			Referral: wellcheck.Referral{Source: wellcheck.ReferralTownHall, ReferredAt: monday.AddDate(0, 0, -30)},
			Consent:  &wellcheck.Consent{GivenBy: wellcheck.ConsentByPerson, GivenAt: monday.AddDate(0, 0, -30), Method: wellcheck.ConsentByPhone},
			Plan: wellcheck.Plan{
				Cron:   fmt.Sprintf("%d %d * * %s", minute, local.Hour(), benchDays[i%len(benchDays)]),
				Window: wellcheck.Window{Start: start, End: min(start+60, wellcheck.Clock(23, 59))},
			},
		})
		if len(es) == chunk || i == n-1 {
			require.NoError(b, st.WithTx(ctx, func(q *store.Queries) error {
				_, err := q.CopyEnrolments(ctx, es, monday.AddDate(0, 0, -30), wellcheck.Actor{Label: "bench"}, store.AuditDetails{Via: "bench"})
				return err
			}))
			es = es[:0]
		}
	}
	_, err := pool.Exec(ctx, "VACUUM ANALYZE persons")
	require.NoError(b, err)
}

// heapPeak samples the live heap while a pass runs.
type heapPeak struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

func watchHeap() *heapPeak {
	h := &heapPeak{stop: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	h.done.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			h.peak = max(h.peak, sample[0].Value.Uint64())
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	})
	return h
}

func (h *heapPeak) Stop() uint64 { close(h.stop); h.done.Wait(); return h.peak }

// BenchmarkPlannerPass is one planner pass from scratch (no check-in yet) over
// N persons: seconds per pass, check-ins per second, peak live heap.
//
//	go test ./scheduler -run '^$' -bench PlannerPass -benchtime 1x -count 5 -timeout 60m
func BenchmarkPlannerPass(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("persons=%d", n), func(b *testing.B) {
			pool := dbtest.New(b)
			benchPlans(b, pool, n)
			queue, err := jobs.NewJobs(pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
			require.NoError(b, err)
			p := &scheduler.Planner{Store: store.New(pool), Jobs: queue, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Now: func() time.Time { return monday }}
			ctx := context.Background()
			var planned int
			var peak uint64
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				_, err := pool.Exec(ctx, "TRUNCATE check_ins, river_job CASCADE; UPDATE planner_state SET planned_until = NULL")
				require.NoError(b, err)
				runtime.GC()
				h := watchHeap()
				b.StartTimer()
				st, err := p.Pass(ctx)
				b.StopTimer()
				require.NoError(b, err)
				peak = max(peak, h.Stop())
				planned += st.Planned
				b.StartTimer()
			}
			b.ReportMetric(float64(planned)/b.Elapsed().Seconds(), "check-ins/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/pass")
		})
	}
}

// BenchmarkReplan is re-planning one person after their plan was edited, among
// 100,000 planned persons: the edit, the re-plan and the commit.
//
//	go test ./scheduler -run '^$' -bench Replan -count 5
func BenchmarkReplan(b *testing.B) {
	pool := dbtest.New(b)
	benchPlans(b, pool, 100_000)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	queue, err := jobs.NewJobs(pool, logger)
	require.NoError(b, err)
	st := store.New(pool)
	p := &scheduler.Planner{Store: st, Jobs: queue, Logger: logger, Now: func() time.Time { return monday }}
	ctx := context.Background()
	_, err = p.Pass(ctx)
	require.NoError(b, err)
	plans := []wellcheck.Plan{
		{Cron: "0 14 * * *", Window: wellcheck.Window{Start: wellcheck.Clock(14, 0), End: wellcheck.Clock(15, 0)}},
		{Cron: "30 10 * * MON-FRI", Window: wellcheck.Window{Start: wellcheck.Clock(10, 0), End: wellcheck.Clock(11, 0)}},
	}
	b.ResetTimer()
	for i := range b.N {
		id := int64(1 + i*7919%100_000)
		err := st.WithTx(ctx, func(q *store.Queries) error {
			if err := q.ChangePerson(ctx, id, store.PersonChange{Action: "person.plan", TimeZone: "Europe/Paris", Plan: plans[i%2], Now: monday}, wellcheck.Actor{Label: "bench"}); err != nil {
				return err
			}
			return p.Replan(ctx, q, []int64{id})
		})
		require.NoError(b, err)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/replan")
}
