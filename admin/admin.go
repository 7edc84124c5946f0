// Package admin is the administration of a wellcheck service, one home for
// each of its use cases: users and passwords, the service's calendar
// (opening hours, closures) and settings, partners, listeners' profiles, and
// the retention of data. Each validates, runs its transaction, writes its
// audit record and, where the calendar changed, queues a planner pass in the
// same transaction. The pages, the JSON API and the command line call it.
package admin

import (
	"context"
	"log/slog"
	"time"

	"github.com/wellcheck/wellcheck/store"
)

// Service is the administration's use cases.
type Service struct {
	Store *store.Store
	// Passes queues a planner pass, so that planned calls follow a change of
	// the calendar (jobs.Jobs).
	Passes Passes
	// TimeZone, when set, overrides the service's zone (WELLCHECK_TIME_ZONE).
	TimeZone string
	// SecretKey, when set, seals second factors' secrets in the database
	// (WELLCHECK_SECRET_KEY, MinSecretKey characters at least; mfa.go).
	SecretKey string
	Logger    *slog.Logger
	Now       func() time.Time
}

// Passes queues a planner pass in q's transaction.
type Passes interface {
	EnqueuePass(ctx context.Context, q *store.Queries) error
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}
