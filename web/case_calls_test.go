package web_test

// The case page's calls from the browser phone: listed by themselves, newest
// first, in the person's time, and the record form ticking "reached" after
// the listener's own call today reached the person.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/wellcheck/wellcheck"
)

// phoneCall has by place or take a call on a case at the given time, answered
// after answer (0: never) and ended after length with outcome.
func (s *site) phoneCall(t *testing.T, by wellcheck.User, caseID int64, direction string, at time.Time, answer, length time.Duration, outcome wellcheck.CallOutcome) wellcheck.CaseCall {
	t.Helper()
	ctx := context.Background()
	now := s.clock.Now()
	defer s.clock.Set(now)
	s.clock.Set(at)
	c, err := s.ui.Cases.StartCall(ctx, by, caseID, direction, "")
	require.NoError(t, err)
	if answer > 0 {
		s.clock.Set(at.Add(answer))
		_, err = s.ui.Cases.CallAnswered(ctx, c.ID)
		require.NoError(t, err)
	}
	s.clock.Set(at.Add(answer + length))
	c, err = s.ui.Cases.EndCall(ctx, c.ID, outcome, "")
	require.NoError(t, err)
	return c
}

// callRows reads the case page's calls table: a row of cells' text per call.
func callRows(t *testing.T, body string) [][]string {
	t.Helper()
	sections := elements(t, body, func(n *html.Node) bool { return attr(n, "id") == "calls" })
	if len(sections) == 0 {
		return nil
	}
	var rows [][]string
	for tr := range sections[0].Descendants() {
		if tr.DataAtom != atom.Tr || tr.Parent.DataAtom != atom.Tbody {
			continue
		}
		var cells []string
		for td := range tr.ChildNodes() {
			if td.DataAtom == atom.Td {
				cells = append(cells, strings.Join(strings.Fields(textIn(td)), " "))
			}
		}
		rows = append(rows, cells)
	}
	return rows
}

// seedCalls gives a case three calls: Élise's unanswered one yesterday, the
// person calling Claire this morning, and Élise's answered one just now.
func (s *site) seedCalls(t *testing.T, caseID int64, tuesday time.Time) {
	t.Helper()
	s.phoneCall(t, s.user, caseID, "out", tuesday.Add(-20*time.Hour+5*time.Minute), 0, 45*time.Second, wellcheck.CallNoAnswer)
	s.phoneCall(t, s.coord, caseID, "in", tuesday.Add(-90*time.Minute), 4*time.Second, 65*time.Second, wellcheck.CallAnswered)
	s.phoneCall(t, s.user, caseID, "out", tuesday.Add(-18*time.Minute), 12*time.Second, 3*time.Minute+20*time.Second, wellcheck.CallAnswered)
}

func TestCasePageListsItsCalls(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tuesday := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) // 11:00 in Paris
	s.clock.Set(tuesday)
	person := s.enrol(t, "Jeanne Martin", "+33612345678")
	caseID := s.task(t, person, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	page := fmt.Sprintf("/cases/%d", caseID)

	c := s.browser(t)
	s.signInAs(t, c, elise)
	_, body, _ := s.get(t, c, page)
	require.Nil(t, callRows(t, body), "no call yet: no section")
	require.Empty(t, formValues(t, body, page+"/follow-up")["reached"], "nothing ticked for her")

	s.seedCalls(t, caseID, tuesday)
	_, body, _ = s.get(t, c, page)
	require.Equal(t, [][]string{
		{"mar. 01/12 10:42", "appel sortant", "Élise Écoutante", "3:20"},
		{"mar. 01/12 09:30", "appel reçu", "Claire Coordinatrice", "1:05"},
		{"lun. 30/11 15:05", "appel sortant", "Élise Écoutante", "pas de réponse"},
	}, callRows(t, body), "newest first, in the person's time (Paris), the duration from the answer")
	require.Contains(t, body, `<time datetime="PT3M20S">3:20</time>`)
	require.Equal(t, []string{"yes"}, formValues(t, body, page+"/follow-up")["reached"], "her call just now reached the person")
	require.Contains(t, textOf(t, body, "reached-by-call"), "votre appel de 10:42")
	require.Less(t, strings.Index(body, `id="calls"`), strings.Index(body, `id="record"`), "the calls above the form that records them")

	req, err := http.NewRequest(http.MethodGet, s.srv.URL+page, nil)
	require.NoError(t, err)
	req.Header.Set("Accept-Language", "en")
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	english := string(b)
	require.Equal(t, [][]string{
		{"Tue 1 Dec, 10:42 am", "outgoing", "Élise Écoutante", "3:20"},
		{"Tue 1 Dec, 9:30 am", "incoming", "Claire Coordinatrice", "1:05"},
		{"Mon 30 Nov, 3:05 pm", "outgoing", "Élise Écoutante", "not answered"},
	}, callRows(t, english))
	require.Contains(t, textOf(t, english, "calls-title"), "Calls")

	// Her latest call, busy: she did not reach the person, nothing is
	// ticked; the coordinator's own call this morning did reach her.
	s.phoneCall(t, s.user, caseID, "out", tuesday.Add(-time.Minute), 0, 2*time.Second, wellcheck.CallBusy)
	_, body, _ = s.get(t, c, page)
	require.Equal(t, []string{"mar. 01/12 10:59", "appel sortant", "Élise Écoutante", "occupé"}, callRows(t, body)[0])
	require.Empty(t, formValues(t, body, page+"/follow-up")["reached"])
	require.Empty(t, textOf(t, body, "reached-by-call"))

	cc := s.browser(t)
	s.signInAs(t, cc, claire)
	_, body, _ = s.get(t, cc, page)
	require.Equal(t, []string{"yes"}, formValues(t, body, page+"/follow-up")["reached"], "each reads their own call")

	// The next day, yesterday's calls tick nothing.
	s.clock.Set(tuesday.AddDate(0, 0, 1))
	cc = s.browser(t)
	s.signInAs(t, cc, claire)
	_, body, _ = s.get(t, cc, page)
	require.Empty(t, formValues(t, body, page+"/follow-up")["reached"])
}

// In Chromium at a tablet's size: the calls read as a table, and the record
// form opens with "reached" ticked after the listener's answered call.
// WELLCHECK_SHOTS=dir saves the page to look at.
func TestBrowserCaseCalls(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tuesday := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.clock.Set(tuesday)
	person := s.enrol(t, "Jeanne Martin", "+33612345678", nadia, alain)
	caseID := s.task(t, person, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	s.seedCalls(t, caseID, tuesday)

	b := s.tab(t)
	b.signIn(t, elise)
	b.run(t,
		chromedp.Navigate(fmt.Sprintf("%s/cases/%d", s.srv.URL, caseID)),
		chromedp.WaitVisible(css(`#calls table`)),
	)
	require.True(t, b.checked(t, `input[name=reached][value=yes]`))
	require.False(t, b.checked(t, `input[name=reached][value=no]`))
	require.Contains(t, b.text(t, `#calls tbody tr:first-child`), "3:20")
	require.Empty(t, b.axe(t), "WCAG 2 AA")
	b.shoot(t, "case-calls")
	b.run(t, chromedp.EmulateViewport(390, 844))
	require.Equal(t, "block", eval[string](t, b, `getComputedStyle(document.querySelector("#calls td")).display`), "on a phone, a card per call")
	require.Empty(t, b.axe(t), "WCAG 2 AA on a phone too")
	if dir := os.Getenv("WELLCHECK_SHOTS"); dir != "" {
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "case-calls-390.png"), png, 0o644))
	}
}
