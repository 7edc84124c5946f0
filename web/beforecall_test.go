package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

// What a coordinator typed at enrolment about how to call a person is what
// the listener reads first on the case page and the coordinator on the
// person's file, where they correct it; the audit says it changed, never
// what it says, and no log line carries it. The API's file has it too.
func TestNoteBeforeCalling(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 21, 8, 0, 0, 0, time.UTC)) // Monday 21 December, 09:00 in Paris
	c := s.browser(t)
	csrf, _ := s.signInAs(t, c, claire)
	const note = "Malentendante : parler lentement et fort"
	form := enrolForm(csrf)
	form.Set("person.notes", note)
	res, _ := s.post(t, c, "/persons", form, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ := s.get(t, c, res.Header.Get("Location"))
	require.Equal(t, "À savoir avant d'appeler "+note, textOf(t, body, "before-call"))
	hits, err := s.store.Queries().SearchPersons(ctx, "Marie Curie", "", 1)
	require.NoError(t, err)
	person := hits[0].ID
	path := fmt.Sprintf("/persons/%d", person)
	details := formValues(t, body, path+"/details")
	require.Equal(t, note, details.Get("person.notes"), "the correction form holds it, to correct")

	// The listener about to call sees it at the top of the case, by the
	// button that calls.
	caseID := s.task(t, person, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	l := s.browser(t)
	s.signIn(t, l)
	casePage := func() string {
		_, body, _ := s.get(t, l, fmt.Sprintf("/cases/%d", caseID))
		return body
	}
	body = casePage()
	require.Equal(t, "À savoir avant d'appeler "+note, textOf(t, body, "before-call"))
	require.Less(t, strings.Index(body, `class="call-button"`), strings.Index(body, `id="before-call"`), "right under the button that calls")
	require.Less(t, strings.Index(body, `id="before-call"`), strings.Index(body, `id="record"`), "before the form that records the call")

	// Corrected on the file, as typed in a browser (its line breaks CRLF).
	const corrected = "Malentendante : parler lentement et fort.\nPréfère être appelée le matin."
	details.Set("csrf", csrf)
	details.Set("person.notes", strings.ReplaceAll(corrected, "\n", "\r\n"))
	res, body = s.post(t, c, path+"/details", details, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, body)
	_, body, _ = s.get(t, c, path)
	require.Equal(t, "À savoir avant d'appeler Malentendante : parler lentement et fort. Préfère être appelée le matin.", textOf(t, body, "before-call"))
	e, err := s.store.Queries().Enrolment(ctx, person)
	require.NoError(t, err)
	require.Equal(t, corrected, e.Notes)
	require.Contains(t, textOf(t, casePage(), "before-call"), "Préfère être appelée le matin.")
	// Saved again unchanged, it is not changed again.
	details = formValues(t, body, path+"/details")
	details.Set("csrf", csrf)
	details.Set("person.notes", strings.ReplaceAll(details.Get("person.notes"), "\n", "\r\n"))
	res, _ = s.post(t, c, path+"/details", details, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)

	// The API's file carries it.
	token, _ := s.apiToken(t, s.coord)
	a := s.call(t, nil, token, "GET", fmt.Sprintf("/persons/%d", person), "", nil)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	require.Equal(t, corrected, a.body["notes"])

	// Emptied, it is gone from both pages.
	details.Set("person.notes", "")
	res, _ = s.post(t, c, path+"/details", details, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ = s.get(t, c, path)
	require.Empty(t, textOf(t, body, "before-call"))
	require.Empty(t, textOf(t, casePage(), "before-call"))
	// The follow-ups' notes are not the note about the person.
	_, err = s.store.Queries().AddNote(ctx, person, &caseID, nil, &s.user.ID, "Rappel prévu jeudi.", s.clock.Now())
	require.NoError(t, err)
	require.Empty(t, textOf(t, casePage(), "before-call"))

	// Audited as a correction of the notes, never with what they say; never
	// in a log line.
	rows, err := s.store.Pool().Query(ctx, "SELECT details::text FROM audit_log WHERE action = 'person.details' AND person_id = $1 ORDER BY id", person)
	require.NoError(t, err)
	var audited []string
	for rows.Next() {
		var d string
		require.NoError(t, rows.Scan(&d))
		audited = append(audited, d)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{`{"changed": ["notes"]}`, `{"changed": null}`, `{"changed": ["notes"]}`}, audited)
	for _, words := range []string{"Malentendante", "matin"} {
		require.NotContains(t, s.logs.String(), words, "no log line carries the note")
	}
}

// A person enrolled without an emergency contact is accepted with a
// warning, which the form gives as soon as it is sent, the enrolment's
// result and the person's file until one is added; in French and English.
func TestNoEmergencyContactWarns(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 21, 8, 0, 0, 0, time.UTC))
	c := s.browser(t)
	csrf, _ := s.signInAs(t, c, claire)
	const warning = "Aucun contact d'urgence : recommandé pour pouvoir alerter un proche si la personne reste injoignable"
	form := enrolForm(csrf)
	for _, f := range []string{"full_name", "relation", "phone", "consent"} {
		form.Del("contacts[1]." + f)
	}

	// The preview (without script) and a refusal say it beside the contacts.
	preview := url.Values{}
	for k, v := range form {
		preview[k] = v
	}
	preview.Set("preview", "1")
	res, body := s.post(t, c, "/persons", preview, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, warning, textOf(t, body, "no-contacts"))
	refused := url.Values{}
	for k, v := range form {
		refused[k] = v
	}
	refused.Set("person.phone", "01 23")
	res, body = s.post(t, c, "/persons", refused, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Equal(t, warning, textOf(t, body, "no-contacts"))
	withContact := enrolForm(csrf)
	withContact.Set("preview", "1")
	res, body = s.post(t, c, "/persons", withContact, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Empty(t, textOf(t, body, "no-contacts"), "not with a contact")

	// Enrolled: the result says it, and offers to add one.
	res, _ = s.post(t, c, "/persons", form, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	where := res.Header.Get("Location")
	_, body, _ = s.get(t, c, where)
	require.Contains(t, textOf(t, body, "main"), "Inscription enregistrée")
	require.Equal(t, warning+" — ajouter un contact", textOf(t, body, "no-contacts"))
	// In English.
	status, _, _ := s.get(t, c, "/lang?to=en")
	require.Equal(t, http.StatusSeeOther, status)
	_, body, _ = s.get(t, c, where)
	require.Equal(t, "No emergency contact: recommended, so someone close can be alerted if the person stays unreached — add a contact", textOf(t, body, "no-contacts"))

	// Once a contact is added, the file no longer warns.
	path := strings.TrimSuffix(where, "?done=enrolled")
	details := formValues(t, body, path+"/details")
	details.Set("csrf", csrf)
	details.Set("contacts[1].full_name", "Pierre Curie")
	details.Set("contacts[1].phone", "06 98 76 54 32")
	res, body = s.post(t, c, path+"/details", details, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, body)
	_, body, _ = s.get(t, c, path)
	require.Empty(t, textOf(t, body, "no-contacts"))
}
