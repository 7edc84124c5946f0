package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/scheduler"
)

func TestPersonChangesFromTheCommandLine(t *testing.T) {
	t.Parallel()
	c := withCoordinator(t)
	r := c.run("", jeanne...)
	require.Equal(t, exitOK, r.code, r.stderr)

	// Paused for a week: nothing is left to call within the planning horizon.
	until := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	r = c.run("", "person", "pause", "1", "--by", "claire@example.org", "--until", until)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "Personne n° 1 en pause jusqu'au ")
	require.Contains(t, r.stdout, "0 appel prévu.")

	r = c.run("", "person", "pause", "1", "--by", "claire@example.org", "--until", "hier")
	require.Equal(t, exitInvalid, r.code)
	require.Equal(t, "« hier » n'est pas une date (AAAA-MM-JJ ou AAAA-MM-JJTHH:MM)\n", r.stderr)
	r = c.run("", "person", "pause", "1", "--by", "claire@example.org", "--until", "2020-01-01")
	require.Equal(t, exitInvalid, r.code)
	require.Contains(t, r.stderr, "doit être dans le futur")

	r = c.run("", "person", "resume", "1", "--by", "claire@example.org")
	require.Equal(t, exitOK, r.code, r.stderr)
	r = c.run("", "--lang", "en", "person", "resume", "1", "--by", "claire@example.org")
	require.Equal(t, exitConflict, r.code)
	require.Equal(t, "this person is not paused\n", r.stderr)

	r = c.run("", "person", "plan", "1", "--by", "claire@example.org", "--cron", "0 20 * * *", "--window", "19:00-21:00")
	require.Equal(t, exitInvalid, r.code)
	require.Contains(t, r.stderr, "dépasse les heures d'ouverture du service")

	r = c.run("", "person", "withdraw", "1", "--by", "claire@example.org")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, "Personne n° 1 : consentement retiré, plus aucun appel.\n0 appel prévu.\n", r.stdout)
	r = c.run("", "person", "plan", "1", "--by", "claire@example.org", "--cron", "0 10 * * *", "--window", "09:30-12:00")
	require.Equal(t, exitConflict, r.code)
	require.Contains(t, r.stderr, "a retiré son consentement")

	r = c.run("", "person", "pause", "42", "--by", "claire@example.org", "--until", until)
	require.Equal(t, exitInvalid, r.code, "an unknown person")
	r = c.run("", "person", "pause", "un", "--by", "claire@example.org")
	require.Equal(t, exitUsage, r.code)
}

func TestClosuresFromTheCommandLine(t *testing.T) {
	t.Parallel()
	c := withCoordinator(t)
	r := c.run("", jeanne...)
	require.Equal(t, exitOK, r.code, r.stderr)

	r = c.run("", "closure", "add", "--by", "claire@example.org", "--from", "2026-13-01", "--reason", "x")
	require.Equal(t, exitInvalid, r.code)
	require.Contains(t, r.stderr, "« 2026-13-01 » n'est pas une date")
	// A Monday and Tuesday to come, with Wednesday open after them, whatever
	// today is: the CLI runs on the machine's clock.
	monday := openWeek(t, time.Now())
	mon, tue, wed := monday.Format(time.DateOnly), monday.AddDate(0, 0, 1).Format(time.DateOnly), monday.AddDate(0, 0, 2).Format(time.DateOnly)
	r = c.run("", "--lang", "en", "closure", "add", "--by", "claire@example.org", "--from", tue, "--to", mon)
	require.Equal(t, exitInvalid, r.code)
	require.Equal(t, "closure end: the closure ends before it starts\nclosure reason: required\n", r.stderr)

	r = c.run("", "closure", "add", "--by", "claire@example.org", "--from", mon, "--to", tue, "--reason", "inventaire")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, "Fermeture n° 1 enregistrée, du "+monday.Format("02/01/2006")+" au "+monday.AddDate(0, 0, 1).Format("02/01/2006")+
		".\nAppels replanifiés pour 1 personne.\n", r.stdout)
	r = c.run("", "closure", "list")
	require.Equal(t, "1\t"+mon+"\t"+tue+"\tinventaire\n", r.stdout)
	// The preview can follow the service's own calendar: Monday and Tuesday
	// are closed, the Monday call moves to Wednesday.
	r = c.run("", "schedule", "preview", "--service", "--cron", "0 10 * * MON", "--from", mon, "--days", "2", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	local := func(day string) string { return day + "T10:00:00" + monday.Format("-07:00") }
	require.JSONEq(t, `{"local": "`+local(wed)+`", "utc": "`+wed+`T`+monday.Add(2*time.Hour).UTC().Format("15:04:05")+`Z", "status": "moved", "reason": "closure",
		"closed": "closure", "detail": "inventaire", "moved_from": "`+local(mon)+`"}`, r.stdout)
	r = c.run("", "schedule", "preview", "--service", "--calendar", "BE", "--cron", "0 10 * * MON")
	require.Equal(t, exitUsage, r.code)

	r = c.run("", "closure", "delete", "1", "--by", "claire@example.org")
	require.Equal(t, exitOK, r.code, r.stderr)
	r = c.run("", "closure", "delete", "1", "--by", "claire@example.org")
	require.Equal(t, exitInvalid, r.code, "already gone")
	r = c.run("", "closure", "list")
	require.Empty(t, r.stdout)
	pool := dbtest.Connect(t, c.env["WELLCHECK_DATABASE_URL"])
	require.Equal(t, map[string]int{"cli closure.add": 1, "cli closure.delete": 1}, auditActions(t, pool, "closure.%"), "the service's calendar changes are audited")
}

// openWeek is 08:00 in Paris on the first Monday at least two weeks after
// now whose Monday, Tuesday and Wednesday are open days of the default
// calendar (no public holiday), so that a test of closures reads the same
// whatever day it runs on.
func openWeek(t *testing.T, now time.Time) time.Time {
	t.Helper()
	cal, err := scheduler.NewCalendar(wellcheck.DefaultSettings(), nil)
	require.NoError(t, err)
	d := now.In(cal.Loc).AddDate(0, 0, 14)
	d = time.Date(d.Year(), d.Month(), d.Day(), 8, 0, 0, 0, cal.Loc)
	for ; ; d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Monday {
			continue
		}
		open := true
		for i := range 3 {
			if reason, _ := cal.Closed(d.AddDate(0, 0, i)); reason != "" {
				open = false
			}
		}
		if open {
			return d
		}
	}
}
