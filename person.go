package wellcheck

import (
	"fmt"
	"time"
)

// PersonStatus is whether a person is being called.
type PersonStatus string

const (
	PersonActive    PersonStatus = "active"
	PersonPaused    PersonStatus = "paused"    // until PausedUntil; slots meanwhile are cancelled
	PersonWithdrawn PersonStatus = "withdrawn" // consent withdrawn: never called again
)

// RiskLevel is the coordinator's view of how fragile a person is.
type RiskLevel string

const (
	RiskLow    RiskLevel = "low"
	RiskNormal RiskLevel = "normal"
	RiskHigh   RiskLevel = "high"
)

// RiskLevels lists the allowed risk levels.
var RiskLevels = []RiskLevel{RiskLow, RiskNormal, RiskHigh}

// Person is someone enrolled to be called. Free-text notes about them are kept
// apart (Note), never in this struct.
type Person struct {
	ID          int64
	FullName    string
	Phone       Phone
	Language    string // ISO 639-1 code: prompts and listener matching
	TimeZone    string // IANA name
	Address     string
	Postcode    string
	City        string
	Status      PersonStatus
	PausedUntil *time.Time
	WithdrawnAt *time.Time
	ReferentID  *int64
	RiskLevel   RiskLevel
	CreatedAt   time.Time
}

// ReferralSource is who referred a person.
type ReferralSource string

const (
	ReferralFamily         ReferralSource = "family"
	ReferralDoctor         ReferralSource = "doctor"
	ReferralSocialServices ReferralSource = "social_services"
	ReferralLandlord       ReferralSource = "landlord"
	ReferralTownHall       ReferralSource = "town_hall"
	ReferralSelf           ReferralSource = "self"
	ReferralOther          ReferralSource = "other"
)

// ReferralSources lists the allowed sources.
var ReferralSources = []ReferralSource{ReferralFamily, ReferralDoctor, ReferralSocialServices, ReferralLandlord, ReferralTownHall, ReferralSelf, ReferralOther}

// Referral records who asked for a person to be called, and who took the call.
type Referral struct {
	Source        ReferralSource
	ReferrerName  string
	ReferrerPhone Phone // optional
	Concern       string
	ReferredAt    time.Time
	TakenBy       int64 // user id of the coordinator
}

// ConsentGiver is who consented to the calls.
type ConsentGiver string

const (
	ConsentByPerson              ConsentGiver = "person"
	ConsentByLegalRepresentative ConsentGiver = "legal_representative"
)

// ConsentGivers lists the allowed givers.
var ConsentGivers = []ConsentGiver{ConsentByPerson, ConsentByLegalRepresentative}

// ConsentMethod is how consent was collected.
type ConsentMethod string

const (
	ConsentByPhone  ConsentMethod = "phone"
	ConsentOnPaper  ConsentMethod = "paper"
	ConsentInPerson ConsentMethod = "in_person"
)

// ConsentMethods lists the allowed methods.
var ConsentMethods = []ConsentMethod{ConsentByPhone, ConsentOnPaper, ConsentInPerson}

// Consent is the person's (or their legal representative's) agreement to be called.
type Consent struct {
	GivenBy            ConsentGiver
	RepresentativeName string
	GivenAt            time.Time
	Method             ConsentMethod
	RecordedBy         int64
}

// EmergencyContact is someone called, in order, when a person stays unreached.
type EmergencyContact struct {
	ID       int64 // zero until stored
	Position int
	FullName string
	Relation string
	Phone    Phone
	Language string
	// ConsentAt is when the person agreed that this contact be called if they
	// stay unreached (nil: not recorded). Services can require it.
	ConsentAt *time.Time
}

// ISOWeekday numbers weekdays from Monday (1) to Sunday (7), as opening hours
// and shifts are stored and as people read a week.
func ISOWeekday(d time.Weekday) int { return (int(d)+6)%7 + 1 }

// TimeOfDay is a wall-clock time, minutes since midnight.
type TimeOfDay int

// Clock builds a TimeOfDay.
func Clock(hour, minute int) TimeOfDay { return TimeOfDay(hour*60 + minute) }

// ParseTimeOfDay parses "HH:MM" (24 h).
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return Clock(t.Hour(), t.Minute()), nil
}

// Hour and Minute split the time of day.
func (t TimeOfDay) Hour() int   { return int(t) / 60 }
func (t TimeOfDay) Minute() int { return int(t) % 60 }

func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute()) }

// Of returns the time of day of tm in tm's location.
func Of(tm time.Time) TimeOfDay { return Clock(tm.Hour(), tm.Minute()) }

// Window is a daily range of local time, [Start, End).
type Window struct {
	Start, End TimeOfDay
}

// Contains reports whether t lies in [Start, End).
func (w Window) Contains(t TimeOfDay) bool { return t >= w.Start && t < w.End }

// Within reports whether w lies entirely inside outer.
func (w Window) Within(outer Window) bool { return w.Start >= outer.Start && w.End <= outer.End }

func (w Window) String() string { return w.Start.String() + "–" + w.End.String() }

// RetryPolicy is how a day's check-in is retried when the person is not reached.
type RetryPolicy struct {
	MaxAttempts  int
	RetryMinutes []int // delay before attempt 2, 3, …; the last repeats
}

// Plan is when a person wants to be called: a 5-field cron spec evaluated in the
// person's time zone, inside a daily window. A nil Retry uses the service's policy.
type Plan struct {
	Cron   string
	Window Window
	Retry  *RetryPolicy
}

// Enrolment is everything a coordinator records when a person is referred.
type Enrolment struct {
	Person Person
	// Notes is what a listener should know before calling the person
	// ("hard of hearing: speak slowly and loudly"): one text, corrected on
	// their file, kept apart from identity, never logged.
	Notes    string
	Referral Referral
	Consent  *Consent
	Contacts []EmergencyContact
	Plan     Plan
}
