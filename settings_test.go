package wellcheck_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

// The limits of what admins set, at their bounds and one past them.
func TestSettingsLimits(t *testing.T) {
	require.NoError(t, wellcheck.DefaultSettings().Check())
	for _, tc := range []struct {
		field string
		limit wellcheck.Range
		set   func(*wellcheck.Settings, int)
	}{
		{"settings.max_attempts", wellcheck.LimitMaxAttempts, func(s *wellcheck.Settings, n int) { s.Retry.MaxAttempts = n }},
		{"settings.max_calls_per_day", wellcheck.LimitMaxCallsPerDay, func(s *wellcheck.Settings, n int) { s.MaxCallsPerDay = n }},
		{"settings.urgent_after", wellcheck.LimitUrgentAfter, func(s *wellcheck.Settings, n int) { s.UnreachedUrgentAfter = n }},
		{"settings.keep_closed_cases", wellcheck.LimitKeepClosedCases, func(s *wellcheck.Settings, n int) { s.KeepClosedCasesDays = n }},
		{"settings.keep_withdrawn", wellcheck.LimitKeepWithdrawn, func(s *wellcheck.Settings, n int) { s.KeepWithdrawnDays = n }},
		{"settings.keep_audit", wellcheck.LimitKeepAudit, func(s *wellcheck.Settings, n int) { s.KeepAuditDays = n }},
	} {
		for n, ok := range map[int]bool{tc.limit.Min: true, tc.limit.Max: true, tc.limit.Min - 1: false, tc.limit.Max + 1: false} {
			s := wellcheck.DefaultSettings()
			tc.set(&s, n)
			err := s.Check()
			if ok {
				require.NoError(t, err, "%s = %d", tc.field, n)
				continue
			}
			var v *wellcheck.ValidationError
			require.ErrorAs(t, err, &v, "%s = %d", tc.field, n)
			require.Equal(t, tc.field, v.Problems[0].Field)
			require.Contains(t, wellcheck.ErrorText(err, wellcheck.French), "un nombre de")
		}
	}
	s := wellcheck.DefaultSettings()
	s.CallerName = strings.Repeat("é", wellcheck.MaxCallerName)
	require.NoError(t, s.Check(), "characters, not bytes")
	s.CallerName += "x"
	require.Error(t, s.Check())
}
