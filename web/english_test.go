package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/web"
)

// Every page, read with a browser set to English, is in English: no word of
// the French interface shows, and its lang attribute says so.
func TestEnglishPages(t *testing.T) {
	t.Parallel()
	s := setup(t, func(ui *web.Server) {
		ui.Line = &web.Line{Trunk: "127.0.0.1:5070", Channels: 2, CPS: 1, Languages: []string{"fr"}, EscalationLanguages: []string{"fr"}}
	})
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	person := s.enrol(t, "Jeanne Martin", "+33612345678")
	_, err := s.store.Queries().RequestTestCall(context.Background(), store.TestCall{RequestedBy: &s.admin.ID, Target: "+33612345670", Lang: "fr", RequestedAt: s.clock.Now()})
	require.NoError(t, err)
	caseID := s.task(t, person, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)

	// The French words, split at their placeholders: a fragment long enough
	// to be telling (eight characters or more) must not show.
	// (The users' own names are theirs: "Écoutante" is not the interface's;
	// and a language chosen at enrolment is offered by its own name.)
	var french []string
	names := "Élise Écoutante Louis Lebon Claire Coordinatrice Adam Admin Jeanne Martin français"
	verb := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)
	for _, t := range web.FrenchTexts() {
		for _, f := range verb.Split(t, -1) {
			if f = strings.TrimSpace(f); len(f) >= 8 && !strings.Contains(names, f) {
				french = append(french, f)
			}
		}
	}
	require.Greater(t, len(french), 200)

	read := func(c *http.Client, path string) string {
		req, err := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Accept-Language", "en-GB,en;q=0.9,fr;q=0.5")
		res, err := c.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return html.UnescapeString(string(body))
	}
	listener, admin := s.browser(t), s.browser(t)
	s.signIn(t, listener)
	s.signInAs(t, admin, adam)
	pages := map[*http.Client][]string{
		listener: {"/", "/cases/" + itoa(caseID)},
		admin: {"/persons/new", "/persons?q=jeanne", "/persons/" + itoa(person), "/persons/import", "/partners", "/queue",
			"/listeners", "/listeners/" + itoa(s.user.ID), "/dashboard", "/admin/settings", "/admin/test-calls", "/admin/users", "/admin/users/" + itoa(s.user.ID), "/admin/audit"},
	}
	for c, paths := range pages {
		for _, path := range paths {
			body := read(c, path)
			if path != "/admin/test-calls" { // a fragment of the settings page
				require.Contains(t, body, `<html lang="en">`, path)
				require.Contains(t, body, "wellcheck is not an emergency service", path)
			}
			for _, f := range french {
				require.NotContains(t, body, f, "%s shows French", path)
			}
		}
	}
	require.Contains(t, read(listener, "/"), "asked for a call back (pressed 2)")
	require.Contains(t, read(admin, "/admin/test-calls"), "<td>Check-in call — français</td><td>waiting for a free line</td>")
	require.Contains(t, read(admin, "/persons/"+itoa(person)), "Tuesday 2026-12-08 10:00", "dates the English way")
}

// A reader whose browser prefers French may choose English, and back; the
// choice outlives the session and comes back to the page they were on.
func TestLanguageSwitch(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)
	s.signInAs(t, c, claire)
	get := func(path string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9")
		res, err := c.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	body := func(res *http.Response) string {
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return string(b)
	}
	page := body(get("/persons?q=jeanne"))
	require.Contains(t, page, `<a href="/lang?to=en&amp;next=%2fpersons%3fq%3djeanne" lang="en" hreflang="en">English</a>`)

	res := get("/lang?to=en&next=/persons%3Fq%3Djeanne")
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/persons?q=jeanne", res.Header.Get("Location"))
	page = body(get("/persons?q=jeanne"))
	require.Contains(t, page, `<html lang="en">`)
	require.Contains(t, page, `hreflang="fr">Français</a>`)

	res = get("/lang?to=fr&next=//elsewhere.example/")
	require.Equal(t, "/", res.Header.Get("Location"), "only this site's pages")
	require.Contains(t, body(get("/persons/new")), `<html lang="fr">`)
	require.Equal(t, http.StatusBadRequest, get("/lang?to=de").StatusCode)
}
