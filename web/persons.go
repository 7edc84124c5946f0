package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/phone"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// previewDays is how far the plan preview looks ahead.
const previewDays = 28

// weekdays are the plan builder's days, as cron writes them.
var weekdays = []string{"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"}

// planForm is the plan builder: which days (Monday to Friday, every day, or
// the days ticked) and a time, or a cron spec for experts (which wins when
// given), in a window.
type planForm struct {
	// Repeat is the days chosen: repeatWeekdays, repeatEveryDay or
	// repeatDays (the days ticked count only then); none chosen, the days
	// ticked.
	Repeat       string
	Days         []string
	Time, Cron   string
	Window, Zone string
	// PausedUntil (RFC 3339) is a paused person's resumption, for the preview.
	PausedUntil string
}

// The plan builder's choices of days.
const (
	repeatWeekdays = "weekdays"
	repeatEveryDay = "every_day"
	repeatDays     = "days"
)

// planFormOf reads the plan builder's fields.
func planFormOf(r *http.Request) planForm {
	_ = r.ParseForm()
	return planForm{
		Repeat: r.Form.Get("plan.repeat"), Days: r.Form["plan.days"], Time: strings.TrimSpace(r.Form.Get("plan.time")),
		Cron: strings.TrimSpace(r.Form.Get("plan.cron")), Window: strings.TrimSpace(r.Form.Get("plan.window")),
		Zone: zoneOf(r), PausedUntil: r.Form.Get("plan.paused_until"),
	}
}

// input is the plan as enrolment reads it: the expert's cron spec if given,
// else one built from the days and time ("0 10 * * MON,THU"). Days and a time
// that do not make a plan leave it empty, which enrolment refuses by name.
func (f planForm) input() enroll.PlanInput {
	if f.Cron != "" {
		return enroll.PlanInput{Cron: f.Cron, Window: f.Window}
	}
	return enroll.PlanInput{Cron: f.built(), Window: f.Window}
}

// built is the cron spec of the days chosen and the time: "0 10 * * MON-FRI",
// "0 10 * * *", "0 10 * * MON,THU".
func (f planForm) built() string {
	t, err := time.Parse("15:04", f.Time)
	if err != nil {
		return ""
	}
	var days []time.Weekday
	switch f.Repeat {
	case repeatWeekdays:
		days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	case repeatEveryDay:
		days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	default: // repeatDays, or no choice made: the days ticked
		for i, d := range weekdays {
			if slices.Contains(f.Days, d) {
				days = append(days, time.Weekday((i+1)%7)) // weekdays is Monday first
			}
		}
	}
	if len(days) == 0 {
		return ""
	}
	return scheduler.Spec(days, t.Hour(), t.Minute())
}

// RepeatChoice is the choice of days the form shows: the one made, else
// certain days when some are ticked.
func (f planForm) RepeatChoice() string {
	if f.Repeat == "" && len(f.Days) > 0 {
		return repeatDays
	}
	return f.Repeat
}

// dayOptions are the weekdays to tick, in the reader's language.
func (f planForm) DayOptions(lang wellcheck.Lang) []checkOption {
	out := make([]checkOption, len(weekdays))
	for i, d := range weekdays {
		out[i] = checkOption{Value: d, Text: wellcheck.WeekdayName(time.Weekday((i + 1) % 7)).Text(lang), Checked: slices.Contains(f.Days, d)}
	}
	return out
}

type checkOption struct {
	Value, Text string
	Checked     bool
}

// planFormFrom fills the builder from a stored plan: days and time when the
// spec is one time on some weekdays (scheduler.Simple), the spec itself
// otherwise.
func planFormFrom(p wellcheck.Plan, zone string) planForm {
	f := planForm{Cron: p.Cron, Window: p.Window.String(), Zone: zone}.inWords()
	if f.Repeat != "" {
		f.Cron = ""
	}
	return f
}

// inWords fills the builder's days and time from its cron spec when the
// spec says one time on some weekdays (scheduler.Simple): Monday to Friday,
// every day, or the days. The spec stays as it is, and still wins.
func (f planForm) inWords() planForm {
	days, h, m, ok := scheduler.Simple(f.Cron)
	if !ok {
		return f
	}
	f.Days, f.Time = nil, fmt.Sprintf("%02d:%02d", h, m)
	for _, d := range days {
		f.Days = append(f.Days, weekdays[(int(d)+6)%7]) // weekdays is Monday first
	}
	switch {
	case len(days) == 7:
		f.Repeat = repeatEveryDay
	case slices.Equal(f.Days, weekdays[:5]):
		f.Repeat = repeatWeekdays
	default:
		f.Repeat = repeatDays
	}
	return f
}

// previewView is a plan's preview as the form and its script show it.
type previewView struct {
	Cron     string     `json:"cron"`
	Words    string     `json:"words,omitempty"` // the plan as people say it, when it can be
	Head     string     `json:"head"`
	Calls    int        `json:"calls"`
	Slots    []slotView `json:"slots"`
	Warnings []string   `json:"warnings"`
	Problems []string   `json:"problems"`
}

type slotView struct {
	When   string `json:"when"`
	Status string `json:"status"`
	Text   string `json:"text"`
}

// preview runs the scheduler's preview on the plan builder's fields, with the
// service's own calendar, for the next four weeks.
func (s *Server) preview(r *http.Request, f planForm) (previewView, error) {
	lang := langOf(r)
	in := f.input()
	v := previewView{Cron: in.Cron, Slots: []slotView{}, Warnings: []string{}, Problems: []string{}}
	if in.Cron == "" {
		return v, nil // no day ticked yet: nothing to show, nothing wrong
	}
	paused, _ := time.Parse(time.RFC3339, f.PausedUntil) // zero when not paused
	p, err := s.Enrol.Preview(r.Context(), in, f.Zone, previewDays, paused)
	for _, w := range p.Warnings {
		v.Warnings = append(v.Warnings, w.Text(lang))
	}
	var invalid *wellcheck.ValidationError
	if errors.As(err, &invalid) {
		for _, pr := range invalid.Problems {
			v.Problems = append(v.Problems, pr.Text(lang))
		}
		return v, nil
	}
	if err != nil {
		return v, err
	}
	v.Head = text(lang, "preview_head", p.Calls(), previewDays, wellcheck.ZoneName(p.Zone.String(), lang))
	v.Words, _ = scheduler.Describe(in.Cron, lang)
	for _, sl := range p.Slots {
		v.Slots = append(v.Slots, slotView{When: scheduler.LocalTime(sl.At, lang), Status: sl.Status, Text: sl.Describe(lang)})
	}
	return v, nil
}

// planPreview answers the form's script: the preview of the plan as typed so
// far, as JSON.
func (s *Server) planPreview(w http.ResponseWriter, r *http.Request, sess session) error {
	v, err := s.preview(r, planFormOf(r))
	if err != nil {
		return err
	}
	if fromPage(r) {
		return s.renderFragment(w, fragmentPreview, partial{page{Lang: langOf(r)}, &v})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
	return nil
}

// enrolView is the enrolment form.
type enrolView struct {
	Req                      enroll.Request
	Details                  detailsForm
	Plan                     planForm
	Preview                  *previewView
	Sources, Givers, Methods []option
	Zone                     zoneForm
	// NoContacts warns that the form sent names no emergency contact.
	NoContacts string
}

// detailsForm is who a person is, how they are reached and their emergency
// contacts, as typed: the enrolment form's and the file's correction form's
// fields.
type detailsForm struct {
	Person                 enroll.PersonInput
	Contacts               []contactRow
	Languages, Risks, Refs []option
}

// detailsFormOf fills the form with in, and its choices.
func detailsFormOf(in enroll.DetailsInput, listeners []store.ListenerLoad, lang wellcheck.Lang) detailsForm {
	f := detailsForm{Person: in.Person, Contacts: contactRows(in.Contacts), Languages: languageOptions, Risks: choices(lang, "risk.", wellcheck.RiskLevels)}
	f.Refs = []option{{"", text(lang, "no_referent")}}
	for _, l := range listeners {
		f.Refs = append(f.Refs, option{l.Email, l.FullName})
	}
	return f
}

// contactRows are the form's places for emergency contacts, filled with in.
func contactRows(in []enroll.ContactInput) []contactRow {
	rows := make([]contactRow, maxFormContacts)
	for i := range rows {
		rows[i].N = i + 1
		if i < len(in) {
			rows[i].ContactInput = in[i]
		}
	}
	return rows
}

// contactRow is the form's nth emergency contact.
type contactRow struct {
	N int
	enroll.ContactInput
}

// maxFormContacts is how many emergency contacts the form offers.
const maxFormContacts = 3

func (s *Server) enrolForm(w http.ResponseWriter, r *http.Request, sess session) error {
	return s.showEnrol(w, r, sess, http.StatusOK, nil)
}

// requestOf reads the enrolment form into the request enrolment checks.
func requestOf(r *http.Request) enroll.Request {
	_ = r.ParseForm()
	v := func(name string) string { return r.PostForm.Get(name) }
	details := detailsOf(r)
	req := enroll.Request{
		Person:   details.Person,
		Contacts: details.Contacts,
		Referral: enroll.ReferralInput{Source: v("referral.source"), ReferrerName: v("referral.referrer_name"),
			ReferrerPhone: v("referral.referrer_phone"), Concern: v("referral.concern")},
		Consent: &enroll.ConsentInput{GivenBy: v("consent.given_by"), RepresentativeName: v("consent.representative_name"),
			GivenAt: v("consent.given_at"), Method: v("consent.method")},
	}
	req.Person.TimeZone = zoneOf(r)
	return req
}

// detailsOf reads a person's details, the note about them and their
// emergency contacts from a form.
func detailsOf(r *http.Request) enroll.DetailsInput {
	_ = r.ParseForm()
	v := func(name string) string { return r.PostForm.Get(name) }
	in := enroll.DetailsInput{Person: enroll.PersonInput{
		FullName: v("person.full_name"), Phone: v("person.phone"), Language: v("person.language"),
		Address: v("person.address"), Postcode: v("person.postcode"), City: v("person.city"),
		RiskLevel: v("person.risk_level"), Referent: v("person.referent"), Notes: v("person.notes"),
	}}
	for i := 1; i <= maxFormContacts; i++ {
		p := fmt.Sprintf("contacts[%d].", i)
		in.Contacts = append(in.Contacts, enroll.ContactInput{FullName: v(p + "full_name"), Relation: v(p + "relation"), Phone: v(p + "phone"),
			Language: v(p + "language"), Consent: v(p + "consent")})
	}
	return in
}

// enrol enrols the person the form describes, or shows the form again with
// every problem beside its field; "preview" only previews the plan.
func (s *Server) enrol(w http.ResponseWriter, r *http.Request, sess session) error {
	req, f := requestOf(r), planFormOf(r)
	if r.PostForm.Has("preview") {
		return s.showEnrol(w, r, sess, http.StatusOK, nil)
	}
	req.Plan = f.input()
	if noOtherZone(r) {
		req.Person.TimeZone = otherZone
	}
	res, err := s.Enrol.Enroll(r.Context(), req, sess.User, "web")
	if noOtherZone(r) {
		err = zoneMissing(err)
	}
	if err != nil {
		status := statusOf(err)
		if status == http.StatusInternalServerError {
			return err
		}
		return s.showEnrol(w, r, sess, status, err)
	}
	http.Redirect(w, r, fmt.Sprintf("/persons/%d?done=enrolled", res.PersonID), http.StatusSeeOther)
	return nil
}

// showEnrol shows the enrolment form: new, with its defaults, or as it was
// sent (a POST), with the preview of the plan sent, a warning if it names no
// emergency contact, and the problems of a refusal.
func (s *Server) showEnrol(w http.ResponseWriter, r *http.Request, sess session, status int, problem error) error {
	lang := langOf(r)
	settings, err := s.Store.Queries().Settings(r.Context())
	if err != nil {
		return err
	}
	listeners, err := s.Store.Queries().Listeners(r.Context())
	if err != nil {
		return err
	}
	req := enroll.Request{
		Person:  enroll.PersonInput{Language: "fr"},
		Consent: &enroll.ConsentInput{GivenBy: string(wellcheck.ConsentByPerson), GivenAt: s.now().Format(time.DateOnly), Method: string(wellcheck.ConsentByPhone)},
	}
	zone, err := s.zoneFormOf(r, lang, settings.TimeZone)
	if err != nil {
		return err
	}
	v := enrolView{Req: req, Details: detailsFormOf(enroll.DetailsInput{Person: req.Person}, listeners, lang),
		Plan: planForm{Time: "10:00"}, Zone: zone,
		Sources: choices(lang, "source.", wellcheck.ReferralSources), Givers: choices(lang, "giver.", wellcheck.ConsentGivers),
		Methods: choices(lang, "method.", wellcheck.ConsentMethods)}
	p := signedInPage(text(lang, "enrol"), sess, v)
	if r.Method == http.MethodPost {
		v.Plan = planFormOf(r).inWords() // as sent, an expert's simple spec in words
		preview, err := s.preview(r, v.Plan)
		if err != nil {
			return err
		}
		v.Preview = &preview
		if requestOf(r).NoContact() {
			v.NoContacts = noContactsWarning(lang)
		}
		p.Data = v
		p.keep(r)
	}
	if problem != nil {
		p.refuse(r, problem)
	}
	return s.render(w, r, pageEnrol, status, p)
}

// noContactsWarning is enrolment's warning for a person without an
// emergency contact, as the command line and the API give it, as a
// sentence.
func noContactsWarning(lang wellcheck.Lang) string {
	w := wellcheck.Message{Key: "no_emergency_contact"}.Text(lang)
	r, size := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + w[size:]
}

// choices lists a set of values with their words in lang (key prefix+value).
func choices[T ~string](lang wellcheck.Lang, prefix string, values []T) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{string(v), text(lang, prefix+string(v))}
	}
	return out
}

// languageOptions are the languages a person may be called and followed in,
// by their own name.
var languageOptions = []option{{"fr", "français"}, {"en", "English"}, {"ar", "العربية"}, {"es", "español"},
	{"pt", "português"}, {"it", "italiano"}, {"de", "Deutsch"}, {"tr", "Türkçe"}, {"pl", "polski"}, {"ro", "română"}}

// languageName is a language's own name, or its code if it has none here.
func languageName(code string) string {
	if i := slices.IndexFunc(languageOptions, func(o option) bool { return o.Value == code }); i >= 0 {
		return languageOptions[i].Text
	}
	return code
}

// otherZone is the zone list's last choice, another time zone than the
// places it names: the one typed in the field beside it.
const otherZone = "other"

// zoneForm is the choice of a person's time zone: a place, or another zone
// typed, from the full list on request.
type zoneForm struct {
	Place, Other string
	Places       []option
	// All are every time zone's name, offered as the other zone is typed.
	All []string
}

// zoneFormOf shows zone as the form's choice: its place if it is one, else
// the other zone typed, so that saving a form never moves a person to
// another zone unasked.
func (s *Server) zoneFormOf(r *http.Request, lang wellcheck.Lang, zone string) (zoneForm, error) {
	all, err := s.zoneNames(r.Context())
	if err != nil {
		return zoneForm{}, err
	}
	f := zoneForm{Place: zone, All: all}
	for _, p := range wellcheck.Places {
		f.Places = append(f.Places, option{p.Zone, p.Name(lang)})
	}
	f.Places = append(f.Places, option{otherZone, text(lang, "zone_other")})
	if !slices.ContainsFunc(wellcheck.Places, func(p wellcheck.Place) bool { return p.Zone == zone }) {
		f.Place, f.Other = otherZone, zone
	}
	return f, nil
}

// zoneNames are every time zone's name, asked of Postgres once.
func (s *Server) zoneNames(ctx context.Context) ([]string, error) {
	s.zones.Lock()
	defer s.zones.Unlock()
	if s.zones.names == nil {
		names, err := s.Store.Queries().TimeZoneNames(ctx)
		if err != nil {
			return nil, err
		}
		s.zones.names = names
	}
	return s.zones.names, nil
}

// zoneOf reads the time zone a form chose: the other zone if one is typed
// (as the cron spec replaces the days), else the place chosen; none when
// the other zone was chosen but not typed (noOtherZone).
func zoneOf(r *http.Request) string {
	_ = r.ParseForm()
	if other := strings.TrimSpace(r.Form.Get("person.time_zone_other")); other != "" {
		return other
	}
	if zone := strings.TrimSpace(r.Form.Get("person.time_zone")); zone != otherZone {
		return zone
	}
	return ""
}

// noOtherZone is whether a form chose another time zone without typing it:
// the zone is then refused (zoneMissing), not left to the default.
func noOtherZone(r *http.Request) bool {
	return zoneOf(r) == "" && r.Form.Get("person.time_zone") == otherZone
}

// zoneMissing says, of a form that chose another time zone without typing
// it (and so sent otherZone as its zone), that the zone is to be typed
// rather than that "other" is not a time zone.
func zoneMissing(err error) error {
	var invalid *wellcheck.ValidationError
	if !errors.As(err, &invalid) {
		return err
	}
	for i, p := range invalid.Problems {
		if p.Field == "person.time_zone" && p.Message.Key == "time_zone_invalid" {
			invalid.Problems[i].Message = wellcheck.Message{Key: "time_zone_missing"}
		}
	}
	return err
}

// statusOf is the HTTP status of a service's refusal.
func statusOf(err error) int {
	switch wellcheck.ErrorCode(err) {
	case wellcheck.EInvalid:
		return http.StatusUnprocessableEntity
	case wellcheck.EConflict:
		return http.StatusConflict
	case wellcheck.EForbidden:
		return http.StatusForbidden
	case wellcheck.ENotFound:
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// personsView is the persons search.
type personsView struct {
	Query string
	Hits  []personHit
}

type personHit struct {
	store.PersonHit
	Phone, StatusText string
}

// maxHits is how many persons a search lists.
const maxHits = 50

// searchPersons finds persons by name or number.
func (s *Server) searchPersons(w http.ResponseWriter, r *http.Request, sess session) error {
	lang := langOf(r)
	v := personsView{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	if v.Query != "" {
		phones, err := s.phones(r)
		if err != nil {
			return err
		}
		var number wellcheck.Phone
		if strings.ContainsAny(v.Query, "0123456789") {
			number, _ = phones.Parse(v.Query)
		}
		hits, err := s.Store.Queries().SearchPersons(r.Context(), v.Query, number, maxHits)
		if err != nil {
			return err
		}
		for _, h := range hits {
			v.Hits = append(v.Hits, personHit{PersonHit: h, Phone: phones.Format(h.Phone), StatusText: text(lang, "status."+string(h.Status))})
		}
	}
	return s.render(w, r, pagePersons, http.StatusOK, signedInPage(text(lang, "persons"), sess, v))
}

// personView is a person's file as coordinators see it.
type personView struct {
	wellcheck.Enrolment
	Phone, StatusText, Window string
	PausedUntil               string
	Contacts                  []contactView
	Upcoming, Past            []dated
	CaseID                    int64
	Builder                   planForm // the plan, in the plan builder
	Preview                   *previewView
	Details                   detailsForm // the correction form
	Zone                      zoneForm
	Changeable                bool
	// NoContacts warns, while the person may be called, that nobody can be
	// alerted if they stay unreached.
	NoContacts string
	// PlanWords is the plan as people say it ("lundi et jeudi vers 10 h");
	// empty for an expert's spec, shown as it is.
	PlanWords string
	// ZoneName is the person's time zone as people say it ("Guadeloupe").
	ZoneName string
	// Language is the language the person is called in, in words.
	Language string
}

func (s *Server) personPage(w http.ResponseWriter, r *http.Request, sess session) error {
	id, ok := pathID(r)
	if !ok {
		return notFound("person_not_found")
	}
	notice := ""
	if done := r.URL.Query().Get("done"); texts["done."+done][0] != "" {
		notice = text(langOf(r), "done."+done)
	}
	return s.showPerson(w, r, sess, id, http.StatusOK, nil, notice)
}

// showPerson renders person id's file, and writes the view to the audit log.
// A problem is a refusal of the form r sent, which comes back as it was sent.
func (s *Server) showPerson(w http.ResponseWriter, r *http.Request, sess session, id int64, status int, problem error, notice string) error {
	lang := langOf(r)
	q := s.Store.Queries()
	e, err := q.Enrolment(r.Context(), id)
	if err != nil {
		return notFoundAs(err, "person_not_found")
	}
	phones, err := s.phones(r)
	if err != nil {
		return err
	}
	loc := personZone(e.Person.TimeZone)
	v := personView{Enrolment: e, Phone: phones.Format(e.Person.Phone), StatusText: text(lang, "status."+string(e.Person.Status)),
		Window: e.Plan.Window.String(), Changeable: e.Person.Status != wellcheck.PersonWithdrawn}
	v.PlanWords, _ = scheduler.Describe(e.Plan.Cron, lang)
	v.ZoneName = wellcheck.ZoneName(e.Person.TimeZone, lang)
	v.Language = spokenLanguage(lang, e.Person.Language)
	if e.Person.PausedUntil != nil {
		v.PausedUntil = dayAndClock(lang, e.Person.PausedUntil.In(loc))
	}
	v.Builder = planFormFrom(e.Plan, e.Person.TimeZone)
	if v.Changeable { // the correction form: its referent choices
		listeners, err := q.Listeners(r.Context())
		if err != nil {
			return err
		}
		v.Details = detailsFormOf(detailsInputOf(e, listeners, phones), listeners, lang)
		if v.Zone, err = s.zoneFormOf(r, lang, e.Person.TimeZone); err != nil {
			return err
		}
	}
	if problem != nil && r.PathValue("action") == "plan" {
		v.Builder = planFormOf(r).inWords() // the preview is the refused plan's
	}
	if e.Person.PausedUntil != nil {
		v.Builder.PausedUntil = e.Person.PausedUntil.Format(time.RFC3339)
	}
	if v.Changeable {
		preview, err := s.preview(r, v.Builder)
		if err != nil {
			return err
		}
		v.Preview = &preview
	}
	v.Contacts = contactsOf(e, phones)
	if v.Changeable && len(e.Contacts) == 0 {
		v.NoContacts = noContactsWarning(lang)
	}
	checkIns, err := q.CheckInsForPerson(r.Context(), id)
	if err != nil {
		return err
	}
	for i := len(checkIns) - 1; i >= 0; i-- {
		ci := checkIns[i]
		d := dated{When: dayAndClock(lang, ci.SlotAt.In(loc)), State: text(lang, "state."+string(ci.State))}
		switch {
		case ci.State.Final() && len(v.Past) < 20:
			v.Past = append(v.Past, d)
		case !ci.State.Final():
			v.Upcoming = append([]dated{d}, v.Upcoming...)
		}
	}
	if c, _, err := q.OpenCase(r.Context(), id); err == nil {
		v.CaseID = c.ID
	} else if !errors.Is(err, wellcheck.ErrNotFound) {
		return err
	}
	if err := q.Audit(r.Context(), actorOf(sess), "person.view", &id, nil, nil); err != nil {
		return err
	}
	p := signedInPage(e.Person.FullName, sess, v)
	p.Notice = notice
	if problem != nil {
		p.refuse(r, problem)
	}
	return s.render(w, r, pagePerson, status, p)
}

// detailsInputOf shows a person's details and contacts as the correction
// form's fields: numbers formatted as typed, the referent by e-mail.
func detailsInputOf(e wellcheck.Enrolment, listeners []store.ListenerLoad, phones phone.Parser) enroll.DetailsInput {
	p := e.Person
	in := enroll.DetailsInput{Person: enroll.PersonInput{FullName: p.FullName, Phone: phones.Format(p.Phone), Language: p.Language,
		Address: p.Address, Postcode: p.Postcode, City: p.City, RiskLevel: string(p.RiskLevel), Notes: e.Notes}}
	for _, l := range listeners {
		if p.ReferentID != nil && l.ID == *p.ReferentID {
			in.Person.Referent = l.Email
		}
	}
	for _, c := range e.Contacts {
		consent := "no"
		if c.ConsentAt != nil {
			consent = "yes"
		}
		in.Contacts = append(in.Contacts, enroll.ContactInput{FullName: c.FullName, Relation: c.Relation, Phone: phones.Format(c.Phone),
			Language: c.Language, Consent: consent})
	}
	return in
}

// changePerson applies a coordinator's change to a person: their details
// corrected, a new plan, a pause, its end, consent withdrawn, or erasure on
// request.
func (s *Server) changePerson(w http.ResponseWriter, r *http.Request, sess session) error {
	id, ok := pathID(r)
	if !ok {
		return notFound("person_not_found")
	}
	ctx, action := r.Context(), r.PathValue("action")
	var err error
	switch action {
	case "plan":
		pf := planFormOf(r)
		if noOtherZone(r) {
			pf.Zone = otherZone
		}
		_, _, err = s.Enrol.EditPlan(ctx, id, pf.input(), pf.Zone, sess.User, "web")
		if noOtherZone(r) {
			err = zoneMissing(err)
		}
	case "details":
		err = s.Enrol.EditDetails(ctx, id, detailsOf(r), sess.User, "web")
	case "pause":
		var until time.Time
		if until, err = s.dateIn(r, id, "person.paused_until"); err == nil {
			err = s.Enrol.Pause(ctx, id, until, sess.User, "web")
		}
	case "resume":
		err = s.Enrol.Resume(ctx, id, sess.User, "web")
	case "withdraw":
		if err = confirmed(r); err == nil {
			err = s.Enrol.Withdraw(ctx, id, sess.User, "web")
		}
	case "erase":
		if err = confirmed(r); err == nil {
			err = s.Enrol.Erase(ctx, id, sess.User, "web")
		}
		if err == nil {
			http.Redirect(w, r, "/persons?done=erased", http.StatusSeeOther)
			return nil
		}
	default:
		return notFound("not_found_page")
	}
	if err != nil {
		status := statusOf(err)
		if status == http.StatusInternalServerError {
			return err
		}
		return s.showPerson(w, r, sess, id, status, err, "")
	}
	http.Redirect(w, r, fmt.Sprintf("/persons/%d?done=%s", id, url.QueryEscape(action)), http.StatusSeeOther)
	return nil
}

// confirmed refuses an irreversible change whose box was not ticked.
func confirmed(r *http.Request) error {
	if r.PostFormValue("confirm") == "yes" {
		return nil
	}
	return wellcheck.Problems{{Field: "confirm", Message: wellcheck.Message{Key: "confirm_missing"}}}.Err()
}

// dateIn reads a date field (YYYY-MM-DD) as the start of that day in person
// id's zone.
func (s *Server) dateIn(r *http.Request, id int64, field string) (time.Time, error) {
	person, err := s.Store.Queries().PersonForCase(r.Context(), id)
	if err != nil {
		return time.Time{}, err
	}
	value := strings.TrimSpace(r.PostFormValue(field))
	t, err := time.ParseInLocation(time.DateOnly, value, personZone(person.TimeZone))
	if err != nil {
		return t, wellcheck.Problems{{Field: field, Message: wellcheck.Message{Key: "date_invalid", Args: []any{value}}}}.Err()
	}
	return t, nil
}
