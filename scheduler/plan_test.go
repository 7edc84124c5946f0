package scheduler_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/scheduler"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func TestCheckPlan(t *testing.T) {
	t.Parallel()
	paris := mustLoad(t, "Europe/Paris")
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, paris) // a Monday
	morning := wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(12, 0)}

	tests := []struct {
		name        string
		cron        string
		window      wellcheck.Window
		zone        string
		wantProblem string // catalogue key, "" for none
		wantWarning string
	}{
		{"three weekdays", "0 10 * * MON,WED,FRI", morning, "Europe/Paris", "", ""},
		{"extra spaces are fine", "  0 10  * * 1-5 ", morning, "Europe/Paris", "", ""},
		{"every day moves weekend calls", "0 10 * * *", morning, "Europe/Paris", "", "cron_closed_days"},
		{"saturday only moves to monday", "30 9 * * SAT", morning, "Europe/Paris", "", "cron_closed_days"},
		{"july only", "0 10 * 7 MON", morning, "Europe/Paris", "", ""},
		{"twice a day", "0 9,11 * * MON-FRI", morning, "Europe/Paris", "", ""},
		{"a call outside the window", "0 10,14 * * MON-FRI", morning, "Europe/Paris", "cron_outside_window", ""},
		{"evening", "0 20 * * *", morning, "Europe/Paris", "cron_outside_window", ""},
		{"every ten minutes", "*/10 9-11 * * MON-FRI", morning, "Europe/Paris", "cron_too_often", ""},
		{"three times a day, the maximum", "0 9,10,11 * * MON-FRI", morning, "Europe/Paris", "", ""},
		{"four times a day, one too many", "0,30 9,10 * * MON-FRI", morning, "Europe/Paris", "cron_too_often", ""},
		{"every minute", "* * * * *", morning, "Europe/Paris", "cron_too_often", ""},
		{"february 30th never comes", "0 10 30 2 *", morning, "Europe/Paris", "cron_never", ""},
		{"four fields", "0 10 * *", morning, "Europe/Paris", "cron_invalid", ""},
		{"six fields", "0 0 10 * * *", morning, "Europe/Paris", "cron_invalid", ""},
		{"hour 25", "0 25 * * *", morning, "Europe/Paris", "cron_invalid", ""},
		{"descriptor", "@daily", morning, "Europe/Paris", "cron_invalid", ""},
		{"zone in the spec", "TZ=Europe/Paris 0 10 * * *", morning, "Europe/Paris", "cron_invalid", ""},
		{"window before opening", "0 10 * * MON", wellcheck.Window{Start: wellcheck.Clock(8, 0), End: wellcheck.Clock(12, 0)}, "Europe/Paris", "window_outside_hours", ""},
		{"window after closing", "0 16 * * MON", wellcheck.Window{Start: wellcheck.Clock(14, 0), End: wellcheck.Clock(18, 0)}, "Europe/Paris", "window_outside_hours", ""},
		{"empty window", "0 10 * * MON", wellcheck.Window{Start: wellcheck.Clock(12, 0), End: wellcheck.Clock(12, 0)}, "Europe/Paris", "window_invalid", ""},
		// Summer time starts at midnight there: that midnight does not exist, and a
		// day-by-day walk must still move on (it used to spin for ever).
		{"late call in Santiago", "0 23 * * *", morning, "America/Santiago", "cron_outside_window", ""},
		{"late call in Havana", "0 23 * * *", morning, "America/Havana", "cron_outside_window", ""},
		{"Santiago morning calls all year", "0 6 * * MON-FRI", wellcheck.Window{Start: wellcheck.Clock(5, 0), End: wellcheck.Clock(11, 0)}, "America/Santiago", "", ""},
		// Guadeloupe keeps no summer time: 09:00–11:00 there is 14:00–16:00 in Paris
		// in winter and 15:00–17:00 in summer, inside the hours all year.
		{"overseas inside hours all year", "0 10 * * MON-FRI", wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(11, 0)}, "America/Guadeloupe", "", ""},
		// 09:00–12:00 there fits in winter (14:00–17:00) but not once Paris moves to
		// summer time (15:00–18:00): refused, whatever the season of enrolment.
		{"overseas past closing in summer", "0 10 * * MON-FRI", morning, "America/Guadeloupe", "window_outside_hours", ""},
		// 10:00–13:00 in Guadeloupe is 15:00–18:00 in Paris: the service is closed by then.
		{"overseas past closing", "0 11 * * MON-FRI", wellcheck.Window{Start: wellcheck.Clock(10, 0), End: wellcheck.Clock(13, 0)}, "America/Guadeloupe", "window_outside_hours", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var problems, warnings wellcheck.Problems
			plan := wellcheck.Plan{Cron: tt.cron, Window: tt.window}
			scheduler.CheckPlan(plan, mustLoad(t, tt.zone), calendar(t, "FR"), 3, now, &problems, &warnings)
			if tt.wantProblem == "" {
				require.Empty(t, problems, "%v", problems.Err())
			} else {
				require.Len(t, problems, 1, "%v", problems.Err())
				require.Equal(t, tt.wantProblem, problems[0].Message.Key, problems[0].Text(wellcheck.English))
			}
			if tt.wantWarning == "" {
				require.Empty(t, warnings)
			} else {
				require.Len(t, warnings, 1)
				require.Equal(t, tt.wantWarning, warnings[0].Message.Key)
			}
		})
	}
}

func TestCheckPlanMessagesSayWhy(t *testing.T) {
	t.Parallel()
	paris := mustLoad(t, "Europe/Paris")
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, paris)
	check := func(cron string) (wellcheck.Problems, wellcheck.Problems) {
		var problems, warnings wellcheck.Problems
		plan := wellcheck.Plan{Cron: cron, Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(17, 0)}}
		scheduler.CheckPlan(plan, paris, calendar(t, "FR"), 3, now, &problems, &warnings)
		return problems, warnings
	}

	problems, _ := check("*/30 9-16 * * *")
	require.Equal(t, `plan: "*/30 9-16 * * *" would call 16 times a day; at most 3`, problems[0].Text(wellcheck.English))

	var problems2, warnings2 wellcheck.Problems
	plan := wellcheck.Plan{Cron: "0 10 * * MON-FRI", Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(12, 0)}}
	scheduler.CheckPlan(plan, mustLoad(t, "America/Guadeloupe"), calendar(t, "FR"), 3, now, &problems2, &warnings2)
	require.Equal(t, "plage d'appel : la plage d'appel 09:00–12:00 dépasse les heures d'ouverture du service le mardi 30/03/2027 (09:00–17:00)",
		problems2[0].Text(wellcheck.French), "names the first day it would go wrong: Paris's first summer-time call day (Monday 29 is Easter Monday)")

	_, warnings := check("0 10 * * *")
	require.Equal(t, "planning : « tous les jours vers 10 h » tombe des jours de fermeture (samedi et dimanche) : ces appels seront reportés au prochain jour ouvert",
		warnings[0].Text(wellcheck.French))
}

// A call moved off a public holiday must fit the next open day's hours: with
// Tuesdays opening at 14:00, a Monday-morning plan fails on Easter Monday.
func TestCheckPlanMovesOffHolidays(t *testing.T) {
	t.Parallel()
	paris := mustLoad(t, "Europe/Paris")
	s := wellcheck.DefaultSettings()
	s.Hours[time.Tuesday] = wellcheck.Window{Start: wellcheck.Clock(14, 0), End: wellcheck.Clock(17, 0)}
	c, err := scheduler.NewCalendar(s, nil)
	require.NoError(t, err)
	var problems, warnings wellcheck.Problems
	plan := wellcheck.Plan{Cron: "0 10 * * MON", Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(12, 0)}}
	scheduler.CheckPlan(plan, paris, c, 3, time.Date(2026, 11, 23, 12, 0, 0, 0, paris), &problems, &warnings)
	require.Len(t, problems, 1)
	require.Equal(t, "the call window 09:00–12:00 goes beyond the service's opening hours on Tuesday 2027-03-30 (14:00–17:00)",
		problems[0].Message.Text(wellcheck.English), "Easter Monday's call moves to Tuesday morning, when the line is closed")
	require.Empty(t, warnings, "a holiday is not a weekly closed day")
}
