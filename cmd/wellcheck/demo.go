package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// demo runs wellcheck on a fresh demo database with fictitious persons whose
// calls come due within minutes, answered by the callee simulator: within
// five minutes a visitor sees check-ins confirmed, call-back requests and
// unreached persons on the listeners' lists, a number that does not work in
// the coordinators' queue, and an escalation to an emergency contact. The
// service is open every day at all hours, retries after a minute; the pages
// say it is a demo. Ctrl-C stops everything.
func (a *app) demo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	dbName := fs.String("database", "wellcheck_demo", "the demo's database on the configured server; emptied at each start")
	persons := fs.Int("persons", 36, "fictitious persons to enrol (12 to 200)")
	firstCall := fs.Duration("first-call", 0, "how much later than the next minute or so the first calls come due")
	logFile := fs.String("log-file", filepath.Join(os.TempDir(), "wellcheck-demo.log"), "where the demo's log goes (the terminal keeps what to do)")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if *persons < 12 || *persons > 200 {
		return &usageError{"--persons: between 12 and 200"}
	}
	// The terminal says what to do; the log, of every call and job, goes to a
	// file (its lines would bury the accounts' passwords).
	logs, err := os.Create(*logFile)
	if err != nil {
		return &usageError{fmt.Sprintf("--log-file: %v", err)}
	}
	defer logs.Close()
	if a.logger, err = a.cfg.logger(logs); err != nil {
		return err
	}
	dsn, err := pgx.ParseConfig(a.cfg.DatabaseURL)
	if err != nil {
		return &usageError{fmt.Sprintf("database URL: %v", err)}
	}
	if err := a.dropDatabase(ctx, dsn, *dbName); err != nil {
		return err
	}
	a.cfg.DatabaseURL = withDatabase(a.cfg.DatabaseURL, *dbName)
	if err := a.applyMigrations(ctx, true); err != nil {
		return err
	}
	st, err := a.open(ctx)
	if err != nil {
		return err
	}

	cast := demoCast(*persons)
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Numbers: cast.behaviours, Behaviour: callee.PressOne,
		Ring: 2 * time.Second, KeyDelay: 2 * time.Second, Logger: a.logger})
	if err != nil {
		return fmt.Errorf("start the callee simulator: %w", err)
	}
	defer ce.Close()
	// The demo's line: the simulator, unreached calls given up after 15 s.
	a.cfg.SIP.Trunk, a.cfg.SIP.Transport, a.cfg.SIP.Listen = ce.Addr().String(), "udp", "127.0.0.1:0"
	a.cfg.SIP.RingTimeout = 15 * time.Second
	// The demo's node keeps its journal of its own, beside any service on
	// the machine.
	if a.cfg.StateDir == "" {
		if a.cfg.StateDir, err = os.MkdirTemp("", "wellcheck-demo-state-"); err != nil {
			return err
		}
		defer os.RemoveAll(a.cfg.StateDir)
	}

	accounts, first, err := a.seedDemo(ctx, st, cast, *firstCall)
	if err != nil {
		return err
	}
	return a.runNode(ctx, allRoles, func(url string) {
		printDemo(a.stdout, url, accounts, first, len(cast.persons), *logFile)
	})
}

// dropDatabase empties the demo: its database is dropped, connections and all.
func (a *app) dropDatabase(ctx context.Context, cfg *pgx.ConnConfig, name string) error {
	if name == "" || name == "postgres" || name == cfg.Database && name != "wellcheck_demo" {
		return &usageError{fmt.Sprintf("--database %q: the demo drops its database at each start; give it one of its own", name)}
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		var connErr *pgconn.ConnectError
		if errors.As(err, &connErr) {
			return a.unreachable(err)
		}
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("empty the demo database %s: %w", name, err)
	}
	return nil
}

// demoPerson is one fictitious person of the demo and what their phone does.
type demoPerson struct {
	name, phone, language string
	behaviour             callee.Behaviour
	wave                  int  // their call comes due wave minutes after the first
	twice                 bool // called twice, two minutes apart: unreached twice, escalated
	contact               string
}

type cast struct {
	persons    []demoPerson
	behaviours map[string]callee.Behaviour
}

var demoNames = []string{
	"Jeanne Martin", "Paul Bernard", "Marcelle Thomas", "Lucien Petit", "Odette Robert", "René Richard",
	"Simone Durand", "Marcel Dubois", "Yvonne Moreau", "Georges Laurent", "Denise Simon", "Roger Michel",
	"Paulette Lefebvre", "André Leroy", "Germaine Roux", "Henri David", "Suzanne Bertrand", "Robert Morel",
	"Raymonde Fournier", "Maurice Girard", "Lucienne Bonnet", "Fernand Dupont", "Colette Lambert", "Gilbert Fontaine",
	"Ginette Rousseau", "Albert Vincent", "Huguette Muller", "Émile Lefèvre", "Margaret Blake", "Thomas Reid",
}

// demoCast makes n fictitious persons, on fictional numbers (ARCEP keeps
// 01 99 00 xx xx for fiction), with a realistic mix: most press 1, a few
// press 2, some never answer, one line busy, one number that does not work,
// an answering machine, and one person unreached twice whose contact is
// called.
func demoCast(n int) cast {
	c := cast{behaviours: map[string]callee.Behaviour{}}
	special := []callee.Behaviour{callee.PressTwo, callee.NeverAnswer, callee.PressTwo, callee.Busy, callee.NeverAnswer,
		callee.NotFound, callee.PressTwo, callee.NeverAnswer, callee.Silent, callee.Voicemail}
	for i := range n {
		p := demoPerson{name: demoNames[i%len(demoNames)], phone: fmt.Sprintf("+331990002%02d", i), language: "fr",
			behaviour: callee.PressOne, wave: i % 3}
		if i >= len(demoNames) {
			p.name += fmt.Sprintf(" (%d)", i/len(demoNames)+1)
		}
		if i < len(special) {
			p.behaviour = special[i]
		}
		if p.name == "Margaret Blake" || p.name == "Thomas Reid" {
			p.language = "en"
		}
		c.persons = append(c.persons, p)
	}
	// The first person who never answers is called twice, and their son is
	// called when they stay unreached.
	esc := &c.persons[1]
	esc.twice, esc.wave, esc.contact = true, 0, "+33199000301"
	c.behaviours[esc.contact] = callee.PressOne
	for _, p := range c.persons {
		c.behaviours[p.phone] = p.behaviour
	}
	return c
}

type demoAccount struct{ role, email, name, password string }

// seedDemo makes the demo's service (open every day at all hours, no public
// holiday, a retry after a minute), its accounts and its persons, whose
// calls come due from firstCall on; it returns the accounts and the first
// call's time.
func (a *app) seedDemo(ctx context.Context, st *store.Store, cast cast, firstCall time.Duration) ([]demoAccount, time.Time, error) {
	accounts := []demoAccount{
		{"admin", "admin@example.org", "Alice Administratrice", ""},
		{"coordinator", "coordinatrice@example.org", "Camille Coordinatrice", ""},
		{"listener", "ecoutant1@example.org", "Élise Écoutante", ""},
		{"listener", "ecoutant2@example.org", "Louis Écoutant", ""},
	}
	e, err := a.seedService(ctx, st, "demo", "wellcheck démo", wellcheck.RetryPolicy{MaxAttempts: 2, RetryMinutes: []int{1}}, accounts)
	if err != nil {
		return nil, time.Time{}, err
	}
	// Cron is by the minute: the first whole minute at least 20 s away (the
	// service starts meanwhile).
	first := time.Now().In(e.zone).Add(firstCall + 20*time.Second).Truncate(time.Minute).Add(time.Minute)
	for i, p := range cast.persons {
		at := []time.Time{first.Add(time.Duration(p.wave) * time.Minute)}
		if p.twice {
			at = append(at, at[0].Add(2*time.Minute))
		}
		if err := e.enrol(ctx, i, p, at...); err != nil {
			return nil, time.Time{}, err
		}
	}
	// Partner services to orient persons to (fictitious numbers, in the range
	// France keeps for fiction).
	office, err := a.administration(st)
	if err != nil {
		return nil, time.Time{}, err
	}
	for _, p := range []admin.PartnerInput{
		{Name: "Centre communal d'action sociale (fictif)", Kind: "aide sociale", Areas: "69003, 69007", Phone: "01 99 00 10 01", Hours: "lun.–ven. 9 h–12 h, 14 h–17 h"},
		{Name: "Portage de repas Lyon 3 (fictif)", Kind: "repas à domicile", Areas: "69003", Phone: "01 99 00 10 02", Hours: "lun.–sam. 8 h–13 h"},
		{Name: "Ligne d'écoute des aidants (fictive)", Kind: "soutien aux aidants", Phone: "01 99 00 10 03", Hours: "tous les jours 9 h–21 h"},
	} {
		if _, err := office.SavePartner(ctx, wellcheck.SystemActor("demo"), 0, p); err != nil {
			return nil, time.Time{}, fmt.Errorf("add the demo's partner %s: %w", p.Name, err)
		}
	}
	return accounts, first, nil
}

// seeded is a service seeded for fictitious persons: who enrols them, and
// the listeners who follow them.
type seeded struct {
	enroller    *enroll.Service
	coordinator wellcheck.User
	listeners   []string
	zone        *time.Location
	today       string
	via         string // what the enrolments say they came through
}

// seedService makes a service open every day at all hours, with no public
// holiday and the cut-off at 23:59, so that calls happen whatever the hour
// (the demo's and the soak's), retrying as retry says; then its accounts
// (their passwords made up), the listeners present at all hours. via names
// the command in the enrolments' audit.
func (a *app) seedService(ctx context.Context, st *store.Store, via, name string, retry wellcheck.RetryPolicy, accounts []demoAccount) (seeded, error) {
	q := st.Queries()
	settings, err := q.Settings(ctx)
	if err != nil {
		return seeded{}, err
	}
	allDay := wellcheck.Window{Start: wellcheck.Clock(0, 0), End: wellcheck.Clock(23, 59)}
	hours := map[time.Weekday]wellcheck.Window{}
	var shifts []store.Shift
	for d := time.Sunday; d <= time.Saturday; d++ {
		hours[d] = allDay
		shifts = append(shifts, store.Shift{Weekday: d, Window: allDay})
	}
	settings.Name, settings.HolidayCalendar, settings.Cutoff = name, "NONE", allDay.End
	settings.Retry = retry
	settings.MaxCallsPerDay, settings.UnreachedUrgentAfter = max(6, retry.MaxAttempts), 2
	settings.CallerName = name
	if err := st.WithTx(ctx, func(q *store.Queries) error {
		if err := q.SaveSettings(ctx, settings); err != nil {
			return err
		}
		return q.SetOpeningHours(ctx, hours)
	}); err != nil {
		return seeded{}, err
	}

	var s seeded
	for i := range accounts {
		acc := &accounts[i]
		u, err := wellcheck.NewUser(acc.email, acc.name, []string{acc.role}, []string{"fr", "en"}, 20)
		if err != nil {
			return seeded{}, err
		}
		acc.password = rand.Text()
		hash, err := admin.HashPassword(acc.password)
		if err != nil {
			return seeded{}, err
		}
		if u, err = q.CreateUserWithPassword(ctx, u, hash, time.Now()); err != nil {
			return seeded{}, err
		}
		switch acc.role {
		case "listener":
			s.listeners = append(s.listeners, acc.email)
			l, err := q.Listener(ctx, u.ID)
			if err != nil {
				return seeded{}, err
			}
			l.Shifts = shifts
			if err := q.SaveListener(ctx, l); err != nil {
				return seeded{}, err
			}
			if err := q.SetPresent(ctx, u.ID, true); err != nil {
				return seeded{}, err
			}
		case "coordinator":
			s.coordinator = u
		}
	}

	planner, err := a.planner(st)
	if err != nil {
		return seeded{}, err
	}
	s.enroller = a.enroller(st, planner)
	if s.zone, err = scheduler.LoadZone(cmp.Or(a.cfg.TimeZone, settings.TimeZone)); err != nil {
		return seeded{}, err
	}
	s.today = time.Now().In(s.zone).Format(time.DateOnly)
	s.via = via
	return s, nil
}

// enrol enrols the i-th fictitious person p, referred by family and
// consenting by phone, called every day at the times of day at (by the
// minute, in the service's zone); every other person has a listener as
// referent.
func (s seeded) enrol(ctx context.Context, i int, p demoPerson, at ...time.Time) error {
	var minutes, hours []string
	for _, t := range at {
		t = t.In(s.zone)
		minutes, hours = append(minutes, strconv.Itoa(t.Minute())), append(hours, strconv.Itoa(t.Hour()))
	}
	req := enroll.Request{
		Person:   enroll.PersonInput{FullName: p.name, Phone: p.phone, Language: p.language, City: "Lyon", Postcode: "69003"},
		Referral: enroll.ReferralInput{Source: string(wellcheck.ReferralFamily), ReferrerName: "Famille (fictive)"},
		Consent:  &enroll.ConsentInput{GivenBy: string(wellcheck.ConsentByPerson), GivenAt: s.today, Method: string(wellcheck.ConsentByPhone)},
		Plan:     enroll.PlanInput{Cron: strings.Join(minutes, ",") + " " + strings.Join(hours, ",") + " * * *", Window: "00:00-23:59"},
	}
	if i%2 == 0 && len(s.listeners) > 0 {
		req.Person.Referent = s.listeners[i/2%len(s.listeners)]
	}
	if p.contact != "" {
		req.Contacts = []enroll.ContactInput{{FullName: "Fils (fictif)", Relation: "fils", Phone: p.contact, Consent: "yes"}}
	}
	if _, err := s.enroller.Enroll(ctx, req, s.coordinator, s.via); err != nil {
		return fmt.Errorf("enrol the fictitious %s: %w", p.name, err)
	}
	return nil
}

func printDemo(w io.Writer, url string, accounts []demoAccount, first time.Time, persons int, logFile string) {
	fmt.Fprintf(w, "\nwellcheck demo is running: open %s\n\n", url)
	for _, acc := range accounts {
		fmt.Fprintf(w, "  %-12s %-27s %s\n", acc.role, acc.email, acc.password)
	}
	fmt.Fprintf(w, "\n%d fictitious persons are enrolled; their calls come due from %s (%s time), the rest within two minutes.\n",
		persons, first.Format("15:04"), first.Location())
	fmt.Fprintln(w, "The calls go to a telephone simulator: most press 1, some press 2, some never answer,")
	fmt.Fprintln(w, "one line is busy and one number does not work; one person stays unreached twice and")
	fmt.Fprintln(w, "their son is called. The demo service is open every day at all hours and retries after")
	fmt.Fprintln(w, "a minute, so everything shows within five minutes. Three fictitious partner services are")
	fmt.Fprintln(w, "in the directory, to orient persons to. Ctrl-C stops everything.")
	fmt.Fprintf(w, "\nThe log goes to %s (tail -f it to follow the calls).\n", logFile)
}

// withDatabase is dsn naming another database on the same server.
func withDatabase(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name // a keyword/value string: the last dbname wins
}
