package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// tokenBuckets are the API tokens' rate limits on this node: a token bucket
// each, keyed by the token's hash, so that a token sent too often is refused
// before the database is asked about it.
type tokenBuckets struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// maxBuckets bounds the buckets kept: past it, those full again (unused for
// a while) are forgotten.
const maxBuckets = 10000

// take takes one request from key's bucket at now; if it is empty, ok is
// false and retry says when the next request would be let through.
func (b *tokenBuckets) take(key string, perSecond float64, burst int, now time.Time) (ok bool, retry time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buckets == nil {
		b.buckets = map[string]*rate.Limiter{}
	}
	l, found := b.buckets[key]
	if !found {
		if len(b.buckets) >= maxBuckets {
			for k, l := range b.buckets {
				if l.TokensAt(now) >= float64(burst) {
					delete(b.buckets, k)
				}
			}
		}
		l = rate.NewLimiter(rate.Limit(perSecond), burst)
		b.buckets[key] = l
	}
	r := l.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return false, delay
	}
	return true, 0
}
