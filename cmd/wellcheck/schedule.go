package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/scheduler"
)

// schedule preview prints the calls a plan would produce, with the same rules the
// scheduler applies. By default it needs no database: it uses the default service
// hours (Mon–Fri 09:00–17:00, Europe/Paris) and the chosen holiday calendar. With
// --service it uses the service's own hours, holidays and closures.
func (a *app) schedule(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "preview" {
		return &usageError{"usage: wellcheck schedule preview --cron SPEC [--tz ZONE] [--window HH:MM-HH:MM] [--from YYYY-MM-DD] [--days N] [--calendar FR|FR-AM|BE | --service] [--json]"}
	}
	fs := flag.NewFlagSet("schedule preview", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	spec := fs.String("cron", "", "5-field cron spec in the person's time zone (required)")
	zone := fs.String("tz", "", "the person's IANA time zone (default: the service's)")
	window := fs.String("window", "", "daily call window HH:MM-HH:MM (default: opening hours)")
	fromFlag := fs.String("from", "", "first day, YYYY-MM-DD (default: today)")
	days := fs.Int("days", 14, "number of days, 1 to 400")
	holidays := fs.String("calendar", "FR", "public holidays: FR, FR-AM (Alsace-Moselle), BE")
	service := fs.Bool("service", false, "use the service's hours, holidays and closures from the database")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if err := fs.Parse(args[1:]); err != nil {
		return flagError(err)
	}
	var closures []wellcheck.Closure
	settings := wellcheck.DefaultSettings()
	settings.HolidayCalendar = strings.ToUpper(*holidays)
	if *service {
		calendarSet := false
		fs.Visit(func(f *flag.Flag) { calendarSet = calendarSet || f.Name == "calendar" })
		if calendarSet {
			return &usageError{"schedule preview: --service uses the service's holiday calendar; leave out --calendar"}
		}
		st, err := a.open(ctx)
		if err != nil {
			return err
		}
		if settings, err = st.Queries().Settings(ctx); err != nil {
			return err
		}
		if closures, err = st.Queries().Closures(ctx, time.Now().AddDate(0, -3, 0)); err != nil {
			return err
		}
	}
	if a.cfg.TimeZone != "" {
		settings.TimeZone = a.cfg.TimeZone
	}
	cal, err := scheduler.NewCalendar(settings, closures)
	if err != nil {
		return &usageError{err.Error()}
	}
	if *days < 1 || *days > enroll.MaxPreviewDays {
		return &usageError{fmt.Sprintf("--days: from 1 to %d", enroll.MaxPreviewDays)}
	}
	from := time.Now().In(cal.Loc)
	if *fromFlag != "" {
		if from, err = time.ParseInLocation(time.DateOnly, *fromFlag, cal.Loc); err != nil {
			return &usageError{fmt.Sprintf("--from %q: use YYYY-MM-DD", *fromFlag)}
		}
	}

	// The plan is checked as at enrolment: what would be refused is refused here.
	checker, err := enroll.NewChecker(settings, closures, string(a.cfg.Lang), from)
	if err != nil {
		return err
	}
	preview, err := checker.Preview(enroll.PlanInput{Cron: *spec, Window: *window}, *zone, from, *days, time.Time{})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		for _, s := range preview.Slots {
			line := map[string]string{
				"local": s.At.Format(time.RFC3339), "utc": s.At.UTC().Format(time.RFC3339), "status": s.Status,
			}
			if s.Reason != "" {
				line["reason"] = s.Reason
			}
			if s.Cause != "" {
				line["closed"] = s.Cause
			}
			if s.Detail != "" {
				line["detail"] = s.Detail
			}
			if s.At != s.Fire {
				line["moved_from"] = s.Fire.Format(time.RFC3339)
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
		return nil
	}
	for _, w := range preview.Warnings {
		a.say("cli_warning", w.Text(a.cfg.Lang))
	}
	a.say("cli_preview_head", preview.Plan.Cron, preview.Plan.Window.String(), preview.Zone.String(), settings.HolidayCalendar, preview.Calls())
	for _, s := range preview.Slots {
		// For operators: the local time with its offset, and UTC.
		local := scheduler.LocalTime(s.At, a.cfg.Lang) + " " + s.At.Format("-07:00")
		fmt.Fprintf(a.stdout, "%-28s %s  %s\n", local, s.At.UTC().Format("15:04Z"), s.Describe(a.cfg.Lang))
	}
	return nil
}
