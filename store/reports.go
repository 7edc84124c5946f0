package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// Counts are what happened on a day, by metric: "check_in.confirmed",
// "calls.placed", "calls.retried", "case.opened.flagged", "case.closed.resolved",
// "follow_up.reached"… (see report_day in migrations 0009 and 0016).
type Counts map[string]int64

// Sum adds up the metrics that start with prefix ("case.closed.").
func (c Counts) Sum(prefix string) int64 {
	var n int64
	for k, v := range c {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

// Day is a date in the service's zone and its counts.
type Day struct {
	Date   time.Time // midnight UTC of the date
	Counts Counts
}

// Overview is the service today at a glance.
type Overview struct {
	Today Counts
	CaseCounts
	ChannelsInUse int
	Listeners     []ListenerLoad
}

// CaseCounts are the open cases: in the shared pool, with a listener, urgent.
type CaseCounts struct {
	Pool, Assigned, Urgent int
}

// OpenCases counts the open cases.
func (q *Queries) OpenCases(ctx context.Context) (CaseCounts, error) {
	c, err := q.q.OpenCaseCounts(ctx)
	if err != nil {
		return CaseCounts{}, translate(err, "count open cases")
	}
	return CaseCounts{Pool: int(c.Pool), Assigned: int(c.Assigned), Urgent: int(c.Urgent)}, nil
}

// Overview counts today (in zone) so far: check-ins by state, calls placed,
// cases, follow-ups; the open cases, the channels in use now, and each
// listener's load.
func (q *Queries) Overview(ctx context.Context, zone *time.Location, now time.Time) (Overview, error) {
	today, err := q.reportDay(ctx, now.In(zone), zone)
	if err != nil {
		return Overview{}, err
	}
	cases, err := q.OpenCases(ctx)
	if err != nil {
		return Overview{}, err
	}
	channels, err := q.q.ChannelsInUse(ctx, &now)
	if err != nil {
		return Overview{}, translate(err, "count channels in use")
	}
	listeners, err := q.Listeners(ctx)
	if err != nil {
		return Overview{}, err
	}
	return Overview{Today: today, CaseCounts: cases, ChannelsInUse: int(channels), Listeners: listeners}, nil
}

// ReportDays returns every day from from to to (dates in zone, to at most
// today), oldest first. Days that are over are counted once and kept; today
// is counted as it stands.
func (q *Queries) ReportDays(ctx context.Context, zone *time.Location, from, to, now time.Time) ([]Day, error) {
	today := dateOf(now.In(zone))
	from, to = dateOf(from), dateOf(to)
	if to.After(today) {
		to = today
	}
	if to.Before(from) {
		return nil, nil
	}
	if over := today.AddDate(0, 0, -1); !over.Before(from) {
		if to.Before(over) {
			over = to
		}
		err := q.q.FillReportDays(ctx, dbsqlc.FillReportDaysParams{Zone: zone.String(), Now: now,
			FromDay: pgDate(from), ToDay: pgDate(over)})
		if err != nil {
			return nil, translate(err, "count the days over")
		}
	}
	rows, err := q.q.ListReportDays(ctx, dbsqlc.ListReportDaysParams{FromDay: pgDate(from), ToDay: pgDate(to)})
	if err != nil {
		return nil, translate(err, "read the days' counts")
	}
	days := make([]Day, 0, len(rows)+1)
	for _, r := range rows {
		var c Counts
		if err := json.Unmarshal(r.Counts, &c); err != nil {
			return nil, fmt.Errorf("read the counts of %s: %w", r.Day.Time.Format(time.DateOnly), err)
		}
		days = append(days, Day{Date: r.Day.Time, Counts: c})
	}
	if to.Equal(today) {
		c, err := q.reportDay(ctx, today, zone)
		if err != nil {
			return nil, err
		}
		days = append(days, Day{Date: today, Counts: c})
	}
	return days, nil
}

func (q *Queries) reportDay(ctx context.Context, day time.Time, zone *time.Location) (Counts, error) {
	raw, err := q.q.ReportDay(ctx, dbsqlc.ReportDayParams{Day: pgDate(day), Zone: zone.String()})
	if err != nil {
		return nil, translate(err, "count a day")
	}
	var c Counts
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("read a day's counts: %w", err)
	}
	return c, nil
}

// dateOf is t's date as midnight UTC (how dates travel to Postgres).
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ExportedCheckIn is a check-in as an export lists it.
type ExportedCheckIn struct {
	ID, PersonID       int64
	FullName           string
	SlotAt             time.Time
	State, StateReason string
	Calls              int
	LastOutcome        string
}

// ExportedCase is a case as an export lists it.
type ExportedCase struct {
	ID, PersonID                  int64
	FullName                      string
	OpenedAt                      time.Time
	OpenedReason, Priority, State string
	Assignee                      string
	ClosedAt                      *time.Time
	ClosureReason                 string
	PersonAgreed                  *bool
	FollowUpsDone                 int
}

// exportPage is how many rows an export reads at a time: memory stays flat
// however long the period.
const exportPage = 5000

// ExportCheckIns calls each for every check-in whose slot is in [from, to),
// in slot order.
func (q *Queries) ExportCheckIns(ctx context.Context, from, to time.Time, each func(ExportedCheckIn) error) error {
	return inPages(func(at time.Time, id int64) ([]dbsqlc.ExportCheckInsRow, error) {
		return q.q.ExportCheckIns(ctx, dbsqlc.ExportCheckInsParams{FromAt: from, ToAt: to, AfterSlot: at, AfterID: id, PageSize: exportPage})
	}, func(r dbsqlc.ExportCheckInsRow) (time.Time, int64, error) {
		return r.SlotAt, r.ID, each(ExportedCheckIn{ID: r.ID, PersonID: r.PersonID, FullName: r.FullName, SlotAt: r.SlotAt,
			State: r.State, StateReason: r.StateReason, Calls: int(r.Calls), LastOutcome: r.LastOutcome})
	}, "export check-ins")
}

// ExportCases calls each for every case opened in [from, to), oldest first.
func (q *Queries) ExportCases(ctx context.Context, from, to time.Time, each func(ExportedCase) error) error {
	return inPages(func(at time.Time, id int64) ([]dbsqlc.ExportCasesRow, error) {
		return q.q.ExportCases(ctx, dbsqlc.ExportCasesParams{FromAt: from, ToAt: to, AfterOpened: at, AfterID: id, PageSize: exportPage})
	}, func(r dbsqlc.ExportCasesRow) (time.Time, int64, error) {
		return r.OpenedAt, r.ID, each(ExportedCase{ID: r.ID, PersonID: r.PersonID, FullName: r.FullName, OpenedAt: r.OpenedAt,
			OpenedReason: r.OpenedReason, Priority: string(r.Priority), State: r.State, Assignee: r.Assignee,
			ClosedAt: r.ClosedAt, ClosureReason: r.ClosureReason, PersonAgreed: r.PersonAgreed, FollowUpsDone: int(r.FollowUpsDone)})
	}, "export cases")
}

// inPages reads rows a page at a time, each page after the last row of the
// one before (by time, then id), and hands every row to each.
func inPages[R any](page func(time.Time, int64) ([]R, error), each func(R) (time.Time, int64, error), doing string) error {
	at, id := time.Time{}, int64(0)
	for {
		rows, err := page(at, id)
		if err != nil {
			return translate(err, doing)
		}
		for _, r := range rows {
			if at, id, err = each(r); err != nil {
				return err
			}
		}
		if len(rows) < exportPage {
			return nil
		}
	}
}

// uploadLife is how long an uploaded register waits for its confirmation.
const uploadLife = time.Hour

// SaveUpload keeps a register a user uploaded until they confirm its import
// (an hour at most), and forgets older ones; it returns its id.
func (q *Queries) SaveUpload(ctx context.Context, userID int64, fileName string, body []byte, now time.Time) (int64, error) {
	if _, err := q.PurgeUploads(ctx, now); err != nil {
		return 0, err
	}
	id, err := q.q.SaveUpload(ctx, dbsqlc.SaveUploadParams{UserID: userID, FileName: fileName, Body: body, CreatedAt: now})
	return id, translate(err, "keep an upload")
}

// PurgeUploads forgets the registers uploaded more than an hour before now
// and never confirmed (each holds the names and numbers of the persons in it).
func (q *Queries) PurgeUploads(ctx context.Context, now time.Time) (int64, error) {
	n, err := q.q.DeleteStaleUploads(ctx, now.Add(-uploadLife))
	return n, translate(err, "forget old uploads")
}

// Upload returns a register the user uploaded within the hour; another's, or
// an older one, is not found.
func (q *Queries) Upload(ctx context.Context, id, userID int64, now time.Time) (fileName string, body []byte, err error) {
	row, err := q.q.GetUpload(ctx, dbsqlc.GetUploadParams{ID: id, UserID: userID, After: now.Add(-uploadLife)})
	if err != nil {
		return "", nil, translate(err, fmt.Sprintf("upload %d", id))
	}
	return row.FileName, row.Body, nil
}

// DeleteUpload forgets an upload once imported.
func (q *Queries) DeleteUpload(ctx context.Context, id int64) error {
	return translate(q.q.DeleteUpload(ctx, id), fmt.Sprintf("delete upload %d", id))
}
