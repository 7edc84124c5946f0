package web_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"log/slog"
	"math"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/internal/metricstest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/web"
)

// The web pages' benchmark runs against a département's service a few months
// in: 1,000,000 persons, 200 listeners, a month of check-ins and calls,
// 100,000 open cases. Generating it takes minutes, so the database is kept
// between runs under benchDatabase and seeded again only when benchSeedVersion
// or the migrations change. Drop it to free its 5.8 GB:
//
//	psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE IF EXISTS wellcheck_bench_web WITH (FORCE)'
const (
	benchDatabase = "wellcheck_bench_web"
	// benchSeedVersion names what benchSeed generates: change it with the SQL.
	benchSeedVersion = "pages-2"
	benchPersons     = 1_000_000
	benchListeners   = 200
	// benchRequests is how many requests one iteration makes (b.N × this
	// are timed; the percentiles are over all of them).
	benchRequests = 500
)

// benchNow is the service's clock during the benchmark: Tuesday 15 December
// 2026, 11:00 in Paris, mid-morning of an ordinary working day (the 30 days
// before have no public holiday).
var benchNow = time.Date(2026, 12, 15, 10, 0, 0, 0, time.UTC)

// BenchmarkPages is the server time of the pages listeners and coordinators
// use most, on the seeded service: each request goes straight to the handler
// (httptest.NewRecorder, no network) with a signed-in session, and must
// answer 200 with the page it asked for. It reports p50, p95 and p99 per page
// over b.N × 500 requests.
//
//	go test ./web -run '^$' -bench Pages -benchtime 1x -count 5 -timeout 90m
func BenchmarkPages(b *testing.B) {
	s := benchSetup(b)
	for _, p := range []benchPage{
		// My list (GET /): each of the 200 listeners in turn; their ~250
		// follow-ups and the shared pool's 50,000, the 500 most pressing shown.
		{name: "list", next: func(i int) benchRequest {
			l := s.listeners[i%len(s.listeners)]
			return benchRequest{path: "/", who: l, want: []string{"<h1>Ma liste</h1>", `<tr class="priority-`}}
		}},
		// The case page (GET /cases/{id}): different open cases, an assigned
		// case by its listener, a case in the pool by a coordinator.
		{name: "case", next: func(i int) benchRequest {
			c := s.cases[i%len(s.cases)]
			who := s.coordinators[i%len(s.coordinators)]
			if c.assignee != 0 {
				who = s.byID[c.assignee]
			}
			return benchRequest{path: "/cases/" + strconv.FormatInt(c.id, 10), who: who, want: []string{"<h1>" + html.EscapeString(c.name) + "</h1>"}}
		}},
		// What an open list asks every 10 s (GET /list/version): 200
		// listeners make it 20 requests a second.
		{name: "version", next: func(i int) benchRequest {
			return benchRequest{path: "/list/version", who: s.listeners[i%len(s.listeners)], want: []string{`{"version":"`}}
		}},
		// The coordinators' dashboard (GET /dashboard), being built: measured
		// once the route answers (a 404 skips it until then).
		{name: "dashboard", route: "/dashboard", next: func(i int) benchRequest {
			return benchRequest{path: "/dashboard", who: s.coordinators[i%len(s.coordinators)], want: []string{"<h1>"}}
		}},
	} {
		b.Run(p.name, func(b *testing.B) { s.measure(b, p) })
	}
}

// benchSite is the server on the seeded database with a session for every
// listener and coordinator.
type benchSite struct {
	handler      http.Handler
	listeners    []benchViewer
	coordinators []benchViewer
	byID         map[int64]benchViewer
	cases        []benchCase // the open cases, shuffled
	// served counts each page's requests so far: each run (-count) goes on
	// where the last one stopped, so none is served from a warm cache.
	served map[string]int
}

type benchViewer struct {
	id          int64
	name, token string
}

type benchCase struct {
	id, assignee int64 // assignee 0: the shared pool
	name         string
}

type benchPage struct {
	name  string
	route string // a route still being built: a 404 on it skips the page
	next  func(i int) benchRequest
}

type benchRequest struct {
	path string
	who  benchViewer
	want []string // in the body, so that an error page never passes
}

// benchStore opens the seeded database, seeding it first if needed.
func benchStore(b *testing.B) *store.Store {
	b.Helper()
	url := dbtest.Seeded(b, benchDatabase, benchSeedVersion, func(ctx context.Context, url string) error {
		return benchSeed(ctx, b, url)
	})
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	return store.New(pool)
}

// BenchmarkMetricsScrape is a /metrics scrape that counts in the database
// (one in 10 s at most, whatever the number of Prometheus servers) on the
// seeded service at 11:00: the day's check-ins by state, the calls due, the
// 100,000 pending follow-ups, River's jobs among 1.2 million. It reports the
// p50 and p95 of the whole answer.
//
//	go test ./web -run '^$' -bench MetricsScrape -benchtime 50x -count 5 -timeout 90m
func BenchmarkMetricsScrape(b *testing.B) {
	st := benchStore(b)
	// Each scrape 11 s after the last: past the cache, the database counts.
	clock := benchNow
	h := metrics.New(metrics.Config{Store: st, Queues: []string{jobs.QueueCalls, jobs.QueuePlanner},
		Now: func() time.Time { return clock }}).Handler()
	var took []time.Duration
	for b.Loop() {
		clock = clock.Add(11 * time.Second)
		start := time.Now()
		text := metricstest.Scrape(b, h)
		took = append(took, time.Since(start))
		require.Equal(b, 1.0, metricstest.Value(b, text, "wellcheck_database_up"))
		require.Positive(b, metricstest.Value(b, text, `wellcheck_check_ins{state="confirmed"}`))
		require.Positive(b, metricstest.Value(b, text, `wellcheck_check_ins{state="dialing"}`))
		require.Positive(b, metricstest.Value(b, text, `wellcheck_follow_ups_pending{list="pool",overdue="true"}`))
	}
	slices.Sort(took)
	b.ReportMetric(float64(benchQuantile(took, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(benchQuantile(took, 0.95).Microseconds())/1000, "p95-ms")
}

func benchSetup(b *testing.B) *benchSite {
	b.Helper()
	ctx := context.Background()
	st := benchStore(b)
	pool := st.Pool()

	// The server as serve builds it (web_test's setup), on the service's clock.
	now := func() time.Time { return benchNow }
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	queue, err := jobs.NewJobs(pool, logger)
	require.NoError(b, err)
	cases := &care.Cases{Store: st, Queue: queue, Logger: logger, Now: now}
	planner := &scheduler.Planner{Store: st, Jobs: queue, Logger: logger, Now: now}
	enrol := &enroll.Service{Store: st, Logger: logger, Planner: planner, Now: now}
	ui := &web.Server{Store: st, Cases: cases, Enrol: enrol, Admin: &admin.Service{Store: st, Passes: queue, Logger: logger, Now: now}, Jobs: queue, Logger: logger, Now: now}
	s := &benchSite{handler: ui.Handler(), byID: map[int64]benchViewer{}, served: map[string]int{}}

	// A session for every listener and coordinator, written as signing in
	// writes it (argon2 is slow on purpose: nobody types a password here).
	q := st.Queries()
	listeners, err := q.Listeners(ctx)
	require.NoError(b, err)
	require.Len(b, listeners, benchListeners)
	var coordinators []wellcheck.User
	for i := 1; ; i++ {
		u, err := q.UserByEmail(ctx, fmt.Sprintf("coordination%d@bench.example.org", i))
		if err != nil {
			break
		}
		coordinators = append(coordinators, u)
	}
	require.NotEmpty(b, coordinators)
	_, err = pool.Exec(ctx, "DELETE FROM sessions") // the previous runs'
	require.NoError(b, err)
	require.NoError(b, st.WithTx(ctx, func(q *store.Queries) error {
		sign := func(id int64, name string) (benchViewer, error) {
			v := benchViewer{id: id, name: name, token: benchToken()}
			hash := sha256.Sum256([]byte(v.token))
			s.byID[id] = v
			return v, q.CreateSession(ctx, store.Session{TokenHash: hash[:], UserID: id, CSRFToken: benchToken(),
				CreatedAt: benchNow.Add(-time.Hour), ExpiresAt: benchNow.Add(11 * time.Hour), UserAgent: "bench"})
		}
		for _, l := range listeners {
			v, err := sign(l.ID, l.FullName)
			if err != nil {
				return err
			}
			s.listeners = append(s.listeners, v)
		}
		for _, c := range coordinators {
			v, err := sign(c.ID, c.FullName)
			if err != nil {
				return err
			}
			s.coordinators = append(s.coordinators, v)
		}
		return nil
	}))

	rows, err := pool.Query(ctx, `SELECT c.id, coalesce(c.assignee_id, 0), p.full_name
		FROM cases c JOIN persons p ON p.id = c.person_id WHERE c.state <> 'closed' ORDER BY c.id`)
	require.NoError(b, err)
	s.cases, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (c benchCase, err error) {
		return c, r.Scan(&c.id, &c.assignee, &c.name)
	})
	require.NoError(b, err)
	require.Greater(b, len(s.cases), 90_000)
	mathrand.New(mathrand.NewPCG(1, 2)).Shuffle(len(s.cases), func(i, j int) { s.cases[i], s.cases[j] = s.cases[j], s.cases[i] })
	return s
}

// measure times p's requests: a few first, untimed, open the pool's
// connections and warm the caches; then b.N × benchRequests.
func (s *benchSite) measure(b *testing.B, p benchPage) {
	if p.route != "" {
		rec := s.serve(p.next(0))
		if rec.Code == http.StatusNotFound && strings.HasPrefix(rec.Body.String(), "404 page not found") {
			b.Skipf("GET %s does not exist yet", p.route)
		}
	}
	first := s.served[p.name]
	s.served[p.name] += 20 + b.N*benchRequests
	for i := range 20 { // after the timed ones: none of those is served warm
		r := p.next(first + b.N*benchRequests + i)
		s.check(b, r, s.serve(r))
	}
	took := make([]time.Duration, 0, b.N*benchRequests)
	b.ResetTimer()
	for n := range b.N {
		for i := range benchRequests {
			r := p.next(first + n*benchRequests + i)
			start := time.Now()
			rec := s.serve(r)
			took = append(took, time.Since(start))
			s.check(b, r, rec)
		}
	}
	b.StopTimer()
	slices.Sort(took)
	for _, q := range []struct {
		q    float64
		unit string
	}{{0.50, "p50-ms"}, {0.95, "p95-ms"}, {0.99, "p99-ms"}} {
		b.ReportMetric(float64(benchQuantile(took, q.q).Microseconds())/1000, q.unit)
	}
}

func (s *benchSite) serve(r benchRequest) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, r.path, nil)
	req.AddCookie(&http.Cookie{Name: "wellcheck_session", Value: r.who.token})
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	return rec
}

// check requires the page that was asked for, signed in as its viewer.
func (s *benchSite) check(b *testing.B, r benchRequest, rec *httptest.ResponseRecorder) {
	b.Helper()
	body := rec.Body.String()
	require.Equal(b, http.StatusOK, rec.Code, "GET %s as %s: %.300s", r.path, r.who.name, body)
	if !strings.HasPrefix(r.path, "/list/") {
		name := html.EscapeString(r.who.name)
		require.Contains(b, body, `href="/account" title="`+name+` — Mon compte">`+name+`</a>`, "GET %s", r.path)
	}
	for _, w := range r.want {
		require.Contains(b, body, w, "GET %s as %s", r.path, r.who.name)
	}
}

// benchQuantile is the nearest-rank quantile of sorted durations.
func benchQuantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, max(0, int(math.Ceil(q*float64(len(sorted))))-1))]
}

func benchToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// What the generated people, places and notes are called.
var (
	benchFirstNames = []string{"Jeanne", "Marcel", "Yvonne", "René", "Denise", "André", "Simone", "Jean", "Monique", "Robert",
		"Colette", "Pierre", "Germaine", "Louis", "Odette", "Roger", "Paulette", "Henri", "Suzanne", "Georges",
		"Marguerite", "Raymond", "Lucienne", "Hélène", "Gérard", "Thérèse", "Rémi", "Françoise", "Joël", "Geneviève",
		"Étienne", "Renée", "Émile", "Léon", "Solange", "Madeleine", "Bernard", "Josette", "Maurice", "Ginette",
		"Lucien", "Huguette", "Fernand", "Annick", "Yves", "Maryvonne", "Loïc", "Nicole", "Alain", "Anne-Marie"}
	benchLastNames = []string{"Martin", "Bernard", "Le Gall", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
		"Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier",
		"Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Le Goff", "Faure",
		"André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier",
		"Garcia", "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Le Bihan",
		"Le Roux", "Guillou", "Le Floch", "Tanguy", "Hamon", "Jaouen", "Riou", "Quéré", "Le Corre", "Cadiou"}
	benchStreets = []string{"rue de la Paix", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard de la Liberté", "rue du Moulin",
		"place de l'Église", "rue des Écoles", "chemin des Prés", "rue de Brest", "allée des Tilleuls", "rue Saint-Malo",
		"impasse des Lilas", "rue du Général de Gaulle", "quai Lamennais", "rue de Fougères", "résidence Les Glycines"}
	// Communes of Ille-et-Vilaine and their postcodes, the département the
	// service covers.
	benchCities    = []string{"Rennes", "Rennes", "Rennes", "Saint-Malo", "Fougères", "Vitré", "Redon", "Dinard", "Cesson-Sévigné", "Bruz", "Saint-Grégoire", "Pacé", "Betton", "Chartres-de-Bretagne", "Combourg", "Montfort-sur-Meu", "Châteaugiron", "Janzé", "Bain-de-Bretagne", "Liffré", "Dol-de-Bretagne", "Guichen", "Mordelles", "Le Rheu", "Thorigné-Fouillard", "Saint-Jacques-de-la-Lande", "Vern-sur-Seiche", "Acigné", "Melesse", "Cancale"}
	benchPostcodes = []string{"35000", "35200", "35700", "35400", "35300", "35500", "35600", "35800", "35510", "35170", "35760", "35740", "35830", "35131", "35270", "35160", "35410", "35150", "35470", "35340", "35120", "35580", "35310", "35650", "35235", "35136", "35770", "35690", "35520", "35260"}
	// Zones as scheduler's benchmark has them, most people in Paris.
	benchZones = []string{"Europe/Paris", "Europe/Paris", "Europe/Paris", "Europe/Paris", "Europe/Paris", "Europe/Paris", "Europe/Paris",
		"Europe/Paris", "Europe/Paris", "Europe/Paris", "Europe/Paris", "Europe/Brussels", "Europe/London", "America/Guadeloupe",
		"Indian/Reunion", "America/Cayenne", "Pacific/Noumea", "America/New_York", "Europe/Paris", "Europe/Paris"}
	benchNotes = []string{
		"Va bien, attend la visite de sa fille ce week-end.",
		"Se sent seule depuis le décès de son mari ; propose de rappeler jeudi.",
		"N'a pas entendu le téléphone, était au jardin. Tout va bien.",
		"Douleurs au genou, a rendez-vous chez le médecin traitant lundi.",
		"Messagerie. Rappeler en fin d'après-midi.",
		"Orientée vers le CCAS pour le portage de repas.",
		"Voisin passé la voir, a confirmé qu'elle allait bien.",
		"Fatigué, dort mal. Conseillé d'en parler à son médecin ; accepte d'être rappelé demain.",
		"Ne souhaite plus d'appels pendant les vacances de sa famille.",
		"A fait une chute la semaine dernière, pas de blessure ; la fille est prévenue.",
		"Très contente de l'appel, aimerait parler plus longtemps la prochaine fois.",
		"Aide à domicile absente cette semaine, courses faites par la voisine.",
		"Pas joignable, le gardien de la résidence va passer.",
		"Moral en baisse, évoque l'isolement. Proposé l'accueil de jour de la mairie.",
	}
	benchPartnerKinds = []string{"CCAS", "Maison France Services", "Centre médico-psychologique", "Portage de repas", "Aide à domicile",
		"Accueil de jour", "Association de visiteurs bénévoles", "Service de soins infirmiers à domicile", "Point info seniors", "Transport solidaire"}
)

// benchSeed generates the service in the database at url with set-based SQL
// (INSERT … SELECT over generate_series and the tables already filled), one
// statement per table, rows in the order the service writes them (persons by
// enrolment, check-ins and calls by time) so that a person's rows lie across
// the tables as they do in production, then VACUUM ANALYZE.
//
// The service on 15 December 2026 at 11:00, Paris: 200 listeners (capacity 5
// to 20, part- and full-time weekly shifts, 15 % present), 5 coordinators and
// an admin; 1,000,000 persons enrolled over six months in Ille-et-Vilaine's
// communes (a few in other zones), each with a referral, a consent, 0–2
// emergency contacts (10 % an enrolment note), called on 1–5 weekdays
// (~1.9 a week) at 10:00–14:45 Paris time; their check-ins over the 30 days
// before today, today's (done before 10:10, dialling until 11:00, planned after)
// and tomorrow's (planned), each finished one ending confirmed (≈90 %),
// flagged (4 %), unreached (5 %) or undeliverable (1 %, always the same
// persons) after 1–3 calls; 100,000 open cases (every person whose id ends
// in 7), half in the shared pool and half assigned, 250 per listener, each with
// its pending follow-up and 0–3 done ones, three in four with a note; 142,857
// cases closed during the month (persons ≡ 2 mod 7) with 1–3 follow-ups;
// escalations of urgent unreached cases; the data issues of undeliverable
// numbers; and the audit log all that wrote (enrolments, case openings,
// follow-ups, closings, case views, sign-ins).
func benchSeed(ctx context.Context, b *testing.B, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	hash, err := admin.HashPassword(password)
	if err != nil {
		return err
	}
	r := strings.NewReplacer(
		"{now}", "timestamptz '"+benchNow.Format(time.RFC3339)+"'",
		"{today}", "date '"+benchNow.In(benchParis()).Format(time.DateOnly)+"'",
		"{persons}", strconv.Itoa(benchPersons),
		"{listeners}", strconv.Itoa(benchListeners),
		"{first_names}", benchArray(benchFirstNames),
		"{last_names}", benchArray(benchLastNames),
		"{streets}", benchArray(benchStreets),
		"{cities}", benchArray(benchCities),
		"{postcodes}", benchArray(benchPostcodes),
		"{zones}", benchArray(benchZones),
		"{notes}", benchArray(benchNotes),
		"{partner_kinds}", benchArray(benchPartnerKinds),
	)
	for _, step := range benchSeedSteps {
		start := time.Now()
		var args []any
		if strings.Contains(step.sql, "$1") {
			args = []any{hash}
		}
		tag, err := conn.Exec(ctx, r.Replace(step.sql), args...)
		if err != nil {
			return fmt.Errorf("seed %s: %w", step.what, err)
		}
		b.Logf("seed %-28s %10d rows  %s", step.what, tag.RowsAffected(), time.Since(start).Round(100*time.Millisecond))
	}
	return nil
}

func benchParis() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}

// benchArray writes strings as an SQL array literal.
func benchArray(xs []string) string {
	quoted := make([]string, len(xs))
	for i, x := range xs {
		quoted[i] = "'" + strings.ReplaceAll(x, "'", "''") + "'"
	}
	return "ARRAY[" + strings.Join(quoted, ", ") + "]"
}

// benchSeedSteps run in order on one connection (the pg_temp helpers live in
// its session). pg_temp.h(x, salt, m) is a deterministic hash of x in [0, m):
// every choice is one, so a seed is the same each time.
var benchSeedSteps = []struct{ what, sql string }{
	{"settings", `SET synchronous_commit = off`},
	{"work_mem", `SET work_mem = '512MB'`},
	{"maintenance_work_mem", `SET maintenance_work_mem = '1GB'`},
	{"hash", `CREATE FUNCTION pg_temp.h(x bigint, salt bigint, m int) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE
		AS $$ SELECT ((hashint8extended(x, salt) & 9223372036854775807) % m)::int $$`},
	// A finished check-in's state: undeliverable for 1 % of persons (their
	// number does not work), otherwise confirmed, flagged or unreached.
	{"outcome", `CREATE FUNCTION pg_temp.outcome(person bigint, slot timestamptz) RETURNS text LANGUAGE sql STABLE
		AS $$ SELECT CASE WHEN pg_temp.h(person, 101, 100) = 0 THEN 'undeliverable'
			WHEN pg_temp.h(person, extract(epoch FROM slot)::bigint, 1000) < 909 THEN 'confirmed'
			WHEN pg_temp.h(person, extract(epoch FROM slot)::bigint, 1000) < 949 THEN 'flagged'
			ELSE 'unreached' END $$`},
	// How many calls a finished check-in took.
	{"tries", `CREATE FUNCTION pg_temp.tries(state text, person bigint, slot timestamptz) RETURNS int LANGUAGE sql STABLE
		AS $$ SELECT CASE state
			WHEN 'confirmed' THEN CASE WHEN pg_temp.h(person, extract(epoch FROM slot)::bigint + 1, 100) < 85 THEN 1
				WHEN pg_temp.h(person, extract(epoch FROM slot)::bigint + 1, 100) < 97 THEN 2 ELSE 3 END
			WHEN 'flagged' THEN CASE WHEN pg_temp.h(person, extract(epoch FROM slot)::bigint + 1, 100) < 80 THEN 1 ELSE 2 END
			WHEN 'unreached' THEN 3 ELSE 1 END $$`},
	// When call k starts after the slot: the default retry policy, 15 then
	// 30 minutes apart.
	{"after", `CREATE FUNCTION pg_temp.after(k int) RETURNS interval LANGUAGE sql IMMUTABLE
		AS $$ SELECT CASE k WHEN 1 THEN interval '0' WHEN 2 THEN interval '15 minutes' ELSE interval '45 minutes' END $$`},
	// The follow-up a case's opening puts on a list.
	{"task reason", `CREATE FUNCTION pg_temp.task_reason(opened text, p case_priority) RETURNS text LANGUAGE sql IMMUTABLE
		AS $$ SELECT CASE opened WHEN 'unreached' THEN CASE WHEN p = 'urgent' THEN 'unreached_repeatedly' ELSE 'unreached' END
			WHEN 'undeliverable' THEN 'manual' ELSE opened END $$`},
	// How many follow-ups an open case has had done.
	{"done count", `CREATE FUNCTION pg_temp.done_count(case_id bigint) RETURNS int LANGUAGE sql IMMUTABLE
		AS $$ SELECT CASE WHEN pg_temp.h(case_id, 42, 10) < 4 THEN 0 WHEN pg_temp.h(case_id, 42, 10) < 7 THEN 1
			WHEN pg_temp.h(case_id, 42, 10) < 9 THEN 2 ELSE 3 END $$`},
	{"days", `CREATE TEMP TABLE bench_days (spec text PRIMARY KEY, days int[] NOT NULL)`},
	{"days rows", `INSERT INTO bench_days VALUES ('MON,THU', '{1,4}'), ('TUE,FRI', '{2,5}'), ('WED', '{3}'), ('MON,WED,FRI', '{1,3,5}'),
		('TUE,THU', '{2,4}'), ('MON', '{1}'), ('FRI', '{5}'), ('MON-FRI', '{1,2,3,4,5}'), ('TUE', '{2}'), ('THU', '{4}')`},

	{"users", `INSERT INTO users (email, full_name, roles, languages, capacity, present, password_hash, password_changed_at, created_at, updated_at)
		SELECT 'ecoute' || i || '@bench.example.org',
			({first_names})[1 + pg_temp.h(i, 500, cardinality({first_names}))] || ' ' || ({last_names})[1 + pg_temp.h(i, 501, cardinality({last_names}))] || ' ' || i,
			'{listener}'::text[], CASE pg_temp.h(i, 502, 20) WHEN 0 THEN '{fr,en}'::text[] WHEN 1 THEN '{fr,ar}' WHEN 2 THEN '{fr,br}' ELSE '{fr}' END,
			5 + pg_temp.h(i, 503, 16), pg_temp.h(i, 504, 100) < 15, $1, {now} - interval '200 days', {now} - interval '200 days', {now} - interval '1 day'
		FROM generate_series(1, {listeners}) AS i
		UNION ALL
		SELECT 'coordination' || i || '@bench.example.org', ({first_names})[1 + pg_temp.h(i, 505, 50)] || ' Coordination ' || i,
			'{coordinator}', '{fr}', 0, false, $1, {now} - interval '200 days', {now} - interval '200 days', {now} - interval '1 day'
		FROM generate_series(1, 5) AS i
		UNION ALL
		SELECT 'admin@bench.example.org', 'Admin Bench', '{admin,coordinator}', '{fr}', 0, false, $1,
			{now} - interval '200 days', {now} - interval '200 days', {now} - interval '1 day'`},
	// Full time (Monday to Friday, 9:00–17:00), mornings, afternoons, four days.
	{"shifts", `INSERT INTO shifts (user_id, weekday, starts, ends)
		SELECT u.id, d, s.starts, s.ends
		FROM users u
		JOIN (VALUES (0, '{1,2,3,4,5}'::int[], time '09:00', time '17:00'), (1, '{1,2,4}', '09:00', '13:00'),
			(2, '{2,3,5}', '13:00', '17:00'), (3, '{1,3,4,5}', '09:00', '17:00')) AS s (kind, days, starts, ends)
			ON s.kind = pg_temp.h(u.id, 510, 4)
		CROSS JOIN LATERAL unnest(s.days) AS d
		WHERE 'listener' = ANY (u.roles)
		ORDER BY u.id, d`},
	// Partners by postcode, by commune, for the whole département, and a
	// few national lines serving everyone.
	{"partners", `INSERT INTO partners (name, kind, postcodes, phone, hours)
		SELECT ({partner_kinds})[1 + i % cardinality({partner_kinds})] || ' — ' || ({cities})[k], ({partner_kinds})[1 + i % cardinality({partner_kinds})],
			CASE i % 4 WHEN 0 THEN ARRAY[({postcodes})[k]] WHEN 1 THEN ARRAY[lower(({cities})[k])] WHEN 2 THEN ARRAY['35']
				ELSE ARRAY[({postcodes})[k], ({postcodes})[1 + (k + 7) % cardinality({postcodes})]] END,
			'+33299' || lpad((100000 + i)::text, 6, '0'), 'lun.–ven. 9 h–12 h, 14 h–17 h'
		FROM generate_series(1, 160) AS i, LATERAL (SELECT 1 + pg_temp.h(i, 520, cardinality({cities})) AS k) AS c
		UNION ALL
		SELECT name, 'Ligne nationale', '{}', NULL, '7 j/7' FROM unnest(ARRAY['Solitud''écoute', 'SOS Amitié', '3977 Maltraitance', 'Petits Frères des Pauvres']) AS name`},

	// Persons, enrolled over six months in id order, each with their plan:
	// 10:00–14:45 in Paris, written in their own zone, 1 to 5 weekdays.
	{"persons", `WITH staff AS (
			SELECT array_agg(id ORDER BY id) FILTER (WHERE 'listener' = ANY (roles)) AS listeners,
				array_agg(id ORDER BY id) FILTER (WHERE 'coordinator' = ANY (roles)) AS coordinators
			FROM users),
		specs AS (SELECT array_agg(spec ORDER BY spec) AS days FROM bench_days)
		INSERT INTO persons (id, full_name, phone, language, time_zone, address, postcode, city, risk_level, referent_id,
			cron_spec, window_start, window_end, created_by, created_at, updated_at, plan_updated_at)
		SELECT i, ({first_names})[1 + pg_temp.h(i, 1, cardinality({first_names}))] || ' ' || ({last_names})[1 + pg_temp.h(i, 2, cardinality({last_names}))],
			'+336' || lpad(i::text, 8, '0'),
			CASE pg_temp.h(i, 3, 100) WHEN 0 THEN 'en' WHEN 1 THEN 'pt' WHEN 2 THEN 'ar' ELSE 'fr' END,
			z.tz, (1 + pg_temp.h(i, 4, 180)) || ' ' || ({streets})[1 + pg_temp.h(i, 5, cardinality({streets}))],
			({postcodes})[z.k], ({cities})[z.k],
			CASE WHEN pg_temp.h(i, 6, 100) < 12 THEN 'high' WHEN pg_temp.h(i, 6, 100) < 30 THEN 'low' ELSE 'normal' END,
			CASE WHEN pg_temp.h(i, 7, 5) = 0 THEN s.listeners[1 + pg_temp.h(i, 8, cardinality(s.listeners))] END,
			extract(minute FROM w.local)::int || ' ' || extract(hour FROM w.local)::int || ' * * ' || sp.days[1 + pg_temp.h(i, 12, cardinality(sp.days))],
			w.local::time, CASE WHEN w.local::time >= time '23:00' THEN time '23:59' ELSE w.local::time + interval '1 hour' END,
			s.coordinators[1 + pg_temp.h(i, 9, cardinality(s.coordinators))], z.at, z.at, z.at
		FROM staff s, specs sp, generate_series(1, {persons}) AS i,
		LATERAL (SELECT ({zones})[1 + pg_temp.h(i, 10, cardinality({zones}))] AS tz, 1 + pg_temp.h(i, 11, cardinality({cities})) AS k,
			{now} - interval '182 days' + interval '180 days' * (i::float8 / {persons}) AS at) AS z,
		LATERAL (SELECT ((({today} + make_time(10 + pg_temp.h(i, 13, 5), 15 * pg_temp.h(i, 14, 4), 0)) AT TIME ZONE 'Europe/Paris') AT TIME ZONE z.tz) AS local) AS w`},
	{"persons sequence", `SELECT setval(pg_get_serial_sequence('persons', 'id'), {persons})`},
	{"referrals", `INSERT INTO referrals (person_id, source, referrer_name, referrer_phone, referred_at, taken_by)
		SELECT p.id, r.source,
			CASE r.source WHEN 'doctor' THEN 'Dr ' || ({last_names})[1 + pg_temp.h(p.id, 21, cardinality({last_names}))]
				WHEN 'family' THEN ({first_names})[1 + pg_temp.h(p.id, 22, cardinality({first_names}))] || ' ' || split_part(p.full_name, ' ', 2)
				WHEN 'social_services' THEN 'CDAS de ' || p.city WHEN 'town_hall' THEN 'Mairie de ' || p.city
				WHEN 'landlord' THEN 'Archipel Habitat' ELSE '' END,
			CASE WHEN r.source IN ('doctor', 'social_services', 'town_hall', 'landlord') THEN '+33299' || lpad(pg_temp.h(p.id, 23, 1000000)::text, 6, '0') END,
			p.created_at - interval '1 day' * (1 + pg_temp.h(p.id, 24, 10)), p.created_by
		FROM persons p
		CROSS JOIN LATERAL (SELECT CASE WHEN pg_temp.h(p.id, 20, 100) < 30 THEN 'family' WHEN pg_temp.h(p.id, 20, 100) < 50 THEN 'doctor'
			WHEN pg_temp.h(p.id, 20, 100) < 70 THEN 'social_services' WHEN pg_temp.h(p.id, 20, 100) < 78 THEN 'landlord'
			WHEN pg_temp.h(p.id, 20, 100) < 92 THEN 'town_hall' WHEN pg_temp.h(p.id, 20, 100) < 97 THEN 'self' ELSE 'other' END AS source) AS r
		ORDER BY p.id`},
	{"consents", `INSERT INTO consents (person_id, given_by, representative_name, given_at, method, recorded_by, recorded_at)
		SELECT p.id, CASE WHEN pg_temp.h(p.id, 25, 100) < 8 THEN 'legal_representative' ELSE 'person' END,
			CASE WHEN pg_temp.h(p.id, 25, 100) < 8 THEN 'UDAF 35' ELSE '' END,
			p.created_at - interval '1 hour', (ARRAY['phone', 'phone', 'paper', 'in_person'])[1 + pg_temp.h(p.id, 26, 4)], p.created_by, p.created_at
		FROM persons p ORDER BY p.id`},
	{"emergency contacts", `INSERT INTO emergency_contacts (person_id, position, full_name, relation, phone, language, consent_at)
		SELECT p.id, k, ({first_names})[1 + pg_temp.h(p.id, 30 + k, cardinality({first_names}))] || ' ' || split_part(p.full_name, ' ', 2),
			(ARRAY['fille', 'fils', 'voisine', 'neveu', 'nièce', 'ami', 'belle-fille', 'frère'])[1 + pg_temp.h(p.id, 32 + k, 8)],
			CASE k WHEN 1 THEN '+337' || lpad(p.id::text, 8, '0') ELSE '+33299' || lpad(pg_temp.h(p.id, 34, 1000000)::text, 6, '0') END,
			'fr', CASE WHEN pg_temp.h(p.id, 35, 2) = 0 THEN p.created_at END
		FROM persons p
		CROSS JOIN LATERAL generate_series(1, CASE WHEN pg_temp.h(p.id, 30, 12) < 4 THEN 0 WHEN pg_temp.h(p.id, 30, 12) < 9 THEN 1 ELSE 2 END) AS k
		ORDER BY p.id, k`},
	{"enrolment notes", `INSERT INTO notes (person_id, author_id, body, created_at)
		SELECT p.id, p.created_by, ({notes})[1 + pg_temp.h(p.id, 36, cardinality({notes}))], p.created_at
		FROM persons p WHERE pg_temp.h(p.id, 37, 10) = 0 ORDER BY p.id`},

	// Check-ins on the person's days, on the service's open days (Monday to
	// Friday in Paris), from the 30 days before today to tomorrow, in the
	// order the planner writes them.
	{"check-ins", `INSERT INTO check_ins (person_id, slot_at, deadline_at, state, finished_at, retry_at, created_at, updated_at)
		SELECT c.person_id, c.slot, c.deadline, c.state, f.finished, f.retry, c.slot - interval '30 hours', coalesce(f.finished, c.slot - interval '30 hours')
		FROM (
			SELECT p.id AS person_id, s.slot, s.deadline,
				CASE WHEN s.slot > {now} THEN 'planned' WHEN s.slot + interval '50 minutes' > {now} THEN 'dialing'
					ELSE pg_temp.outcome(p.id, s.slot) END AS state
			FROM persons p
			JOIN bench_days b ON b.spec = split_part(p.cron_spec, ' ', 5)
			CROSS JOIN generate_series(({today} - 30)::timestamp, ({today} + 1)::timestamp, interval '1 day') AS g (d)
			CROSS JOIN LATERAL (SELECT (g.d::date + p.window_start) AT TIME ZONE p.time_zone AS slot,
				(g.d::date + p.window_end) AT TIME ZONE p.time_zone AS deadline) AS s
			WHERE extract(isodow FROM g.d)::int = ANY (b.days)
				AND extract(isodow FROM s.slot AT TIME ZONE 'Europe/Paris') BETWEEN 1 AND 5
				AND s.slot > p.created_at
		) AS c
		CROSS JOIN LATERAL (SELECT
			CASE WHEN c.state NOT IN ('planned', 'dialing') THEN c.slot + pg_temp.after(pg_temp.tries(c.state, c.person_id, c.slot)) + interval '40 seconds' END AS finished,
			CASE WHEN c.state = 'dialing' THEN greatest(c.slot + interval '15 minutes', {now} + interval '2 minutes') END AS retry) AS f
		ORDER BY c.slot, c.person_id`},
	// The calls: the earlier ones of a check-in unanswered, the last one its
	// outcome; one unanswered call for those waiting for their retry.
	{"attempts", `INSERT INTO attempts (check_in_id, number, started_at, ended_at, outcome, sip_status, call_id, ring_ms, talk_ms, digits, node)
		SELECT c.id, k, a.started, a.started + make_interval(secs => (m.ring + m.talk) / 1000.0), a.outcome, m.sip,
			md5(c.id::text || '/' || k), m.ring, m.talk, CASE a.outcome WHEN 'ok' THEN '1' WHEN 'help_requested' THEN '2' ELSE '' END,
			'node-' || (1 + c.id % 2)
		FROM check_ins c
		CROSS JOIN LATERAL (SELECT CASE WHEN c.state = 'dialing' THEN 1 ELSE pg_temp.tries(c.state, c.person_id, c.slot_at) END AS n) AS t
		CROSS JOIN LATERAL generate_series(1, t.n) AS k
		CROSS JOIN LATERAL (SELECT c.slot_at + pg_temp.after(k) + make_interval(secs => pg_temp.h(c.id, k, 20)) AS started,
			CASE WHEN c.state = 'dialing' OR k < t.n THEN (ARRAY['no_answer', 'no_answer', 'busy', 'no_response'])[1 + pg_temp.h(c.id, 200 + k, 4)]
				WHEN c.state = 'confirmed' THEN 'ok' WHEN c.state = 'flagged' THEN 'help_requested'
				WHEN c.state = 'undeliverable' THEN 'invalid_number'
				ELSE (ARRAY['no_answer', 'no_answer', 'busy', 'no_response', 'declined'])[1 + pg_temp.h(c.id, 210, 5)] END AS outcome) AS a
		CROSS JOIN LATERAL (SELECT
			CASE a.outcome WHEN 'no_answer' THEN 487 WHEN 'busy' THEN 486 WHEN 'declined' THEN 603 WHEN 'invalid_number' THEN 404 ELSE 200 END AS sip,
			CASE a.outcome WHEN 'no_answer' THEN 30000 WHEN 'busy' THEN 0 WHEN 'invalid_number' THEN 0 ELSE 2000 + pg_temp.h(c.id, 220 + k, 15000) END AS ring,
			CASE a.outcome WHEN 'ok' THEN 9000 + pg_temp.h(c.id, 230, 8000) WHEN 'help_requested' THEN 10000 + pg_temp.h(c.id, 230, 8000)
				WHEN 'no_response' THEN 21000 ELSE 0 END AS talk) AS m
		WHERE c.state NOT IN ('planned', 'cancelled')
		ORDER BY a.started`},
	// River's call jobs: one completed per call of the last 24 hours (River
	// keeps them that long), one scheduled per check-in still to call.
	{"river jobs", `INSERT INTO river_job (args, attempt, attempted_at, created_at, finalized_at, kind, max_attempts, priority, queue, state, scheduled_at)
		SELECT jsonb_build_object('check_in_id', a.check_in_id, 'attempt', a.number), 1, a.started_at, a.started_at - interval '1 hour', a.ended_at,
			'check_in_call', 25, 1, 'calls', 'completed'::river_job_state, a.started_at
		FROM attempts a
		WHERE a.started_at > {now} - interval '24 hours'
		UNION ALL
		SELECT jsonb_build_object('check_in_id', c.id), 0, NULL, c.created_at, NULL, 'check_in_call', 25, 1, 'calls', 'scheduled'::river_job_state, coalesce(c.retry_at, c.slot_at)
		FROM check_ins c
		WHERE c.state IN ('planned', 'dialing')`},

	// Open cases (persons whose id ends in 7): half assigned, 250 per
	// listener; cases closed during the month (persons ≡ 2 mod 7).
	{"cases", `WITH staff AS (
			SELECT array_agg(id ORDER BY id) FILTER (WHERE 'listener' = ANY (roles)) AS listeners,
				array_agg(id ORDER BY id) FILTER (WHERE 'coordinator' = ANY (roles)) AS coordinators
			FROM users)
		INSERT INTO cases (person_id, state, priority, opened_reason, due_at, assignee_id, opened_by, opened_at, closed_at, closed_by,
			closure_reason, person_agreed, updated_at)
		SELECT c.person_id, c.state, c.priority, c.reason, c.due, c.assignee,
			CASE WHEN c.reason IN ('manual', 'referral') THEN s.coordinators[1 + pg_temp.h(c.person_id, 306, cardinality(s.coordinators))] END,
			c.opened, c.closed, CASE WHEN c.closed IS NOT NULL THEN c.assignee END, c.closure, c.agreed, coalesce(c.closed, least({now}, c.due))
		FROM staff s, LATERAL (
			SELECT p.id AS person_id, CASE WHEN (p.id / 10) % 2 = 0 THEN 'assigned' ELSE 'open' END AS state,
				(CASE WHEN pg_temp.h(p.id, 300, 100) < 3 THEN 'urgent' WHEN pg_temp.h(p.id, 300, 100) < 25 THEN 'high'
					WHEN pg_temp.h(p.id, 300, 100) < 93 THEN 'normal' ELSE 'low' END)::case_priority AS priority,
				CASE WHEN pg_temp.h(p.id, 301, 100) < 40 THEN 'flagged' WHEN pg_temp.h(p.id, 301, 100) < 84 THEN 'unreached'
					WHEN pg_temp.h(p.id, 301, 100) < 90 THEN 'referral' WHEN pg_temp.h(p.id, 301, 100) < 96 THEN 'manual'
					WHEN pg_temp.h(p.id, 301, 100) < 99 THEN 'missed' ELSE 'system_error' END AS reason,
				o.opened, greatest(o.opened + interval '2 hours', {now} + make_interval(mins => pg_temp.h(p.id, 303, 3600) - 2400)) AS due,
				CASE WHEN (p.id / 10) % 2 = 0 THEN s.listeners[1 + (p.id / 20) % cardinality(s.listeners)] END AS assignee,
				NULL::timestamptz AS closed, NULL AS closure, NULL::boolean AS agreed
			FROM persons p, LATERAL (SELECT {now} - make_interval(mins => 30 + pg_temp.h(p.id, 302, 21 * 24 * 60)) AS opened) AS o
			WHERE p.id % 10 = 7
			UNION ALL
			SELECT p.id, 'closed',
				(CASE WHEN pg_temp.h(p.id, 310, 100) < 3 THEN 'urgent' WHEN pg_temp.h(p.id, 310, 100) < 25 THEN 'high'
					WHEN pg_temp.h(p.id, 310, 100) < 93 THEN 'normal' ELSE 'low' END)::case_priority,
				CASE WHEN pg_temp.h(p.id, 311, 100) < 40 THEN 'flagged' WHEN pg_temp.h(p.id, 311, 100) < 88 THEN 'unreached'
					WHEN pg_temp.h(p.id, 311, 100) < 94 THEN 'referral' ELSE 'manual' END,
				o.closed - make_interval(mins => 120 + pg_temp.h(p.id, 312, 14 * 24 * 60)),
				o.closed - make_interval(mins => pg_temp.h(p.id, 312, 14 * 24 * 60)),
				s.listeners[1 + pg_temp.h(p.id, 313, cardinality(s.listeners))], o.closed,
				CASE WHEN pg_temp.h(p.id, 314, 100) < 45 THEN 'resolved' WHEN pg_temp.h(p.id, 314, 100) < 70 THEN 'oriented'
					WHEN pg_temp.h(p.id, 314, 100) < 82 THEN 'declined_help' WHEN pg_temp.h(p.id, 314, 100) < 90 THEN 'hospitalised'
					WHEN pg_temp.h(p.id, 314, 100) < 94 THEN 'moved' WHEN pg_temp.h(p.id, 314, 100) < 96 THEN 'deceased' ELSE 'other' END,
				CASE WHEN pg_temp.h(p.id, 314, 100) BETWEEN 94 AND 95 THEN NULL ELSE pg_temp.h(p.id, 315, 100) < 85 END
			FROM persons p, LATERAL (SELECT {now} - make_interval(mins => 60 + pg_temp.h(p.id, 316, 30 * 24 * 60 - 120)) AS closed) AS o
			WHERE p.id % 7 = 2
		) AS c
		ORDER BY c.opened`},
	// Follow-ups done, on open cases (0–3, spread since the opening) and on
	// closed ones (1–3, the last closing it), three in four with a note.
	{"done follow-ups and notes", `WITH staff AS (
			SELECT array_agg(id ORDER BY id) FILTER (WHERE 'listener' = ANY (roles)) AS listeners FROM users),
		partner_ids AS (SELECT array_agg(id ORDER BY id) AS ids FROM partners WHERE postcodes <> '{}'),
		plan AS (
			SELECT c.id AS case_id, c.person_id, c.priority, c.opened_reason, c.assignee_id, c.opened_at, c.state,
				coalesce(c.closed_at, {now}) AS until,
				CASE WHEN c.state = 'closed' THEN 1 + pg_temp.h(c.id, 320, 3) ELSE pg_temp.done_count(c.id) END AS n
			FROM cases c),
		done AS (
			INSERT INTO follow_ups (case_id, assignee_id, reason, priority, due_at, state, reached, partner_id, emergency_services_called,
				done_at, done_by, created_at, updated_at)
			SELECT p.case_id, w.who, CASE WHEN k = 1 THEN pg_temp.task_reason(p.opened_reason, p.priority) ELSE 'callback' END,
				p.priority, t.done - interval '2 hours', 'done', t.reached, t.partner, pg_temp.h(p.case_id, 321 + k, 500) = 0,
				t.done, w.who, t.done - interval '1 day', t.done
			FROM staff s, partner_ids pa, plan p,
			LATERAL generate_series(1, p.n) AS k,
			LATERAL (SELECT coalesce(p.assignee_id, s.listeners[1 + pg_temp.h(p.case_id, 330 + k, cardinality(s.listeners))]) AS who) AS w,
			LATERAL (SELECT
				p.opened_at + (p.until - p.opened_at) * (CASE WHEN p.state = 'closed' THEN k::float8 / p.n ELSE k::float8 / (p.n + 1) END) AS done,
				(p.state = 'closed' AND k = p.n) OR pg_temp.h(p.case_id, 340 + k, 100) < 60 AS reached,
				CASE WHEN pg_temp.h(p.case_id, 350 + k, 100) < 15 THEN pa.ids[1 + pg_temp.h(p.case_id, 360 + k, cardinality(pa.ids))] END AS partner) AS t
			ORDER BY t.done
			RETURNING id, case_id, done_at, done_by)
		INSERT INTO notes (person_id, case_id, follow_up_id, author_id, body, created_at)
		SELECT c.person_id, d.case_id, d.id, d.done_by, ({notes})[1 + pg_temp.h(d.id, 370, cardinality({notes}))], d.done_at
		FROM done d JOIN cases c ON c.id = d.case_id
		WHERE pg_temp.h(d.id, 371, 4) < 3
		ORDER BY d.done_at`},
	// Each open case's pending follow-up: a callback after a done one,
	// otherwise what opened the case.
	{"pending follow-ups", `INSERT INTO follow_ups (case_id, assignee_id, reason, priority, due_at, state, created_at, updated_at)
		SELECT c.id, c.assignee_id, CASE WHEN pg_temp.done_count(c.id) > 0 THEN 'callback' ELSE pg_temp.task_reason(c.opened_reason, c.priority) END,
			c.priority, c.due_at, 'pending', t.at, t.at
		FROM cases c, LATERAL (SELECT greatest(c.opened_at, least(c.due_at, {now}) - make_interval(mins => pg_temp.h(c.id, 380, 600))) AS at) AS t
		WHERE c.state <> 'closed'
		ORDER BY t.at`},
	{"case notes", `INSERT INTO notes (person_id, case_id, author_id, body, created_at)
		SELECT c.person_id, c.id, c.assignee_id, ({notes})[1 + pg_temp.h(c.id, 390, cardinality({notes}))],
			c.opened_at + (coalesce(c.closed_at, {now}) - c.opened_at) / 3
		FROM cases c WHERE pg_temp.h(c.id, 391, 10) < 2
		ORDER BY 5`},
	{"escalations", `INSERT INTO escalations (case_id, person_id, started_at, ended_at, outcome)
		SELECT c.id, c.person_id, c.opened_at, c.opened_at + interval '95 minutes',
			(ARRAY['acknowledged', 'acknowledged', 'acknowledged', 'nobody', 'no_contacts'])[1 + pg_temp.h(c.id, 400, 5)]
		FROM cases c WHERE c.priority = 'urgent' AND c.opened_reason = 'unreached'
		ORDER BY c.opened_at`},
	{"data issues", `INSERT INTO data_issues (person_id, kind, check_in_id, detail, occurrences, opened_at, last_seen_at, resolved_at, resolved_by)
		SELECT d.person_id, 'undeliverable', d.last_id, '404 Not Found', d.n, d.first_at, d.last_at,
			CASE WHEN pg_temp.h(d.person_id, 410, 10) >= 2 THEN d.last_at + interval '1 hour' END,
			CASE WHEN pg_temp.h(d.person_id, 410, 10) >= 2 THEN (SELECT min(id) FROM users WHERE 'coordinator' = ANY (roles)) END
		FROM (SELECT person_id, max(id) AS last_id, count(*) AS n, min(finished_at) AS first_at, max(finished_at) AS last_at
			FROM check_ins WHERE state = 'undeliverable' GROUP BY person_id) AS d
		ORDER BY d.first_at`},
	// What all that wrote in the audit log, in time order: enrolments, case
	// openings, follow-ups recorded (each after two views of the case),
	// closings, sign-ins.
	{"audit log", `INSERT INTO audit_log (at, actor_id, actor_label, action, person_id, case_id, details)
		SELECT * FROM (
			SELECT p.created_at, p.created_by, 'web', 'person.enrol', p.id, NULL::bigint,
				jsonb_build_object('via', 'web', 'referral_source', r.source, 'cron', p.cron_spec)
			FROM persons p JOIN referrals r ON r.person_id = p.id
			UNION ALL
			SELECT c.opened_at, c.opened_by, CASE WHEN c.opened_by IS NULL THEN 'calls' ELSE 'web' END, 'case.open', c.person_id, c.id,
				jsonb_build_object('reason', c.opened_reason)
			FROM cases c
			UNION ALL
			SELECT f.done_at - v.before, f.done_by, 'web', v.action, c.person_id, c.id, '{}'::jsonb
			FROM follow_ups f JOIN cases c ON c.id = f.case_id
			CROSS JOIN (VALUES (interval '9 minutes', 'case.view'), (interval '2 minutes', 'case.view'), (interval '0', 'follow_up.record')) AS v (before, action)
			WHERE f.state = 'done'
			UNION ALL
			SELECT c.closed_at, c.closed_by, 'web', 'case.close', c.person_id, c.id, jsonb_build_object('reason', c.closure_reason)
			FROM cases c WHERE c.state = 'closed'
			UNION ALL
			SELECT ({today} - d + time '09:02')::timestamp AT TIME ZONE 'Europe/Paris', s.user_id, 'web', 'user.login', NULL, NULL, '{}'::jsonb
			FROM (SELECT DISTINCT user_id, weekday FROM shifts) AS s
			CROSS JOIN generate_series(1, 60) AS d
			WHERE extract(isodow FROM {today} - d) = s.weekday
		) AS a
		ORDER BY 1`},
	{"planner state", `UPDATE planner_state SET planned_until = {now} + interval '36 hours', last_pass_at = {now} - interval '20 minutes', updated_at = {now} - interval '20 minutes'`},
	{"vacuum analyze", `VACUUM (ANALYZE)`},
}
