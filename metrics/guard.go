package metrics

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// Guard lets a scrape through only as the operator allows: with a bearer
// token when token is set (Prometheus's authorization credentials), else
// only from this machine — a direct loopback peer, not a request a proxy on
// this machine forwards (it names its client). The figures say how many
// persons are called, flagged and unreached, and how the service is built:
// not for anyone who can reach the web port.
func Guard(token string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="wellcheck metrics"`)
				http.Error(w, "metrics: a bearer token is required (--metrics-token)", http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
			return
		}
		if !fromThisMachine(r) {
			http.Error(w, "metrics: scrape from this machine, or set --metrics-token", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// fromThisMachine reports whether r comes straight from a loopback address,
// not through a proxy.
func fromThisMachine(r *http.Request) bool {
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
