// Package metrics is what wellcheck shows Prometheus at /metrics.
//
// Two kinds of figures: what this node did (calls placed and how they ended,
// ring and talk times, the lag from a slot to its call, follow-ups put on a
// list, River's work), counted as it happens; and the state of the service
// (the day's check-ins by state, the calls waiting for a channel, the lists,
// River's queues, the trunk's channels), counted in the database when
// scraped. The second kind is the same on every node: aggregate it with max,
// not sum.
package metrics

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// Config is what a node's metrics read.
type Config struct {
	Store *store.Store
	// TimeZone, when set, overrides the service's zone (its day is what
	// wellcheck_check_ins counts).
	TimeZone string
	// Trunk, if set, counts the trunk's channels held by every node (a node
	// without the worker role has none to show).
	Trunk interface {
		InUse(ctx context.Context) (int, error)
	}
	// Channels and CPS are the trunk's configured limits.
	Channels int
	CPS      float64
	// Queues are River's queues whose jobs wellcheck_river_jobs counts even
	// when a queue has none (others appear once they hold a job).
	Queues []string
	// Version and Roles label wellcheck_build_info.
	Version, Roles string
	// Now is the clock of the figures counted in the database (tests set
	// it; time.Now if nil).
	Now func() time.Time
}

// cacheFor is how long the database's figures are kept between scrapes:
// several Prometheus servers, or a dashboard refreshing fast, do not make the
// database count again.
const cacheFor = 10 * time.Second

// Metrics is a node's registry and the figures it records. A nil *Metrics
// records nothing (commands and tests that need no metrics).
type Metrics struct {
	reg *prometheus.Registry

	calls       *prometheus.CounterVec
	started     *prometheus.CounterVec
	inProgress  prometheus.Gauge
	clockOffset prometheus.Gauge
	ring, talk  prometheus.Histogram
	loss        *prometheus.HistogramVec
	jitter, rtt prometheus.Histogram
	mos         prometheus.Histogram
	slotLag     prometheus.Histogram
	listed      *prometheus.HistogramVec
	jobs        *prometheus.CounterVec
	jobTime     *prometheus.HistogramVec
	fetched     *prometheus.CounterVec
	fetchTime   *prometheus.HistogramVec
	httpSeconds *prometheus.HistogramVec
	// The line as this node sees it: shown once the dialer says so (a node
	// that does not register, or sends no keep-alive, has no such series).
	sipRegistered *prometheus.GaugeVec
	regFailures   prometheus.Counter
	trunkUp       *prometheus.GaugeVec
	optionsRTT    prometheus.Histogram
}

// callBuckets cover a call's phases: a ring of a few seconds to the ring
// timeout, a talk of the prompts' length to the longest call.
var callBuckets = []float64{0.5, 1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180}

// New registers a node's metrics, the Go runtime's and the process's included.
func New(cfg Config) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wellcheck_calls_total",
			Help: "Calls this node placed, by kind (check_in, escalation, test, listener: a listener's call from the browser) and outcome (ok, help_requested, no_response, voicemail, answered: a listener's call answered, no_answer, busy, declined, invalid_number, failed).",
		}, []string{"kind", "outcome"}),
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wellcheck_calls_started_total",
			Help: "Calls this node started (INVITEs sent), by kind; their summed rate is the node's calls per second.",
		}, []string{"kind"}),
		inProgress: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wellcheck_calls_in_progress",
			Help: "Calls this node is placing now (each holds one of the trunk's channels).",
		}),
		clockOffset: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wellcheck_clock_offset_seconds",
			Help: "This machine's clock minus the database's, at the node's last heartbeat; beyond --max-clock-skew the node starts no call.",
		}),
		ring: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wellcheck_call_ring_seconds", Help: "Time from the INVITE to the answer or the end of ringing.", Buckets: callBuckets,
		}),
		talk: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wellcheck_call_talk_seconds", Help: "Time from the answer to the end of answered calls.", Buckets: callBuckets,
		}),
		loss: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "wellcheck_call_packet_loss_ratio",
			Help: "Share of an answered call's RTP packets lost, by direction: received (the person's side's, as we counted them) or sent (ours, as their RTCP reports said).",
			// Exactly none lost is the first bucket; G.711 degrades audibly from 1–2 %.
			Buckets: []float64{0, 0.001, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5},
		}, []string{"direction"}),
		jitter: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wellcheck_call_jitter_seconds",
			Help:    "Interarrival jitter of answered calls' audio (RFC 3550), the worse direction known.",
			Buckets: []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2},
		}),
		rtt: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wellcheck_call_rtt_seconds",
			Help:    "Round trip of answered calls' audio, from the person's side's RTCP reports (calls without them are not counted).",
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 1},
		}),
		mos: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wellcheck_call_mos",
			Help:    "Estimated MOS of answered calls (simplified E-model for G.711: 4.4 at best, below 3.6 many people are dissatisfied).",
			Buckets: []float64{1, 2, 2.5, 3, 3.5, 3.6, 3.8, 4, 4.2, 4.3, 4.4, 4.5},
		}),
		slotLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wellcheck_call_slot_lag_seconds",
			Help:    "Time from a check-in's slot to its first call being placed (waiting for a channel included).",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600},
		}),
		listed: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wellcheck_assignment_lag_seconds",
			Help:    "Time from a call's end (or the sweep's decision) to its follow-up being on a list, by list (listener or pool).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60},
		}, []string{"list"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wellcheck_river_jobs_worked_total",
			Help: "River jobs this node worked, by queue, kind and result (ok, error, cancelled, snoozed).",
		}, []string{"queue", "kind", "result"}),
		jobTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wellcheck_river_job_seconds",
			Help:    "Time this node spent working River jobs, by kind.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900},
		}, []string{"kind"}),
		fetched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wellcheck_river_jobs_fetched_total",
			Help: "River jobs this node locked to work, by queue (River's metric hook).",
		}, []string{"queue"}),
		fetchTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wellcheck_river_fetch_seconds",
			Help:    "Time River took to lock available jobs, by queue (River's metric hook).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12),
		}, []string{"queue"}),
		httpSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wellcheck_http_request_seconds",
			Help:    "Time to answer HTTP requests, by route (the pattern that served it, or unmatched), method and status code.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5},
		}, []string{"route", "method", "code"}),
		sipRegistered: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wellcheck_sip_registered",
			Help: "1 while the SIP registrar holds this node's Contact, 0 while its registration fails (only on a node configured to register).",
		}, nil),
		regFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wellcheck_sip_registration_failures_total",
			Help: "Registrations and refreshes of this node's Contact that failed (no answer, refused, bad credentials).",
		}),
		trunkUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wellcheck_trunk_up",
			Help: "1 while the trunk (or outbound proxy) answers this node's OPTIONS keep-alives, 0 after 3 misses in a row: the node's calls wait (only with --sip-keepalive).",
		}, nil),
		optionsRTT: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wellcheck_trunk_options_rtt_seconds",
			Help:    "Round-trip time of the keep-alive OPTIONS this node sends the trunk, answered ones.",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
		}),
	}
	// Every kind and outcome from the start: a rate sees a series' first
	// call only if the series existed before it.
	for _, k := range []CallKind{CheckInCall, EscalationCall, TestCall, ListenerCall, IncomingCall} {
		m.started.WithLabelValues(string(k))
		outcomes := []wellcheck.Outcome{wellcheck.OutcomeOK, wellcheck.OutcomeHelpRequested, wellcheck.OutcomeNoResponse, wellcheck.OutcomeVoicemail}
		switch k {
		case ListenerCall:
			outcomes = []wellcheck.Outcome{wellcheck.OutcomeAnswered}
		case IncomingCall:
			outcomes = []wellcheck.Outcome{wellcheck.OutcomeAnswered, wellcheck.OutcomeOK, wellcheck.OutcomeHelpRequested, wellcheck.OutcomeNoResponse}
		}
		for _, o := range append(outcomes, wellcheck.OutcomeNoAnswer, wellcheck.OutcomeBusy, wellcheck.OutcomeDeclined, wellcheck.OutcomeInvalidNumber,
			wellcheck.OutcomeFailed) {
			m.calls.WithLabelValues(string(k), string(o))
		}
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "wellcheck_build_info",
		Help:        "Always 1: the version this node runs and its roles.",
		ConstLabels: prometheus.Labels{"version": cfg.Version, "roles": cfg.Roles},
	})
	build.Set(1)
	reg.MustRegister(m.calls, m.started, m.inProgress, m.clockOffset, m.ring, m.talk, m.loss, m.jitter, m.rtt, m.mos, m.slotLag, m.listed, m.jobs, m.jobTime, m.fetched, m.fetchTime, m.httpSeconds, build,
		m.sipRegistered, m.regFailures, m.trunkUp, m.optionsRTT,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	limits := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wellcheck_trunk_limit", Help: "The trunk's configured limits across every node: channels, and new calls per second (cps).",
	}, []string{"limit"})
	limits.WithLabelValues("channels").Set(float64(cfg.Channels))
	limits.WithLabelValues("cps").Set(cfg.CPS)
	reg.MustRegister(limits)
	if cfg.Store != nil {
		reg.MustRegister(&gauges{cfg: cfg})
	}
	return m
}

// Handler serves the registry in Prometheus's text format. A figure the
// database could not give is left out and wellcheck_database_up says so; the
// rest is served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, Registry: m.reg})
}

// CallKind is why a call is placed: the calls_total and calls_started_total
// series are by kind, so that escalations and an administrator's test calls
// do not blur the check-ins' figures.
type CallKind string

const (
	CheckInCall    CallKind = "check_in"   // a wellbeing check-in, first call or retry
	EscalationCall CallKind = "escalation" // a person's emergency contact
	TestCall       CallKind = "test"       // an administrator's test call
	ListenerCall   CallKind = "listener"   // a listener's call from the browser phone
	IncomingCall   CallKind = "incoming"   // a person's call to the service: put through, or its voice menu
)

// CallStarted counts a call of a kind going out at at. slot, if set, is its
// check-in's (the first call only), whose lag to the call is recorded.
func (m *Metrics) CallStarted(kind CallKind, slot, at time.Time) {
	if m == nil {
		return
	}
	m.started.WithLabelValues(string(kind)).Inc()
	m.inProgress.Inc()
	if !slot.IsZero() {
		m.slotLag.Observe(max(at.Sub(slot), 0).Seconds())
	}
}

// ClockOffset records how far the machine's clock is from the database's.
func (m *Metrics) ClockOffset(d time.Duration) {
	if m == nil {
		return
	}
	m.clockOffset.Set(d.Seconds())
}

// SIPRegistered says whether the registrar holds this node's Contact.
func (m *Metrics) SIPRegistered(on bool) {
	if m == nil {
		return
	}
	m.sipRegistered.WithLabelValues().Set(b2f(on))
}

// SIPRegistrationFailed counts a registration or refresh that failed.
func (m *Metrics) SIPRegistrationFailed() {
	if m == nil {
		return
	}
	m.regFailures.Inc()
}

// TrunkUp says whether the trunk answers this node's keep-alives.
func (m *Metrics) TrunkUp(up bool) {
	if m == nil {
		return
	}
	m.trunkUp.WithLabelValues().Set(b2f(up))
}

// TrunkRTT records an answered keep-alive's round-trip time.
func (m *Metrics) TrunkRTT(d time.Duration) {
	if m == nil {
		return
	}
	m.optionsRTT.Observe(d.Seconds())
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// CallEnded counts a call's outcome and its ring and talk times.
func (m *Metrics) CallEnded(kind CallKind, outcome wellcheck.Outcome, ring, talk time.Duration) {
	if m == nil {
		return
	}
	m.inProgress.Dec()
	m.calls.WithLabelValues(string(kind), string(outcome)).Inc()
	m.ring.Observe(ring.Seconds())
	if talk > 0 {
		m.talk.Observe(talk.Seconds())
	}
}

// CallQuality records what an answered call learned of its audio; a figure
// it did not learn is left out.
func (m *Metrics) CallQuality(q wellcheck.CallQuality) {
	if m == nil {
		return
	}
	if q.LossReceivedPct != nil {
		m.loss.WithLabelValues("received").Observe(*q.LossReceivedPct / 100)
	}
	if q.LossSentPct != nil {
		m.loss.WithLabelValues("sent").Observe(*q.LossSentPct / 100)
	}
	if q.JitterMS != nil {
		m.jitter.Observe(*q.JitterMS / 1000)
	}
	if q.RTTMS != nil {
		m.rtt.Observe(*q.RTTMS / 1000)
	}
	if q.MOS != nil {
		m.mos.Observe(*q.MOS)
	}
}

// Listed records a follow-up put on a list lag after what caused it, on a
// listener's list or in the shared pool.
func (m *Metrics) Listed(lag time.Duration, pooled bool) {
	if m == nil {
		return
	}
	m.listed.WithLabelValues(listName(pooled)).Observe(max(lag, 0).Seconds())
}

// JobWorked counts a River job worked and its duration.
func (m *Metrics) JobWorked(queue, kind, result string, took time.Duration) {
	if m == nil {
		return
	}
	m.jobs.WithLabelValues(queue, kind, result).Inc()
	m.jobTime.WithLabelValues(kind).Observe(took.Seconds())
}

// JobsFetched counts n jobs River locked from queue.
func (m *Metrics) JobsFetched(queue string, n int) {
	if m == nil {
		return
	}
	m.fetched.WithLabelValues(queue).Add(float64(n))
}

// FetchTook records how long River took to lock jobs from queue.
func (m *Metrics) FetchTook(queue string, took time.Duration) {
	if m == nil {
		return
	}
	m.fetchTime.WithLabelValues(queue).Observe(took.Seconds())
}

// HTTP wraps h, timing its answers by route, method and status code. The
// route is r.Pattern once the request is served: the pattern of the last
// http.ServeMux that routed the very request h passed on (GET /cases/{id}).
// A handler that routes a copy of it (River's dashboard behind StripPrefix)
// leaves the pattern that led to that handler.
func (m *Metrics) HTTP(h http.Handler) http.Handler {
	if m == nil {
		return h
	}
	return promhttp.InstrumentHandlerDuration(m.httpSeconds, h, promhttp.WithLabelFromRequest("route", func(r *http.Request) string {
		return cmp.Or(r.Pattern, "unmatched")
	}))
}

func listName(pooled bool) string {
	if pooled {
		return "pool"
	}
	return "listener"
}

// gauges are the figures counted in the database when scraped.
type gauges struct {
	cfg Config

	mu     sync.Mutex
	at     time.Time
	cached []prometheus.Metric
}

var (
	databaseUp = prometheus.NewDesc("wellcheck_database_up",
		"1 if the database answered the last count of the figures below, 0 if not.", nil, nil)
	checkIns = prometheus.NewDesc("wellcheck_check_ins",
		"Check-ins whose slot falls on the service's day (in its time zone), by state.", []string{"state"}, nil)
	callsDue = prometheus.NewDesc("wellcheck_calls_due",
		"Check-in calls whose time has come (a first call's slot, a retry's time), before their check-in's deadline, that no node has started yet: the queue the trunk's channels work through.", nil, nil)
	oldestDue = prometheus.NewDesc("wellcheck_calls_due_oldest_seconds",
		"How long the call due longest has waited (0 when none waits).", nil, nil)
	followUps = prometheus.NewDesc("wellcheck_follow_ups_pending",
		"Follow-ups waiting on a list, by list (listener or pool) and whether they are past due.", []string{"list", "overdue"}, nil)
	riverJobs = prometheus.NewDesc("wellcheck_river_jobs",
		"River's jobs by queue and state: available (waiting for a worker), pending, running, retryable (failed, to be tried again), discarded (given up). Scheduled, completed and cancelled ones are not counted.", []string{"queue", "state"}, nil)
	channelsInUse = prometheus.NewDesc("wellcheck_trunk_channels_in_use",
		"The trunk's channels held now, by every node.", nil, nil)
	trunkStorm = prometheus.NewDesc("wellcheck_trunk_storm",
		"1 while the trunk fails most calls the same way, to many persons (a storm, by the fault named): calls are held and count against nobody until it carries calls again.", []string{"fault"}, nil)
)

// faults are every kind of storm, each shown (0 or 1) so that an alert has its series.
var faults = []wellcheck.TrunkFault{wellcheck.FaultUnanswered, wellcheck.FaultRangOut, wellcheck.FaultBusy, wellcheck.FaultDeclined, wellcheck.FaultNoNumber,
	wellcheck.FaultSilent, wellcheck.FaultRefused, wellcheck.FaultServer, wellcheck.FaultNoTrunk}

func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{databaseUp, checkIns, callsDue, oldestDue, followUps, riverJobs, channelsInUse, trunkStorm} {
		ch <- d
	}
}

func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if g.cfg.Now != nil {
		now = g.cfg.Now()
	}
	if g.cached == nil || now.Sub(g.at) >= cacheFor {
		g.cached, g.at = g.count(now), now
	}
	for _, m := range g.cached {
		ch <- m
	}
}

// count asks the database, within 5 s.
func (g *gauges) count(now time.Time) []prometheus.Metric {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	down := []prometheus.Metric{prometheus.MustNewConstMetric(databaseUp, prometheus.GaugeValue, 0)}
	q := g.cfg.Store.Queries()
	set, err := q.Settings(ctx)
	if err != nil {
		return down
	}
	zone, err := scheduler.LoadZone(cmp.Or(g.cfg.TimeZone, set.TimeZone))
	if err != nil {
		return down
	}
	local := now.In(zone)
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
	n, err := q.Gauges(ctx, dayStart, dayStart.AddDate(0, 0, 1), now)
	if err != nil {
		return down
	}
	ms := []prometheus.Metric{
		prometheus.MustNewConstMetric(databaseUp, prometheus.GaugeValue, 1),
		prometheus.MustNewConstMetric(callsDue, prometheus.GaugeValue, float64(n.Due)),
		prometheus.MustNewConstMetric(oldestDue, prometheus.GaugeValue, max(n.OldestDue, 0).Seconds()),
	}
	// Every state, zeros included: a rate or an alert needs the series.
	for _, s := range []wellcheck.CheckInState{wellcheck.CheckInPlanned, wellcheck.CheckInDialing, wellcheck.CheckInConfirmed, wellcheck.CheckInFlagged,
		wellcheck.CheckInUnreached, wellcheck.CheckInUndeliverable, wellcheck.CheckInCancelled, wellcheck.CheckInSystemError} {
		ms = append(ms, prometheus.MustNewConstMetric(checkIns, prometheus.GaugeValue, float64(n.CheckInsToday[string(s)]), string(s)))
	}
	lists := map[[2]bool]int64{}
	for _, f := range n.FollowUps {
		lists[[2]bool{f.Pooled, f.Overdue}] = f.N
	}
	for _, pooled := range []bool{false, true} {
		for _, overdue := range []bool{false, true} {
			ms = append(ms, prometheus.MustNewConstMetric(followUps, prometheus.GaugeValue, float64(lists[[2]bool{pooled, overdue}]),
				listName(pooled), strconv.FormatBool(overdue)))
		}
	}
	// Every state of every queue, zeros included: a queue that empties must
	// show 0, not vanish.
	jobs := map[[2]string]int64{}
	queues := slices.Clone(g.cfg.Queues)
	for _, j := range n.Jobs {
		jobs[[2]string{j.Queue, j.State}] = j.N
		queues = append(queues, j.Queue)
	}
	slices.Sort(queues)
	for _, q := range slices.Compact(queues) {
		for _, s := range store.RiverStates {
			ms = append(ms, prometheus.MustNewConstMetric(riverJobs, prometheus.GaugeValue, float64(jobs[[2]string{q, s}]), q, s))
		}
	}
	for _, f := range faults {
		on := 0.0
		if n.Storm != nil && n.Storm.Fault == f {
			on = 1
		}
		ms = append(ms, prometheus.MustNewConstMetric(trunkStorm, prometheus.GaugeValue, on, string(f)))
	}
	if g.cfg.Trunk != nil {
		if used, err := g.cfg.Trunk.InUse(ctx); err == nil {
			ms = append(ms, prometheus.MustNewConstMetric(channelsInUse, prometheus.GaugeValue, float64(used)))
		}
	}
	return ms
}
