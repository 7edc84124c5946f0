package admin

import (
	"context"
	"fmt"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// SavePartner adds a partner service listeners orient persons to (p.ID zero)
// or changes one, archiving it included (p.ArchivedAt set).
func (s *Service) SavePartner(ctx context.Context, by wellcheck.Actor, p wellcheck.Partner) (wellcheck.Partner, error) {
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		var err error
		if p, err = q.SavePartner(ctx, p); err != nil {
			return err
		}
		return q.Audit(ctx, by, "partner.save", nil, nil, map[string]any{"partner_id": p.ID})
	})
	if err != nil {
		return p, fmt.Errorf("save a partner: %w", err)
	}
	return p, nil
}

// SaveListener changes a listener's profile. Assignment reads it at once:
// languages and skills match persons to listeners, capacity bounds their
// list, shifts say when they take cases.
func (s *Service) SaveListener(ctx context.Context, by wellcheck.Actor, l store.Listener) error {
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		if err := q.SaveListener(ctx, l); err != nil {
			return err
		}
		return q.Audit(ctx, by, "listener.profile", nil, nil, map[string]any{"user_id": l.ID})
	})
	if err != nil {
		return fmt.Errorf("save the profile of listener %d: %w", l.ID, err)
	}
	return nil
}
