package scheduler

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
)

// Spec is the cron spec of a plan said in words: one call at hour:minute on
// days ("0 10 * * MON,THU", "30 9 * * MON-FRI", "0 14 * * *"). It is the
// reverse of Simple.
func Spec(days []time.Weekday, hour, minute int) string {
	names := make([]string, 0, len(days))
	for i := range 7 {
		if d := time.Weekday((i + 1) % 7); slices.Contains(days, d) { // Monday first
			names = append(names, cronDays[d])
		}
	}
	which := strings.Join(names, ",")
	switch which {
	case "MON,TUE,WED,THU,FRI,SAT,SUN":
		which = "*"
	case "MON,TUE,WED,THU,FRI":
		which = "MON-FRI"
	}
	return fmt.Sprintf("%d %d * * %s", minute, hour, which)
}

// dayNames are the ways registers write a weekday, in French and English,
// accents folded: the name, its plural and its abbreviations.
var dayNames = map[string]time.Weekday{}

func init() {
	for d, names := range map[time.Weekday][]string{
		time.Monday:    {"lundi", "lun", "monday", "mon"},
		time.Tuesday:   {"mardi", "mar", "tuesday", "tue", "tues"},
		time.Wednesday: {"mercredi", "mer", "wednesday", "wed"},
		time.Thursday:  {"jeudi", "jeu", "thursday", "thu", "thur", "thurs"},
		time.Friday:    {"vendredi", "ven", "friday", "fri"},
		time.Saturday:  {"samedi", "sam", "saturday", "sat"},
		time.Sunday:    {"dimanche", "dim", "sunday", "sun"},
	} {
		for _, n := range names {
			dayNames[n] = d
			dayNames[n+"s"] = d // "les lundis", "on Mondays"
		}
	}
}

var (
	everyDay = []string{"tous les jours", "chaque jour", "7/7", "7j/7", "every day", "everyday", "daily", "*"}
	workDays = []string{"du lundi au vendredi", "lundi au vendredi", "en semaine", "semaine", "jours ouvres",
		"jours de semaine", "5/7", "5j/7", "weekdays", "on weekdays", "monday to friday", "from monday to friday"}
	// dayFiller are words that say nothing about which days.
	dayFiller = map[string]bool{"tous": true, "toutes": true, "les": true, "le": true, "chaque": true, "every": true, "on": true, "from": true, "du": true}
	// daySeparators split a list of days; rangeWords join a range's ends.
	daySeparators = regexp.MustCompile(`\s*(?:,|;|/|\+|&|\bet\b|\band\b)\s*`)
	rangeWords    = regexp.MustCompile(`\s*(?:-|–|\ba\b|\bau\b|\bto\b|\bthrough\b|\bjusqu'au\b)\s*`)
)

// ParseDays reads the days of a plan as people write them, in French or
// English: "lundi, mercredi et vendredi", "du lundi au vendredi", "lun-ven",
// "tous les jours", "Mon, Thu", "MON,WED,FRI". The days come Monday first;
// ok is false when some part of s names no day.
func ParseDays(s string) (days []time.Weekday, ok bool) {
	s = strings.ReplaceAll(wellcheck.Fold(strings.Join(strings.Fields(s), " ")), ".", "")
	switch {
	case s == "":
		return nil, false
	case slices.Contains(everyDay, s):
		return []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}, true
	case slices.Contains(workDays, s):
		return []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, true
	}
	set := map[time.Weekday]bool{}
	for _, part := range daySeparators.Split(s, -1) {
		part = dropFiller(part)
		ends := rangeWords.Split(part, -1)
		if len(ends) == 1 { // one day, or days apart: "lundi jeudi"
			for _, w := range strings.Fields(part) {
				d, ok := dayNames[w]
				if !ok {
					return nil, false
				}
				set[d] = true
			}
			continue
		}
		if len(ends) > 2 {
			return nil, false
		}
		from, ok := dayNames[ends[0]]
		to := from
		if len(ends) == 2 {
			to, ok = dayNames[ends[1]]
		}
		if !ok {
			return nil, false
		}
		// A range runs forward through the week: "samedi-lundi" is three days.
		for d := from; ; d = (d + 1) % 7 {
			set[d] = true
			if d == to {
				break
			}
		}
	}
	for i := range 7 {
		if d := time.Weekday((i + 1) % 7); set[d] {
			days = append(days, d)
		}
	}
	return days, len(days) > 0
}

func dropFiller(part string) string {
	words := strings.Fields(part)
	words = slices.DeleteFunc(words, func(w string) bool { return dayFiller[w] })
	return strings.Join(words, " ")
}

// timeWritten matches a time as registers write it: "10:00", "10h", "10 h 30",
// "9.30", "10H".
var timeWritten = regexp.MustCompile(`^(\d{1,2})\s*(?:[:h.]\s*(\d{2})?)?$`)

// ParseTime reads a time of day as people write it: "10:00", "10h", "10 h 30",
// "9.30", "14".
func ParseTime(s string) (wellcheck.TimeOfDay, bool) {
	m := timeWritten.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return 0, false
	}
	hour, _ := strconv.Atoi(m[1])
	minute := 0
	if m[2] != "" {
		minute, _ = strconv.Atoi(m[2])
	}
	if hour > 23 || minute > 59 {
		return 0, false
	}
	return wellcheck.Clock(hour, minute), true
}
