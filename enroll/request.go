// Package enroll is the coordinator's main act: enrolling a person referred by
// phone, one at a time (CLI flags, a JSON file, the web form) or in bulk from an
// existing register (CSV). Every path goes through the same validation.
package enroll

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/phone"
	"github.com/wellcheck/wellcheck/scheduler"
)

// Request is an enrolment as a coordinator types it: text fields, validated and
// converted by Check. It is also the JSON body of `wellcheck enroll --file`.
type Request struct {
	Person   PersonInput    `json:"person"`
	Referral ReferralInput  `json:"referral"`
	Consent  *ConsentInput  `json:"consent"`
	Contacts []ContactInput `json:"emergency_contacts"`
	Plan     PlanInput      `json:"plan"`
}

// PersonInput is who is to be called.
type PersonInput struct {
	FullName  string `json:"full_name"`
	Phone     string `json:"phone"`
	Language  string `json:"language"`  // default: the service's language
	TimeZone  string `json:"time_zone"` // default: the service's time zone
	Address   string `json:"address"`
	Postcode  string `json:"postcode"`
	City      string `json:"city"`
	RiskLevel string `json:"risk_level"`     // low, normal (default), high
	Referent  string `json:"referent_email"` // the listener who follows the person, if any
	Notes     string `json:"notes"`
}

// ReferralInput is who referred the person.
type ReferralInput struct {
	Source        string `json:"source"`
	ReferrerName  string `json:"referrer_name"`
	ReferrerPhone string `json:"referrer_phone"`
	Concern       string `json:"concern"`
	ReferredAt    string `json:"referred_at"` // default: now
}

// ConsentInput is the consent to be called.
type ConsentInput struct {
	GivenBy            string `json:"given_by"`
	RepresentativeName string `json:"representative_name"`
	GivenAt            string `json:"given_at"`
	Method             string `json:"method"`
}

// ContactInput is one emergency contact, in the order they are to be called.
type ContactInput struct {
	FullName string `json:"full_name"`
	Relation string `json:"relation"`
	Phone    string `json:"phone"`
	Language string `json:"language"`
	// Consent says whether the person agreed that this contact be called if
	// they stay unreached: yes/no (oui/non); empty is no.
	Consent string `json:"consent,omitempty"`
}

// Empty is a place in the list of contacts left blank: it is skipped, and
// names nobody.
func (ci ContactInput) Empty() bool { return ci == ContactInput{} }

// NoContact is whether the request names no emergency contact: enrolment
// accepts it with a warning.
func (r Request) NoContact() bool {
	return !slices.ContainsFunc(r.Contacts, func(c ContactInput) bool { return !c.Empty() })
}

// PlanInput is when to call: days and a time in words ("du lundi au
// vendredi", "10 h 30"), or a cron spec, which wins when both are given.
type PlanInput struct {
	Days         string `json:"days,omitempty"`
	Time         string `json:"time,omitempty"`
	Cron         string `json:"cron"`
	Window       string `json:"window"`        // "HH:MM-HH:MM"; default: the service's opening hours
	MaxAttempts  int    `json:"max_attempts"`  // 0: the service's policy
	RetryMinutes string `json:"retry_minutes"` // "15,30"; empty: the service's policy

	notNumber string // max attempts as typed, when that was not a number (a CSV cell)
}

// Checker validates requests against the service's settings. It caches what is
// costly and repeats across a register (time zones, plan checks), and is safe for
// concurrent use.
type Checker struct {
	Settings        wellcheck.Settings
	DefaultLanguage string
	Now             time.Time
	// Listeners maps each active listener's lower-cased e-mail to their id, for
	// choosing a person's referent.
	Listeners map[string]int64

	phones   phone.Parser
	zones    sync.Map // name → *time.Location or error
	plans    sync.Map // planKey → planVerdict
	calendar *scheduler.Calendar
}

// NewChecker returns a Checker for settings as of now. The service's time zone
// and holiday calendar must be valid: dates, opening hours and holidays are read
// in them.
func NewChecker(settings wellcheck.Settings, closures []wellcheck.Closure, defaultLanguage string, now time.Time) (*Checker, error) {
	cal, err := scheduler.NewCalendar(settings, closures)
	if err != nil {
		return nil, err
	}
	if defaultLanguage == "" {
		defaultLanguage = "fr"
	}
	return &Checker{
		Settings: settings, DefaultLanguage: defaultLanguage, Now: now,
		phones: phone.Parser{Region: settings.DefaultRegion}, calendar: cal,
	}, nil
}

// Limits on free text, generous for people and small enough to keep rows sane.
const (
	maxName  = 200
	maxShort = 500
	maxNotes = 10000
)

// Check validates req and returns the enrolment to write, with warnings (accepted
// but worth telling the coordinator). Every problem found is reported at once in a
// *wellcheck.ValidationError. takenBy is the coordinator's user id.
func (c *Checker) Check(req Request, takenBy int64) (wellcheck.Enrolment, wellcheck.Problems, error) {
	var problems, warnings wellcheck.Problems
	var e wellcheck.Enrolment

	// Person.
	p := req.Person
	e.Person = c.personDetails(&problems, p)
	e.Person.TimeZone = zoneOf(p.TimeZone, c.Settings.TimeZone)
	loc, err := c.location(e.Person.TimeZone)
	if err != nil {
		problems.Add("person.time_zone", "time_zone_invalid", e.Person.TimeZone)
	}
	e.Person.Status = wellcheck.PersonActive
	e.Notes = c.multiline(&problems, "person.notes", p.Notes, maxNotes)

	// Referral.
	r := req.Referral
	e.Referral.Source = choice(&problems, "referral.source", r.Source, "", wellcheck.ReferralSources, sourceAliases)
	e.Referral.ReferrerName = c.text(&problems, "referral.referrer_name", r.ReferrerName, maxName, false)
	e.Referral.ReferrerPhone = c.phone(&problems, "referral.referrer_phone", r.ReferrerPhone, false)
	e.Referral.Concern = c.multiline(&problems, "referral.concern", r.Concern, maxNotes)
	e.Referral.ReferredAt = c.Now
	if strings.TrimSpace(r.ReferredAt) != "" {
		e.Referral.ReferredAt = c.date(&problems, "referral.referred_at", r.ReferredAt)
	}
	e.Referral.TakenBy = takenBy

	// Consent: without it nobody is called.
	if req.Consent == nil || *req.Consent == (ConsentInput{}) {
		problems.Add("consent", "consent_missing")
	} else {
		ci := req.Consent
		cons := &wellcheck.Consent{RecordedBy: takenBy}
		cons.GivenBy = choice(&problems, "consent.given_by", ci.GivenBy, "", wellcheck.ConsentGivers, giverAliases)
		cons.RepresentativeName = c.text(&problems, "consent.representative_name", ci.RepresentativeName, maxName, false)
		if cons.GivenBy == wellcheck.ConsentByLegalRepresentative && cons.RepresentativeName == "" {
			problems.Add("consent.representative_name", "representative_missing")
		}
		if strings.TrimSpace(ci.GivenAt) == "" {
			problems.Add("consent.given_at", "required")
		} else {
			cons.GivenAt = c.date(&problems, "consent.given_at", ci.GivenAt)
		}
		cons.Method = choice(&problems, "consent.method", ci.Method, "", wellcheck.ConsentMethods, methodAliases)
		e.Consent = cons
	}

	// Emergency contacts: their consent is recorded with the person's own
	// consent to be called.
	var consentAt *time.Time
	if e.Consent != nil {
		consentAt = &e.Consent.GivenAt
	}
	e.Contacts = c.contacts(&problems, req.Contacts, e.Person.Phone, consentAt)
	if req.NoContact() {
		warnings.Add("contacts", "no_emergency_contact")
	}

	e.Plan = c.planOf(req.Plan, e.Person.TimeZone, loc, &problems, &warnings)
	return e, warnings, problems.Err()
}

// personDetails checks who a person is and how they are reached: name,
// number, language, address, risk, referent.
func (c *Checker) personDetails(ps *wellcheck.Problems, p PersonInput) wellcheck.Person {
	var person wellcheck.Person
	person.FullName = c.text(ps, "person.full_name", p.FullName, maxName, true)
	person.Phone = c.phone(ps, "person.phone", p.Phone, true)
	person.Language = c.language(ps, "person.language", p.Language)
	person.Address = c.multiline(ps, "person.address", p.Address, maxShort)
	person.Postcode = c.text(ps, "person.postcode", p.Postcode, 20, false)
	person.City = c.text(ps, "person.city", p.City, maxName, false)
	person.RiskLevel = choice(ps, "person.risk_level", p.RiskLevel, wellcheck.RiskNormal, wellcheck.RiskLevels, riskAliases)
	if email := strings.ToLower(strings.TrimSpace(p.Referent)); email != "" {
		if id, ok := c.Listeners[email]; ok {
			person.ReferentID = &id
		} else {
			ps.Add("person.referent", "referent_unknown", p.Referent)
		}
	}
	return person
}

// contacts checks emergency contacts, in order; empty entries (blank CSV
// columns, a form's unused places) are skipped. Those who agreed to be
// called get consentAt. A problem names the contact by its place in the
// request (contacts[2] is in[1], a CSV's contact2_… columns, a form's second
// contact), where the coordinator typed it, whatever places before it were
// left empty.
func (c *Checker) contacts(ps *wellcheck.Problems, in []ContactInput, personPhone wellcheck.Phone, consentAt *time.Time) []wellcheck.EmergencyContact {
	var out []wellcheck.EmergencyContact
	for i, ci := range in {
		if ci.Empty() {
			continue
		}
		field := fmt.Sprintf("contacts[%d]", i+1)
		ec := wellcheck.EmergencyContact{Position: len(out) + 1}
		ec.FullName = c.text(ps, field+".full_name", ci.FullName, maxName, true)
		ec.Relation = c.text(ps, field+".relation", ci.Relation, maxName, false)
		ec.Phone = c.phone(ps, field+".phone", ci.Phone, true)
		if ec.Phone != "" && ec.Phone == personPhone {
			ps.Add(field+".phone", "phone_same_as_person")
		}
		ec.Language = c.language(ps, field+".language", ci.Language)
		if choice(ps, field+".consent", ci.Consent, "no", []yesNo{"yes", "no"}, yesNoAliases) == "yes" {
			ec.ConsentAt = consentAt
		}
		out = append(out, ec)
	}
	return out
}

// planIn checks a plan for a person in zone (fallback when zone is empty).
func (c *Checker) planIn(in PlanInput, zone, fallback string) (wellcheck.Plan, *time.Location, wellcheck.Problems, error) {
	var problems, warnings wellcheck.Problems
	zone = zoneOf(zone, fallback)
	loc, err := c.location(zone)
	if err != nil {
		problems.Add("person.time_zone", "time_zone_invalid", zone)
	}
	plan := c.planOf(in, zone, loc, &problems, &warnings)
	if err := problems.Err(); err != nil {
		return plan, nil, warnings, err
	}
	return plan, loc, warnings, nil
}

// planOf reads and checks a plan for a person in zone (loc nil when the zone is
// invalid, which is reported elsewhere).
func (c *Checker) planOf(in PlanInput, zone string, loc *time.Location, problems, warnings *wellcheck.Problems) wellcheck.Plan {
	plan := wellcheck.Plan{Cron: strings.Join(strings.Fields(in.Cron), " "), Window: c.Settings.OpeningHours()}
	inWords := plan.Cron == "" && strings.TrimSpace(in.Days+in.Time) != ""
	if inWords {
		plan.Cron = specOf(problems, in.Days, in.Time)
	}
	windowOK := true
	if w := strings.TrimSpace(in.Window); w != "" {
		plan.Window, windowOK = parseWindow(w)
		if !windowOK {
			problems.Add("plan.window", "window_invalid", w)
		}
	}
	if in.MaxAttempts != 0 || in.notNumber != "" || strings.TrimSpace(in.RetryMinutes) != "" {
		plan.Retry = c.retry(problems, in)
	}
	if plan.Cron == "" && !inWords {
		problems.Add("plan.cron", "required")
	} else if plan.Cron != "" && loc != nil && windowOK {
		v := c.checkPlan(plan, zone, loc)
		*problems = append(*problems, v.problems...)
		*warnings = append(*warnings, v.warnings...)
	}
	return plan
}

// zoneOf is the time zone typed: an IANA name, or a place as people say it
// ("La Réunion"); empty, fallback.
func zoneOf(typed, fallback string) string {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return fallback
	}
	if zone, ok := wellcheck.ZoneOfPlace(typed); ok {
		return zone
	}
	return typed
}

// specOf is the cron spec of a plan given as days and a time in words;
// empty, with the problems said, when they do not make one.
func specOf(problems *wellcheck.Problems, days, at string) string {
	d, daysOK := scheduler.ParseDays(days)
	switch {
	case strings.TrimSpace(days) == "":
		problems.Add("plan.days", "required")
	case !daysOK:
		problems.Add("plan.days", "days_invalid", strings.TrimSpace(days))
	}
	t, timeOK := scheduler.ParseTime(at)
	switch {
	case strings.TrimSpace(at) == "":
		problems.Add("plan.time", "required")
	case !timeOK:
		problems.Add("plan.time", "time_invalid", strings.TrimSpace(at))
	}
	if !daysOK || !timeOK {
		return ""
	}
	return scheduler.Spec(d, t.Hour(), t.Minute())
}

// text reads a one-line field.
func (c *Checker) text(ps *wellcheck.Problems, field, s string, limit int, required bool) string {
	s = strings.TrimSpace(s)
	if required && s == "" {
		ps.Add(field, "required")
	}
	checkText(ps, field, s, limit, false)
	return s
}

// multiline reads free text, where line breaks and tabs are fine; a
// browser's line breaks (CRLF) are read as the others.
func (c *Checker) multiline(ps *wellcheck.Problems, field, s string, limit int) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	checkText(ps, field, s, limit, true)
	return s
}

// checkText refuses text that is too long or holds invisible characters: control
// characters (a NUL byte, an escape sequence), which Postgres refuses and which
// would fail a whole load far from the line that holds them, and format
// characters (a zero-width space, a right-to-left override), which make a name
// look like another.
func checkText(ps *wellcheck.Problems, field, s string, limit int, multiline bool) {
	if utf8.RuneCountInString(s) > limit {
		ps.Add(field, "too_long", limit)
	}
	for i, r := range []rune(s) {
		if invisible(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			ps.Add(field, "control_char", i+1)
			return
		}
	}
}

func (c *Checker) phone(ps *wellcheck.Problems, field, raw string, required bool) wellcheck.Phone {
	if strings.TrimSpace(raw) == "" {
		if required {
			ps.Add(field, "required")
		}
		return ""
	}
	ph, err := c.phones.Parse(raw)
	if err != nil {
		ps.AddErr(field, err)
	}
	return ph
}

func (c *Checker) language(ps *wellcheck.Problems, field, s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return c.DefaultLanguage
	}
	if len(s) < 2 || len(s) > 3 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz") != "" {
		ps.Add(field, "language_invalid", s)
	}
	return s
}

func (c *Checker) location(name string) (*time.Location, error) {
	if v, ok := c.zones.Load(name); ok {
		if loc, ok := v.(*time.Location); ok {
			return loc, nil
		}
		return nil, v.(error)
	}
	loc, err := scheduler.LoadZone(name)
	if err != nil {
		c.zones.Store(name, err)
		return nil, err
	}
	c.zones.Store(name, loc)
	return loc, nil
}

// dateLayouts are the forms coordinators and register exports use.
var dateLayouts = []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02", "02/01/2006 15:04", "02/01/2006"}

// date parses a date or date-time in the service's time zone. Consent and
// referral are things that happened: a date in the future is refused, and so is
// one before 2000 (a typo such as 0026 for 2026).
func (c *Checker) date(ps *wellcheck.Problems, field, s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		t, err := time.ParseInLocation(layout, s, c.calendar.Loc)
		if err != nil {
			continue
		}
		if t.After(c.Now.Add(5 * time.Minute)) {
			ps.Add(field, "date_future", s)
		}
		if t.Year() < 2000 {
			ps.Add(field, "date_too_old", s)
		}
		return t
	}
	ps.Add(field, "date_invalid", s)
	return time.Time{}
}

var windowFolder = strings.NewReplacer("–", "-", "—", "-", " ", "")

// invisible reports control and format characters, except the joiners and soft
// hyphen that Persian, Indic scripts and emoji need.
func invisible(r rune) bool {
	switch r {
	case '\u200c', '\u200d', '\u00ad': // zero-width non-joiner, joiner, soft hyphen
		return false
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

func parseWindow(s string) (wellcheck.Window, bool) {
	s = windowFolder.Replace(s)
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return wellcheck.Window{}, false
	}
	start, err1 := wellcheck.ParseTimeOfDay(a)
	end, err2 := wellcheck.ParseTimeOfDay(b)
	if err1 != nil || err2 != nil || start >= end {
		return wellcheck.Window{}, false
	}
	return wellcheck.Window{Start: start, End: end}, true
}

func (c *Checker) retry(ps *wellcheck.Problems, in PlanInput) *wellcheck.RetryPolicy {
	if in.notNumber != "" {
		ps.Add("plan.max_attempts", "attempts_not_number", in.notNumber)
	}
	rp := RetryOf(ps, "plan.", in.MaxAttempts, in.RetryMinutes, c.Settings.Retry)
	return &rp
}

// RetryOf reads a retry policy as typed: attempts (0: def's) and minutes
// between them, comma-separated (empty: def's). Problems go to the fields
// prefix+"max_attempts" and prefix+"retry_minutes".
func RetryOf(ps *wellcheck.Problems, prefix string, attempts int, minutes string, def wellcheck.RetryPolicy) wellcheck.RetryPolicy {
	rp := wellcheck.RetryPolicy{MaxAttempts: cmp.Or(attempts, def.MaxAttempts), RetryMinutes: def.RetryMinutes}
	if rp.MaxAttempts < 1 || rp.MaxAttempts > 10 {
		ps.Add(prefix+"max_attempts", "attempts_invalid")
	}
	if s := strings.TrimSpace(minutes); s != "" {
		rp.RetryMinutes = nil
		for _, part := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil || n < 1 || n > 240 {
				ps.Add(prefix+"retry_minutes", "retry_invalid", s)
				return rp
			}
			rp.RetryMinutes = append(rp.RetryMinutes, n)
		}
	}
	return rp
}

type planKey struct {
	cron, zone string
	window     wellcheck.Window
}

type planVerdict struct{ problems, warnings wellcheck.Problems }

// checkPlan runs scheduler.CheckPlan once per distinct (cron, zone, window): a
// register has thousands of persons and a handful of plans.
func (c *Checker) checkPlan(plan wellcheck.Plan, zone string, loc *time.Location) planVerdict {
	key := planKey{plan.Cron, zone, plan.Window}
	if v, ok := c.plans.Load(key); ok {
		return v.(planVerdict)
	}
	var v planVerdict
	scheduler.CheckPlan(plan, loc, c.calendar, c.Settings.MaxCallsPerDay, c.Now, &v.problems, &v.warnings)
	c.plans.Store(key, v)
	return v
}

// choice reads one of allowed (or a French alias of it); empty gives def, or a
// "required" problem when def is empty.
func choice[T ~string](ps *wellcheck.Problems, field, s string, def T, allowed []T, aliases map[string]T) T {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		if def == "" {
			ps.Add(field, "required")
		}
		return def
	}
	norm := choiceFolder.Replace(wellcheck.Fold(s))
	for _, a := range allowed {
		if norm == string(a) {
			return a
		}
	}
	if a, ok := aliases[norm]; ok {
		return a
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	ps.Add(field, "choice_invalid", s, strings.Join(names, ", "))
	return def
}

// yesNo is a yes/no column.
type yesNo string

// choiceFolder turns a choice as people write it, folded ("services sociaux",
// "eleve"), to its code form ("services_sociaux").
var choiceFolder = strings.NewReplacer("-", "_", " ", "_")

// French aliases, as registers and coordinators write them (accents folded).
var (
	sourceAliases = map[string]wellcheck.ReferralSource{
		"famille": wellcheck.ReferralFamily, "proche": wellcheck.ReferralFamily,
		"medecin": wellcheck.ReferralDoctor, "services_sociaux": wellcheck.ReferralSocialServices,
		"ccas": wellcheck.ReferralSocialServices, "bailleur": wellcheck.ReferralLandlord,
		"mairie": wellcheck.ReferralTownHall, "la_personne": wellcheck.ReferralSelf,
		"elle_meme": wellcheck.ReferralSelf, "lui_meme": wellcheck.ReferralSelf, "autre": wellcheck.ReferralOther,
	}
	giverAliases = map[string]wellcheck.ConsentGiver{
		"personne": wellcheck.ConsentByPerson, "la_personne": wellcheck.ConsentByPerson,
		"representant_legal": wellcheck.ConsentByLegalRepresentative, "tuteur": wellcheck.ConsentByLegalRepresentative,
		"curateur": wellcheck.ConsentByLegalRepresentative,
	}
	methodAliases = map[string]wellcheck.ConsentMethod{
		"telephone": wellcheck.ConsentByPhone, "papier": wellcheck.ConsentOnPaper, "ecrit": wellcheck.ConsentOnPaper,
		"en_personne": wellcheck.ConsentInPerson, "visite": wellcheck.ConsentInPerson,
	}
	yesNoAliases = map[string]yesNo{"oui": "yes", "o": "yes", "y": "yes", "true": "yes", "1": "yes", "non": "no", "n": "no", "false": "no", "0": "no"}
	riskAliases  = map[string]wellcheck.RiskLevel{
		"faible": wellcheck.RiskLow, "bas": wellcheck.RiskLow, "eleve": wellcheck.RiskHigh, "haut": wellcheck.RiskHigh,
	}
)
