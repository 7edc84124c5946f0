package scheduler_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/scheduler"
)

func calendar(t *testing.T, holidays string, closures ...wellcheck.Closure) *scheduler.Calendar {
	t.Helper()
	s := wellcheck.DefaultSettings()
	s.HolidayCalendar = holidays
	c, err := scheduler.NewCalendar(s, closures)
	require.NoError(t, err)
	return c
}

// brief renders slots as "Mon 2026-12-28 10:00 planned" lines, for readable tests.
func brief(slots []scheduler.Slot) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = s.At.Format("Mon 2006-01-02 15:04") + " " + s.Status
		if s.Reason != "" {
			out[i] += " " + s.Reason
		}
		if s.Cause != "" && s.Cause != s.Reason {
			out[i] += " after " + s.Cause
		}
		if s.Detail != "" {
			out[i] += " (" + s.Detail + ")"
		}
		if s.MovedFrom {
			out[i] += " from " + s.Fire.Format("Mon 02")
		}
	}
	return out
}

func TestSlots(t *testing.T) {
	t.Parallel()
	paris := mustLoad(t, "Europe/Paris")
	morning := wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(12, 0)}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, paris) }
	training := wellcheck.Closure{From: day(2026, 12, 2), To: day(2026, 12, 2), Reason: "Formation"}

	tests := []struct {
		name     string
		cron     string
		cal      *scheduler.Calendar
		from, to time.Time
		paused   time.Time
		want     []string
	}{
		{"Christmas Friday moves to Monday", "0 10 * * FRI", calendar(t, "FR"), day(2026, 12, 21), day(2026, 12, 29), time.Time{}, []string{
			"Mon 2026-12-28 10:00 moved holiday (Noël) from Fri 25",
		}},
		{"Christmas merges into Monday's own call", "0 10 * * MON,WED,FRI", calendar(t, "FR"), day(2026, 12, 21), day(2026, 12, 29), time.Time{}, []string{
			"Mon 2026-12-21 10:00 planned",
			"Wed 2026-12-23 10:00 planned",
			"Mon 2026-12-28 10:00 dropped merged after holiday (Noël) from Fri 25",
			"Mon 2026-12-28 10:00 planned",
		}},
		{"weekend calls merge into Monday", "0 10 * * *", calendar(t, "FR"), day(2026, 11, 27), day(2026, 12, 1), time.Time{}, []string{
			"Fri 2026-11-27 10:00 planned",
			"Mon 2026-11-30 10:00 dropped merged after closed from Sat 28",
			"Mon 2026-11-30 10:00 dropped merged after closed from Sun 29",
			"Mon 2026-11-30 10:00 planned",
		}},
		{"Saturday only: Monday instead", "30 9 * * SAT", calendar(t, "FR"), day(2026, 11, 23), day(2026, 12, 6), time.Time{}, []string{
			"Mon 2026-11-30 09:30 moved closed from Sat 28",
			"Mon 2026-12-07 09:30 moved closed from Sat 05",
		}},
		{"a pause cancels, it does not move", "0 10 * * MON-FRI", calendar(t, "FR"), day(2026, 11, 23), day(2026, 11, 28), day(2026, 11, 25).Add(11 * time.Hour), []string{
			"Mon 2026-11-23 10:00 dropped paused",
			"Tue 2026-11-24 10:00 dropped paused",
			"Wed 2026-11-25 10:00 dropped paused",
			"Thu 2026-11-26 10:00 planned",
			"Fri 2026-11-27 10:00 planned",
		}},
		{"closure moves to the next day", "0 10 * * WED", calendar(t, "FR", training), day(2026, 11, 30), day(2026, 12, 7), time.Time{}, []string{
			"Thu 2026-12-03 10:00 moved closure (Formation) from Wed 02",
		}},
		{"Easter Monday, then Ascension: FR", "0 10 * * MON,THU", calendar(t, "FR"), day(2027, 3, 29), day(2027, 3, 30), time.Time{}, []string{
			"Tue 2027-03-30 10:00 moved holiday (Lundi de Pâques) from Mon 29",
		}},
		{"Good Friday is open in France", "0 10 * * FRI", calendar(t, "FR"), day(2027, 3, 26), day(2027, 3, 27), time.Time{}, []string{
			"Fri 2027-03-26 10:00 planned",
		}},
		{"Good Friday is a holiday in Alsace-Moselle", "0 10 * * FRI", calendar(t, "FR-AM"), day(2027, 3, 26), day(2027, 3, 27), time.Time{}, []string{
			"Tue 2027-03-30 10:00 moved holiday (Vendredi saint) from Fri 26",
		}},
		{"Belgian national day", "0 10 * * WED", calendar(t, "BE"), day(2027, 7, 21), day(2027, 7, 22), time.Time{}, []string{
			"Thu 2027-07-22 10:00 moved holiday (Nationale Feestdag) from Wed 21",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			slots, err := scheduler.Slots(wellcheck.Plan{Cron: tt.cron, Window: morning}, paris, tt.cal, tt.from, tt.to, tt.paused)
			require.NoError(t, err)
			require.Equal(t, tt.want, brief(slots))
		})
	}
}

func TestSlotsMovedOutsideHoursAreDropped(t *testing.T) {
	t.Parallel()
	paris := mustLoad(t, "Europe/Paris")
	s := wellcheck.DefaultSettings()
	s.Hours[time.Tuesday] = wellcheck.Window{Start: wellcheck.Clock(14, 0), End: wellcheck.Clock(17, 0)}
	c, err := scheduler.NewCalendar(s, nil)
	require.NoError(t, err)
	// Easter Monday's 10:00 call would move to Tuesday 10:00, when the line opens at 14:00.
	slots, err := scheduler.Slots(wellcheck.Plan{Cron: "0 10 * * MON", Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(12, 0)}},
		paris, c, time.Date(2027, 3, 29, 0, 0, 0, 0, paris), time.Date(2027, 3, 30, 0, 0, 0, 0, paris), time.Time{})
	require.NoError(t, err)
	require.Equal(t, []string{"Tue 2027-03-30 10:00 dropped outside_hours after holiday (Lundi de Pâques) from Mon 29"}, brief(slots))
}

func TestNewCalendarRejectsUnknownCalendar(t *testing.T) {
	t.Parallel()
	s := wellcheck.DefaultSettings()
	s.HolidayCalendar = "XX"
	_, err := scheduler.NewCalendar(s, nil)
	require.ErrorContains(t, err, `holiday calendar "XX"`)
}

// A weekend's two calls both move to Monday: cutting planning between Saturday and
// Sunday must not book Monday twice.
func TestSlotsDoNotDependOnHowTimeIsCut(t *testing.T) {
	t.Parallel()
	paris := mustLoad(t, "Europe/Paris")
	c := calendar(t, "FR")
	plan := wellcheck.Plan{Cron: "0 10 * * SAT,SUN", Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(12, 0)}}
	from, sunday, to := time.Date(2026, 11, 27, 0, 0, 0, 0, paris), time.Date(2026, 11, 29, 0, 0, 0, 0, paris), time.Date(2026, 12, 1, 0, 0, 0, 0, paris)
	first, err := scheduler.Slots(plan, paris, c, from, sunday, time.Time{})
	require.NoError(t, err)
	second, err := scheduler.Slots(plan, paris, c, sunday, to, time.Time{})
	require.NoError(t, err)
	require.Equal(t, []string{"Mon 2026-11-30 10:00 moved closed from Sat 28"}, brief(first))
	require.Equal(t, []string{"Mon 2026-11-30 10:00 dropped merged after closed from Sun 29"}, brief(second))
}

// In Chatham, 02:45–03:45 comes twice when summer time ends (first Sunday of
// April); 03:00 there is early afternoon in Paris. The person is called once.
func TestSlotsRepeatedLocalTimeIsCalledOnce(t *testing.T) {
	t.Parallel()
	chatham := mustLoad(t, "Pacific/Chatham")
	s := wellcheck.DefaultSettings()
	for d := time.Sunday; d <= time.Saturday; d++ {
		s.Hours[d] = wellcheck.Window{Start: wellcheck.Clock(0, 0), End: wellcheck.Clock(23, 59)}
	}
	s.HolidayCalendar = "BE"
	c, err := scheduler.NewCalendar(s, nil)
	require.NoError(t, err)
	plan := wellcheck.Plan{Cron: "0 3 * * *", Window: wellcheck.Window{Start: wellcheck.Clock(2, 0), End: wellcheck.Clock(5, 0)}}
	slots, err := scheduler.Slots(plan, chatham, c, time.Date(2027, 4, 4, 0, 0, 0, 0, chatham), time.Date(2027, 4, 5, 0, 0, 0, 0, chatham), time.Time{})
	require.NoError(t, err)
	require.Len(t, slots, 1)
	require.Equal(t, "2027-04-04T03:00:00+13:45", slots[0].At.Format(time.RFC3339))
}

func TestOpeningHoursArithmetic(t *testing.T) {
	t.Parallel()
	c := calendar(t, "FR")
	paris := c.Loc
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, paris) }
	// Friday 4 December 2026, service open Monday to Friday 9:00–17:00.
	require.Equal(t, at(7, 10, 0), c.AddOpen(at(4, 16, 0), 2*time.Hour), "two opening hours from Friday 16:00")
	require.Equal(t, at(4, 12, 0), c.AddOpen(at(4, 10, 0), 2*time.Hour))
	require.Equal(t, at(7, 11, 0), c.AddOpen(at(5, 20, 0), 2*time.Hour), "from a Saturday evening")
	require.Equal(t, at(4, 17, 0), c.ClosesAt(at(4, 10, 0)))
	require.Equal(t, at(7, 17, 0), c.ClosesAt(at(4, 17, 30)), "after closing: the next open day's")
	require.Equal(t, at(7, 9, 0), c.NextOpen(at(5, 12, 0)))
	require.Equal(t, at(28, 9, 0), c.NextOpen(at(24, 18, 0)), "Christmas Day is a holiday")
}
