package wellcheck

import (
	"slices"
	"time"
)

// EscalationOutcome is how an escalation ended.
type EscalationOutcome string

const (
	EscalationAcknowledged EscalationOutcome = "acknowledged" // a contact pressed 1
	EscalationNobody       EscalationOutcome = "nobody"       // every contact was called; none acknowledged
	EscalationNoContacts   EscalationOutcome = "no_contacts"  // nobody to call (or no consent recorded)
	EscalationCancelled    EscalationOutcome = "cancelled"    // the case closed or the person withdrew
)

// EscalationCall is one call to an emergency contact.
type EscalationCall struct {
	ID           int64
	ContactID    *int64
	Position     int
	Attempt      int // 2, 3 after calls that failed through our fault
	StartedAt    time.Time
	EndedAt      *time.Time
	Outcome      Outcome
	Reason       string
	CallID       string
	Acknowledged bool
	// Trunk says a storm failed the call (TrunkRule): it never uses the
	// contact up.
	Trunk bool
	// FullName and Relation are whom it called, as they were named then.
	FullName, Relation string
}

// Opening is the service's calendar as an escalation needs it.
type Opening interface {
	OpenAt(t time.Time) bool
	NextOpen(t time.Time) time.Time // the next moment the service is open after t
}

// EscalationStep is an escalation's next step: call Contact (the Attempt-th
// time), wait until Wait, or end with End.
type EscalationStep struct {
	Contact EmergencyContact
	Attempt int
	Wait    time.Time
	End     EscalationOutcome
}

// NextContact decides an escalation's next step from the person's emergency
// contacts (in order) and the calls made so far, all ended. Each contact is
// called once, again only after a call that failed through our fault (after
// f.RetryAfter, up to f.InARow calls); a contact who answered — whether or not
// they pressed 1 — is done with. Only contacts whose consent is recorded are
// called where the service asks for it (needsConsent). Calls are placed only
// while the service is open (else wait until it opens). Nobody left to call
// ends it: no_contacts if there was nobody to call, nobody otherwise.
func NextContact(contacts []EmergencyContact, calls []EscalationCall, needsConsent bool, f Failures, now time.Time, hours Opening) EscalationStep {
	f = f.OrDefault()
	contacts = slices.DeleteFunc(slices.Clone(contacts), func(ec EmergencyContact) bool {
		return needsConsent && ec.ConsentAt == nil
	})
	if len(contacts) == 0 {
		return EscalationStep{End: EscalationNoContacts}
	}
	for _, ec := range contacts {
		// made are the calls that count: a storm's say nothing of this
		// contact (the storm holds the next call itself); all number them.
		var made []EscalationCall
		all := 0
		for _, k := range calls {
			if k.Position != ec.Position {
				continue
			}
			all++
			if !k.Trunk {
				made = append(made, k)
			}
		}
		if slices.ContainsFunc(made, func(k EscalationCall) bool { return k.Outcome != OutcomeFailed }) || len(made) >= f.InARow {
			continue // answered (or not) by them, or our calls kept failing: the next contact
		}
		if n := len(made); n > 0 && now.Before(made[n-1].EndedAt.Add(f.RetryAfter)) {
			return EscalationStep{Wait: made[n-1].EndedAt.Add(f.RetryAfter)}
		}
		if !hours.OpenAt(now) {
			return EscalationStep{Wait: hours.NextOpen(now)}
		}
		return EscalationStep{Contact: ec, Attempt: all + 1}
	}
	return EscalationStep{End: EscalationNobody}
}
