package jobs

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// River's loops fail several times a second while the database is away: the
// log says each failure once a minute, for each queue or job kind, with how
// many it stands for; information passes as it is.
func TestQuietLogsEachFailureOnceAMinute(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	logger := quiet(slog.New(slog.NewTextHandler(&out, nil)))
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration, level slog.Level, msg string, attrs ...slog.Attr) {
		r := slog.NewRecord(start.Add(d), level, msg, 0)
		r.AddAttrs(attrs...)
		require.NoError(t, logger.Handler().Handle(ctx, r))
	}
	for i := range 50 { // five a second for ten seconds
		at(time.Duration(i)*200*time.Millisecond, slog.LevelError, "producer: Error fetching jobs", slog.String("queue", "calls"))
		at(time.Duration(i)*200*time.Millisecond, slog.LevelError, "producer: Error fetching jobs", slog.String("queue", "planner"))
		at(time.Duration(i)*200*time.Millisecond, slog.LevelInfo, "producer: Producer job counts")
	}
	at(70*time.Second, slog.LevelError, "producer: Error fetching jobs", slog.String("queue", "calls"))
	logs := out.String()
	require.Equal(t, 3, strings.Count(logs, "Error fetching jobs"), logs)
	require.Equal(t, 1, strings.Count(logs, "queue=planner"), logs)
	require.Contains(t, logs, "queue=calls repeated=49")
	require.Equal(t, 50, strings.Count(logs, "Producer job counts"))
}
