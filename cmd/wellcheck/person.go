package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// planner is the planner every command that changes who is called uses: it
// enqueues call jobs through an insert-only River client, and hands check-ins
// it finds missed to listeners by the call workers' rules.
func (a *app) planner(st *store.Store) (*scheduler.Planner, error) {
	queue, err := jobs.NewJobs(st.Pool(), a.logger)
	if err != nil {
		return nil, err
	}
	return &scheduler.Planner{Store: st, Jobs: queue, HandOn: a.care(st, queue), Logger: a.logger, Horizon: a.cfg.PlanHorizon, TimeZone: a.cfg.TimeZone}, nil
}

// care is the care that follows the calls, as every role builds it.
func (a *app) care(st *store.Store, queue *jobs.Jobs) *care.Cases {
	return &care.Cases{Store: st, Queue: queue, Logger: a.logger, TimeZone: a.cfg.TimeZone}
}

// administration is the administration's use cases, as the command line
// runs them: planner passes queued through an insert-only River client.
func (a *app) administration(st *store.Store) (*admin.Service, error) {
	queue, err := jobs.NewJobs(st.Pool(), a.logger)
	if err != nil {
		return nil, err
	}
	return a.admin(st, queue), nil
}

// office opens the database for a command of the administration's.
func (a *app) office(ctx context.Context) (*store.Store, *admin.Service, error) {
	st, err := a.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	svc, err := a.administration(st)
	return st, svc, err
}

// admin is the administration's use cases, queueing planner passes through
// queue.
func (a *app) admin(st *store.Store, queue *jobs.Jobs) *admin.Service {
	return &admin.Service{Store: st, Passes: queue, Logger: a.logger, TimeZone: a.cfg.TimeZone, SecretKey: a.cfg.SecretKey}
}

const personUsage = `usage:
  wellcheck person plan ID --by EMAIL --cron SPEC [--window HH:MM-HH:MM] [--tz ZONE]
  wellcheck person pause ID --by EMAIL --until YYYY-MM-DD
  wellcheck person resume ID --by EMAIL
  wellcheck person withdraw ID --by EMAIL
  wellcheck person calls ID`

// person changes an enrolment; each change re-plans the person at once.
func (a *app) person(ctx context.Context, args []string) error {
	if len(args) < 2 {
		return &usageError{personUsage}
	}
	verb := args[0]
	id, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || id <= 0 {
		return &usageError{fmt.Sprintf("person %s: %q is not a person number\n%s", verb, args[1], personUsage)}
	}
	fs := flag.NewFlagSet("person "+verb, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	by := fs.String("by", "", "e-mail of the coordinator making the change (required)")
	var plan enroll.PlanInput
	var zone, until string
	switch verb {
	case "plan":
		fs.StringVar(&plan.Cron, "cron", "", "when to call: 5-field cron in the person's time zone")
		fs.StringVar(&plan.Window, "window", "", "daily call window HH:MM-HH:MM (default: opening hours)")
		fs.StringVar(&zone, "tz", "", "person's IANA time zone (default: unchanged)")
		fs.IntVar(&plan.MaxAttempts, "max-attempts", 0, "attempts per check-in (default: unchanged)")
		fs.StringVar(&plan.RetryMinutes, "retry-minutes", "", "minutes between attempts (default: unchanged)")
	case "pause":
		fs.StringVar(&until, "until", "", "the day calls resume, YYYY-MM-DD in the person's time zone (required)")
	case "resume", "withdraw", "calls":
	default:
		return &usageError{fmt.Sprintf("person: unknown change %q\n%s", verb, personUsage)}
	}
	if err := fs.Parse(args[2:]); err != nil {
		return flagError(err)
	}
	st, err := a.open(ctx)
	if err != nil {
		return err
	}
	if verb == "calls" {
		return a.printCalls(ctx, st, id)
	}
	if *by == "" {
		return &usageError{fmt.Sprintf("person %s: --by EMAIL (the coordinator making the change) is required", verb)}
	}
	svc, coordinator, err := a.enrollAs(ctx, *by)
	if err != nil {
		return err
	}
	switch verb {
	case "plan":
		p, warnings, err := svc.EditPlan(ctx, id, plan, zone, coordinator, "cli")
		if err != nil {
			return err
		}
		a.say("cli_person_plan", id, p.Cron, p.Window.String())
		for _, w := range warnings {
			a.say("cli_warning", w.Text(a.cfg.Lang))
		}
	case "pause":
		loc, err := personZone(ctx, st, id)
		if err != nil {
			return err
		}
		day, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(until), loc)
		if err != nil {
			return wellcheck.Errorf(wellcheck.EInvalid, "date_invalid", until)
		}
		if err := svc.Pause(ctx, id, day, coordinator, "cli"); err != nil {
			return err
		}
		a.say("cli_person_paused", id, wellcheck.Date(day))
	case "resume":
		if err := svc.Resume(ctx, id, coordinator, "cli"); err != nil {
			return err
		}
		a.say("cli_person_resumed", id)
	case "withdraw":
		if err := svc.Withdraw(ctx, id, coordinator, "cli"); err != nil {
			return err
		}
		a.say("cli_person_withdrawn", id)
	}
	return a.printCalls(ctx, st, id)
}

// personZone is the time zone person id lives in.
func personZone(ctx context.Context, st *store.Store, id int64) (*time.Location, error) {
	person, _, err := st.Queries().Person(ctx, id)
	if err != nil {
		return nil, err
	}
	return scheduler.LoadZone(person.TimeZone)
}

// printCalls lists a person's check-ins still to come, in their time zone.
func (a *app) printCalls(ctx context.Context, st *store.Store, id int64) error {
	loc, err := personZone(ctx, st, id)
	if err != nil {
		return err
	}
	rows, err := st.Queries().CheckInsForPerson(ctx, id)
	if err != nil {
		return err
	}
	shown := 0
	for _, r := range rows {
		if r.State != wellcheck.CheckInPlanned {
			continue
		}
		fmt.Fprintf(a.stdout, "  %s  %s\n", r.SlotAt.In(loc).Format("2006-01-02 15:04 -07:00"), r.SlotAt.UTC().Format(time.RFC3339))
		shown++
	}
	a.say("cli_person_calls", shown)
	return nil
}

const closureUsage = `usage:
  wellcheck closure add --by EMAIL --from YYYY-MM-DD [--to YYYY-MM-DD] --reason TEXT
  wellcheck closure list
  wellcheck closure delete ID --by EMAIL`

// closure manages the service's closures; adding or removing one re-plans
// everyone.
func (a *app) closure(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{closureUsage}
	}
	verb := args[0]
	fs := flag.NewFlagSet("closure "+verb, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	by := fs.String("by", "", "e-mail of the admin or coordinator (required)")
	from := fs.String("from", "", "first closed day, YYYY-MM-DD")
	to := fs.String("to", "", "last closed day, YYYY-MM-DD (default: --from)")
	reason := fs.String("reason", "", "why the service is closed, shown to coordinators")
	rest := args[1:]
	var id int64
	if verb == "delete" {
		if len(rest) == 0 {
			return &usageError{closureUsage}
		}
		var err error
		if id, err = strconv.ParseInt(rest[0], 10, 64); err != nil {
			return &usageError{fmt.Sprintf("closure delete: %q is not a closure number", rest[0])}
		}
		rest = rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return flagError(err)
	}
	st, err := a.open(ctx)
	if err != nil {
		return err
	}
	q := st.Queries()
	switch verb {
	case "list":
		closures, err := q.Closures(ctx, time.Now().AddDate(0, 0, -1))
		if err != nil {
			return err
		}
		for _, c := range closures {
			fmt.Fprintf(a.stdout, "%d\t%s\t%s\t%s\n", c.ID, c.From.Format(time.DateOnly), c.To.Format(time.DateOnly), c.Reason)
		}
		return nil
	case "add", "delete":
	default:
		return &usageError{fmt.Sprintf("closure: unknown command %q\n%s", verb, closureUsage)}
	}
	if *by == "" {
		return &usageError{fmt.Sprintf("closure %s: --by EMAIL is required", verb)}
	}
	svc, user, err := a.enrollAs(ctx, *by)
	if err != nil {
		return err
	}
	// The change, its audit record and its planner pass, as the settings
	// page makes them.
	office, err := a.administration(st)
	if err != nil {
		return err
	}
	actor := wellcheck.UserActor(user.ID, wellcheck.ViaCLI)
	if verb == "add" {
		c, err := wellcheck.NewClosure(*from, *to, *reason)
		if err != nil {
			return err
		}
		if c, err = office.AddClosure(ctx, actor, c); err != nil {
			return err
		}
		a.say("cli_closure_added", c.ID, wellcheck.Date(c.From), wellcheck.Date(c.To))
	} else {
		if err := office.DeleteClosure(ctx, actor, id); err != nil {
			return err
		}
		a.say("cli_closure_deleted", id)
	}
	// The pass queued reconciles everyone with the new calendar once a
	// scheduler node runs it; the command line runs one now as well, so that
	// what it prints is already true. Should it fail, the queued one does it.
	stats, err := svc.Planner.Pass(ctx)
	if err != nil {
		return err
	}
	a.say("cli_replanned", stats.Persons)
	return nil
}
