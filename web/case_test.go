package web_test

// The listener's case page and list as they read them: the numbers they dial,
// what an escalation to the emergency contacts came to, a closed case, and
// forms that keep what was typed when they are refused.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// The person's children, their emergency contacts.
var (
	alain = wellcheck.EmergencyContact{Position: 2, FullName: "Alain Roux", Relation: "fils", Phone: "+33698765432", Language: "fr"}
	nadia = wellcheck.EmergencyContact{Position: 1, FullName: "Nadia Roux", Relation: "fille", Phone: "+33145678900", Language: "fr"}
)

// closeCase closes a case as user by did, the person agreeing.
func (s *site) closeCase(t *testing.T, caseID, by int64) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.store.WithTx(ctx, func(q *store.Queries) error {
		if _, err := q.CloseCase(ctx, caseID, string(wellcheck.ClosureResolved), true, &by, s.clock.Now()); err != nil {
			return err
		}
		_, err := q.CancelCaseFollowUps(ctx, caseID)
		return err
	}))
}

// recorded has user by record a follow-up on a case: the person reached.
func (s *site) recorded(t *testing.T, caseID, by int64) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.store.WithTx(ctx, func(q *store.Queries) error {
		c, err := q.LockCase(ctx, caseID)
		if err != nil {
			return err
		}
		_, err = q.InsertDoneFollowUp(ctx, c, store.Done{Reached: true, At: s.clock.Now(), By: &by})
		return err
	}))
}

// partner adds a partner service that serves everyone and returns its id.
func (s *site) partner(t *testing.T, name string, number wellcheck.Phone) int64 {
	t.Helper()
	p, err := s.store.Queries().SavePartner(context.Background(), wellcheck.Partner{Name: name, Kind: "écoute", Phone: number, Hours: "9h-17h"})
	require.NoError(t, err)
	return p.ID
}

// link is a link as the reader sees it: where it goes, and its words.
type link struct{ Href, Text string }

// telLinks reads the links that dial a number inside what sel selects, in
// page order.
func (b *tab) telLinks(t *testing.T, sel string) []link {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	js := fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(a => ({Href: a.getAttribute("href"), Text: a.textContent.trim()}))`,
		sel+` a[href^="tel:"]`)
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]link](js))
	require.NoError(t, err)
	return links
}

// eval evaluates a JavaScript expression in the tab's page.
func eval[T any](t *testing.T, b *tab, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err)
	return v
}

// value reads the value of the form field sel selects.
func (b *tab) value(t *testing.T, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(css(sel)))
	require.NoError(t, err)
	return v
}

// checked reads whether the box or radio button sel selects is ticked.
func (b *tab) checked(t *testing.T, sel string) bool {
	t.Helper()
	return eval[bool](t, b, fmt.Sprintf(`document.querySelector(%q).checked`, sel))
}

// Every number a listener may call is a link that dials the real number, in
// E.164, and reads as the number formatted: the person's on the list and on
// the case page, each emergency contact's, each partner's.
func TestBrowserListenerDialsRealNumbers(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) // Tuesday 11:00 in Paris
	person := s.enrol(t, "Jeanne Martin", "+33612345678", nadia, alain)
	s.partner(t, "Ligne nationale", "+33143556677")
	caseID := s.task(t, person, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)

	b := s.tab(t)
	b.signIn(t, elise)
	require.Equal(t, []link{{"tel:+33612345678", "06 12 34 56 78"}}, b.telLinks(t, "#list"), "the list dials the person")

	b.run(t,
		chromedp.Click(css(fmt.Sprintf(`#list a[href="/cases/%d"]`, caseID))),
		chromedp.WaitVisible(css(`.call-button`)),
	)
	require.Equal(t, []link{{"tel:+33612345678", "Appeler 06 12 34 56 78"}}, b.telLinks(t, ".call"), "the case page's button dials the person")
	require.Equal(t, []link{{"tel:+33145678900", "01 45 67 89 00"}, {"tel:+33698765432", "06 98 76 54 32"}},
		b.telLinks(t, "section[aria-labelledby=emergency] ol"), "and each emergency contact")
	require.Contains(t, b.text(t, "section[aria-labelledby=emergency] ol"), "Nadia Roux (fille)")
	require.Equal(t, []link{{"tel:+33143556677", "01 43 55 66 77"}}, b.telLinks(t, "#partners-near + ul"), "and each partner")
	require.NotContains(t, eval[string](t, b, `document.body.innerHTML`), "•", "no masked number anywhere")
}

// A listener closes a case through the form that records the call, is told
// it is saved, and opens it again by its address: it reads as closed — how,
// when, by whom, whether the person agreed —, offers nothing to do, not even
// a button to call, and its timeline ends with the closure.
func TestBrowserClosedCaseReadsClosed(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) // Tuesday 11:00 in Paris
	caseID := s.task(t, s.enrol(t, "Jeanne Martin", "+33612345678"), &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	casePage := fmt.Sprintf("%s/cases/%d", s.srv.URL, caseID)

	b := s.tab(t)
	b.signIn(t, elise)
	b.run(t,
		chromedp.Navigate(casePage),
		chromedp.WaitVisible(css(`#record`)),
		chromedp.Click(css(`[name="reached"][value="yes"]`)),
		chromedp.Click(css(`[name="then"][value="close"]`)),
		chromedp.SetValue(css(`#close`), "declined_help"),
		chromedp.Click(css(`[name="agreed"]`)),
		chromedp.Click(css(`form[action$="/follow-up"] button[type=submit]`)),
		chromedp.WaitVisible(css(`#list`)),
	)
	require.Contains(t, b.text(t, "p.notice"), "Clôture enregistrée", "the listener is told it is saved")
	require.NotContains(t, b.text(t, "#list"), "Jeanne Martin")

	b.run(t,
		chromedp.Navigate(casePage),
		chromedp.WaitVisible(css(`#closed`)),
	)
	closed := b.text(t, "section[aria-labelledby=closed]")
	require.Contains(t, closed, "Dossier clôturé")
	require.Contains(t, closed, "mar. 01/12 11:00")
	require.Contains(t, closed, "Élise Écoutante")
	require.Contains(t, closed, "ne souhaite plus de suivi", "the reason in words")
	require.Regexp(t, `Accord de la personne\s+oui`, closed)
	require.NotContains(t, b.text(t, ".facts"), "haute", "no priority: nothing is pending")
	require.Zero(t, eval[int](t, b, `document.querySelectorAll("#why, .call-button").length`), "nothing to call about")
	require.Equal(t, []link{{"tel:+33612345678", "06 12 34 56 78"}}, b.telLinks(t, ".facts"), "the number is still there")
	forms := eval[[]string](t, b, `Array.from(document.querySelectorAll("main form")).map(f => f.getAttribute("action"))`)
	require.Empty(t, forms, "no follow-up, claim, hand-on or closing form")
	require.Contains(t, b.text(t, "#timeline + ol li"), "dossier clôturé par Élise Écoutante : ne souhaite plus de suivi (accord de la personne : oui)",
		"the closure heads the timeline")
}

// A refused form comes back as it was typed, every kind of field: the
// record form's radios, note, partner, box, date, closure and agreement.
// The form not sent (the hand-on) is left as it was.
func TestBrowserRefusedFormsKeepWhatWasTyped(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	caseID := s.task(t, s.enrol(t, "Jeanne Martin", "+33612345678"), &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	partner := strconv.FormatInt(s.partner(t, "Ligne nationale", ""), 10)
	const note = "Messagerie ; rappeler demain matin."
	followUp := `form[action$="/follow-up"] `

	b := s.tab(t)
	b.expect("status of 422") // the refusals
	b.signIn(t, elise)
	b.run(t,
		chromedp.Navigate(fmt.Sprintf("%s/cases/%d", s.srv.URL, caseID)),
		chromedp.WaitVisible(css(`#record`)),
		chromedp.Click(css(`[name="reached"][value="no"]`)),
		chromedp.SendKeys(css(`textarea[name="note"]`), note),
		chromedp.Click(css(`[name="then"][value="call_again"]`)),
		chromedp.Click(css(followUp+`button[type=submit]`)),
	)
	b.waitText(t, "#problems", "la personne n'a pas été jointe : indiquez quand rappeler")
	require.Equal(t, note, b.value(t, `textarea[name="note"]`), "the note is still there")
	require.True(t, b.checked(t, `[name="reached"][value="no"]`), "and the answer")
	require.True(t, b.checked(t, `[name="then"][value="call_again"]`), "and the next step chosen")

	// Everything filled, the case to close but no reason chosen (as a
	// browser that does not check required fields would send it): refused,
	// the problem beside the reason, all kept.
	b.run(t,
		chromedp.Click(css(`[name="reached"][value="yes"]`)),
		chromedp.SetValue(css(`select[name="partner"]`), partner),
		chromedp.Click(css(`[name="emergency_services"]`)),
		chromedp.SetValue(css(`input[name="next"]`), "2026-12-02T14:00"),
		chromedp.Click(css(`[name="then"][value="close"]`)),
		chromedp.Click(css(followUp+`[name="agreed"]`)),
		chromedp.Click(css(followUp+`button[type=submit]`)),
	)
	b.waitText(t, "#close-problem", "")
	require.Contains(t, b.text(t, "#problems"), "Motif de clôture")
	require.True(t, b.checked(t, `[name="reached"][value="yes"]`))
	require.Equal(t, note, b.value(t, `textarea[name="note"]`))
	require.Equal(t, partner, b.value(t, `select[name="partner"]`))
	require.True(t, b.checked(t, `[name="emergency_services"]`))
	require.Equal(t, "2026-12-02T14:00", b.value(t, `input[name="next"]`))
	require.True(t, b.checked(t, `[name="then"][value="close"]`))
	require.Empty(t, b.value(t, `select[name="close"]`))
	require.True(t, b.checked(t, followUp+`[name="agreed"]`))
	require.Equal(t, strconv.FormatInt(s.user.ID, 10), b.value(t, `form[action$="/reassign"] select`), "the hand-on form was not sent")
	c, err := s.store.Queries().CaseFor(context.Background(), caseID, s.coord)
	require.NoError(t, err)
	require.NotEqual(t, wellcheck.CaseClosed, c.State, "nothing was saved")
}

// When the person stays unreached, their emergency contacts are called: what
// came of it shows on the case page (each call, whom, when, the answer; who
// will go and see her) and in a line on the list, which learns it as it
// happens — in French and in English.
func TestEscalationShowsOnTheCaseAndTheList(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) // Tuesday 11:00 in Paris
	person := s.enrol(t, "Jeanne Martin", "+33612345678", nadia, alain)
	caseID := s.task(t, person, &s.user.ID, wellcheck.FollowUpUnreachedRepeatedly, wellcheck.PriorityUrgent)
	at := func(hour, minute int) time.Time { return time.Date(2026, 12, 1, hour-1, minute, 0, 0, time.UTC) } // Paris time
	var escalation store.Escalation
	var contacts []wellcheck.EmergencyContact
	require.NoError(t, s.store.WithTx(ctx, func(q *store.Queries) error {
		var err error
		if escalation, _, err = q.StartEscalation(ctx, caseID, person, at(9, 30)); err != nil {
			return err
		}
		if contacts, err = q.EmergencyContacts(ctx, person); err != nil {
			return err
		}
		for i, outcome := range []wellcheck.Outcome{wellcheck.OutcomeNoAnswer, wellcheck.OutcomeOK} {
			start, end := at(9, 31+10*i), at(9, 32+10*i)
			id, err := q.StartEscalationCall(ctx, escalation, contacts[i], 1, start)
			if err != nil {
				return err
			}
			if _, err := q.EndEscalationCall(ctx, wellcheck.EscalationCall{ID: id, EndedAt: &end, Outcome: outcome, Acknowledged: outcome == wellcheck.OutcomeOK}); err != nil {
				return err
			}
		}
		return nil
	}))

	c := s.browser(t)
	_, body := s.signInAs(t, c, elise)
	require.Contains(t, body, "Escalade en cours : appel des contacts d&#39;urgence — 09:30", "the list says the contacts are being called")
	version := func() string {
		_, v, _ := s.get(t, c, "/list/version")
		return v
	}
	running := version()

	// Alain pressed 1: he will go and see her.
	_, err := s.store.Queries().EndEscalation(ctx, escalation.ID, wellcheck.EscalationAcknowledged, &contacts[1].ID, at(9, 42))
	require.NoError(t, err)
	require.NotEqual(t, running, version(), "an open list learns it")
	_, body, _ = s.get(t, c, "/")
	require.Contains(t, body, "Escalade : Alain Roux (fils) ira voir — 09:42")

	_, body, _ = s.get(t, c, fmt.Sprintf("/cases/%d", caseID))
	require.NotContains(t, textOf(t, body, "why"), "Escalade", "why she is to be called stays short")
	require.Equal(t, 1, strings.Count(body, "Escalade : Alain Roux (fils) ira voir"), "the escalation said once, with the contacts")
	section := body[strings.Index(body, `class="escalation `):]
	section = section[:strings.Index(section, "</section>")]
	require.Contains(t, section, "Escalade : Alain Roux (fils) ira voir — mar. 01/12 09:42", "who acknowledged, and when")
	require.Contains(t, section, "commencée mar. 01/12 09:30")
	require.Contains(t, section, "Nadia Roux (fille) — <time>mar. 01/12 09:31</time> — pas de réponse")
	require.Contains(t, section, "Alain Roux (fils) — <time>mar. 01/12 09:41</time> — ira voir (touche 1)")
	require.Less(t, strings.Index(section, "Nadia Roux"), strings.Index(section, "Alain Roux (fils) —"), "in the order they were called")

	req, err := http.NewRequest(http.MethodGet, s.srv.URL+"/", nil)
	require.NoError(t, err)
	req.Header.Set("Accept-Language", "en")
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	english, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Contains(t, string(english), "Escalation: Alain Roux (fils) will go and check — 9:42 am")

	// A coordinator later removes Nadia: Alain now holds the first place,
	// the second is gone. The escalation still names who was called and
	// who said he would go, as they were then.
	sophie := wellcheck.EmergencyContact{FullName: "Sophie Roux", Relation: "belle-fille", Phone: "+33145678911", Language: "fr"}
	require.NoError(t, s.store.WithTx(ctx, func(q *store.Queries) error {
		p, _, err := q.Person(ctx, person)
		if err != nil {
			return err
		}
		return q.SavePersonDetails(ctx, p, []wellcheck.EmergencyContact{sophie})
	}))
	_, body, _ = s.get(t, c, "/")
	require.Contains(t, body, "Escalade : Alain Roux (fils) ira voir — 09:42")
	_, body, _ = s.get(t, c, fmt.Sprintf("/cases/%d", caseID))
	section = body[strings.Index(body, `class="escalation `):]
	section = section[:strings.Index(section, "</section>")]
	require.Contains(t, section, "Escalade : Alain Roux (fils) ira voir — mar. 01/12 09:42")
	require.Contains(t, section, "Nadia Roux (fille) — <time>mar. 01/12 09:31</time> — pas de réponse")
	require.NotContains(t, section, "Sophie Roux", "she was never called")
}

// A listener hands a case back to the shared pool from the case page: the
// pool's choice (an empty value) is a choice the browser sends, not a
// required field left empty; and the form does not hand it there unasked.
func TestBrowserHandOnToThePool(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	person := s.enrol(t, "Jeanne Martin", "+33612345678")
	caseID := s.task(t, person, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	reassigned := func() int {
		entries, err := s.store.Queries().AuditForPerson(context.Background(), person)
		require.NoError(t, err)
		n := 0
		for _, e := range entries {
			if e.Action == "case.reassign" {
				n++
			}
		}
		return n
	}

	b := s.tab(t)
	b.signIn(t, elise)
	handOn := `form[action$="/reassign"] `
	casePage := fmt.Sprintf("%s/cases/%d", s.srv.URL, caseID)
	b.run(t,
		chromedp.Navigate(casePage),
		chromedp.WaitVisible(css(handOn+`select`)),
	)
	require.Equal(t, strconv.FormatInt(s.user.ID, 10), b.value(t, handOn+`select`),
		"the form opens on the case's listener")
	b.run(t,
		chromedp.Click(css(handOn+`button[type=submit]`)),
		chromedp.WaitVisible(css(`#list`)),
	)
	c, err := s.store.Queries().CaseFor(context.Background(), caseID, s.coord)
	require.NoError(t, err)
	require.Equal(t, &s.user.ID, c.AssigneeID, "sent unchanged, it moves nothing")
	require.Zero(t, reassigned(), "and writes no hand-on to the audit log")

	b.run(t,
		chromedp.Navigate(casePage),
		chromedp.WaitVisible(css(handOn+`select`)),
		chromedp.SetValue(css(handOn+`select`), ""),
		chromedp.Click(css(handOn+`button[type=submit]`)),
		chromedp.WaitVisible(css(`#list`)),
	)
	c, err = s.store.Queries().CaseFor(context.Background(), caseID, s.coord)
	require.NoError(t, err)
	require.Nil(t, c.AssigneeID, "the case is in the shared pool")
	require.Equal(t, 1, reassigned())
}

// A closed case's story ends with its closure: a listener who handled it,
// and may read it still, does not follow the person's later calls through
// it (a later miss is another case, perhaps another listener's).
func TestClosedCaseEndsWithItsClosure(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tuesday := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) // 11:00 in Paris
	s.clock.Set(tuesday)
	person := s.enrol(t, "Jeanne Martin", "+33612345678")
	s.checkIn(t, person, tuesday.Add(-time.Hour), "flagged", "help_requested")
	caseID := s.task(t, person, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	s.closeCase(t, caseID, s.user.ID)
	s.checkIn(t, person, tuesday.AddDate(0, 0, 7).Add(-time.Hour), "unreached", "no_answer", "no_answer", "no_answer")
	s.clock.Set(tuesday.AddDate(0, 0, 7))

	c := s.browser(t)
	s.signInAs(t, c, elise)
	status, body, _ := s.get(t, c, fmt.Sprintf("/cases/%d", caseID))
	require.Equal(t, http.StatusOK, status, "Élise closed it: she may read it")
	timeline := body[strings.Index(body, `id="timeline"`):]
	require.Contains(t, timeline, "mar. 01/12 10:00", "the call that opened it")
	require.NotContains(t, timeline, "08/12", "nothing after the closure")
	require.NotContains(t, timeline, "injoignable")
}

// The case page says why the person is to be called, in words, with the time
// in their zone: a key pressed, calls unanswered once or several times in a
// row, a referral's concern. A day other than today is named.
func TestCaseSaysWhyNow(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tuesday := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) // 11:00 in Paris
	s.clock.Set(tuesday)
	c := s.browser(t)
	s.signIn(t, c)
	for i, tc := range []struct {
		name   string
		reason wellcheck.FollowUpReason
		calls  func(person int64)
		want   string
	}{
		{"pressed 2", wellcheck.FollowUpFlagged, func(person int64) {
			s.checkIn(t, person, tuesday.Add(-time.Hour), "flagged", "no_answer", "help_requested")
		}, "a appuyé sur 2 à 10:15 : demande un rappel"},
		{"unreached", wellcheck.FollowUpUnreached, func(person int64) {
			s.checkIn(t, person, tuesday.Add(-time.Hour), "unreached", "no_answer", "no_answer", "busy")
		}, "injoignable à l'appel de 10:00 (3 essais)"},
		{"unreached in a row", wellcheck.FollowUpUnreachedRepeatedly, func(person int64) {
			s.checkIn(t, person, tuesday.AddDate(0, 0, -14), "confirmed", "ok")
			s.checkIn(t, person, tuesday.AddDate(0, 0, -7), "unreached", "no_answer")
			s.checkIn(t, person, tuesday.AddDate(0, 0, -1), "unreached", "no_answer")
		}, "injoignable 2 fois de suite, la dernière à lun. 30/11 11:00"},
		{"a referral's concern", wellcheck.FollowUpReferral, func(person int64) {
			_, err := s.store.Pool().Exec(context.Background(), "UPDATE referrals SET concern = 'Ne sort plus.' WHERE person_id = $1", person)
			require.NoError(t, err)
		}, "signalement avec inquiétude : Ne sort plus."},
	} {
		person := s.enrol(t, "Jeanne "+tc.name, fmt.Sprintf("+336123400%02d", i))
		tc.calls(person)
		caseID := s.task(t, person, &s.user.ID, tc.reason, wellcheck.PriorityHigh)
		_, body, _ := s.get(t, c, fmt.Sprintf("/cases/%d", caseID))
		require.Equal(t, "Pourquoi l'appeler "+tc.want, textOf(t, body, "why"), tc.name)
	}
}
