// Package metricstest reads the figures of a /metrics page in tests.
package metricstest

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Value is the value of one series in a /metrics page in Prometheus's text
// format, named as the page writes it (wellcheck_calls_total{kind="check_in",outcome="ok"}).
// A series the page does not hold fails the test: it never reads as 0.
func Value(t testing.TB, text, series string) float64 {
	t.Helper()
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		// The value follows the last space (a label's value may hold spaces).
		if i := strings.LastIndexByte(line, ' '); i > 0 && line[:i] == series {
			value := line[i+1:]
			v, err := strconv.ParseFloat(value, 64)
			require.NoError(t, err, line)
			return v
		}
	}
	require.Failf(t, "no such series", "%s is not on the page:\n%s", series, text)
	return 0
}

// Scrape is what h serves at /metrics.
func Scrape(t testing.TB, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return rec.Body.String()
}
