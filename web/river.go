package web

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"riverqueue.com/riverui"
)

// riverPrefix is where River's job dashboard is, for admins.
const riverPrefix = "/admin/river"

// RiverDashboard is River's job dashboard (riverqueue.com/riverui) for
// client's jobs, to mount as Server.RiverUI; it runs until ctx ends. Behind
// the admins' sign-in it is read-only: its actions carry no CSRF token, so
// they are refused.
func RiverDashboard(ctx context.Context, client *river.Client[pgx.Tx], logger *slog.Logger) (http.Handler, error) {
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(client, nil),
		Logger:    logger,
		Prefix:    riverPrefix,
	})
	if err != nil {
		return nil, err
	}
	return h, h.Start(ctx)
}
