package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// Settings reads the service settings and opening hours.
func (q *Queries) Settings(ctx context.Context) (wellcheck.Settings, error) {
	row, err := q.q.GetSettings(ctx)
	if err != nil {
		return wellcheck.Settings{}, translate(err, "read service settings")
	}
	hours, err := q.q.ListOpeningHours(ctx)
	if err != nil {
		return wellcheck.Settings{}, translate(err, "read opening hours")
	}
	s := wellcheck.Settings{
		Name:                 row.Name,
		TimeZone:             row.TimeZone,
		HolidayCalendar:      row.HolidayCalendar,
		DefaultRegion:        row.DefaultRegion,
		Cutoff:               timeOfDay(row.Cutoff),
		Retry:                wellcheck.RetryPolicy{MaxAttempts: int(row.MaxAttempts), RetryMinutes: ints(row.RetryMinutes)},
		MaxCallsPerDay:       int(row.MaxCallsPerDay),
		UnreachedUrgentAfter: int(row.UnreachedUrgentAfter),
		CallerNumber:         row.CallerNumber,
		CallerName:           row.CallerName,
		Hours:                make(map[time.Weekday]wellcheck.Window, len(hours)),

		EscalationNeedsConsent: row.EscalationNeedsConsent,
		KeepClosedCasesDays:    int(row.KeepClosedCasesDays),
		KeepWithdrawnDays:      int(row.KeepWithdrawnDays),
		KeepAuditDays:          int(row.KeepAuditDays),
		VoicemailMessage:       row.VoicemailMessage,
	}
	for _, h := range hours {
		s.Hours[time.Weekday(h.Weekday%7)] = wellcheck.Window{Start: timeOfDay(h.Opens), End: timeOfDay(h.Closes)}
	}
	return s, nil
}

// timeZoneNames is the one query sqlc cannot check: pg_timezone_names is
// outside the schema it reads.
const timeZoneNames = `SELECT name FROM pg_timezone_names
WHERE name ~ '^(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)/' OR name = 'UTC'
ORDER BY name`

// TimeZoneNames are the IANA time zones a person may live in, by name, as
// Postgres knows them (pg_timezone_names): every continent's and ocean's
// place (with their old names, America/Montreal) and UTC, without the
// posix/, Etc/, SystemV/ and legacy aliases such as US/Eastern.
func (q *Queries) TimeZoneNames(ctx context.Context) ([]string, error) {
	rows, err := q.db.Query(ctx, timeZoneNames)
	if err != nil {
		return nil, translate(err, "list time zone names")
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate(err, "list time zone names")
	}
	return names, nil
}

func ints(xs []int16) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x)
	}
	return out
}

func int16s(xs []int) []int16 {
	if xs == nil {
		return nil
	}
	out := make([]int16, len(xs))
	for i, x := range xs {
		out[i] = int16(x)
	}
	return out
}

// SetOpeningHours replaces the opening hours: a weekday missing from hours is
// closed.
func (q *Queries) SetOpeningHours(ctx context.Context, hours map[time.Weekday]wellcheck.Window) error {
	if err := q.q.ClearOpeningHours(ctx); err != nil {
		return translate(err, "clear opening hours")
	}
	for d, w := range hours {
		day := int16(d)
		if d == time.Sunday {
			day = 7
		}
		if err := q.q.AddOpeningHours(ctx, dbsqlc.AddOpeningHoursParams{Weekday: day, Opens: pgTime(w.Start), Closes: pgTime(w.End)}); err != nil {
			return translate(err, "set opening hours")
		}
	}
	return nil
}

// SaveSettings writes what admins change of the service's settings from the
// web interface: holiday calendar, cut-off, retry policy, calls per day, when
// unreached turns urgent, caller ID, escalation consent and retention (closed
// cases, withdrawn persons, the audit log), the voicemail message. The
// time zone, phone region and opening hours are set elsewhere.
func (q *Queries) SaveSettings(ctx context.Context, s wellcheck.Settings) error {
	err := q.q.UpdateServiceSettings(ctx, dbsqlc.UpdateServiceSettingsParams{
		HolidayCalendar: s.HolidayCalendar, Cutoff: pgTime(s.Cutoff), MaxAttempts: int16(s.Retry.MaxAttempts),
		RetryMinutes: int16s(s.Retry.RetryMinutes), MaxCallsPerDay: int16(s.MaxCallsPerDay), UnreachedUrgentAfter: int16(s.UnreachedUrgentAfter),
		CallerNumber: s.CallerNumber, CallerName: s.CallerName, EscalationNeedsConsent: s.EscalationNeedsConsent,
		KeepClosedCasesDays: int32(s.KeepClosedCasesDays), KeepWithdrawnDays: int32(s.KeepWithdrawnDays),
		KeepAuditDays: int32(s.KeepAuditDays), VoicemailMessage: s.VoicemailMessage,
	})
	return translate(err, "save the service's settings")
}
