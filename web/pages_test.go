package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// enrolForm is a referral as a coordinator types it during the call.
func enrolForm(csrf string) url.Values {
	return url.Values{
		"csrf":                   {csrf},
		"referral.source":        {"doctor"},
		"referral.referrer_name": {"Dr Bernard"},
		"person.full_name":       {"Marie Curie"},
		"person.phone":           {"06 12 34 56 78"},
		"person.language":        {"fr"},
		"person.time_zone":       {"Europe/Paris"},
		"person.postcode":        {"75011"},
		"person.city":            {"Paris"},
		"person.risk_level":      {"normal"},
		"consent.given_by":       {"person"},
		"consent.given_at":       {"2026-12-21"},
		"consent.method":         {"phone"},
		"contacts[1].full_name":  {"Pierre Curie"},
		"contacts[1].relation":   {"fils"},
		"contacts[1].phone":      {"06 98 76 54 32"},
		"contacts[1].consent":    {"yes"},
		"plan.days":              {"MON", "FRI"},
		"plan.time":              {"10:00"},
	}
}

func TestEnrolByReferral(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 21, 8, 0, 0, 0, time.UTC)) // Monday 21 December, 09:00 in Paris
	c := s.browser(t)
	csrf, body := s.signInAs(t, c, claire)
	require.Contains(t, body, `href="/persons/new"`, "coordinators have the enrolment page in their menu")

	_, body, _ = s.get(t, c, "/persons/new")
	require.Contains(t, body, `<label for="person.full_name">Nom <abbr title="*">*</abbr></label>`)
	require.Contains(t, body, `<option value="doctor">médecin</option>`)
	require.Contains(t, body, `name="plan.days" value="MON"`)
	require.Contains(t, body, `<script src="/static/vendor/htmx.org-2.0.11/htmx.min.js" defer></script>`)
	require.Contains(t, body, `<div id="preview" aria-live="polite" hx-get="/plan/preview"`)

	// The live preview: Monday and Friday at 10:00; Friday 25 December is a
	// public holiday, its call merges into Monday 28's.
	preview := func(query string) map[string]any {
		res, err := c.Get(s.srv.URL + "/plan/preview?" + query)
		require.NoError(t, err)
		defer res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		var p map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&p))
		return p
	}
	p := preview("plan.days=MON&plan.days=FRI&plan.time=10:00&person.time_zone=Europe/Paris")
	require.Equal(t, "0 10 * * MON,FRI", p["cron"])
	require.Contains(t, p["head"], "dans les 28 prochains jours")
	first := p["slots"].([]any)[0].(map[string]any)
	require.Equal(t, "lundi 21/12/2026 10:00", first["when"])
	var holiday map[string]any
	for _, sl := range p["slots"].([]any) {
		if strings.Contains(sl.(map[string]any)["text"].(string), "vendredi 25/12/2026") {
			holiday = sl.(map[string]any)
		}
	}
	require.NotNil(t, holiday, "%v", p["slots"])
	require.Equal(t, "dropped", holiday["status"])
	require.Equal(t, "lundi 28/12/2026 10:00", holiday["when"])
	require.Equal(t, "pas d'appel — regroupé avec l'appel de ce jour ; prévu vendredi 25/12/2026 10:00, jour férié (Noël)", holiday["text"])
	// The page's own question gets the same preview as HTML, for htmx to put
	// in place.
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+"/plan/preview?plan.days=MON&plan.days=FRI&plan.time=10:00&person.time_zone=Europe/Paris", nil)
	require.NoError(t, err)
	req.Header.Set("HX-Request", "true")
	res, err := c.Do(req)
	require.NoError(t, err)
	fragment, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	require.Contains(t, string(fragment), `<li class="slot-dropped"><time>lundi 28/12/2026 10:00</time> — pas d&#39;appel — regroupé`)
	require.NotContains(t, string(fragment), "<html")
	// The expert's cron spec wins over the days; a bad one is explained.
	require.Equal(t, "30 9 * * TUE", preview("plan.days=MON&plan.time=10:00&plan.cron=30+9+*+*+TUE")["cron"])
	p = preview("plan.cron=61+9+*+*+TUE")
	require.Empty(t, p["slots"])
	require.Contains(t, p["problems"].([]any)[0], "planning")
	p = preview("plan.time=10:00")
	require.Empty(t, p["problems"], "no day ticked yet: nothing wrong")
	require.Empty(t, p["slots"])

	// Without the script, the preview button does the same and enrols nobody.
	form := enrolForm(csrf)
	form.Set("preview", "1")
	res, body = s.post(t, c, "/persons", form, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, body, "lundi 28/12/2026 10:00</time> — pas d&#39;appel — regroupé avec l&#39;appel de ce jour ; prévu vendredi 25/12/2026")
	require.Contains(t, body, `value="Marie Curie"`, "what was typed is kept")
	n, err := s.store.Queries().CountPersons(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	// Bad input: every problem beside its field, in French, and nothing lost.
	bad := enrolForm(csrf)
	bad.Set("person.full_name", "")
	bad.Set("person.phone", "01 23")
	bad.Set("contacts[1].phone", "08 99 12 34 56")
	bad.Del("plan.days")
	res, body = s.post(t, c, "/persons", bad, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, "Rien n&#39;a été enregistré. À corriger :")
	require.Contains(t, body, `<p class="problem" id="person.full_name-problem">obligatoire</p>`)
	require.Contains(t, body, `aria-describedby="person.phone-problem"`)
	require.Contains(t, body, `id="contacts[1].phone-problem"`)
	require.Contains(t, body, `<p class="problem" id="plan.cron-problem">obligatoire</p>`)
	require.Contains(t, body, `value="Pierre Curie"`)
	n, err = s.store.Queries().CountPersons(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	// Enrolled: the person's page, with the calls planned.
	res, _ = s.post(t, c, "/persons", enrolForm(csrf), nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	where := res.Header.Get("Location")
	require.Regexp(t, `^/persons/\d+\?done=enrolled$`, where)
	_, body, _ = s.get(t, c, where)
	require.Contains(t, body, "Inscription enregistrée : les appels sont planifiés.")
	require.Contains(t, body, "<h1>Marie Curie</h1>")
	require.Contains(t, body, "06 12 34 56 78")
	require.Contains(t, body, "Pierre Curie (fils)")
	require.Contains(t, body, "<dd>lundi et vendredi vers 10 h, ", "the plan in words, not cron")
	require.Contains(t, body, "lun. 21/12 10:00 — prévu")
	id, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(where, "/persons/"), "?done=enrolled"), 10, 64)
	e, err := s.store.Queries().Enrolment(ctx, id)
	require.NoError(t, err)
	require.Equal(t, wellcheck.Phone("+33612345678"), e.Person.Phone)
	require.Equal(t, wellcheck.ReferralDoctor, e.Referral.Source)
	require.Equal(t, s.coord.ID, e.Referral.TakenBy)
	require.NotNil(t, e.Contacts[0].ConsentAt, "the person agreed this contact be called")

	// The same number again: refused, naming who has it.
	res, body = s.post(t, c, "/persons", enrolForm(csrf), nil)
	require.Equal(t, http.StatusConflict, res.StatusCode)
	require.Contains(t, body, "Marie Curie")
	require.Contains(t, body, `id="person.phone-problem"`)

	actions, err := s.store.Queries().AuditActionsBy(ctx, s.coord.ID)
	require.NoError(t, err)
	require.Contains(t, actions, "person.enrol")
	require.Contains(t, actions, "person.view", "viewing a person's file is audited")
	require.NotContains(t, s.logs.String(), "612345678", "no phone number in the logs")
}

func TestPersonSearchAndChanges(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)) // Tuesday 09:00 in Paris
	c := s.browser(t)
	csrf, _ := s.signInAs(t, c, claire)
	form := enrolForm(csrf)
	form.Set("plan.days", "TUE")
	form.Set("consent.given_at", "2026-12-01")
	res, _ := s.post(t, c, "/persons", form, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	s.enrol(t, "Marius Pagnol", "+33612345679")
	s.enrol(t, "Jeanne Martin", "+33612345670")

	// By any part of the name, whatever the case; by number, as people write it.
	_, body, _ := s.get(t, c, "/persons?q=MAR")
	require.Contains(t, body, "Marie Curie")
	require.Contains(t, body, "Marius Pagnol")
	require.Contains(t, body, "Jeanne Martin")
	_, body, _ = s.get(t, c, "/persons?q=curie")
	require.Contains(t, body, "Marie Curie")
	require.NotContains(t, body, "Marius")
	_, body, _ = s.get(t, c, "/persons?q="+url.QueryEscape("06.12.34.56.78"))
	require.Contains(t, body, "Marie Curie")
	require.NotContains(t, body, "Jeanne")
	_, body, _ = s.get(t, c, "/persons?q=Zoé")
	require.Contains(t, body, "Aucune personne trouvée.")

	hits, err := s.store.Queries().SearchPersons(ctx, "curie", "", 10)
	require.NoError(t, err)
	require.Len(t, hits, 1)
	path := fmt.Sprintf("/persons/%d", hits[0].ID)
	// The next calls: the plan's preview, by the scheduler's rules.
	upcoming := func() string {
		_, body, _ := s.get(t, c, path)
		start := strings.Index(body, `id="preview-title"`)
		require.Positive(t, start)
		return body[start : start+strings.Index(body[start:], "</section>")]
	}
	require.Contains(t, upcoming(), "mardi 01/12/2026 10:00</time> — appel")

	// A new plan (Thursdays at 15:30) replans at once.
	res, body = s.post(t, c, path+"/plan", url.Values{"csrf": {csrf}, "plan.days": {"THU"}, "plan.time": {"15:30"}, "person.time_zone": {"Europe/Paris"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, body)
	require.Contains(t, upcoming(), "jeudi 03/12/2026 15:30</time> — appel")
	require.NotContains(t, upcoming(), "mardi")
	_, body, _ = s.get(t, c, path)
	require.Contains(t, body, "<dd>jeudi vers 15 h 30, ", "the plan in words, not cron")
	require.Contains(t, body, "mar. 01/12 10:00 — annulé", "the call the old plan asked for is cancelled")
	res, body = s.post(t, c, path+"/plan", url.Values{"csrf": {csrf}, "plan.cron": {"0 20 * * THU"}, "person.time_zone": {"Europe/Paris"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, `value="0 20 * * THU"`, "the expert's spec is kept to fix")
	require.Contains(t, upcoming(), "jeudi 03/12/2026 15:30", "a refused plan changes nothing")

	// Paused until the 15th: the calls meanwhile are gone; resumed: back.
	res, body = s.post(t, c, path+"/pause", url.Values{"csrf": {csrf}, "person.paused_until": {"2026-11-30"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, "doit être dans le futur")
	res, _ = s.post(t, c, path+"/pause", url.Values{"csrf": {csrf}, "person.paused_until": {"2026-12-15"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ = s.get(t, c, path)
	require.Contains(t, body, "en pause — En pause jusqu&#39;au mar. 15/12 00:00")
	require.Contains(t, upcoming(), "jeudi 03/12/2026 15:30</time> — pas d&#39;appel — suivi en pause")
	require.Contains(t, upcoming(), "jeudi 17/12/2026 15:30</time> — appel")
	res, _ = s.post(t, c, path+"/resume", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Contains(t, upcoming(), "jeudi 03/12/2026 15:30</time> — appel")

	// Withdrawal needs its box ticked, then stops every call at once.
	res, body = s.post(t, c, path+"/withdraw", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, "cochez la case pour confirmer")
	res, _ = s.post(t, c, path+"/withdraw", url.Values{"csrf": {csrf}, "confirm": {"yes"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ = s.get(t, c, path)
	require.Contains(t, body, "consentement retiré")
	require.NotContains(t, body, "— prévu")
	require.NotContains(t, body, `action="`+path+`/plan"`, "a withdrawn person's plan no longer changes")

	// Erased on request: nothing left but the act in the audit log.
	res, _ = s.post(t, c, path+"/erase", url.Values{"csrf": {csrf}, "confirm": {"yes"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/persons?done=erased", res.Header.Get("Location"))
	status, _, _ := s.get(t, c, path)
	require.Equal(t, http.StatusNotFound, status)
	_, body, _ = s.get(t, c, "/persons?q=curie")
	require.Contains(t, body, "Aucune personne trouvée.")
	actions, err := s.store.Queries().AuditActionsBy(ctx, s.coord.ID)
	require.NoError(t, err)
	for _, a := range []string{"person.plan", "person.pause", "person.resume", "person.withdraw", "person.erase"} {
		require.Contains(t, actions, a)
	}
}

func TestPartnersAndOrientation(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	coord := s.browser(t)
	csrf, _ := s.signInAs(t, coord, claire)
	add := func(name, kind, areas, phone string) (int, string) {
		res, body := s.post(t, coord, "/partners", url.Values{"csrf": {csrf}, "partner.name": {name}, "partner.kind": {kind},
			"partner.areas": {areas}, "partner.phone": {phone}, "partner.hours": {"lun.-ven. 9h-17h"}}, nil)
		return res.StatusCode, body
	}
	status, body := add("", "aide", "", "01 23")
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, body, `id="partner.name-problem">obligatoire`)
	require.Contains(t, body, `id="partner.phone-problem"`)
	status, _ = add("Centre social Belleville", "aide sociale", "75011, 75020", "01 43 55 66 77")
	require.Equal(t, http.StatusSeeOther, status)
	status, _ = add("Portage de repas 92", "repas à domicile", "92", "")
	require.Equal(t, http.StatusSeeOther, status)
	status, _ = add("Paris Aidants", "aide aux aidants", "75", "0 800 123 456")
	require.Equal(t, http.StatusSeeOther, status, "a toll-free partner line is fine")
	status, _ = add("Ligne nationale", "écoute", "", "")
	require.Equal(t, http.StatusSeeOther, status)
	_, body, _ = s.get(t, coord, "/partners")
	require.Contains(t, body, "Centre social Belleville")
	require.Contains(t, body, "01 43 55 66 77")

	// A person in the 11th: the partners serving her postcode first, then her
	// département, then everyone's; not the Hauts-de-Seine's.
	jeanne := s.enrol(t, "Jeanne Martin", "+33612345678")
	_, err := s.store.Pool().Exec(context.Background(), "UPDATE persons SET postcode = '75011', city = 'Paris' WHERE id = $1", jeanne)
	require.NoError(t, err)
	caseID := s.task(t, jeanne, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	listener := s.browser(t)
	lcsrf := s.signIn(t, listener)
	casePath := fmt.Sprintf("/cases/%d", caseID)
	_, body, _ = s.get(t, listener, casePath)
	near := body[strings.Index(body, `id="partners-near"`):]
	near = near[:strings.Index(near, "</section>")]
	require.Less(t, strings.Index(near, "Centre social Belleville"), strings.Index(near, "Paris Aidants"))
	require.Less(t, strings.Index(near, "Paris Aidants"), strings.Index(near, "Ligne nationale"))
	require.NotContains(t, near, "Portage de repas")

	partners, err := s.store.Queries().Partners(context.Background(), false)
	require.NoError(t, err)
	ids := map[string]string{}
	for _, p := range partners {
		ids[p.Name] = strconv.FormatInt(p.ID, 10)
	}
	// Archived: gone from the case page, and refused if the page was old.
	res, _ := s.post(t, coord, "/partners/"+ids["Paris Aidants"], url.Values{"csrf": {csrf}, "partner.name": {"Paris Aidants"}, "archived": {"yes"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, body = s.post(t, listener, casePath+"/follow-up", url.Values{"csrf": {lcsrf}, "reached": {"yes"}, "partner": {ids["Paris Aidants"]}, "close": {"oriented"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, "ce partenaire n&#39;est plus dans l&#39;annuaire")
	require.NotContains(t, body[strings.Index(body, `id="partners-near"`):], "Paris Aidants")
	_, body, _ = s.get(t, coord, "/partners")
	require.Contains(t, body, "Paris Aidants</a> (archivé)", "kept in the directory, marked")

	// Oriented: the timeline says to whom, by whom, with the note.
	res, _ = s.post(t, listener, casePath+"/follow-up", url.Values{"csrf": {lcsrf}, "reached": {"yes"}, "partner": {ids["Centre social Belleville"]},
		"note": {"Rendez-vous pris jeudi."}, "next": {"2026-12-03T14:00"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ = s.get(t, listener, casePath)
	require.Contains(t, body, "suivi par Élise Écoutante : personne jointe, Orientée vers Centre social Belleville")
	require.Contains(t, body, "<blockquote>Rendez-vous pris jeudi.</blockquote>")
	require.Contains(t, body, "jeu. 03/12 14:00</time> suivi prévu (rappel prévu)")
}

func TestHandOnCloseAndPresence(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	caseID := s.task(t, s.enrol(t, "Jeanne Martin", "+33612345678"), &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	casePath := fmt.Sprintf("/cases/%d", caseID)
	c := s.browser(t)
	csrf := s.signIn(t, c)
	_, body, _ := s.get(t, c, casePath)
	require.Contains(t, body, "Louis Lebon — 0 suivi en attente sur 10", "the listeners to hand on to, with their load")

	// Élise hands the case to Louis: off her list, onto his.
	res, _ := s.post(t, c, casePath+"/reassign", url.Values{"csrf": {csrf}, "assignee": {strconv.FormatInt(s.other.ID, 10)}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ = s.get(t, c, "/")
	require.NotContains(t, body, "Jeanne Martin")
	status, _, _ := s.get(t, c, casePath)
	require.Equal(t, http.StatusNotFound, status, "no longer hers to see")
	lc := s.browser(t)
	lcsrf, body := s.signInAs(t, lc, louis)
	require.Contains(t, body, "Jeanne Martin")

	// Louis closes it, through the one form that records a call: a reason
	// is needed.
	res, body = s.post(t, lc, casePath+"/follow-up", url.Values{"csrf": {lcsrf}, "reached": {"yes"}, "then": {"close"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, `id="close-problem"`)
	res, _ = s.post(t, lc, casePath+"/follow-up", url.Values{"csrf": {lcsrf}, "reached": {"yes"}, "then": {"close"}, "close": {"resolved"}, "agreed": {"yes"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/?done=closed", res.Header.Get("Location"))
	// There is no other way to close a case from the pages.
	res, _ = s.post(t, lc, casePath+"/close", url.Values{"csrf": {lcsrf}, "close.reason": {"resolved"}}, nil)
	require.Equal(t, http.StatusNotFound, res.StatusCode)
	_, body, _ = s.get(t, lc, "/")
	require.NotContains(t, body, "Jeanne Martin")
	closed, err := s.store.Queries().LockCase(ctx, caseID)
	require.NoError(t, err)
	require.Equal(t, wellcheck.CaseClosed, closed.State)
	require.True(t, closed.PersonAgreed != nil && *closed.PersonAgreed)

	// Available for the shift, then away for the rest of it.
	_, body, _ = s.get(t, c, "/")
	require.Contains(t, body, `<span class="away">Absent(e)</span>`)
	res, _ = s.post(t, c, "/me/presence", url.Values{"csrf": {csrf}, "present": {"yes"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ = s.get(t, c, "/")
	require.Contains(t, body, `<span class="present">Disponible</span>`)
	res, _ = s.post(t, c, "/me/presence", url.Values{"csrf": {csrf}, "present": {"no"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ = s.get(t, c, "/")
	require.Contains(t, body, `<span class="away">Absent(e)</span>`)
	u, err := s.store.Queries().User(ctx, s.user.ID)
	require.NoError(t, err)
	require.False(t, u.Present, "the assignment rules see it")
	actions, err := s.store.Queries().AuditActionsBy(ctx, s.user.ID)
	require.NoError(t, err)
	require.Contains(t, actions, "user.presence")
	require.Contains(t, actions, "case.reassign")
}

func TestOpeningHours(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	c := s.browser(t)
	csrf, body := s.signInAs(t, c, adam)
	require.Contains(t, body, `href="/admin/settings"`)
	_, body, _ = s.get(t, c, "/admin/settings")
	require.Contains(t, body, `name="hours[1].opens" value="09:00"`)

	hours := url.Values{"csrf": {csrf}}
	for d := 1; d <= 5; d++ {
		key := fmt.Sprintf("hours[%d]", d)
		hours.Set(key+".open", "yes")
		hours.Set(key+".opens", "09:00")
		hours.Set(key+".closes", "17:00")
	}
	bad := url.Values{"csrf": {csrf}, "hours[1].open": {"yes"}, "hours[1].opens": {"18:00"}, "hours[1].closes": {"09:00"}}
	res, body := s.post(t, c, "/admin/settings/hours", bad, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, "Heures d&#39;ouverture, jour 1")
	res, body = s.post(t, c, "/admin/settings/hours", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, "le service doit être ouvert au moins un jour")

	// Mondays now open at 13:00: a Monday 10:00 call moves to Tuesday.
	hours.Set("hours[1].opens", "13:00")
	res, _ = s.post(t, c, "/admin/settings/hours", hours, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	settings, err := s.store.Queries().Settings(ctx)
	require.NoError(t, err)
	require.Equal(t, "13:00–17:00", settings.Hours[time.Monday].String())
	_, ok := settings.Hours[time.Saturday]
	require.False(t, ok)
	var passes int
	require.NoError(t, s.store.Pool().QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'plan_check_ins'").Scan(&passes))
	require.Equal(t, 1, passes, "a planner pass is asked for at once")
	actions, err := s.store.Queries().AuditActionsBy(ctx, s.admin.ID)
	require.NoError(t, err)
	require.Contains(t, actions, "settings.hours")
}

func TestCoordinatorsQueue(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	jeanne := s.enrol(t, "Jeanne Martin", "+33612345678")
	caseID := s.task(t, jeanne, &s.user.ID, wellcheck.FollowUpUnreachedRepeatedly, wellcheck.PriorityUrgent)
	paul := s.enrol(t, "Paul Durand", "+33612345679")
	at := s.clock.Now()
	require.NoError(t, s.store.WithTx(ctx, func(q *store.Queries) error {
		e, _, err := q.StartEscalation(ctx, caseID, jeanne, at)
		if err != nil {
			return err
		}
		if _, err := q.EndEscalation(ctx, e.ID, wellcheck.EscalationNobody, nil, at.Add(time.Hour)); err != nil {
			return err
		}
		_, err = q.RecordDataIssue(ctx, store.DataIssue{PersonID: paul, Kind: "undeliverable", Detail: string(wellcheck.ReasonInvalidNumber), LastSeenAt: at})
		return err
	}))

	c := s.browser(t)
	csrf, body := s.signInAs(t, c, claire)
	require.Contains(t, body, `href="/queue"`)
	_, body, _ = s.get(t, c, "/queue")
	escalations := body[strings.Index(body, `id="escalations"`):strings.Index(body, `id="issues"`)]
	require.Contains(t, escalations, fmt.Sprintf(`<a href="/cases/%d">Jeanne Martin</a>`, caseID))
	require.Contains(t, escalations, "aucun contact n&#39;a pu vérifier")
	issues := body[strings.Index(body, `id="issues"`):]
	require.Contains(t, issues, fmt.Sprintf(`<a href="/persons/%d">Paul Durand</a>`, paul))
	require.Contains(t, issues, "06 12 34 56 79")
	require.Contains(t, issues, "le réseau répond que ce numéro n&#39;existe pas — 1 appel en échec", "in words")
	require.NotContains(t, issues, "invalid_number", "never the code")

	open, err := s.store.Queries().OpenDataIssues(ctx)
	require.NoError(t, err)
	require.Len(t, open, 1)
	path := fmt.Sprintf("/queue/issues/%d/resolve", open[0].ID)
	res, _ := s.post(t, c, path, url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ = s.get(t, c, "/queue?done=resolved")
	require.Contains(t, body, "Marqué comme réglé.")
	require.NotContains(t, body, "Paul Durand")
	res, _ = s.post(t, c, path, url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusNotFound, res.StatusCode, "already dealt with")

	// Listeners have no queue.
	l := s.browser(t)
	s.signIn(t, l)
	status, _, _ := s.get(t, l, "/queue")
	require.Equal(t, http.StatusForbidden, status)
}
