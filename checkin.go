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

// CheckInReason says why a check-in ended where it did (check_ins.state_reason):
// the one list the calls, the planner and the pages share.
type CheckInReason string

const (
	ReasonPressed1          CheckInReason = "pressed_1"
	ReasonPressed2          CheckInReason = "pressed_2"
	ReasonInvalidNumber     CheckInReason = "invalid_number"
	ReasonAttemptsExhausted CheckInReason = "attempts_exhausted" // every attempt the policy allows was made
	ReasonNoTimeLeft        CheckInReason = "no_time_left"       // the next attempt would fall after the cut-off or the window
	ReasonCallsFailed       CheckInReason = "calls_failed"       // our calls kept failing
	ReasonTrunkDown         CheckInReason = "trunk_down"         // the trunk failed every call (a storm) until no time was left
	ReasonNotCalledInTime   CheckInReason = "not_called_in_time" // no call could be placed before the deadline
	ReasonMissed            CheckInReason = "missed"             // the system was down at the slot: never called
	ReasonStalled           CheckInReason = "stalled"            // the system was down at a retry: never called back
	ReasonPaused            CheckInReason = "paused"
	ReasonWithdrawn         CheckInReason = "withdrawn" // consent withdrawn
	ReasonClosed            CheckInReason = "closed"    // the service closed (a closure added late)
	ReasonReplanned         CheckInReason = "replanned" // the plan, pause or calendar no longer asks for it
	// ReasonCalledIn: the person, missed today, called the service and
	// pressed 1 (confirmed) or 2 (flagged) at its menu.
	ReasonCalledIn CheckInReason = "called_in"
)

// Interrupted is the failure reason of a call (a check-in's attempt, an
// emergency contact's call, a test call) whose node stopped mid-call.
const Interrupted = "interrupted: the node placing the call stopped"

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
	OutcomeVoicemail     Outcome = "voicemail"      // an answering machine took the call
	OutcomeNoAnswer      Outcome = "no_answer"
	OutcomeBusy          Outcome = "busy"
	OutcomeDeclined      Outcome = "declined"       // 603
	OutcomeInvalidNumber Outcome = "invalid_number" // 404/484/410/604
	OutcomeFailed        Outcome = "failed"         // trunk/transport/5xx: the system's fault
	// OutcomeAnswered is a listener's call from the browser phone that the
	// person answered: a conversation, not a check-in (which has no such
	// outcome).
	OutcomeAnswered Outcome = "answered"
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
	// Trunk says the call failed in a storm (see TrunkRule): the trunk's
	// fault, counted against nobody.
	Trunk bool
	// Quality is what the call's RTP and RTCP told of its audio.
	Quality CallQuality
	// TakenBy is the listener the person, having pressed 2, was put
	// through to there and then: the case that follows goes to them. It
	// decides the hand-on of the call's outcome, and is not kept after.
	TakenBy *int64
}
