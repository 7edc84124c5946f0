package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSchedulePreview(t *testing.T) {
	t.Parallel()
	c := newCLI(t, "postgres://unused") // the preview needs no database

	r := c.run("", "schedule", "preview", "--cron", "0 10 * * MON,WED,FRI", "--window", "09:30-12:00", "--from", "2026-12-21", "--days", "10")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, "Planning « 0 10 * * MON,WED,FRI », plage 09:30–12:00, fuseau Europe/Paris, calendrier FR : 4 appels\n"+
		"lundi 21/12/2026 10:00 +01:00 09:00Z  appel\n"+
		"mercredi 23/12/2026 10:00 +01:00 09:00Z  appel\n"+
		"lundi 28/12/2026 10:00 +01:00 09:00Z  pas d'appel — regroupé avec l'appel de ce jour ; prévu vendredi 25/12/2026 10:00, jour férié (Noël)\n"+
		"lundi 28/12/2026 10:00 +01:00 09:00Z  appel\n"+
		"mercredi 30/12/2026 10:00 +01:00 09:00Z  appel\n", r.stdout)

	// JSON lines: local time with its offset, UTC, and why a call moved.
	r = c.run("", "schedule", "preview", "--cron", "0 10 * * FRI", "--tz", "America/Guadeloupe", "--window", "09:00-11:00",
		"--from", "2026-12-21", "--days", "7", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 1)
	var slot map[string]string
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &slot))
	require.Equal(t, map[string]string{
		"local": "2026-12-28T10:00:00-04:00", "utc": "2026-12-28T14:00:00Z", "status": "moved",
		"reason": "holiday", "closed": "holiday", "detail": "Noël", "moved_from": "2026-12-25T10:00:00-04:00",
	}, slot)

	// Alsace-Moselle keeps St Stephen's day.
	r = c.run("", "--lang", "en", "schedule", "preview", "--cron", "0 10 * * SAT", "--window", "09:00-12:00", "--from", "2026-12-21", "--days", "7", "--calendar", "fr-am")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "Monday 2026-12-28 10:00 +01:00 09:00Z  call moved — service closed that day ; planned for Saturday 2026-12-26 10:00")

	// A plan refused at enrolment is refused here, saying why.
	r = c.run("", "schedule", "preview", "--cron", "0 20 * * *", "--window", "09:00-12:00")
	require.Equal(t, exitInvalid, r.code)
	require.Equal(t, "planning : « tous les jours vers 20 h » appelle à 20:00, hors de la plage d'appel 09:00–12:00\n", r.stderr)
	r = c.run("", "schedule", "preview", "--cron", "0 10 * * MON", "--tz", "Mars/Olympus")
	require.Equal(t, exitInvalid, r.code)
	require.Contains(t, r.stderr, "« Mars/Olympus » n'est pas un fuseau horaire connu")

	for _, args := range [][]string{
		{"schedule"},
		{"schedule", "preview", "--cron", "0 10 * * MON", "--days", "0"},
		{"schedule", "preview", "--cron", "0 10 * * MON", "--from", "23/11/2026"},
		{"schedule", "preview", "--cron", "0 10 * * MON", "--calendar", "DE"},
	} {
		r = c.run("", args...)
		require.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
	}
}
