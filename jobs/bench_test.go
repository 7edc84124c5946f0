package jobs_test

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/calling"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/store"
)

// node is one worker node as `wellcheck serve` builds it: a pool with the
// default size, the trunk's shared limits, a real dialer, a River client with as
// many call workers as channels.
type node struct {
	store  *store.Store
	calls  *calling.Calls
	client *jobs.Client
	close  func()
}

// nodeConfig says how a test node runs; zero durations are serve's defaults.
type nodeConfig struct {
	URL      string
	Callee   string // host:port
	Channels int
	Name     string
	// Offset is the service's clock minus the machine's.
	Offset                                             time.Duration
	StaleAfter, FailedRetry, RecoverEvery, RescueAfter time.Duration
	// DeadAfter is how long a node goes without a heartbeat before its calls
	// are presumed lost (default 1 min).
	DeadAfter time.Duration
	// Lease is how long a dead node's channels stay held (default 4 min).
	Lease time.Duration
	// SoftStop is how long close lets calls in progress go on (0: until they end).
	SoftStop time.Duration
	Logger   *slog.Logger    `json:"-"`
	Prompts  *dialer.Prompts `json:"-"`
}

// newNode starts a node; close stops it, letting calls in progress end.
func newNode(ctx context.Context, cfg nodeConfig) (*node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Prompts == nil {
		cfg.Prompts = dialertest.ShortPrompts()
	}
	pool, err := pgxpool.New(ctx, cfg.URL)
	if err != nil {
		return nil, err
	}
	st := store.New(pool)
	limits, err := st.NewTrunkLimits(ctx, store.TrunkLimitsConfig{Trunk: "callee", Channels: cfg.Channels, CPS: 50, Lease: cmp.Or(cfg.Lease, 4*time.Minute)})
	if err != nil {
		pool.Close()
		return nil, err
	}
	addr, err := netip.ParseAddrPort(cfg.Callee)
	if err != nil {
		pool.Close()
		return nil, err
	}
	d, err := dialer.New(dialer.Config{
		Trunk:  dialer.Trunk{Host: addr.Addr().String(), Port: int(addr.Port())},
		Listen: "127.0.0.1:0", CallerNumber: "+33199000000", Limits: limits, Logger: cfg.Logger,
	}, cfg.Prompts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	queue, err := jobs.NewJobs(pool, cfg.Logger)
	if err != nil {
		d.Close()
		pool.Close()
		return nil, err
	}
	now := func() time.Time { return time.Now().Add(cfg.Offset) }
	cases := &care.Cases{Store: st, Queue: queue, Logger: cfg.Logger, Now: now}
	calls := &calling.Calls{Store: st, Dialer: d, Queue: queue, Care: cases, Logger: cfg.Logger, Node: cmp.Or(cfg.Name, "bench"),
		StaleAfter: cfg.StaleAfter, DeadAfter: cfg.DeadAfter, FailedRetry: cfg.FailedRetry, Now: now}
	client, err := jobs.NewClient(pool, jobs.Config{Calls: calls, Care: cases, Admin: &admin.Service{Store: st, Logger: cfg.Logger, Now: now},
		CallWorkers: cfg.Channels, Logger: cfg.Logger,
		RecoverEvery: cfg.RecoverEvery, RescueAfter: cfg.RescueAfter, SoftStop: cfg.SoftStop})
	if err == nil {
		err = client.Start(ctx)
	}
	if err != nil {
		d.Close()
		pool.Close()
		return nil, err
	}
	return &node{store: st, calls: calls, client: client, close: func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_ = client.Stop(stopCtx)
		d.Close()
		pool.Close()
	}}, nil
}

// startNode starts a node for a test or benchmark, stopped when it ends.
func startNode(tb testing.TB, cfg nodeConfig) *node {
	tb.Helper()
	n, err := newNode(context.Background(), cfg)
	require.NoError(tb, err)
	tb.Cleanup(n.close)
	return n
}

// enrolMany enrols n people, each called on the service's Tuesday, and returns
// them by number.
func enrolMany(b testing.TB, st *store.Store, n int) map[string]int64 {
	b.Helper()
	ctx := context.Background()
	bu := &bundle{store: st}
	es := make([]wellcheck.Enrolment, n)
	for i := range es {
		es[i] = bu.enrolment(b, person{})
	}
	byNumber := make(map[string]int64, n)
	require.NoError(b, st.WithTx(ctx, func(q *store.Queries) error {
		ids, err := q.CopyEnrolments(ctx, es, bu.now(), wellcheck.Actor{Label: "bench"}, store.AuditDetails{Via: "bench"})
		for i, id := range ids {
			byNumber[string(es[i].Person.Phone)] = id
		}
		return err
	}))
	return byNumber
}

// benchRegister opens a store on url and enrols n persons in it.
func benchRegister(tb testing.TB, url string, n int) (*store.Store, map[string]int64) {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(tb, err)
	tb.Cleanup(pool.Close)
	st := store.New(pool)
	return st, enrolMany(tb, st, n)
}

// planAt plans one check-in per person at slot, callable for 7 hours, with its
// call job.
func planAt(tb testing.TB, st *store.Store, persons map[string]int64, slot time.Time) {
	tb.Helper()
	ctx := context.Background()
	checkIns := make([]wellcheck.CheckIn, 0, len(persons))
	for _, id := range persons {
		checkIns = append(checkIns, wellcheck.CheckIn{PersonID: id, SlotAt: slot.UTC(), DeadlineAt: slot.Add(7 * time.Hour).UTC()})
	}
	queue, err := jobs.NewJobs(st.Pool(), nil)
	require.NoError(tb, err)
	require.NoError(tb, st.WithTx(ctx, func(q *store.Queries) error {
		created, err := q.CreateCheckIns(ctx, checkIns)
		if err != nil {
			return err
		}
		return queue.EnqueueCalls(ctx, q, created)
	}))
}

// waitFinal waits until no check-in is planned or being dialled.
func waitFinal(b testing.TB, st *store.Store, within time.Duration) map[wellcheck.CheckInState]int64 {
	b.Helper()
	var counts map[wellcheck.CheckInState]int64
	require.EventuallyWithT(b, func(c *assert.CollectT) {
		var err error
		counts, err = st.Queries().CountCheckIns(context.Background())
		require.NoError(c, err)
		assert.Zero(c, counts[wellcheck.CheckInPlanned]+counts[wellcheck.CheckInDialing], "check-ins still open: %v", counts)
	}, within, 250*time.Millisecond)
	return counts
}

// quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// BenchmarkBurnDown is the morning rush: every check-in due at the same minute,
// 50 channels, each person answering after 3 s and pressing 1 about 18 s into
// the real French prompts (greeting, menu, menu again), so a call holds its
// channel ~24 s. It reports the time to call everyone against the ideal (calls ×
// mean call length ÷ channels) and the channel utilisation, ideal ÷ actual.
func BenchmarkBurnDown(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("checkins=%d", n), func(b *testing.B) {
			for range b.N {
				burnDown(b, n, 50)
			}
		})
	}
}

func burnDown(b *testing.B, n, channels int) {
	b.StopTimer()
	url := dbtest.NewURL(b)
	prompts, err := dialer.DefaultPrompts()
	require.NoError(b, err)
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Behaviour: callee.AnswerLate, AnswerAfter: 3 * time.Second, KeyDelay: 18 * time.Second})
	require.NoError(b, err)
	defer ce.Close()

	st, persons := benchRegister(b, url, n)
	// The service clock: Tuesday 17 November 2026 from 10:00, every check-in's
	// slot, running at the machine's pace from the moment the workers start.
	slot := time.Date(2026, 11, 17, 10, 0, 0, 0, paris)
	planAt(b, st, persons, slot)

	wall := time.Now()
	b.StartTimer()
	nd := startNode(b, nodeConfig{URL: url, Callee: ce.Addr().String(), Channels: channels, Prompts: prompts, Offset: slot.Sub(wall)})
	counts := waitFinal(b, nd.store, 4*time.Hour)
	elapsed := time.Since(wall)
	b.StopTimer()

	require.EqualValues(b, n, counts[wellcheck.CheckInConfirmed], "every check-in confirmed: %v", counts)
	records := ce.Records()
	require.Len(b, records, n, "one call per person")
	var held time.Duration
	for _, r := range records {
		held += r.End.Sub(r.Start)
	}
	mean := held / time.Duration(n)
	ideal := held / time.Duration(channels)
	b.ReportMetric(elapsed.Minutes(), "minutes")
	b.ReportMetric(ideal.Minutes(), "ideal-minutes")
	b.ReportMetric(100*ideal.Seconds()/elapsed.Seconds(), "utilisation-%")
	b.ReportMetric(mean.Seconds(), "call-s")
}

// BenchmarkSlotToInvite measures how late a call starts against its slot when
// channels are free: 600 check-ins whose slots fall 10 a second over a minute,
// short calls on 50 channels. It reports the lag from slot to the callee's
// INVITE, p50 and p99.
func BenchmarkSlotToInvite(b *testing.B) {
	for range b.N {
		slotToInvite(b, 600, 50)
	}
}

func slotToInvite(b *testing.B, n, channels int) {
	b.StopTimer()
	ctx := context.Background()
	url := dbtest.NewURL(b)
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Behaviour: callee.PressOne, Ring: 100 * time.Millisecond, KeyDelay: 300 * time.Millisecond})
	require.NoError(b, err)
	defer ce.Close()
	st, persons := benchRegister(b, url, n)

	// Service time is wall time shifted to Tuesday 17 November 2026, 10:00 at
	// first slot; River schedules each job at its slot's wall time.
	wall := time.Now().Add(5 * time.Second)
	first := time.Date(2026, 11, 17, 10, 0, 0, 0, paris)
	offset := first.Sub(wall)
	checkIns := make([]wellcheck.CheckIn, 0, n)
	for _, id := range persons {
		slot := first.Add(time.Duration(len(checkIns)) * time.Minute / time.Duration(n))
		checkIns = append(checkIns, wellcheck.CheckIn{PersonID: id, SlotAt: slot.UTC(), DeadlineAt: first.Add(7 * time.Hour).UTC()})
	}
	insert, err := river.NewClient(riverpgxv5.New(st.Pool()), &river.Config{})
	require.NoError(b, err)
	slotOf := map[string]time.Time{} // number → slot, wall time
	require.NoError(b, st.WithTx(ctx, func(q *store.Queries) error {
		created, err := q.CreateCheckIns(ctx, checkIns)
		if err != nil {
			return err
		}
		number := map[int64]string{}
		for k, v := range persons {
			number[v] = k
		}
		params := make([]river.InsertManyParams, len(created))
		for i, c := range created {
			slotOf[number[c.PersonID]] = c.SlotAt.Add(-offset)
			params[i] = river.InsertManyParams{Args: jobs.CallArgs{CheckInID: c.ID}, InsertOpts: &river.InsertOpts{Queue: jobs.QueueCalls, Priority: jobs.CallArgs{}.InsertOpts().Priority, ScheduledAt: c.SlotAt.Add(-offset)}}
		}
		_, err = insert.InsertManyFastTx(ctx, q.Tx(), params)
		return err
	}))

	b.StartTimer()
	nd := startNode(b, nodeConfig{URL: url, Callee: ce.Addr().String(), Channels: channels, Offset: offset})
	counts := waitFinal(b, nd.store, 5*time.Minute)
	b.StopTimer()
	require.EqualValues(b, n, counts[wellcheck.CheckInConfirmed], "every check-in confirmed: %v", counts)
	var lags []time.Duration
	for _, r := range ce.Records() {
		lags = append(lags, r.Start.Sub(slotOf[r.To]))
	}
	require.Len(b, lags, n)
	slices.Sort(lags)
	b.ReportMetric(float64(quantile(lags, 0.50).Milliseconds()), "lag-p50-ms")
	b.ReportMetric(float64(quantile(lags, 0.99).Milliseconds()), "lag-p99-ms")
	b.ReportMetric(float64(lags[len(lags)-1].Milliseconds()), "lag-max-ms")
}
