package enroll

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wellcheck/wellcheck"
)

// MaxContacts is how many emergency contacts a register's row can carry
// (contact1_… to contact3_…).
const MaxContacts = 3

// cellKind says how a spreadsheet's raw cell is read: a date or a time of day
// is a number there.
type cellKind int

const (
	textCell cellKind = iota
	dateCell
	timeCell
	phoneCell
)

// A column is one column a register may hold: its name (the English snake
// case wellcheck has always read), the field its problems are said on, the
// other headers people give it, and where its value goes in a Request. Its
// header in the model is the catalogue's "column.<name>", in the reader's
// language; that header is accepted in either language too.
type column struct {
	name    string
	field   string
	aliases []string
	kind    cellKind
	set     func(r *Request, v string)
}

// columns are a register's columns, in the model's order: who, when to call,
// who referred them and their consent, then the rest.
var columns = append([]column{
	{"full_name", "person.full_name", []string{"nom", "nom complet", "nom prénom", "prénom nom", "name", "personne"}, textCell, func(r *Request, v string) { r.Person.FullName = v }},
	{"phone", "person.phone", []string{"tel", "tél", "téléphone", "numéro", "numéro de téléphone", "phone number"}, phoneCell, func(r *Request, v string) { r.Person.Phone = v }},
	{"days", "plan.days", []string{"jours", "jours d'appel", "days"}, textCell, func(r *Request, v string) { r.Plan.Days = v }},
	{"time", "plan.time", []string{"heure", "heure d'appel", "time"}, timeCell, func(r *Request, v string) { r.Plan.Time = v }},
	{"window", "plan.window", []string{"plage", "plage horaire", "plage d'appel"}, textCell, func(r *Request, v string) { r.Plan.Window = v }},
	{"referral_source", "referral.source", []string{"origine", "orienté par", "orientée par", "signalé par", "source"}, textCell, func(r *Request, v string) { r.Referral.Source = v }},
	{"referrer_name", "referral.referrer_name", []string{"nom du signalant", "referrer"}, textCell, func(r *Request, v string) { r.Referral.ReferrerName = v }},
	{"referrer_phone", "referral.referrer_phone", []string{"téléphone du signalant"}, phoneCell, func(r *Request, v string) { r.Referral.ReferrerPhone = v }},
	{"referral_concern", "referral.concern", []string{"inquiétude", "motif", "motif du signalement", "concern"}, textCell, func(r *Request, v string) { r.Referral.Concern = v }},
	{"referred_at", "referral.referred_at", []string{"date de signalement"}, dateCell, func(r *Request, v string) { r.Referral.ReferredAt = v }},
	{"consent_given_by", "consent.given_by", []string{"consentement de"}, textCell, func(r *Request, v string) { consent(r).GivenBy = v }},
	{"consent_representative", "consent.representative_name", []string{"représentant", "tuteur ou curateur"}, textCell, func(r *Request, v string) { consent(r).RepresentativeName = v }},
	{"consent_given_at", "consent.given_at", []string{"date de consentement"}, dateCell, func(r *Request, v string) { consent(r).GivenAt = v }},
	{"consent_method", "consent.method", []string{"mode de consentement", "consentement recueilli par", "consent method"}, textCell, func(r *Request, v string) { consent(r).Method = v }},
	{"language", "person.language", []string{"langue"}, textCell, func(r *Request, v string) { r.Person.Language = v }},
	{"time_zone", "person.time_zone", []string{"fuseau"}, textCell, func(r *Request, v string) { r.Person.TimeZone = v }},
	{"address", "person.address", []string{"adresse"}, textCell, func(r *Request, v string) { r.Person.Address = v }},
	{"postcode", "person.postcode", []string{"cp", "code postal", "zip"}, textCell, func(r *Request, v string) { r.Person.Postcode = v }},
	{"city", "person.city", []string{"ville", "commune", "city"}, textCell, func(r *Request, v string) { r.Person.City = v }},
	{"risk_level", "person.risk_level", []string{"risque"}, textCell, func(r *Request, v string) { r.Person.RiskLevel = v }},
	{"referent_email", "person.referent", []string{"référent", "écoutant référent", "e-mail du référent"}, textCell, func(r *Request, v string) { r.Person.Referent = v }},
	{"notes", "person.notes", []string{"remarques", "observations", "à savoir"}, textCell, func(r *Request, v string) { r.Person.Notes = v }},
	{"max_attempts", "plan.max_attempts", []string{"essais", "nombre d'essais"}, textCell, func(r *Request, v string) {
		if v = strings.TrimSpace(v); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				r.Plan.notNumber = v // Check says so, in the coordinator's words
			}
			r.Plan.MaxAttempts = n
		}
	}},
	{"retry_minutes", "plan.retry_minutes", []string{"délais entre essais"}, textCell, func(r *Request, v string) { r.Plan.RetryMinutes = v }},
	{"cron", "plan.cron", nil, textCell, func(r *Request, v string) { r.Plan.Cron = v }},
}, contactColumns()...)

// requiredColumns must be in every header; the plan is days and a time, or
// a cron spec.
var requiredColumns = []string{"full_name", "phone", "referral_source", "consent_given_by", "consent_given_at", "consent_method"}

// contactColumns are contact1_… to contactN_….
func contactColumns() []column {
	var cols []column
	for i := 1; i <= MaxContacts; i++ {
		n, field := strconv.Itoa(i), fmt.Sprintf("contacts[%d]", i)
		cols = append(cols,
			column{"contact" + n + "_name", field + ".full_name", []string{"nom contact " + n, "contact " + n}, textCell, func(r *Request, v string) { contact(r, i).FullName = v }},
			column{"contact" + n + "_relation", field + ".relation", []string{"lien contact " + n}, textCell, func(r *Request, v string) { contact(r, i).Relation = v }},
			column{"contact" + n + "_phone", field + ".phone", []string{"téléphone contact " + n, "tél contact " + n}, phoneCell, func(r *Request, v string) { contact(r, i).Phone = v }},
			column{"contact" + n + "_language", field + ".language", []string{"langue contact " + n}, textCell, func(r *Request, v string) { contact(r, i).Language = v }},
			column{"contact" + n + "_consent", field + ".consent", []string{"accord contact " + n}, textCell, func(r *Request, v string) { contact(r, i).Consent = v }},
		)
	}
	return cols
}

// Header is a column's header in the model, in lang.
func (c column) Header(lang wellcheck.Lang) string {
	return wellcheck.Message{Key: "column." + c.name}.Text(lang)
}

// byHeader finds a column by any header it is known by, folded.
var byHeader = func() map[string]int {
	m := map[string]int{}
	add := func(h string, i int) {
		k := foldHeader(h)
		if j, taken := m[k]; taken && j != i {
			panic(fmt.Sprintf("enroll: header %q names columns %s and %s", h, columns[j].name, columns[i].name))
		}
		m[k] = i
	}
	for i, c := range columns {
		add(c.name, i)
		add(c.Header(wellcheck.French), i)
		add(c.Header(wellcheck.English), i)
		for _, a := range c.aliases {
			add(a, i)
		}
	}
	return m
}()

// foldHeader is how headers compare: case, accents, spaces and punctuation
// left out ("Téléphone (contact 1)" is "telephonecontact1").
func foldHeader(h string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, wellcheck.Fold(h))
}

// columnFor is the column a header names, or -1.
func columnFor(header string) int {
	if i, ok := byHeader[foldHeader(header)]; ok {
		return i
	}
	return -1
}

// Columns lists the columns a register may hold, by their headers in lang,
// required ones first.
func Columns(lang wellcheck.Lang) (required, optional []string) {
	for _, c := range columns {
		if slices.Contains(requiredColumns, c.name) {
			required = append(required, c.Header(lang))
		} else {
			optional = append(optional, c.Header(lang))
		}
	}
	return required, optional
}

// Letter is a spreadsheet's name for column i (0: A, 26: AA).
func Letter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

func consent(r *Request) *ConsentInput {
	if r.Consent == nil {
		r.Consent = &ConsentInput{}
	}
	return r.Consent
}

func contact(r *Request, n int) *ContactInput {
	for len(r.Contacts) < n {
		r.Contacts = append(r.Contacts, ContactInput{})
	}
	return &r.Contacts[n-1]
}

// layout is a register's header: its columns as the file writes them, and
// which column each one is.
type layout struct {
	written []string       // the headers, as written
	index   []int          // columns[index[i]] is the file's column i; -1: a column without a header
	at      map[string]int // a column's name → its place in the file
}

// layoutOf reads a register's header. Every header must name a column, once;
// the required columns must be there, and a plan (days and a time, or cron).
// A column without a header is left out (spreadsheets export a trailing
// empty one), as long as it holds nothing.
func layoutOf(written []string) (*layout, error) {
	lay := &layout{written: written, index: make([]int, len(written)), at: map[string]int{}}
	var problems wellcheck.Problems
	for i, h := range written {
		lay.index[i] = -1
		if strings.TrimSpace(h) == "" {
			continue
		}
		c := columnFor(h)
		if c < 0 {
			problems.Add("header", "csv_header_unknown", Letter(i), strings.TrimSpace(h))
			continue
		}
		if j, twice := lay.at[columns[c].name]; twice {
			problems.Add("header", "csv_header_duplicate", wellcheck.List([]any{Letter(j), Letter(i)}), columns[c].headerMessage())
			continue
		}
		lay.index[i], lay.at[columns[c].name] = c, i
	}
	for _, name := range requiredColumns {
		if _, ok := lay.at[name]; !ok {
			problems.Add("header", "csv_header_missing", named(name).headerMessage())
		}
	}
	_, days := lay.at["days"]
	_, at := lay.at["time"]
	if _, cron := lay.at["cron"]; !cron && (!days || !at) {
		problems.Add("header", "csv_plan_missing", named("days").headerMessage(), named("time").headerMessage(), named("cron").headerMessage())
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return lay, nil
}

func (c column) headerMessage() wellcheck.Message { return wellcheck.Message{Key: "column." + c.name} }

// Header is the model's header of the column called name, in lang.
func Header(name string, lang wellcheck.Lang) string { return named(name).Header(lang) }

// named is the column called name.
func named(name string) column {
	i := slices.IndexFunc(columns, func(c column) bool { return c.name == name })
	return columns[i]
}

// columnsOf are the file's columns a problem on field is in: a plan given in
// words is in its days and time columns.
func (l *layout) columnsOf(field string, inWords bool) []int {
	names := []string{}
	switch {
	case field == "plan.cron" && inWords:
		names = []string{"days", "time"}
	default:
		if i := slices.IndexFunc(columns, func(c column) bool { return c.field == field }); i >= 0 {
			names = []string{columns[i].name}
		}
	}
	var out []int
	for _, n := range names {
		if i, ok := l.at[n]; ok {
			out = append(out, i)
		}
	}
	return out
}
