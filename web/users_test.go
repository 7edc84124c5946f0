package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

var shownPassword = regexp.MustCompile(`<p><code>([A-Z2-7]{26})</code></p>`)

func TestAdminManagesUsers(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)
	csrf, _ := s.signInAs(t, c, adam)
	status, body, _ := s.get(t, c, "/admin/users")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `<a href="/admin/users/`+itoa(s.user.ID)+`">Élise Écoutante</a></td><td>ecoutante@example.org</td><td>écoutant</td>`+"\n"+`<td>actif</td>`)

	// A new listener, with the password made up for them shown once.
	form := url.Values{"csrf": {csrf}, "user.full_name": {"Nora Nouvelle"}, "user.email": {"nora@example.org"},
		"user.roles": {"listener", "coordinator"}, "user.languages": {"fr, ar"}, "user.capacity": {"12"}}
	res, body := s.post(t, c, "/admin/users", form, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, body, "Mot de passe de Nora Nouvelle &lt;nora@example.org&gt;, affiché une seule fois")
	password := shownPassword.FindStringSubmatch(body)[1]
	nora, err := s.store.Queries().UserByEmail(context.Background(), "nora@example.org")
	require.NoError(t, err)
	require.Equal(t, []wellcheck.Role{wellcheck.RoleListener, wellcheck.RoleCoordinator}, nora.Roles)
	require.Equal(t, []string{"fr", "ar"}, nora.Languages)
	require.Equal(t, 12, nora.Capacity)
	require.NotContains(t, s.logs.String(), password)
	noraClient := s.browser(t)
	_, _, token := s.get(t, noraClient, "/login")
	res, _ = s.post(t, noraClient, "/login", url.Values{"csrf": {token}, "email": {"nora@example.org"}, "password": {password}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "she signs in with it")
	require.Equal(t, "/", res.Header.Get("Location"))

	// Problems beside their fields; the e-mail already used.
	res, body = s.post(t, c, "/admin/users", url.Values{"csrf": {csrf}, "user.full_name": {" "}, "user.email": {"pas-une-adresse"}, "user.capacity": {"10"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, `<p class="problem" id="user.email-problem">« pas-une-adresse » n&#39;est pas une adresse e-mail</p>`)
	require.Contains(t, body, `<p class="problem" id="user.full_name-problem">obligatoire</p>`)
	require.Contains(t, body, `<p class="problem" id="user.roles-problem">obligatoire</p>`)
	form.Set("user.email", "NORA@example.org")
	res, _ = s.post(t, c, "/admin/users", form, nil)
	require.Equal(t, http.StatusConflict, res.StatusCode)

	// Disabled: her session ends at once, and she signs in no more.
	res, _ = s.post(t, c, "/admin/users/"+itoa(nora.ID), url.Values{"csrf": {csrf}, "user.full_name": {"Nora Nouvelle"},
		"user.roles": {"listener"}, "user.disabled": {"yes"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	status, _, _ = s.get(t, noraClient, "/")
	require.Equal(t, http.StatusSeeOther, status, "signed out")
	_, _, token = s.get(t, noraClient, "/login")
	res, _ = s.post(t, noraClient, "/login", url.Values{"csrf": {token}, "email": {"nora@example.org"}, "password": {password}}, nil)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)

	// A new password for Élise: her sessions end, the new one works.
	eliseClient := s.browser(t)
	s.signIn(t, eliseClient)
	res, body = s.post(t, c, "/admin/users/"+itoa(s.user.ID)+"/password", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	fresh := shownPassword.FindStringSubmatch(body)[1]
	status, _, _ = s.get(t, eliseClient, "/")
	require.Equal(t, http.StatusSeeOther, status)
	_, _, token = s.get(t, eliseClient, "/login")
	res, _ = s.post(t, eliseClient, "/login", url.Values{"csrf": {token}, "email": {elise}, "password": {fresh}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)

	// An admin cannot lock themselves out.
	res, body = s.post(t, c, "/admin/users/"+itoa(s.admin.ID), url.Values{"csrf": {csrf}, "user.full_name": {"Adam Admin"}, "user.roles": {"coordinator"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, "vous ne pouvez pas retirer votre propre rôle d&#39;administrateur")

	audit, err := s.store.Queries().AuditActionsBy(context.Background(), s.admin.ID)
	require.NoError(t, err)
	require.Subset(t, audit, []string{"user.add", "user.change", "user.password_reset"})
}

func TestAuditViewer(t *testing.T) {
	t.Parallel()
	s := setup(t)
	person := s.enrol(t, "Jeanne Martin", "+33612345678")
	caseID := s.task(t, person, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	listener := s.browser(t)
	s.signIn(t, listener)
	status, _, _ := s.get(t, listener, "/cases/"+itoa(caseID))
	require.Equal(t, http.StatusOK, status)

	c := s.browser(t)
	s.signInAs(t, c, adam)
	// entries is the log's list, without the filter's choices.
	entries := func(body string) string {
		if i := strings.Index(body, `id="audit"`); i >= 0 {
			return body[i:]
		}
		return ""
	}
	status, body, _ := s.get(t, c, "/admin/audit?person="+itoa(person))
	require.Equal(t, http.StatusOK, status)
	require.Regexp(t, `<strong>Élise Écoutante</strong> a consulté le dossier de <a href="/persons/\d+">Jeanne Martin</a> \(<a href="/cases/`+itoa(caseID)+`">dossier n° `+itoa(caseID)+`</a>\)`, body,
		"a sentence, with names")
	require.NotContains(t, entries(body), "s&#39;est connecté", "only this person's entries")
	require.NotContains(t, body, "06 12 34 56 78")
	require.NoError(t, s.store.Queries().Audit(context.Background(), wellcheck.SystemActor("calls"), "case.open", &person, &caseID,
		map[string]any{"assignee_id": s.user.ID, "priority": "high", "reason": "flagged"}))
	_, body, _ = s.get(t, c, "/admin/audit?action=case.open")
	require.Contains(t, entries(body), "<strong>le système (appels)</strong> a ouvert un dossier pour")
	require.Contains(t, entries(body), "écoutant : Élise Écoutante", "details in words: the assignee's name")
	require.Contains(t, entries(body), "priorité : haute")
	require.NotContains(t, entries(body), "assignee_id")

	// By a part of the name, by who acted and what, by period.
	_, body, _ = s.get(t, c, "/admin/audit?person=martin")
	require.Contains(t, body, "a consulté le dossier de")
	_, body, _ = s.get(t, c, "/admin/audit?action=user.login&actor="+itoa(s.user.ID))
	require.Contains(t, body, "<strong>Élise Écoutante</strong> s&#39;est connecté")
	require.NotContains(t, entries(body), "a consulté le dossier de")
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	today := time.Now().In(paris).Format(time.DateOnly) // the log is stamped by the database, on the machine's clock
	_, body, _ = s.get(t, c, "/admin/audit?action=case.view&since="+today+"&until="+today)
	require.Contains(t, body, "a consulté le dossier de", "today's views")
	_, body, _ = s.get(t, c, "/admin/audit?action=case.view&until=2020-01-01")
	require.Contains(t, body, "Aucune entrée.", "none before 2020")

	status, body, _ = s.get(t, c, "/admin/audit?since=hier")
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, body, "« hier » n&#39;est pas une date")
}

// River's job dashboard is for admins, and read-only: its actions carry no
// CSRF token.
func TestRiverDashboard(t *testing.T) {
	t.Parallel()
	s := setup(t)
	admin, coord := s.browser(t), s.browser(t)
	s.signInAs(t, admin, adam)
	s.signInAs(t, coord, claire)

	status, body, _ := s.get(t, admin, "/admin/river/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "/admin/river/assets/", "the dashboard's page, its assets under the prefix")
	status, body, _ = s.get(t, admin, "/admin/river/api/states")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `"available"`)
	res, err := admin.Get(s.srv.URL + "/admin/river/")
	require.NoError(t, err)
	res.Body.Close()
	require.Contains(t, res.Header.Get("Content-Security-Policy"), "style-src 'self' 'unsafe-inline'", "its styles only")
	res, err = admin.Get(s.srv.URL + "/dashboard")
	require.NoError(t, err)
	res.Body.Close()
	require.Contains(t, res.Header.Get("Content-Security-Policy"), "style-src 'self';")

	status, _, _ = s.get(t, coord, "/admin/river/")
	require.Equal(t, http.StatusForbidden, status)
	res, _ = s.post(t, admin, "/admin/river/api/jobs/cancel", url.Values{"csrf": {"wrong"}}, nil)
	require.Equal(t, http.StatusForbidden, res.StatusCode)
}

func TestServiceSettingsAndClosures(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	c := s.browser(t)
	csrf, _ := s.signInAs(t, c, adam)
	// passes counts the planner passes asked for since it was last called.
	passes := func() int {
		var n int
		require.NoError(t, s.store.Pool().QueryRow(ctx, "WITH gone AS (DELETE FROM river_job WHERE kind = 'plan_check_ins' RETURNING 1) SELECT count(*) FROM gone").Scan(&n))
		return n
	}
	status, body, _ := s.get(t, c, "/admin/settings")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `<option value="FR" selected>France</option>`)
	require.Contains(t, body, `name="settings.retry_minutes" type="text" value="15, 30"`)
	require.Contains(t, body, `name="settings.voicemail_message" value="yes" aria-describedby="voicemail-hint">`, "no message on machines by default")

	// Alsace-Moselle's holidays, four calls ten minutes apart, a caller ID.
	form := url.Values{"csrf": {csrf}, "settings.calendar": {"FR-AM"}, "settings.cutoff": {"16:00"}, "settings.max_attempts": {"4"},
		"settings.retry_minutes": {"10"}, "settings.max_calls_per_day": {"4"}, "settings.urgent_after": {"3"},
		"settings.caller_number": {"01 99 00 00 00"}, "settings.caller_name": {"Mairie"}, "settings.needs_consent": {"yes"},
		"settings.voicemail_message": {"yes"}, "settings.keep_closed_cases": {"365"}, "settings.keep_withdrawn": {"30"}, "settings.keep_audit": {"180"}}
	res, _ := s.post(t, c, "/admin/settings/service", form, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	got, err := s.store.Queries().Settings(ctx)
	require.NoError(t, err)
	require.Equal(t, "FR-AM", got.HolidayCalendar)
	require.Equal(t, wellcheck.Clock(16, 0), got.Cutoff)
	require.Equal(t, wellcheck.RetryPolicy{MaxAttempts: 4, RetryMinutes: []int{10}}, got.Retry)
	require.Equal(t, "+33199000000", got.CallerNumber)
	require.True(t, got.EscalationNeedsConsent)
	require.True(t, got.VoicemailMessage)
	require.Equal(t, 365, got.KeepClosedCasesDays)
	require.Equal(t, 180, got.KeepAuditDays)
	require.Equal(t, 1, passes(), "the calls follow the new calendar at once")

	// Problems beside their fields, what was typed kept, nothing saved.
	form.Set("settings.calendar", "XX")
	form.Set("settings.cutoff", "25:00")
	form.Set("settings.retry_minutes", "10, soon")
	form.Set("settings.keep_closed_cases", "7")
	form.Set("settings.keep_audit", "20")
	res, body = s.post(t, c, "/admin/settings/service", form, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, `<p class="problem" id="settings.calendar-problem">« XX » n&#39;est pas une valeur possible (BE, FR, FR-AM, NONE)</p>`)
	require.Contains(t, body, `<p class="problem" id="settings.cutoff-problem">« 25:00 » n&#39;est pas une heure (par exemple 10:00 ou 10 h 30)</p>`)
	require.Contains(t, body, `id="settings.retry_minutes-problem"`)
	require.Contains(t, body, `<p class="problem" id="settings.keep_closed_cases-problem">un nombre de 30 à 3650</p>`)
	require.Contains(t, body, `<p class="problem" id="settings.keep_audit-problem">un nombre de 30 à 3650</p>`)
	require.Contains(t, body, `name="settings.keep_audit" type="number" value="20"`)
	require.Contains(t, body, `value="10, soon"`)
	got, err = s.store.Queries().Settings(ctx)
	require.NoError(t, err)
	require.Equal(t, "FR-AM", got.HolidayCalendar, "nothing saved")

	// A number of attempts that is not a number is refused, not taken as
	// "keep the current one".
	form = url.Values{"csrf": {csrf}, "settings.calendar": {"FR-AM"}, "settings.cutoff": {"16:00"}, "settings.max_attempts": {"trois"},
		"settings.retry_minutes": {"10"}, "settings.max_calls_per_day": {"4"}, "settings.urgent_after": {"3"},
		"settings.keep_closed_cases": {"365"}, "settings.keep_withdrawn": {"30"}, "settings.keep_audit": {"365"}}
	res, body = s.post(t, c, "/admin/settings/service", form, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, `<p class="problem" id="settings.max_attempts-problem">un nombre de 1 à 10</p>`)

	// A closure over Christmas week, listed, then removed; each re-plans.
	res, _ = s.post(t, c, "/admin/closures", url.Values{"csrf": {csrf}, "closure.from": {"2026-12-24"}, "closure.to": {"2026-12-31"}, "closure.reason": {"Fêtes"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ = s.get(t, c, res.Header.Get("Location"))
	require.Contains(t, body, "Fermeture enregistrée")
	require.Contains(t, body, "<td>24/12/2026</td><td>31/12/2026</td><td>Fêtes</td>")
	closures, err := s.store.Queries().Closures(ctx, s.clock.Now())
	require.NoError(t, err)
	require.Len(t, closures, 1)
	require.Equal(t, 1, passes())
	res, body = s.post(t, c, "/admin/closures", url.Values{"csrf": {csrf}, "closure.from": {"2026-12-31"}, "closure.to": {"2026-12-24"}, "closure.reason": {""}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, "la fermeture finit avant de commencer")
	require.Contains(t, body, `value="2026-12-31"`)
	res, _ = s.post(t, c, "/admin/closures/"+itoa(closures[0].ID)+"/delete", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	closures, err = s.store.Queries().Closures(ctx, s.clock.Now())
	require.NoError(t, err)
	require.Empty(t, closures)
	res, _ = s.post(t, c, "/admin/closures/"+itoa(999999)+"/delete", url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusNotFound, res.StatusCode)
	require.Equal(t, 1, passes())

	actions, err := s.store.Queries().AuditActionsBy(ctx, s.admin.ID)
	require.NoError(t, err)
	require.Subset(t, actions, []string{"settings.service", "closure.add", "closure.delete"})
}
