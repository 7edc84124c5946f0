package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// quietEvery is how often River may log the same warning or error: while
// the database is away its loops fail several times a second, and a log
// that says so hundreds of times hides what else it says.
const quietEvery = time.Minute

// quiet is logger for River: a warning or an error whose message (for the
// same queue or job kind) was logged less than quietEvery ago is counted
// rather than logged, and the next one logged says how many it stands for
// ("repeated").
func quiet(logger *slog.Logger) *slog.Logger {
	if logger == nil {
		return nil
	}
	return slog.New(&quietHandler{Handler: logger.Handler(), seen: &seen{last: map[string]time.Time{}, held: map[string]int{}}})
}

type quietHandler struct {
	slog.Handler
	*seen
}

// seen is what the handler and those made from it (WithAttrs) share.
type seen struct {
	mu   sync.Mutex
	last map[string]time.Time // message (and queue or job kind) → when it was last logged
	held map[string]int       // the same → how many were not logged since
}

func (h *quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.Handler.Handle(ctx, r)
	}
	key := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "queue" || a.Key == "job_kind" || a.Key == "kind" {
			key += "\x00" + a.Value.String() // one job's failures do not hide another's
		}
		return true
	})
	h.mu.Lock()
	if at, ok := h.last[key]; ok && r.Time.Sub(at) < quietEvery {
		h.held[key]++
		h.mu.Unlock()
		return nil
	}
	n := h.held[key]
	h.last[key], h.held[key] = r.Time, 0
	h.mu.Unlock()
	if n > 0 {
		r.AddAttrs(slog.Int("repeated", n))
	}
	return h.Handler.Handle(ctx, r)
}

func (h *quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &quietHandler{Handler: h.Handler.WithAttrs(attrs), seen: h.seen}
}

func (h *quietHandler) WithGroup(name string) slog.Handler {
	return &quietHandler{Handler: h.Handler.WithGroup(name), seen: h.seen}
}
