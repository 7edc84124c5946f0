package calling

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/metrics"
	"github.com/wellcheck/wellcheck/store"
)

// Escalate calls the emergency contacts of an escalation's person in order,
// with the escalation prompts, until one presses 1, as the domain's rule says
// (wellcheck.NextContact); each call's row is committed before the INVITE
// leaves. Nobody acknowledging ends it "nobody": the case stays urgent and
// heads the coordinators' view. The case closing, the person withdrawing or
// being reached stops it. Outside opening hours, or while a contact's failed
// call waits for its retry, the job must come back after wait.
func (c *Calls) Escalate(ctx context.Context, escalationID int64) (wait time.Duration, err error) {
	for {
		var next contactCall
		err := c.Store.WithTx(ctx, func(q *store.Queries) (err error) {
			next, err = c.nextContact(ctx, q, escalationID)
			return err
		})
		if err != nil {
			return c.later(verdict{}, fmt.Errorf("escalation %d: %w", escalationID, err))
		}
		if next.none || !next.wait.IsZero() {
			return c.later(verdict{wait: next.wait}, nil)
		}

		var callID int64
		claim := func(ctx context.Context) error {
			changed := false
			err := c.Store.WithTx(ctx, func(q *store.Queries) error {
				again, err := c.nextContact(ctx, q, escalationID)
				if err != nil {
					return err
				}
				if again.none || !again.wait.IsZero() || again.contact.ID != next.contact.ID || again.attempt != next.attempt || again.contact.Phone != next.contact.Phone {
					changed = true // things changed while the call waited for a channel: look again
					return nil
				}
				// The trunk in a storm: this call leaves only as its probe.
				if until, err := c.held(ctx, q, c.now(), escalationKey(escalationID), true); err != nil || !until.IsZero() {
					changed = true
					return err
				}
				next.started = c.now()
				callID, err = q.StartEscalationCall(ctx, again.escalation, again.contact, again.attempt, next.started)
				return err
			})
			if err == nil && changed {
				return errNotDialled
			}
			return err
		}
		res, err := c.place(ctx, metrics.EscalationCall, dialer.Request{To: string(next.contact.Phone), Lang: c.escalationLanguage(next.contact.Language),
			Script: dialer.ScriptEscalation, Claim: claim}, time.Time{})
		if callID == 0 {
			if errors.Is(err, errNotDialled) {
				continue
			}
			return c.later(verdict{}, fmt.Errorf("escalation %d: call contact %d: %w", escalationID, next.contact.Position, err))
		}
		if err != nil {
			res = dialer.Result{Outcome: wellcheck.OutcomeFailed, Reason: err.Error(), Local: true}
		}
		if res.Local {
			res.Reason = wellcheck.OnOurSide + res.Reason
		}
		// A contact's answer must not be lost with a cancelled job, a
		// database away or the node stopping.
		o := ContactOutcome{Escalation: next.escalation.ID, Case: next.escalation.CaseID, Person: next.escalation.PersonID,
			Contact: next.contact.ID, Position: next.contact.Position, Relation: next.contact.Relation, Attempt: next.attempt,
			Call: callID, Started: next.started, Ended: c.now(),
			Outcome: res.Outcome, SIPStatus: res.SIPStatus, Reason: res.Reason, CallID: res.CallID}
		acknowledged, err := c.recordContactCall(context.WithoutCancel(ctx), o)
		if err != nil || acknowledged {
			return 0, err
		}
	}
}

// contactCall is an escalation's next call, or why there is none: nothing to
// call before wait, or nothing to call at all (none: it ended, or another
// worker is calling).
type contactCall struct {
	escalation store.Escalation
	contact    wellcheck.EmergencyContact
	attempt    int
	started    time.Time // when its call started
	wait       time.Time
	none       bool
}

// ContactOutcome is how a call to an emergency contact ended, as recorded
// and as the journal keeps it (its own format: ids, times, the outcome, the
// keys; never a name, a number or the contact's relation, which is free
// text: read again from the database when a replay needs it).
type ContactOutcome struct {
	Escalation int64             `json:"escalation_id"`
	Case       int64             `json:"case_id"`
	Person     int64             `json:"person_id"`
	Contact    int64             `json:"contact_id"`
	Position   int               `json:"position"`
	Relation   string            `json:"-"`
	Attempt    int               `json:"attempt"`
	Call       int64             `json:"call"` // the escalation call's id
	Started    time.Time         `json:"started_at"`
	Ended      time.Time         `json:"ended_at"`
	Outcome    wellcheck.Outcome `json:"outcome"`
	SIPStatus  int               `json:"sip_status,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	CallID     string            `json:"call_id,omitempty"`
}

// recordContactCall records how a contact's call ended and, if they pressed 1,
// ends the escalation (unless it ended meanwhile: the person was reached). As
// a check-in's outcome (record), it is held in the journal first, then tried
// for as long as the database is away.
func (c *Calls) recordContactCall(ctx context.Context, o ContactOutcome) (acknowledged bool, err error) {
	if c.Journal != nil {
		if err := c.Journal.HoldContact(o); err != nil {
			c.log().ErrorContext(ctx, "the outcome journal cannot be written: this contact's answer is kept in memory only",
				"escalation_id", o.Escalation, "err", err)
		}
	}
	call := wellcheck.EscalationCall{ID: o.Call, EndedAt: &o.Ended, Outcome: o.Outcome, Reason: o.Reason, CallID: o.CallID,
		Acknowledged: o.Outcome == wellcheck.OutcomeOK}
	var trunk trunkVerdict
	err = c.keep(ctx, "escalation_id", o.Escalation, func(q *store.Queries) error {
		// A call that failed the way a storm fails every call is the
		// trunk's failure, tried again: it never uses up a contact.
		var err error
		if trunk, err = c.judgeTrunk(ctx, q, o.Started, o.Outcome, o.SIPStatus, o.Reason); err != nil {
			return err
		}
		if trunk.failed {
			call.Outcome, call.Trunk = wellcheck.OutcomeFailed, true
			call.Reason = fmt.Sprintf("the trunk fails every call (%s): %s", o.Outcome, o.Reason)
		}
		if ended, err := q.EndEscalationCall(ctx, call); err != nil || !ended {
			return err // !ended: recorded before (a journal replayed after its mark was lost)
		}
		c.log().InfoContext(ctx, "escalation call ended", "escalation_id", o.Escalation, "case_id", o.Case, "position", o.Position,
			"attempt", o.Attempt, "outcome", call.Outcome, "trunk", call.Trunk)
		if !call.Acknowledged {
			return nil
		}
		if _, err := q.EndEscalation(ctx, o.Escalation, wellcheck.EscalationAcknowledged, &o.Contact, o.Ended); errors.Is(err, wellcheck.ErrNotFound) {
			return nil // it ended meanwhile (the person was reached): the answer stands on the call
		} else if err != nil {
			return err
		}
		relation := o.Relation
		if relation == "" { // replayed from the journal
			if cs, err := q.EmergencyContacts(ctx, o.Person); err == nil {
				if i := slices.IndexFunc(cs, func(ec wellcheck.EmergencyContact) bool { return ec.ID == o.Contact }); i >= 0 {
					relation = cs[i].Relation
				}
			}
		}
		return q.Audit(ctx, systemActor, "escalation.acknowledged", &o.Person, &o.Case,
			map[string]any{"escalation_id": o.Escalation, "position": o.Position, "relation": relation})
	})
	if err == nil && trunk.carried {
		c.endStorm(ctx, trunk.storm)
	}
	if err == nil || errors.Is(err, wellcheck.ErrNotFound) {
		if c.Journal != nil {
			if jerr := c.Journal.RecordedContact(o.Call); jerr != nil {
				c.log().ErrorContext(ctx, "the outcome journal cannot be written", "err", jerr)
			}
		}
	}
	if err != nil {
		return false, fmt.Errorf("record the call to contact %d of escalation %d: %w", o.Position, o.Escalation, err)
	}
	return call.Acknowledged, nil
}

// systemActor is who the audit log says acted.
var systemActor = wellcheck.SystemActor("calls")

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
// order, as every step on a case), whom to call next and which attempt,
// ending the escalation when it is over; a trunk in a storm holds the call
// (the claim confirms the probe: Escalate).
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
		return contactCall{none: true}, nil
	}
	now := c.now()
	person, err := q.PersonForCase(ctx, e.PersonID)
	if err != nil {
		return next, err
	}
	if cs.State == wellcheck.CaseClosed || person.Status == wellcheck.PersonWithdrawn {
		return contactCall{none: true}, c.endEscalation(ctx, q, e, wellcheck.EscalationCancelled, now)
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
			return contactCall{none: true}, nil // a call is in progress: its worker goes on
		}
		// Its node died mid-call: our failure, retried like any other.
		k.EndedAt, k.Outcome, k.Reason = &now, wellcheck.OutcomeFailed, wellcheck.Interrupted
		if ended, err := q.EndEscalationCall(ctx, k); err != nil || !ended {
			// !ended: its real outcome came meanwhile (a node's journal
			// replayed it): decide again in a moment.
			return contactCall{wait: now.Add(time.Second)}, err
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
	step := wellcheck.NextContact(contacts, calls, set.EscalationNeedsConsent, c.failures(), now, cal)
	switch {
	case step.End != "":
		return contactCall{none: true}, c.endEscalation(ctx, q, e, step.End, now)
	case !step.Wait.IsZero():
		next.wait = step.Wait
	default:
		until, err := c.held(ctx, q, now, escalationKey(escalationID), false)
		if err != nil || !until.IsZero() {
			next.wait = until
			return next, err
		}
		next.contact, next.attempt = step.Contact, step.Attempt
	}
	return next, nil
}

// escalationKey names an escalation's next call for the trunk's probe.
func escalationKey(id int64) string { return "escalation " + strconv.FormatInt(id, 10) }

// endEscalation ends escalation e with outcome, in q's transaction.
func (c *Calls) endEscalation(ctx context.Context, q *store.Queries, e store.Escalation, outcome wellcheck.EscalationOutcome, now time.Time) error {
	if _, err := q.EndEscalation(ctx, e.ID, outcome, nil, now); err != nil {
		return err
	}
	c.log().WarnContext(ctx, "escalation ended", "escalation_id", e.ID, "case_id", e.CaseID, "outcome", outcome)
	return q.Audit(ctx, systemActor, "escalation.end", &e.PersonID, &e.CaseID, map[string]any{"escalation_id": e.ID, "outcome": outcome})
}
