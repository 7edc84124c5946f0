package webphone

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogs sends pion's logs to the engine's logger, a level lower than pion gives
// them: its warnings include routine events of every call's end ("stream is already
// closed"), and its errors concern one connection, not the node. Trace is dropped.
type pionLogs struct{ log *slog.Logger }

func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("pion", scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) logf(level slog.Level, format string, args ...any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, "webphone: "+fmt.Sprintf(format, args...))
	}
}

func (pionLogger) Trace(string)                     {}
func (pionLogger) Tracef(string, ...any)            {}
func (l pionLogger) Debug(msg string)               { l.logf(slog.LevelDebug, "%s", msg) }
func (l pionLogger) Debugf(format string, a ...any) { l.logf(slog.LevelDebug, format, a...) }
func (l pionLogger) Info(msg string)                { l.logf(slog.LevelDebug, "%s", msg) }
func (l pionLogger) Infof(format string, a ...any)  { l.logf(slog.LevelDebug, format, a...) }
func (l pionLogger) Warn(msg string)                { l.logf(slog.LevelInfo, "%s", msg) }
func (l pionLogger) Warnf(format string, a ...any)  { l.logf(slog.LevelInfo, format, a...) }
func (l pionLogger) Error(msg string)               { l.logf(slog.LevelWarn, "%s", msg) }
func (l pionLogger) Errorf(format string, a ...any) { l.logf(slog.LevelWarn, format, a...) }
