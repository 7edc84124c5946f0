package wellcheck

import (
	"slices"
	"time"
)

// CaseCall is a phone call on a case from the listener's browser phone: the
// listener calling the person, or the person calling the service. It is
// logged by itself, so that the listener only writes the note. It holds the
// call's facts, never its audio, which is neither recorded nor stored.
type CaseCall struct {
	ID, CaseID, PersonID int64
	UserID               int64  // the listener
	UserName             string // the listener's name, when listed
	Direction            CallDirection
	// Number is the number dialled, or the caller's; "" for a caller whose
	// number was withheld.
	Number    Phone
	Node      string // the node that bridged it
	SIPCallID string // the Call-ID of the leg to the person, once known
	StartedAt time.Time
	// AnsweredAt is nil if nobody answered; EndedAt nil while the call is
	// in progress.
	AnsweredAt, EndedAt *time.Time
	Outcome             CallOutcome // "" while in progress
	HungUpBy            HungUpBy    // "" when not known
}

// CallDirection says who called whom.
type CallDirection string

const (
	CallOut CallDirection = "out" // the listener called the person
	CallIn  CallDirection = "in"  // the person called the service
)

// CallOutcome is how a call of the browser phone ended.
type CallOutcome string

const (
	CallAnswered      CallOutcome = "answered"
	CallNoAnswer      CallOutcome = "no_answer"
	CallBusy          CallOutcome = "busy"
	CallDeclined      CallOutcome = "declined"
	CallInvalidNumber CallOutcome = "invalid_number"
	CallFailed        CallOutcome = "failed" // ours or the line's, before or during the call
)

// CallOutcomes lists them, for validation.
var CallOutcomes = []CallOutcome{CallAnswered, CallNoAnswer, CallBusy, CallDeclined, CallInvalidNumber, CallFailed}

// Valid reports whether o is one of CallOutcomes.
func (o CallOutcome) Valid() bool { return slices.Contains(CallOutcomes, o) }

// HungUpBy is who ended an answered call.
type HungUpBy string

const (
	HungUpByListener HungUpBy = "listener"
	HungUpByPerson   HungUpBy = "person"
)

// InProgress reports whether the call has not ended.
func (c CaseCall) InProgress() bool { return c.EndedAt == nil }

// Reached reports whether the person was on the line: the call was
// answered, even if the line failed afterwards.
func (c CaseCall) Reached() bool { return c.AnsweredAt != nil }

// Duration is how long the person and the listener spoke, from the answer to
// the end; zero for a call nobody answered or one still in progress.
func (c CaseCall) Duration() time.Duration {
	if c.AnsweredAt == nil || c.EndedAt == nil || c.EndedAt.Before(*c.AnsweredAt) {
		return 0
	}
	return c.EndedAt.Sub(*c.AnsweredAt)
}

// LastCallToday returns the latest of calls (newest first) that user made or
// took on its case on now's day in loc, if any: whether it reached the person
// is what a listener writing the note after a call most likely records.
func LastCallToday(calls []CaseCall, user int64, now time.Time, loc *time.Location) (CaseCall, bool) {
	y, m, d := now.In(loc).Date()
	for _, c := range calls {
		if c.UserID != user {
			continue
		}
		if cy, cm, cd := c.StartedAt.In(loc).Date(); cy != y || cm != m || cd != d {
			return CaseCall{}, false // newest first: the user's latest call was on another day
		}
		return c, true
	}
	return CaseCall{}, false
}
