package clocktest

import (
	"fmt"
	"testing"
	"time"

	"github.com/rickar/cal/v2"
)

// Era moves a test's dates, whole, to another year whose calendar is the
// same: every date falls on the same weekday, 29 February exists in both or
// neither, and Easter (so Ascension, Whit Monday) falls on the same day. A
// test written on the days of one week in 2026 reads the same in its twin
// years; only the distance to the real date changes.
type Era struct {
	Name  string // "2026 (as written)", "2015", "2037"
	years int
}

// Date is time.Date in the era.
func (e Era) Date(year int, month time.Month, day, hour, min int, loc *time.Location) time.Time {
	return time.Date(year+e.years, month, day, hour, min, 0, 0, loc)
}

// In moves t into the era: the same date and wall clock in the twin year.
func (e Era) In(t time.Time) time.Time {
	return time.Date(t.Year()+e.years, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// Year is year in the era.
func (e Era) Year(year int) int { return year + e.years }

// Eras are a test's dates written in year: as written, then moved to the
// nearest twin years at least 5 years before and 5 years after today, so
// a test that runs them all passes whatever day it runs on. Twins are
// sought from 1996 (the European Union's summer time rules since) to 2399.
func Eras(year int, today time.Time) []Era {
	eras := []Era{{Name: fmt.Sprintf("%d (as written)", year)}}
	if y, ok := twin(year, today.Year()-5, -1); ok {
		eras = append(eras, Era{Name: fmt.Sprint(y), years: y - year})
	}
	if y, ok := twin(year, today.Year()+5, +1); ok {
		eras = append(eras, Era{Name: fmt.Sprint(y), years: y - year})
	}
	return eras
}

// InEras runs f as a parallel subtest in each of Eras(year, now).
func InEras(t *testing.T, year int, f func(t *testing.T, e Era)) {
	t.Helper()
	eras := Eras(year, time.Now())
	if len(eras) != 3 {
		t.Fatalf("clocktest: no twin year of %d on both sides of today: %v", year, eras)
	}
	for _, e := range eras {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f(t, e)
		})
	}
}

// twin is the first year from `from`, going in direction step, whose
// calendar is year's.
func twin(year, from, step int) (int, bool) {
	for y := from; y >= 1996 && y <= 2399; y += step {
		if sameCalendar(year, y) {
			return y, true
		}
	}
	return 0, false
}

func sameCalendar(a, b int) bool {
	jan1 := func(y int) time.Weekday { return time.Date(y, time.January, 1, 12, 0, 0, 0, time.UTC).Weekday() }
	leap := func(y int) bool { return time.Date(y, time.December, 31, 12, 0, 0, 0, time.UTC).YearDay() == 366 }
	easter := func(y int) string { return cal.CalcEasterOffset(&cal.Holiday{}, y).Format("01-02") }
	return jan1(a) == jan1(b) && leap(a) == leap(b) && easter(a) == easter(b)
}
