package clocktest

import (
	"testing"
	"time"

	"github.com/rickar/cal/v2"
)

func TestErasKeepTheCalendar(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	eras := Eras(2026, today)
	if len(eras) != 3 || eras[1].Name != "2015" || eras[2].Name != "2037" {
		t.Fatalf("2026's twins around 2026-12-03 = %v, want 2015 and 2037", eras)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range eras {
		monday := e.Date(2026, 11, 30, 8, 0, paris)
		if monday.Weekday() != time.Monday || monday.Day() != 30 {
			t.Errorf("%s: 30 November is a %s", e.Name, monday.Weekday())
		}
		// Summer time ends on the same Sunday, and Easter Monday falls on 6 April.
		if _, off := e.Date(2026, 10, 25, 12, 0, paris).Zone(); off != 3600 {
			t.Errorf("%s: 25 October at noon is not winter time", e.Name)
		}
		if _, off := e.Date(2026, 10, 24, 12, 0, paris).Zone(); off != 7200 {
			t.Errorf("%s: 24 October at noon is not summer time", e.Name)
		}
		if easter := cal.CalcEasterOffset(&cal.Holiday{}, e.Year(2026)).Format("01-02"); easter != "04-05" {
			t.Errorf("%s: Easter falls on %s, not 5 April", e.Name, easter)
		}
		if got := e.In(time.Date(2026, 2, 28, 23, 0, 0, 0, paris)).AddDate(0, 0, 1).Format("01-02"); got != "03-01" {
			t.Errorf("%s: the day after 28 February is %s", e.Name, got)
		}
	}
	// Seen from 2032, the twins are still at least 5 years away.
	later := Eras(2026, today.AddDate(6, 0, 0))
	if len(later) != 3 || later[1].Year(2026) > 2027 || later[2].Year(2026) < 2037 {
		t.Errorf("twins of 2026 seen from 2032: %v", later)
	}
}
