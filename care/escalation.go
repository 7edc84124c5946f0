package care

import (
	"context"
	"fmt"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// escalate starts an escalation for a case an event made urgent, in q's
// transaction, unless one is running: its job calls the person's emergency
// contacts.
func (s *Cases) escalate(ctx context.Context, q *store.Queries, cs wellcheck.Case) error {
	e, started, err := q.StartEscalation(ctx, cs.ID, cs.PersonID, s.now())
	if err != nil {
		return fmt.Errorf("start an escalation for case %d: %w", cs.ID, err)
	}
	if !started {
		return nil
	}
	if err := s.Queue.EnqueueEscalation(ctx, q, e.ID); err != nil {
		return err
	}
	return q.Audit(ctx, systemActor, "escalation.start", &cs.PersonID, &cs.ID, map[string]any{"escalation_id": e.ID})
}

// reached stops the person's running escalations: they answered, or a
// listener spoke to them.
func (s *Cases) reached(ctx context.Context, q *store.Queries, personID int64, now time.Time) error {
	ids, err := q.CancelRunningEscalations(ctx, personID, now)
	if err != nil {
		return fmt.Errorf("stop the escalations of person %d: %w", personID, err)
	}
	for _, id := range ids {
		s.log().InfoContext(ctx, "escalation stopped: the person was reached", "escalation_id", id, "person_id", personID)
	}
	return nil
}
