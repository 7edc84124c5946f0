package workers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/store"
)

// EscalateArgs is the job that calls a person's emergency contacts, in order,
// until one acknowledges.
type EscalateArgs struct {
	EscalationID int64 `json:"escalation_id"`
}

func (EscalateArgs) Kind() string { return "escalate" }

func (EscalateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCalls, MaxAttempts: 10}
}

// escalate starts an escalation for a case an event made urgent, in q's
// transaction, unless one is running.
func (c *Calls) escalate(ctx context.Context, q *store.Queries, cs wellcheck.Case) error {
	e, started, err := q.StartEscalation(ctx, cs.ID, cs.PersonID, c.now())
	if err != nil || !started {
		return err
	}
	if _, err := c.Jobs.client.InsertTx(ctx, q.Tx(), EscalateArgs{EscalationID: e.ID}, nil); err != nil {
		return fmt.Errorf("enqueue escalation %d: %w", e.ID, err)
	}
	return q.Audit(ctx, systemActor, "escalation.start", &cs.PersonID, &cs.ID, map[string]any{"escalation_id": e.ID})
}

// reached stops the person's running escalations: they answered, or a
// listener spoke to them.
func (c *Calls) reached(ctx context.Context, q *store.Queries, personID int64, now time.Time) error {
	ids, err := q.CancelRunningEscalations(ctx, personID, now)
	for _, id := range ids {
		c.log().InfoContext(ctx, "escalation stopped: the person was reached", "escalation_id", id, "person_id", personID)
	}
	return err
}

// Escalate calls the emergency contacts of an escalation's person in order —
// those the person consented to, where the service asks for it — with the
// escalation prompts, until one presses 1. Each contact is called at most
// once per escalation: the call's row is committed before the INVITE leaves.
// Nobody acknowledging ends it "nobody": the case stays urgent and heads the
// coordinators' view. Calls are only made in opening hours; the case closing
// or the person withdrawing cancels it.
func (c *Calls) Escalate(ctx context.Context, escalationID int64) error {
	for {
		var contact wellcheck.EmergencyContact
		var e store.Escalation
		err := c.inTx(ctx, func(q *store.Queries) error {
			var err error
			e, contact, err = c.nextContact(ctx, q, escalationID)
			return err
		})
		if done, err := c.stopped(err); done {
			return err
		}

		var callID int64
		var started = c.now()
		claim := func(ctx context.Context) error {
			return c.inTx(ctx, func(q *store.Queries) error {
				again, next, err := c.nextContact(ctx, q, escalationID)
				if err != nil {
					return err
				}
				if next.ID != contact.ID || next.Phone != contact.Phone {
					return errDone // things changed while the call waited for a channel: look again
				}
				started = c.now()
				callID, err = q.StartEscalationCall(ctx, again, next, started)
				return err
			})
		}
		res, err := c.Dialer.Place(ctx, dialer.Request{To: string(contact.Phone), Lang: contact.Language, Script: dialer.ScriptEscalation, Claim: claim})
		if callID == 0 {
			if errors.Is(err, errDone) {
				continue
			}
			if done, err := c.stopped(err); done {
				return err
			}
			return fmt.Errorf("escalation %d: call contact %d: %w", e.ID, contact.Position, err)
		}
		if err != nil {
			res = dialer.Result{Outcome: wellcheck.OutcomeFailed, Reason: err.Error()}
		}
		ended := c.now()
		call := store.EscalationCall{ID: callID, EndedAt: &ended, Outcome: res.Outcome, Reason: res.Reason, CallID: res.CallID,
			Acknowledged: res.Outcome == wellcheck.OutcomeOK}
		var acknowledged bool
		err = c.Store.WithTx(context.WithoutCancel(ctx), func(q *store.Queries) error {
			if err := q.EndEscalationCall(ctx, call); err != nil {
				return err
			}
			c.log().InfoContext(ctx, "escalation call ended", "escalation_id", e.ID, "case_id", e.CaseID, "position", contact.Position, "outcome", res.Outcome)
			if !call.Acknowledged {
				return nil
			}
			acknowledged = true
			if _, err := q.EndEscalation(ctx, e.ID, store.EscalationAcknowledged, &contact.ID, ended); err != nil {
				return err
			}
			return q.Audit(ctx, systemActor, "escalation.acknowledged", &e.PersonID, &e.CaseID,
				map[string]any{"escalation_id": e.ID, "position": contact.Position, "relation": contact.Relation})
		})
		if err != nil || acknowledged {
			return err
		}
	}
}

// nextContact decides, with the escalation locked, whom to call next: errDone
// when it is over (ending it as it must), a *waitError outside opening hours.
func (c *Calls) nextContact(ctx context.Context, q *store.Queries, escalationID int64) (store.Escalation, wellcheck.EmergencyContact, error) {
	none := wellcheck.EmergencyContact{}
	e, err := q.LockEscalation(ctx, escalationID)
	if err != nil {
		return e, none, err
	}
	if e.EndedAt != nil {
		return e, none, errDone
	}
	now := c.now()
	end := func(outcome string) error {
		if _, err := q.EndEscalation(ctx, e.ID, outcome, nil, now); err != nil {
			return err
		}
		c.log().WarnContext(ctx, "escalation ended", "escalation_id", e.ID, "case_id", e.CaseID, "outcome", outcome)
		if err := q.Audit(ctx, systemActor, "escalation.end", &e.PersonID, &e.CaseID, map[string]any{"escalation_id": e.ID, "outcome": outcome}); err != nil {
			return err
		}
		return errDone
	}
	cs, err := q.LockCase(ctx, e.CaseID)
	if err != nil {
		return e, none, err
	}
	person, err := q.PersonForCase(ctx, e.PersonID)
	if err != nil {
		return e, none, err
	}
	if cs.State == wellcheck.CaseClosed || person.Status == wellcheck.PersonWithdrawn {
		return e, none, end(store.EscalationCancelled)
	}
	calls, err := q.EscalationCalls(ctx, e.ID)
	if err != nil {
		return e, none, err
	}
	for _, k := range calls {
		if k.EndedAt != nil {
			continue
		}
		if now.Sub(k.StartedAt) < c.staleAfter() {
			return e, none, errDone // a call is in progress: its worker goes on
		}
		// Its node died mid-call: the contact is not called again.
		k.EndedAt, k.Outcome, k.Reason = &now, wellcheck.OutcomeFailed, ReasonInterrupted
		if err := q.EndEscalationCall(ctx, k); err != nil {
			return e, none, err
		}
	}
	contacts, err := q.EmergencyContacts(ctx, e.PersonID)
	if err != nil {
		return e, none, err
	}
	retention, err := q.Retention(ctx)
	if err != nil {
		return e, none, err
	}
	callable := slices.DeleteFunc(contacts, func(ec wellcheck.EmergencyContact) bool {
		return retention.EscalationNeedsConsent && ec.ConsentAt == nil
	})
	if len(callable) == 0 {
		return e, none, end(store.EscalationNoContacts)
	}
	i := slices.IndexFunc(callable, func(ec wellcheck.EmergencyContact) bool {
		return !slices.ContainsFunc(calls, func(k store.EscalationCall) bool { return k.Position == ec.Position })
	})
	if i < 0 {
		return e, none, end(store.EscalationNobody)
	}
	cal, _, err := c.calendar(ctx, q, now)
	if err != nil {
		return e, none, err
	}
	if !cal.OpenAt(now) {
		return e, none, &waitError{cal.NextOpen(now)}
	}
	return e, callable[i], nil
}
