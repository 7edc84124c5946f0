package web_test

// A listener's call back, on a tablet (820×1180): from the top of their list
// to the case, the call, and what they record of it.

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
)

// box is where an element is on the screen, in CSS pixels, the page
// scrolled to its top.
type box struct{ Top, Bottom, Width, Height float64 }

// boxOf reads where the element sel selects is, the page at its top.
func (b *tab) boxOf(t *testing.T, sel string) box {
	t.Helper()
	return eval[box](t, b, fmt.Sprintf(`(() => { window.scrollTo(0, 0); const r = document.querySelector(%q).getBoundingClientRect();
		return {Top: r.top, Bottom: r.bottom, Width: r.width, Height: r.height} })()`, sel))
}

// A person presses 2. Their listener, on a tablet, opens the top of their
// list: the first screen says why (pressed 2, and when, in the person's
// time) and holds the button that calls them. Not reached, she records to
// call again tomorrow at 14:00 and is told it is saved; then, having reached
// the person, she closes the case with their agreement through the same
// form, and the case reads as closed.
func TestBrowserJourneyListenerCallsBack(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	// Tuesday 17 November 2026, 10:00 in Paris: an open day.
	start, wall := time.Date(2026, 11, 17, 10, 0, 0, 0, paris), time.Now()
	now := func() time.Time { return start.Add(time.Since(wall)) }
	s.clock.Set(start)
	const number = "+33612345678"
	person := s.enrol(t, "Marie Curie", number, nadia)
	s.callPresses(t, now, person, number, callee.PressTwo)
	require.Eventually(t, func() bool {
		_, _, err := s.store.Queries().OpenCase(ctx, person)
		return err == nil
	}, 30*time.Second, 50*time.Millisecond, "pressing 2 opens a case")

	b := s.tab(t)
	b.signIn(t, elise)
	b.run(t,
		chromedp.EmulateViewport(820, 1180),
		chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(css(`#list tbody`)),
		chromedp.Click(css(`#list tbody tr:first-child a[href^="/cases/"]`)),
		chromedp.WaitVisible(css(`.call-button`)),
	)
	require.Equal(t, "Marie Curie", b.text(t, "h1"))
	require.Regexp(t, `a appuyé sur 2 à 10:0\d`, b.text(t, "#why"), "why, with the time in the person's zone")
	require.Equal(t, []link{{"tel:" + number, "Appeler 06 12 34 56 78"}}, b.telLinks(t, ".call"))
	why, call := b.boxOf(t, "#why"), b.boxOf(t, ".call-button")
	require.Less(t, why.Bottom, 1180.0, "why is on the first screen")
	require.Less(t, call.Bottom, 1180.0, "and the button that calls")
	require.GreaterOrEqual(t, call.Width, 44.0, "a button a finger can press")
	require.GreaterOrEqual(t, call.Height, 44.0)
	require.Less(t, b.boxOf(t, ".emergency").Bottom, 1180.0, "and the emergency contacts")
	casePage, err := chromedp.Run(b.ctx, chromedp.Location())
	require.NoError(t, err)

	// Not reached: call again tomorrow at 14:00, her time.
	b.run(t,
		chromedp.Click(css(`[name="reached"][value="no"]`)),
		chromedp.SendKeys(css(`textarea[name="note"]`), "Messagerie."),
		chromedp.Click(css(`[name="then"][value="call_again"]`)),
		chromedp.SetValue(css(`input[name="next"]`), "2026-11-18T14:00"),
		chromedp.Click(css(`form[action$="/follow-up"] button[type=submit]`)),
		chromedp.WaitVisible(css(`#list`)),
	)
	require.Contains(t, b.text(t, "p.notice"), "Suivi enregistré")
	b.run(t,
		chromedp.Navigate(casePage),
		chromedp.WaitVisible(css(`#why`)),
	)
	require.Contains(t, b.text(t, "#why"), "rappel prévu à mer. 18/11 14:00")
	require.Contains(t, b.text(t, "#timeline + ol"), "suivi par Élise Écoutante : personne non jointe")

	// Reached later: the case closes, with her agreement, through the same
	// form.
	b.run(t,
		chromedp.Click(css(`[name="reached"][value="yes"]`)),
		chromedp.Click(css(`[name="then"][value="close"]`)),
		chromedp.SetValue(css(`#close`), "resolved"),
		chromedp.Click(css(`[name="agreed"]`)),
		chromedp.Click(css(`form[action$="/follow-up"] button[type=submit]`)),
		chromedp.WaitVisible(css(`#list`)),
	)
	require.Contains(t, b.text(t, "p.notice"), "Clôture enregistrée")
	b.run(t,
		chromedp.Navigate(casePage),
		chromedp.WaitVisible(css(`#closed`)),
	)
	closed := b.text(t, "section[aria-labelledby=closed]")
	require.Contains(t, closed, "résolu")
	require.Regexp(t, `Accord de la personne\s+oui`, closed)
	_, _, err = s.store.Queries().OpenCase(ctx, person)
	require.ErrorIs(t, err, wellcheck.ErrNotFound, "the case is closed")
}

// A coordinator, on a tablet, enrols a person called Monday to Friday at
// 10:30, then brings in the town hall's register: a workbook with a title
// above its French header, dates and times typed as such, and one line whose
// number is short. The report names that line and its column; she leaves
// it out, and the others are enrolled with their plans in words.
func TestBrowserJourneyCoordinatorEnrolsAndImports(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 21, 8, 0, 0, 0, time.UTC)) // Monday 21 December, 09:00 in Paris
	b := s.tab(t)
	b.signIn(t, claire)
	b.run(t,
		chromedp.EmulateViewport(820, 1180),
		chromedp.Navigate(s.srv.URL+"/persons/new"),
		chromedp.WaitVisible(css(`#enrol-form`)),
		chromedp.SetValue(field("referral.source"), "town_hall"),
		chromedp.SendKeys(field("person.full_name"), "Marie Curie"),
		chromedp.SendKeys(field("person.phone"), "06 12 34 56 78"),
		chromedp.Click(css(`[name="plan.repeat"][value="weekdays"]`)),
		chromedp.SetValue(field("plan.time"), "10:30"),
	)
	b.waitText(t, "#preview", "du lundi au vendredi vers 10 h 30")
	b.run(t,
		chromedp.Click(css(`button.primary`)),
		chromedp.WaitVisible(css(`p.notice`)),
	)
	require.Contains(t, b.text(t, "main"), "du lundi au vendredi vers 10 h 30", "the person's file says the plan in words")

	consent := time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC)
	f := excelize.NewFile()
	require.NoError(t, f.SetCellStr("Sheet1", "A1", "Registre des personnes isolées — mairie"))
	for i, row := range [][]any{
		{"Nom et prénom", "Téléphone", "Jours d'appel", "Heure d'appel", "Origine du signalement", "Consentement donné par", "Date du consentement", "Recueil du consentement"},
		{"Jeanne Martin", "01 99 00 10 20", "lundi, jeudi", 10.0 / 24, "mairie", "la personne", consent, "téléphone"},
		{"Marcel Bernard", "06 12", "tous les jours", "14h", "famille", "la personne", consent, "papier"},
		{"Lucie Petit", "01 99 00 10 22", "mardi", 14.5 / 24, "médecin", "la personne", consent, "en personne"},
	} {
		require.NoError(t, f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+3), &row))
	}
	path := filepath.Join(t.TempDir(), "registre-mairie.xlsx")
	require.NoError(t, f.SaveAs(path))
	require.NoError(t, f.Close())

	b.run(t,
		chromedp.Navigate(s.srv.URL+"/persons/import"),
		chromedp.WaitVisible(css(`#model-xlsx`)),
	)
	// A large register over a slow line: the bar says how far the upload
	// is, then that the lines are being checked. (Loopback is too fast to
	// see it: the progress htmx reports is played as it would come.)
	progress := func(loaded int) string {
		return eval[string](t, b, fmt.Sprintf(`(() => { htmx.trigger("#upload", "htmx:xhr:progress", {loaded: %d, total: 200, lengthComputable: true});
			const bar = document.querySelector("#upload-progress");
			return (bar.hidden ? "hidden" : "shown") + " " + bar.querySelector("progress").value + " " + document.querySelector("#upload-state").textContent })()`, loaded))
	}
	require.Equal(t, "shown 25 Envoi du fichier…", progress(50))
	require.Equal(t, "shown 100 Fichier reçu : vérification de chaque ligne…", progress(200))
	b.run(t,
		chromedp.SetUploadFiles(css(`#file`), []string{path}),
		chromedp.Click(css(`#upload button[type=submit]`)),
		chromedp.WaitVisible(css(`#report`)),
	)
	require.Contains(t, b.text(t, "#summary"), "3 lignes lues, 2 valides, 1 invalide")
	require.Equal(t, "5", b.text(t, "#invalid tbody tr:first-child td:first-child"), "the sheet's row")
	require.Equal(t, "Marcel Bernard", b.text(t, "#invalid tbody tr:first-child td:nth-child(2)"), "and who is on it")
	require.Equal(t, "colonne B (Téléphone) : « 06 12 » n'est pas un numéro de téléphone : un numéro français comme 06 12 34 56 78, ou international commençant par +",
		b.text(t, "#invalid tbody tr:first-child li"))
	b.run(t,
		chromedp.Click(css(`[name="skip_invalid"]`)),
		chromedp.Click(css(`#confirm button`)),
		chromedp.WaitVisible(css(`p.notice#summary`)),
	)
	require.Contains(t, b.text(t, "#summary"), "3 lignes lues, 2 personnes inscrites, 1 ligne invalide écartée.")

	b.run(t,
		chromedp.Navigate(s.srv.URL+"/persons?q=Lucie"),
		chromedp.Click(css(`main a[href^="/persons/"]`)),
		chromedp.WaitVisible(css(`main h1`)),
	)
	require.Equal(t, "Lucie Petit", b.text(t, "main h1"))
	require.Contains(t, b.text(t, "main"), "mardi vers 14 h 30")
}
