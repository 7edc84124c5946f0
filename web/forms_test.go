package web_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/wellcheck/wellcheck/web"
)

// formValues reads, from a page, what the form that posts to action would
// send if it were submitted as it stands, as a browser builds its form data:
// text, hidden, date and time inputs and textareas by their value, ticked
// checkboxes and radios, each select's chosen option (its first if none is
// selected); no file, no button, nothing disabled. The page is parsed as a
// browser parses it (golang.org/x/net/html), so the order of attributes,
// the spacing and the escaping do not matter. The page must hold exactly
// one such form.
func formValues(t *testing.T, body, action string) url.Values {
	t.Helper()
	forms := elements(t, body, func(n *html.Node) bool { return n.DataAtom == atom.Form && attr(n, "action") == action })
	require.Len(t, forms, 1, "one form posts to %s", action)
	out := url.Values{}
	for n := range forms[0].Descendants() {
		name := attr(n, "name")
		if n.Type != html.ElementNode || name == "" || hasAttr(n, "disabled") {
			continue
		}
		switch n.DataAtom {
		case atom.Input:
			switch strings.ToLower(attr(n, "type")) {
			case "submit", "button", "image", "reset", "file":
			case "checkbox", "radio":
				if hasAttr(n, "checked") {
					out.Add(name, attr(n, "value"))
				}
			default:
				out.Add(name, attr(n, "value"))
			}
		case atom.Textarea:
			out.Add(name, textIn(n))
		case atom.Select:
			var chosen *html.Node
			for o := range n.Descendants() {
				if o.DataAtom == atom.Option && (chosen == nil || hasAttr(o, "selected") && !hasAttr(chosen, "selected")) {
					chosen = o
				}
			}
			if chosen != nil {
				value, ok := attrOK(chosen, "value")
				if !ok {
					value = strings.TrimSpace(textIn(chosen))
				}
				out.Add(name, value)
			}
		}
	}
	return out
}

// textOf reads the text a reader sees in the element of a page whose id is
// id, its words separated by single spaces; "" if the page has no such
// element.
func textOf(t *testing.T, body, id string) string {
	t.Helper()
	found := elements(t, body, func(n *html.Node) bool { return attr(n, "id") == id })
	if len(found) == 0 {
		return ""
	}
	return strings.Join(strings.Fields(textIn(found[0])), " ")
}

// elements are a page's elements that match, in document order.
func elements(t *testing.T, body string, match func(*html.Node) bool) []*html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	require.NoError(t, err, "the page reads as HTML")
	var out []*html.Node
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
	}
	return out
}

// textIn is the text within n, each piece followed by a space.
func textIn(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
			b.WriteByte(' ')
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

func attrOK(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func attr(n *html.Node, name string) string { v, _ := attrOK(n, name); return v }

func hasAttr(n *html.Node, name string) bool { _, ok := attrOK(n, name); return ok }

// requireKept checks that the form posting to action, on a page shown again
// after it was refused, holds every value sent: each field as typed, each box
// as ticked.
func requireKept(t *testing.T, body, action string, sent url.Values) {
	t.Helper()
	got := formValues(t, body, action)
	for name, values := range sent {
		if name == "csrf" {
			continue
		}
		require.ElementsMatch(t, values, got[name], "the refused form keeps %s", name)
	}
}

// Every form of the product, refused, comes back holding what was typed into
// it: each text, date and time as typed, each choice as chosen, each box as
// ticked, the repeated rows (emergency contacts, days of a week) in their
// places; and the page's other forms keep their own values. (The enrolment
// form also runs in Chromium: TestBrowserRefusedEnrolmentKeepsWhatWasTyped.)
func TestRefusedFormsKeepWhatWasTyped(t *testing.T) {
	t.Parallel()
	s := setup(t, func(ui *web.Server) {
		ui.Line = &web.Line{Trunk: "sip.example.net:5060", Transport: "udp", Channels: 4, CPS: 2,
			RingTimeout: 30 * time.Second, MaxCall: 3 * time.Minute, Languages: []string{"fr"}, EscalationLanguages: []string{"fr"}}
	})
	s.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)) // Tuesday 10:00 in Paris
	personID := s.enrol(t, "Jeanne Martin", "+33612345678")
	person := itoa(personID)
	c := s.browser(t)
	csrf, _ := s.signInAs(t, c, adam)
	res, _ := s.post(t, c, "/partners", url.Values{"csrf": {csrf}, "partner.name": {"Centre social Belleville"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	partners, err := s.store.Queries().Partners(context.Background(), true)
	require.NoError(t, err)
	partner := itoa(partners[0].ID)

	type row struct {
		name, action string
		sent         url.Values
		status       int
		// others are forms on the same page that must show what they showed
		// before, by action and a field's value.
		others map[string]url.Values
	}
	rows := []row{
		{name: "enrolment", action: "/persons", status: http.StatusUnprocessableEntity, sent: url.Values{
			"referral.source": {"landlord"}, "referral.referrer_name": {"Office HLM Est"}, "referral.referrer_phone": {"01 99 00 12 34"},
			"referral.concern": {"Ne sort plus depuis une semaine.\nLa voisine s'inquiète."},
			"person.full_name": {"Marie Curie"}, "person.phone": {"01 23"}, "person.language": {"en"}, "person.address": {"12 rue des Lilas"},
			"person.postcode": {"75011"}, "person.city": {"Paris"}, "person.risk_level": {"high"}, "person.referent": {"parti@example.org"},
			"person.time_zone": {"Europe/Brussels"}, "person.notes": {"Malentendante : parler lentement et fort"},
			"consent.given_by": {"legal_representative"}, "consent.representative_name": {"Paul Curie"}, "consent.given_at": {"2026-11-20"},
			"consent.method":        {"paper"},
			"contacts[1].full_name": {""}, "contacts[1].relation": {""}, "contacts[1].phone": {""},
			"contacts[2].full_name": {"Ève Curie"}, "contacts[2].relation": {"fille"}, "contacts[2].phone": {"08 99 12 34 56"}, "contacts[2].consent": {"yes"},
			"contacts[3].full_name": {"Irène Curie"}, "contacts[3].relation": {"fille"}, "contacts[3].phone": {"06 98 76 54 32"},
			"plan.days": {"TUE", "THU"}, "plan.time": {"11:00"}, "plan.window": {"10:00-12:00"}, "plan.cron": {""},
		}},
		{name: "a person's details", action: "/persons/" + person + "/details", status: http.StatusUnprocessableEntity, sent: url.Values{
			"person.full_name": {"Jeanne Martin-Roux"}, "person.phone": {"06 12"}, "person.language": {"es"}, "person.address": {"3 place du Marché"},
			"person.postcode": {"69003"}, "person.city": {"Lyon"}, "person.risk_level": {"low"}, "person.referent": {"parti@example.org"},
			"person.notes":          {"Appeler après 10 h : elle fait ses courses tôt."},
			"contacts[1].full_name": {"Marc Martin"}, "contacts[1].relation": {"fils"}, "contacts[1].phone": {"07 81 23 45 67"}, "contacts[1].consent": {"yes"},
			"contacts[1].language":  {"en"},
			"contacts[2].full_name": {"Luc Martin"}, "contacts[2].relation": {"neveu"}, "contacts[2].phone": {"06 11"},
			"contacts[3].full_name": {""}, "contacts[3].relation": {""}, "contacts[3].phone": {""},
		}, others: map[string]url.Values{"/persons/" + person + "/plan": {"person.time_zone": {"Europe/Paris"}}}},
		{name: "a person's plan", action: "/persons/" + person + "/plan", status: http.StatusUnprocessableEntity, sent: url.Values{
			"person.time_zone": {"Europe/Brussels"}, "plan.days": {"MON", "WED"}, "plan.time": {"14:30"}, "plan.window": {"14:00-16:00"},
			"plan.cron": {"0 20 1 * *"}, // an expert's spec, not days: it stays as typed
		}, others: map[string]url.Values{"/persons/" + person + "/details": {"person.full_name": {"Jeanne Martin"}}}},
		{name: "a pause", action: "/persons/" + person + "/pause", status: http.StatusUnprocessableEntity, sent: url.Values{
			"person.paused_until": {"2026-11-30"},
		}},
		{name: "opening hours", action: "/admin/settings/hours", status: http.StatusUnprocessableEntity, sent: url.Values{
			"hours[1].open": {"yes"}, "hours[1].opens": {"18:00"}, "hours[1].closes": {"09:00"},
			"hours[2].open": {"yes"}, "hours[2].opens": {"08:30"}, "hours[2].closes": {"18:00"},
			"hours[3].opens": {"10:00"}, "hours[3].closes": {"12:00"},
		}, others: map[string]url.Values{"/admin/settings/service": {"settings.cutoff": {"15:30"}}}},
		{name: "service settings", action: "/admin/settings/service", status: http.StatusUnprocessableEntity, sent: url.Values{
			"settings.calendar": {"BE"}, "settings.cutoff": {"14:45"}, "settings.max_attempts": {"11"}, "settings.retry_minutes": {"10, 20"},
			"settings.max_calls_per_day": {"2"}, "settings.urgent_after": {"3"}, "settings.caller_number": {"01 99 00 00 00"},
			"settings.caller_name": {"Mairie de Lyon"}, "settings.needs_consent": {"yes"}, "settings.keep_closed_cases": {"400"},
			"settings.keep_withdrawn": {"30"}, "settings.keep_audit": {"500"},
		}, others: map[string]url.Values{"/admin/settings/hours": {"hours[1].open": {"yes"}, "hours[1].opens": {"09:00"}}}},
		{name: "a closure", action: "/admin/closures", status: http.StatusUnprocessableEntity, sent: url.Values{
			"closure.from": {"2026-12-24"}, "closure.to": {"2026-12-20"}, "closure.reason": {"Fermeture de fin d'année"},
		}, others: map[string]url.Values{"/admin/settings/hours": {"hours[5].open": {"yes"}}}},
		{name: "a test call", action: "/admin/test-calls", status: http.StatusUnprocessableEntity, sent: url.Values{
			"test.target": {"06 12"}, "test.script": {"escalation"}, "test.lang": {"fr"},
		}},
		{name: "a new user", action: "/admin/users", status: http.StatusUnprocessableEntity, sent: url.Values{
			"user.full_name": {"Zoé Nouvelle"}, "user.email": {"zoe@"}, "user.roles": {"listener", "coordinator"},
			"user.languages": {"fr, ar"}, "user.capacity": {"7"},
		}},
		{name: "a user", action: "/admin/users/" + itoa(s.admin.ID), status: http.StatusUnprocessableEntity, sent: url.Values{
			"user.full_name": {"Adam Administrateur"}, "user.roles": {"listener", "coordinator"},
		}},
		{name: "a new partner", action: "/partners", status: http.StatusUnprocessableEntity, sent: url.Values{
			"partner.name": {"Paris Aidants"}, "partner.kind": {"aide aux aidants"}, "partner.areas": {"75011, 75020"},
			"partner.phone": {"01 23"}, "partner.hours": {"lun.-ven. 9h-17h"},
		}},
		{name: "a partner", action: "/partners/" + partner, status: http.StatusUnprocessableEntity, sent: url.Values{
			"partner.name": {"Centre social Belleville (annexe)"}, "partner.kind": {"aide sociale"}, "partner.areas": {"75020"},
			"partner.phone": {"01 23"}, "partner.hours": {"mar. 14h-18h"}, "archived": {"yes"},
		}},
		{name: "a listener's profile", action: "/listeners/" + itoa(s.user.ID), status: http.StatusUnprocessableEntity, sent: url.Values{
			"listener.languages": {"fr, x1"}, "listener.skills": {"deuil, aidants"}, "listener.capacity": {"12"},
			"shifts[1].open": {"yes"}, "shifts[1].opens": {"09:00"}, "shifts[1].closes": {"12:00"},
			"shifts[3].open": {"yes"}, "shifts[3].opens": {"14:00"}, "shifts[3].closes": {"17:00"},
		}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			form := url.Values{"csrf": {csrf}}
			for k, v := range r.sent {
				form[k] = v
			}
			res, body := s.post(t, c, r.action, form, nil)
			require.Equal(t, r.status, res.StatusCode, body)
			require.Contains(t, body, `id="problems"`, "the page says what to fix")
			requireKept(t, body, r.action, r.sent)
			for action, want := range r.others {
				got := formValues(t, body, action)
				for name, values := range want {
					require.Equal(t, values, got[name], "the page's other form %s keeps %s", action, name)
				}
			}
		})
	}

	// A problem shows beside the form that has it: withdrawal's box, not
	// erasure's, which is also named confirm.
	res, body := s.post(t, c, "/persons/"+person+"/withdraw", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	withdraw, erase := strings.Index(body, `action="/persons/`+person+`/withdraw"`), strings.Index(body, `action="/persons/`+person+`/erase"`)
	require.Positive(t, withdraw)
	require.Less(t, withdraw, erase)
	beside := strings.LastIndex(body, "cochez la case pour confirmer")
	require.True(t, withdraw < beside && beside < erase, "the problem is in the withdrawal's form")
	require.Equal(t, 1, strings.Count(body, "cochez la case pour confirmer")-strings.Count(textOf(t, body, "problems"), "cochez la case pour confirmer"))

	// The filters (forms that ask, not change) keep theirs too.
	for path, action := range map[string]string{
		"/dashboard/export?export.what=cases&export.from=2026-11-30&export.to=2026-11-01":                              "/dashboard/export",
		"/admin/audit?audit.person=abc&audit.actor=" + itoa(s.coord.ID) + "&audit.action=person.view&audit.since=hier": "/admin/audit",
	} {
		status, body, _ := s.get(t, c, path)
		require.Equal(t, http.StatusUnprocessableEntity, status, path)
		u, err := url.Parse(path)
		require.NoError(t, err)
		requireKept(t, body, action, u.Query())
	}

	// A file cannot be chosen again for the coordinator, but the page names
	// the one refused.
	status, body := s.upload(t, c, csrf, "registre-mars.csv", "\xff\xd8\xff\xe0 not text")
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, textOf(t, body, "problems"), "« registre-mars.csv »")

	// A value the form's list does not name (a language enrolled through the
	// API) is shown, not replaced by the list's first: saving the file's
	// corrections does not change it behind the coordinator's back.
	_, err = s.store.Pool().Exec(context.Background(), "UPDATE persons SET language = 'nl' WHERE id = $1", personID)
	require.NoError(t, err)
	_, body, _ = s.get(t, c, "/persons/"+person)
	require.Equal(t, "nl", formValues(t, body, "/persons/"+person+"/details").Get("person.language"))
}

// The plan builder's choice of days: Monday to Friday and every day are one
// choice each, the boxes count only with "certain days", and a refused form
// comes back with the choice made; an expert's spec that says one time on
// some days comes back in those words.
func TestPlanShortcuts(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 21, 8, 0, 0, 0, time.UTC)) // Monday 21 December, 09:00 in Paris
	c := s.browser(t)
	csrf, _ := s.signInAs(t, c, claire)

	_, body, _ := s.get(t, c, "/persons/new")
	require.Equal(t, "Quels jours ? Du lundi au vendredi Tous les jours Certains jours : lundi mardi mercredi jeudi vendredi samedi dimanche",
		textOf(t, body, "plan.repeat"), "the choice of days, then the boxes")
	require.Empty(t, formValues(t, body, "/persons")["plan.repeat"], "no choice made for a new person")

	for i, r := range []struct {
		repeat string
		days   []string
		cron   string
	}{
		{"weekdays", []string{"SAT"}, "30 9 * * MON-FRI"}, // a box ticked by the way does not count
		{"every_day", nil, "30 9 * * *"},
		{"days", []string{"TUE", "SAT"}, "30 9 * * TUE,SAT"},
		{"", []string{"WED"}, "30 9 * * WED"}, // no choice made: the boxes ticked
	} {
		t.Run(r.cron, func(t *testing.T) {
			form := enrolForm(csrf)
			form.Set("person.phone", fmt.Sprintf("06 12 34 56 %02d", 10+i))
			form.Set("plan.time", "09:30")
			form.Del("plan.days")
			form["plan.days"] = r.days
			if r.repeat != "" {
				form.Set("plan.repeat", r.repeat)
			}
			res, _ := s.post(t, c, "/persons", form, nil)
			require.Equal(t, http.StatusSeeOther, res.StatusCode)
			var id int64
			_, err := fmt.Sscanf(res.Header.Get("Location"), "/persons/%d", &id)
			require.NoError(t, err)
			e, err := s.store.Queries().Enrolment(context.Background(), id)
			require.NoError(t, err)
			require.Equal(t, r.cron, e.Plan.Cron)

			// The person's page shows the plan in the same choice.
			_, body, _ := s.get(t, c, res.Header.Get("Location"))
			got := formValues(t, body, fmt.Sprintf("/persons/%d/plan", id))
			require.Equal(t, cmp.Or(r.repeat, "days"), got.Get("plan.repeat"))
			require.Equal(t, "09:30", got.Get("plan.time"))
			require.Empty(t, got.Get("plan.cron"), "in words, not as a spec")
		})
	}

	// Refused (no name), the form keeps the choice made.
	form := enrolForm(csrf)
	form.Set("person.full_name", "")
	form.Set("plan.repeat", "every_day")
	form.Set("plan.time", "17:15")
	res, body := s.post(t, c, "/persons", form, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	got := formValues(t, body, "/persons")
	require.Equal(t, "every_day", got.Get("plan.repeat"))
	require.Equal(t, "17:15", got.Get("plan.time"))
	require.ElementsMatch(t, []string{"MON", "FRI"}, got["plan.days"], "the boxes as ticked, for the next choice")

	// An expert's spec that says Monday to Friday comes back in those words,
	// and as typed.
	form.Set("plan.cron", "0 9 * * 1-5")
	_, body = s.post(t, c, "/persons", form, nil)
	got = formValues(t, body, "/persons")
	require.Equal(t, "weekdays", got.Get("plan.repeat"))
	require.Equal(t, "09:00", got.Get("plan.time"))
	require.Equal(t, "0 9 * * 1-5", got.Get("plan.cron"))
	require.Contains(t, textOf(t, body, "preview"), "du lundi au vendredi vers 9 h")
}

// Another time zone than the French places, typed from the full list: it is
// the person's, and one that is not a zone is refused by name, the form
// coming back with what was typed.
func TestOtherTimeZone(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 21, 8, 0, 0, 0, time.UTC))
	c := s.browser(t)
	csrf, _ := s.signInAs(t, c, claire)

	_, body, _ := s.get(t, c, "/persons/new")
	options := elements(t, body, func(n *html.Node) bool {
		return n.DataAtom == atom.Option && n.Parent != nil && attr(n.Parent, "id") == "zone-names"
	})
	var names []string
	for _, o := range options {
		names = append(names, attr(o, "value"))
	}
	require.Contains(t, names, "America/Montreal", "every zone on request")
	require.Contains(t, names, "Pacific/Auckland")
	require.NotContains(t, names, "posix/Europe/Paris", "no alias")
	require.Contains(t, body, `<option value="other">Autre fuseau horaire…</option>`)

	form := enrolForm(csrf)
	form.Set("person.time_zone", "other")
	form.Set("person.time_zone_other", "America/Montreal")
	form.Set("plan.time", "05:00")
	form.Set("plan.window", "04:00-10:00") // within the service's hours in Paris, five or six hours ahead
	res, body := s.post(t, c, "/persons", form, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, textOf(t, body, "problems"))
	var id int64
	_, err := fmt.Sscanf(res.Header.Get("Location"), "/persons/%d", &id)
	require.NoError(t, err)
	e, err := s.store.Queries().Enrolment(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, "America/Montreal", e.Person.TimeZone)
	// Its page shows it as the other zone, kept when the plan is saved.
	_, body, _ = s.get(t, c, res.Header.Get("Location"))
	got := formValues(t, body, fmt.Sprintf("/persons/%d/plan", id))
	require.Equal(t, "other", got.Get("person.time_zone"))
	require.Equal(t, "America/Montreal", got.Get("person.time_zone_other"))

	for _, r := range []struct{ zone, other, problem string }{
		{"other", "Mars/Olympus_Mons", "« Mars/Olympus_Mons » n'est pas un fuseau horaire connu : un lieu (France métropolitaine, Guadeloupe, La Réunion…) ou un fuseau comme America/Montreal"},
		{"other", "", "tapez le fuseau horaire (exemple : America/Montreal), ou choisissez un lieu dans la liste"},
	} {
		form := enrolForm(csrf)
		form.Set("person.phone", "06 12 34 56 99")
		form.Set("person.time_zone", r.zone)
		form.Set("person.time_zone_other", r.other)
		res, body := s.post(t, c, "/persons", form, nil)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, textOf(t, body, "problems"), r.problem)
		requireKept(t, body, "/persons", url.Values{"person.time_zone": {r.zone}, "person.time_zone_other": {r.other}})
		require.Len(t, elements(t, body, func(n *html.Node) bool { return attr(n, "id") == "other-zone" && hasAttr(n, "open") }), 1,
			"the other zone's field is open")
	}
}
