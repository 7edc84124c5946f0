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
