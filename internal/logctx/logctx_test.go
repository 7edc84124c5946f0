package logctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/internal/logctx"
)

// A line logged about a request or a job names it, including through a
// logger with its own attributes and groups; a context carrying nothing adds
// nothing, and a derived context does not change its parent's.
func TestLinesNameTheirWork(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(logctx.Handler(slog.NewJSONHandler(&buf, nil))).With("node", "a")
	line := func() map[string]any {
		t.Helper()
		var m map[string]any
		require.NoError(t, json.Unmarshal(buf.Bytes(), &m))
		buf.Reset()
		return m
	}

	ctx := logctx.With(context.Background(), slog.String("request_id", "r1"))
	job := logctx.With(ctx, slog.Int64("job_id", 42))
	log.InfoContext(job, "call placed", "outcome", "ok")
	m := line()
	require.Equal(t, "r1", m["request_id"])
	require.EqualValues(t, 42, m["job_id"])
	require.Equal(t, "a", m["node"])
	require.Equal(t, "ok", m["outcome"])

	log.InfoContext(ctx, "page")
	m = line()
	require.Equal(t, "r1", m["request_id"])
	require.NotContains(t, m, "job_id", "the parent context is unchanged")

	log.WithGroup("g").InfoContext(context.Background(), "plain", "k", 1)
	m = line()
	require.NotContains(t, m, "request_id")
	require.Equal(t, map[string]any{"k": float64(1)}, m["g"])
}
