package wellcheck

import "time"

// CheckInState is where a planned check-in stands. See DESIGN.md.
type CheckInState string

const (
	CheckInPlanned       CheckInState = "planned"
	CheckInDialing       CheckInState = "dialing"
	CheckInConfirmed     CheckInState = "confirmed"     // pressed 1
	CheckInFlagged       CheckInState = "flagged"       // pressed 2: wants a listener
	CheckInUnreached     CheckInState = "unreached"     // attempts exhausted
	CheckInUndeliverable CheckInState = "undeliverable" // the number does not work
	CheckInCancelled     CheckInState = "cancelled"
	CheckInSystemError   CheckInState = "system_error" // our fault, handed to humans
)

// Final reports whether the state is an end state.
func (s CheckInState) Final() bool { return s != CheckInPlanned && s != CheckInDialing }

// CheckIn is one planned call slot for one person.
type CheckIn struct {
	ID         int64
	PersonID   int64
	SlotAt     time.Time
	PlannedFor *time.Time // the original slot, when it moved
	MoveReason string
	DeadlineAt time.Time // the last moment a call may start (window end, or closing)
	State      CheckInState
}

// Outcome is what one call attempt ended in.
type Outcome string

const (
	OutcomeOK            Outcome = "ok"             // pressed 1
	OutcomeHelpRequested Outcome = "help_requested" // pressed 2
	OutcomeNoResponse    Outcome = "no_response"    // answered, no valid key after the repeat
	OutcomeNoAnswer      Outcome = "no_answer"
	OutcomeBusy          Outcome = "busy"
	OutcomeDeclined      Outcome = "declined"       // 603
	OutcomeInvalidNumber Outcome = "invalid_number" // 404/484/410/604
	OutcomeFailed        Outcome = "failed"         // trunk/transport/5xx: the system's fault
)

// Attempt is one call placed for a check-in.
type Attempt struct {
	ID            int64
	CheckInID     int64
	Number        int
	StartedAt     time.Time
	EndedAt       *time.Time
	Outcome       Outcome
	SIPStatus     int
	CallID        string
	Ring, Talk    time.Duration
	Digits        string
	FailureReason string
}
