package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/metrics"
)

func TestMetricsAreNotForAnyone(t *testing.T) {
	figures := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("wellcheck_build_info 1\n")) })
	scrape := func(h http.Handler, remote string, header ...string) int {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.RemoteAddr = remote
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}

	// No token: this machine only.
	open := metrics.Guard("", figures)
	require.Equal(t, http.StatusOK, scrape(open, "127.0.0.1:40000"))
	require.Equal(t, http.StatusOK, scrape(open, "[::1]:40000"))
	require.Equal(t, http.StatusForbidden, scrape(open, "192.0.2.7:40000"), "another machine")
	require.Equal(t, http.StatusForbidden, scrape(open, "127.0.0.1:40000", "X-Forwarded-For", "192.0.2.7"), "through the web's proxy")
	require.Equal(t, http.StatusForbidden, scrape(open, "127.0.0.1:40000", "Forwarded", "for=192.0.2.7"))

	// A token: whoever has it, from anywhere; nobody without it, this machine included.
	closed := metrics.Guard("s3cret-scrape-token", figures)
	require.Equal(t, http.StatusOK, scrape(closed, "192.0.2.7:40000", "Authorization", "Bearer s3cret-scrape-token"))
	require.Equal(t, http.StatusUnauthorized, scrape(closed, "127.0.0.1:40000"))
	require.Equal(t, http.StatusUnauthorized, scrape(closed, "192.0.2.7:40000", "Authorization", "Bearer wrong"))
	require.Equal(t, http.StatusUnauthorized, scrape(closed, "192.0.2.7:40000", "Authorization", "s3cret-scrape-token"))
}
