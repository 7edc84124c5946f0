package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/scheduler"
)

var zones = []string{"Europe/Paris", "Europe/Brussels", "America/New_York", "Australia/Lord_Howe",
	"Pacific/Chatham", "America/Santiago", "America/Guadeloupe", "Europe/London"}

// randomPlan draws a plan for a person in loc. Most plans call at a local hour
// that is inside the service's hours (a Paris line: night-time in Chatham), with
// a window around it, so that calls are made, moved and merged; the rest are
// drawn at random, and the rules must hold for them too.
func randomPlan(r *rand.Rand, loc *time.Location, near time.Time) wellcheck.Plan {
	if r.IntN(4) > 0 {
		paris, _ := time.LoadLocation("Europe/Paris")
		y, m, d := near.In(paris).Date()
		local := time.Date(y, m, d, 10+r.IntN(5), 0, 0, 0, paris).In(loc)
		h := local.Hour()
		dow := []string{"*", "MON-FRI", "MON,WED,FRI", "SAT", "SUN", "SAT,SUN", "FRI,SAT,SUN", "TUE,THU"}[r.IntN(8)]
		minute := []string{"0", "30", "15", "0,30"}[r.IntN(4)]
		start := wellcheck.Clock(max(h-1, 0), 0)
		return wellcheck.Plan{
			Cron:   fmt.Sprintf("%s %d * * %s", minute, h, dow),
			Window: wellcheck.Window{Start: start, End: min(start+wellcheck.TimeOfDay(180+r.IntN(120)), wellcheck.Clock(23, 59))},
		}
	}
	minute := []string{"0", "15", "30", "45", "5,35", "*/20"}[r.IntN(6)]
	hours := make([]string, 1+r.IntN(3))
	for i := range hours {
		hours[i] = fmt.Sprint(r.IntN(24))
	}
	dow := []string{"*", "MON-FRI", "MON,WED,FRI", "SAT", "SUN", "TUE,THU", "SAT,SUN"}[r.IntN(7)]
	dom := []string{"*", "*", "*", "1,15", "25"}[r.IntN(5)]
	if dom != "*" && dow != "*" {
		dow = "*"
	}
	start := wellcheck.Clock(r.IntN(24), 30*r.IntN(2))
	end := min(start+wellcheck.TimeOfDay(60+r.IntN(8*60)), wellcheck.Clock(23, 59))
	return wellcheck.Plan{
		Cron:   fmt.Sprintf("%s %s %s * %s", minute, strings.Join(hours, ","), dom, dow),
		Window: wellcheck.Window{Start: start, End: end},
	}
}

func TestSlotProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(2026, 11))
	paris := mustLoad(t, "Europe/Paris")
	c := calendar(t, "FR", wellcheck.Closure{From: time.Date(2027, 5, 7, 0, 0, 0, 0, paris), To: time.Date(2027, 5, 7, 0, 0, 0, 0, paris), Reason: "pont"})
	planned, moved, merged := 0, 0, 0
	for i := range 600 {
		loc := mustLoad(t, zones[r.IntN(len(zones))])
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(3*365*24)) * time.Hour)
		plan := randomPlan(r, loc, from)
		to := from.AddDate(0, 0, 30+r.IntN(60))
		var paused time.Time
		if r.IntN(5) == 0 {
			paused = from.AddDate(0, 0, r.IntN(20))
		}
		name := fmt.Sprintf("%d %q %s %s %s..%s", i, plan.Cron, plan.Window, loc, from.Format(time.DateOnly), to.Format(time.DateOnly))

		slots, err := scheduler.Slots(plan, loc, c, from, to, paused)
		require.NoError(t, err, name)

		for _, s := range slots {
			switch {
			case s.Status == scheduler.SlotPlanned:
				planned++
			case s.Status == scheduler.SlotMoved:
				moved++
			case s.Reason == scheduler.ReasonMerged:
				merged++
			}
		}
		called := map[time.Time]bool{}
		callDays := map[string]int{}
		for _, s := range slots {
			require.False(t, s.Fire.Before(from) || !s.Fire.Before(to), "%s: fire %s outside the range", name, s.Fire)
			if s.Status == scheduler.SlotDropped {
				continue
			}
			// No call outside the window, the hours, an open day, or during a pause.
			require.True(t, plan.Window.Contains(wellcheck.Of(s.At.In(loc))), "%s: %s outside the window", name, s.At)
			require.True(t, c.OpenAt(s.At), "%s: %s while the service is closed", name, s.At)
			require.False(t, s.At.Before(paused), "%s: %s during the pause", name, s.At)
			// Never two calls at one instant.
			require.False(t, called[s.At.UTC()], "%s: two calls at %s", name, s.At)
			called[s.At.UTC()] = true
			callDays[s.At.In(loc).Format(time.DateOnly)]++
		}
		// A moved call never lands on a day that has another call.
		for _, s := range slots {
			if s.Status == scheduler.SlotMoved {
				require.Equal(t, 1, callDays[s.At.In(loc).Format(time.DateOnly)], "%s: moved call %s shares its day", name, s.At)
			}
		}
		// Every fire on an open day, inside the window and hours, not paused, is
		// called exactly once, at its own time (a repeated local time counts once).
		sched, err := scheduler.ParseCron(plan.Cron)
		require.NoError(t, err)
		seen := map[string]bool{}
		for f := sched.Next(from.In(loc).Add(-time.Nanosecond)); f.Before(to); f = sched.Next(f) {
			wall := f.Format("2006-01-02 15:04")
			if seen[wall] {
				continue
			}
			seen[wall] = true
			if reason, _ := c.Closed(f); reason != "" || f.Before(paused) || !plan.Window.Contains(wellcheck.Of(f)) || !c.OpenAt(f) {
				continue
			}
			n := 0
			for _, s := range slots {
				if s.At.Equal(f) && s.Status == scheduler.SlotPlanned {
					n++
				}
			}
			require.Equal(t, 1, n, "%s: fire %s called %d times", name, f, n)
		}
		// Planning is the same whichever way time is cut into ranges.
		mid := from.Add(to.Sub(from) / time.Duration(2+r.IntN(3)))
		first, err := scheduler.Slots(plan, loc, c, from, mid, paused)
		require.NoError(t, err)
		second, err := scheduler.Slots(plan, loc, c, mid, to, paused)
		require.NoError(t, err)
		require.Equal(t, brief(slots), brief(slices.Concat(first, second)), "%s: split at %s", name, mid)
	}
	// The draw exercises every rule, or the properties above prove little.
	require.Greater(t, planned, 5000, "planned")
	require.Greater(t, moved, 300, "moved")
	require.Greater(t, merged, 300, "merged")
}
