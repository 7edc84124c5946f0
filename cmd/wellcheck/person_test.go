package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wellcheck/wellcheck/internal/dbtest"
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
	require.Contains(t, r.stdout, "0 appel(s) prévu(s).")

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
	require.Equal(t, "Personne n° 1 : consentement retiré, plus aucun appel.\n0 appel(s) prévu(s).\n", r.stdout)
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
	r = c.run("", "--lang", "en", "closure", "add", "--by", "claire@example.org", "--from", "2027-01-05", "--to", "2027-01-04")
	require.Equal(t, exitInvalid, r.code)
	require.Equal(t, "closure end: the closure ends before it starts\nclosure reason: required\n", r.stderr)

	r = c.run("", "closure", "add", "--by", "claire@example.org", "--from", "2027-01-04", "--to", "2027-01-05", "--reason", "inventaire")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, "Fermeture n° 1 enregistrée, du 04/01/2027 au 05/01/2027.\nAppels replanifiés pour 1 personne(s).\n", r.stdout)
	r = c.run("", "closure", "list")
	require.Equal(t, "1\t2027-01-04\t2027-01-05\tinventaire\n", r.stdout)
	// The preview can follow the service's own calendar: Monday and Tuesday
	// are closed, the Monday call moves to Wednesday.
	r = c.run("", "schedule", "preview", "--service", "--cron", "0 10 * * MON", "--from", "2027-01-04", "--days", "2", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.JSONEq(t, `{"local": "2027-01-06T10:00:00+01:00", "utc": "2027-01-06T09:00:00Z", "status": "moved", "reason": "closure",
		"closed": "closure", "detail": "inventaire", "moved_from": "2027-01-04T10:00:00+01:00"}`, r.stdout)
	r = c.run("", "schedule", "preview", "--service", "--calendar", "BE", "--cron", "0 10 * * MON")
	require.Equal(t, exitUsage, r.code)

	r = c.run("", "closure", "delete", "1", "--by", "claire@example.org")
	require.Equal(t, exitOK, r.code, r.stderr)
	r = c.run("", "closure", "delete", "1", "--by", "claire@example.org")
	require.Equal(t, exitInvalid, r.code, "already gone")
	r = c.run("", "closure", "list")
	require.Empty(t, r.stdout)
	pool := dbtest.Connect(t, c.env["WELLCHECK_DATABASE_URL"])
	require.Equal(t, map[string]int{"cli:claire@example.org closure.add": 1, "cli:claire@example.org closure.delete": 1}, auditActions(t, pool, "closure.%"), "the service's calendar changes are audited")
}
