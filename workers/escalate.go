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
	"github.com/wellcheck/wellcheck/metrics"
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
// escalation prompts, until one presses 1. Each contact is called once per
// escalation, again only after a call that failed through our fault (after
// FailedRetry, up to MaxFailures); each call's row is committed before the
// INVITE leaves. Nobody acknowledging ends it "nobody": the case stays urgent
// and heads the coordinators' view. Calls are only made in opening hours; the
// case closing, the person withdrawing or being reached stops it.
func (c *Calls) Escalate(ctx context.Context, escalationID int64) error {
	for {
		var next contactCall
		err := c.inTx(ctx, func(q *store.Queries) error {
			var err error
			next, err = c.nextContact(ctx, q, escalationID)
			return err
		})
		if done, err := c.stopped(err); done {
			return err
		}

		var callID int64
		claim := func(ctx context.Context) error {
			return c.inTx(ctx, func(q *store.Queries) error {
				again, err := c.nextContact(ctx, q, escalationID)
				if err != nil {
					return err
				}
				if again.contact.ID != next.contact.ID || again.attempt != next.attempt || again.contact.Phone != next.contact.Phone {
					return errDone // things changed while the call waited for a channel: look again
				}
				callID, err = q.StartEscalationCall(ctx, again.escalation, again.contact, again.attempt, c.now())
				return err
			})
		}
		res, err := c.place(ctx, metrics.EscalationCall, dialer.Request{To: string(next.contact.Phone), Lang: c.escalationLanguage(next.contact.Language),
			Script: dialer.ScriptEscalation, Claim: claim}, time.Time{})
		if callID == 0 {
			if errors.Is(err, errDone) {
				continue
			}
			if done, err := c.stopped(err); done {
				return err
			}
			return fmt.Errorf("escalation %d: call contact %d: %w", escalationID, next.contact.Position, err)
		}
		if err != nil {
			res = dialer.Result{Outcome: wellcheck.OutcomeFailed, Reason: err.Error()}
		}
		// A contact's answer must not be lost with a cancelled job.
		acknowledged, err := c.recordContactCall(context.WithoutCancel(ctx), next, callID, res)
		if err != nil || acknowledged {
			return err
		}
	}
}

// contactCall is the next call of an escalation.
type contactCall struct {
	escalation store.Escalation
	contact    wellcheck.EmergencyContact
	attempt    int
}

// recordContactCall records how a contact's call ended and, if they pressed 1,
// ends the escalation (unless it ended meanwhile: the person was reached).
func (c *Calls) recordContactCall(ctx context.Context, next contactCall, callID int64, res dialer.Result) (acknowledged bool, err error) {
	e, contact := next.escalation, next.contact
	ended := c.now()
	call := store.EscalationCall{ID: callID, EndedAt: &ended, Outcome: res.Outcome, Reason: res.Reason, CallID: res.CallID,
		Acknowledged: res.Outcome == wellcheck.OutcomeOK}
	err = c.persist(ctx, "escalation_id", e.ID, func(q *store.Queries) error {
		if err := q.EndEscalationCall(ctx, call); err != nil {
			return err
		}
		c.log().InfoContext(ctx, "escalation call ended", "escalation_id", e.ID, "case_id", e.CaseID, "position", contact.Position,
			"attempt", next.attempt, "outcome", res.Outcome)
		if !call.Acknowledged {
			return nil
		}
		if _, err := q.EndEscalation(ctx, e.ID, store.EscalationAcknowledged, &contact.ID, ended); errors.Is(err, wellcheck.ErrNotFound) {
			return nil // it ended meanwhile (the person was reached): the answer stands on the call
		} else if err != nil {
			return err
		}
		return q.Audit(ctx, systemActor, "escalation.acknowledged", &e.PersonID, &e.CaseID,
			map[string]any{"escalation_id": e.ID, "position": contact.Position, "relation": contact.Relation})
	})
	return call.Acknowledged, err
}

// escalationLanguage is lang if the dialer has escalation prompts in it, else
// the first of French and English it has: a contact is called in a language
// the service recorded, never not called for want of prompts.
func (c *Calls) escalationLanguage(lang string) string {
	speaker, ok := c.Dialer.(interface {
		Speaks(dialer.Script, string) bool
	})
	if !ok || speaker.Speaks(dialer.ScriptEscalation, lang) {
		return lang
	}
	for _, l := range []string{"fr", "en"} {
		if speaker.Speaks(dialer.ScriptEscalation, l) {
			return l
		}
	}
	return lang
}

// nextContact decides, with the case and the escalation locked (in that
// order, as every step on a case), whom to call next and which attempt:
// errDone when it is over (ending it as it must) or another worker is
// calling, a *waitError outside opening hours or while a contact's failed
// call waits for its retry.
func (c *Calls) nextContact(ctx context.Context, q *store.Queries, escalationID int64) (contactCall, error) {
	var next contactCall
	e, err := q.Escalation(ctx, escalationID)
	if err != nil {
		return next, err
	}
	cs, err := q.LockCase(ctx, e.CaseID)
	if err != nil {
		return next, err
	}
	if e, err = q.LockEscalation(ctx, escalationID); err != nil {
		return next, err
	}
	next.escalation = e
	if e.EndedAt != nil {
		return next, errDone
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
	person, err := q.PersonForCase(ctx, e.PersonID)
	if err != nil {
		return next, err
	}
	if cs.State == wellcheck.CaseClosed || person.Status == wellcheck.PersonWithdrawn {
		return next, end(store.EscalationCancelled)
	}
	calls, err := q.EscalationCalls(ctx, e.ID)
	if err != nil {
		return next, err
	}
	for i, k := range calls {
		if k.EndedAt != nil {
			continue
		}
		if now.Sub(k.StartedAt) < c.staleAfter() {
			return next, errDone // a call is in progress: its worker goes on
		}
		// Its node died mid-call: our failure, retried like any other.
		k.EndedAt, k.Outcome, k.Reason = &now, wellcheck.OutcomeFailed, ReasonInterrupted
		if err := q.EndEscalationCall(ctx, k); err != nil {
			return next, err
		}
		calls[i] = k
	}
	contacts, err := q.EmergencyContacts(ctx, e.PersonID)
	if err != nil {
		return next, err
	}
	cal, set, err := c.calendar(ctx, q, now)
	if err != nil {
		return next, err
	}
	contacts = slices.DeleteFunc(contacts, func(ec wellcheck.EmergencyContact) bool {
		return set.EscalationNeedsConsent && ec.ConsentAt == nil
	})
	if len(contacts) == 0 {
		return next, end(store.EscalationNoContacts)
	}
	for _, ec := range contacts {
		var made []store.EscalationCall
		for _, k := range calls {
			if k.Position == ec.Position {
				made = append(made, k)
			}
		}
		if slices.ContainsFunc(made, func(k store.EscalationCall) bool { return k.Outcome != wellcheck.OutcomeFailed }) || len(made) >= c.maxFailures() {
			continue // answered (or not) by them, or our calls kept failing: the next contact
		}
		if n := len(made); n > 0 && now.Before(made[n-1].EndedAt.Add(c.failedRetry())) {
			return next, &waitError{made[n-1].EndedAt.Add(c.failedRetry())}
		}
		if !cal.OpenAt(now) {
			return next, &waitError{cal.NextOpen(now)}
		}
		next.contact, next.attempt = ec, len(made)+1
		return next, nil
	}
	return next, end(store.EscalationNobody)
}
