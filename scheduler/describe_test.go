package scheduler_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/scheduler"
)

// A plan as people say it; an expert's spec is not put in words.
func TestDescribe(t *testing.T) {
	for spec, want := range map[string][2]string{
		"0 10 * * MON,WED,FRI": {"lundi, mercredi et vendredi vers 10 h", "Monday, Wednesday and Friday around 10:00"},
		"30 9 * * MON-FRI":     {"du lundi au vendredi vers 9 h 30", "Monday to Friday around 9:30"},
		"0 14 * * *":           {"tous les jours vers 14 h", "every day around 14:00"},
		"5 11 * * 0,6":         {"samedi et dimanche vers 11 h 05", "Saturday and Sunday around 11:05"},
		"0 10 * * THU":         {"jeudi vers 10 h", "Thursday around 10:00"},
		"0 10 * * 1-5":         {"du lundi au vendredi vers 10 h", "Monday to Friday around 10:00"},
		"0 18 * * FRI,SAT,SUN": {"vendredi, samedi et dimanche vers 18 h", "Friday, Saturday and Sunday around 18:00"},
	} {
		fr, ok := scheduler.Describe(spec, wellcheck.French)
		require.True(t, ok, spec)
		require.Equal(t, want[0], fr, spec)
		en, _ := scheduler.Describe(spec, wellcheck.English)
		require.Equal(t, want[1], en, spec)
	}
	for _, spec := range []string{"0 10 1 * *", "0,30 10 * * MON", "0 9-11 * * MON", "*/15 10 * * *", "0 10 * * XYZ", "", "0 10 * *"} {
		_, ok := scheduler.Describe(spec, wellcheck.French)
		require.False(t, ok, "%q is an expert's spec", spec)
	}
}

// Days and a time as registers and coordinators write them become the plan
// Describe says back.
func TestPlansReadFromWords(t *testing.T) {
	for _, tc := range []struct{ days, time, spec, words string }{
		{"lundi, mercredi et vendredi", "10:00", "0 10 * * MON,WED,FRI", "lundi, mercredi et vendredi vers 10 h"},
		{"Du lundi au vendredi", "9h30", "30 9 * * MON-FRI", "du lundi au vendredi vers 9 h 30"},
		{"tous les jours", "14 h", "0 14 * * *", "tous les jours vers 14 h"},
		{"lun-ven", "10H", "0 10 * * MON-FRI", "du lundi au vendredi vers 10 h"},
		{"mardi à jeudi", "11.15", "15 11 * * TUE,WED,THU", "mardi, mercredi et jeudi vers 11 h 15"},
		{"du mardi au jeudi", "11:15", "15 11 * * TUE,WED,THU", "mardi, mercredi et jeudi vers 11 h 15"},
		{"tous les lundis", "10 h 05", "5 10 * * MON", "lundi vers 10 h 05"},
		{"lundi jeudi", "10", "0 10 * * MON,THU", "lundi et jeudi vers 10 h"},
		{"Mon, Thu", "10:00", "0 10 * * MON,THU", "lundi et jeudi vers 10 h"},
		{"MON,WED,FRI", "10:00", "0 10 * * MON,WED,FRI", "lundi, mercredi et vendredi vers 10 h"},
		{"weekdays", "16:45", "45 16 * * MON-FRI", "du lundi au vendredi vers 16 h 45"},
		{"samedi-lundi", "10:00", "0 10 * * MON,SAT,SUN", "lundi, samedi et dimanche vers 10 h"},
		{"Lundi / Mercredi", "10:00", "0 10 * * MON,WED", "lundi et mercredi vers 10 h"},
	} {
		days, ok := scheduler.ParseDays(tc.days)
		require.True(t, ok, tc.days)
		at, ok := scheduler.ParseTime(tc.time)
		require.True(t, ok, tc.time)
		spec := scheduler.Spec(days, at.Hour(), at.Minute())
		require.Equal(t, tc.spec, spec, tc.days)
		words, ok := scheduler.Describe(spec, wellcheck.French)
		require.True(t, ok, spec)
		require.Equal(t, tc.words, words, tc.days)
	}
	for _, bad := range []string{"", "lundi, fête", "souvent", "lundi-mardi-jeudi", "0 10 * * MON", "1er du mois"} {
		_, ok := scheduler.ParseDays(bad)
		require.False(t, ok, bad)
	}
	for _, bad := range []string{"", "25:00", "10:75", "dix heures", "10:00-12:00", "0.41666"} {
		_, ok := scheduler.ParseTime(bad)
		require.False(t, ok, bad)
	}
}
