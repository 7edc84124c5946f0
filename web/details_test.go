package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// A coordinator corrects a person's number from their file: the number that
// did not work leaves the queue, the next call dials the new one, a contact
// is added then renamed keeping the date they agreed, and the audit says what
// changed without saying what it was.
func TestCorrectAPersonsDetails(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	jeanne := s.enrol(t, "Jeane Martin", "+33612345678")
	s.enrol(t, "Paul Durand", "+33612345679")
	_, err := s.store.Queries().RecordDataIssue(ctx, store.DataIssue{PersonID: jeanne, Kind: "undeliverable", Detail: "404 Not Found", LastSeenAt: s.clock.Now()})
	require.NoError(t, err)

	c := s.browser(t)
	csrf, _ := s.signInAs(t, c, claire)
	path := fmt.Sprintf("/persons/%d", jeanne)
	_, body, _ := s.get(t, c, path)
	require.Contains(t, body, `action="/persons/`+itoa(jeanne)+`/details"`)
	require.Contains(t, body, `name="person.phone" type="tel" value="06 12 34 56 78"`)

	form := url.Values{"csrf": {csrf}, "person.full_name": {"Jeanne Martin"}, "person.phone": {"06 12"}, "person.language": {"fr"},
		"person.city": {"Lyon"}, "person.postcode": {"69003"},
		"contacts[1].full_name": {"Marc Martin"}, "contacts[1].relation": {"fils"}, "contacts[1].phone": {"07 81 23 45 67"}, "contacts[1].consent": {"yes"}}
	res, body := s.post(t, c, path+"/details", form, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, `id="person.phone-problem">`)
	require.Contains(t, body, `name="person.phone" type="tel" value="06 12"`, "what was typed is kept")
	require.Contains(t, body, `name="contacts[1].full_name" type="text" value="Marc Martin"`)

	form.Set("person.phone", "06 12 34 56 79")
	res, body = s.post(t, c, path+"/details", form, nil)
	require.Equal(t, http.StatusConflict, res.StatusCode, "Paul's number")
	require.Contains(t, body, "Paul Durand")
	require.Contains(t, body, `id="person.phone-problem"`, "the number's field says so")

	form.Set("person.phone", "06 98 76 54 32")
	res, _ = s.post(t, c, path+"/details", form, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body, _ = s.get(t, c, res.Header.Get("Location"))
	require.Contains(t, body, "Coordonnées enregistrées")
	require.Contains(t, body, "<dd>06 98 76 54 32</dd>")
	require.Contains(t, body, "<h1>Jeanne Martin</h1>")
	require.Contains(t, body, "Marc Martin (fils) — 07 81 23 45 67")
	_, body, _ = s.get(t, c, "/queue")
	require.NotContains(t, body, "Jeanne Martin", "the number that did not work is settled")

	// The call worker reads the number when it dials.
	var dialled string
	require.NoError(t, s.store.Pool().QueryRow(ctx, "SELECT phone FROM persons WHERE id = $1", jeanne).Scan(&dialled))
	require.Equal(t, "+33698765432", dialled)

	// Renaming the contact keeps the date they agreed to be called.
	e, err := s.store.Queries().Enrolment(ctx, jeanne)
	require.NoError(t, err)
	require.NotNil(t, e.Contacts[0].ConsentAt)
	agreed := *e.Contacts[0].ConsentAt
	contactID := e.Contacts[0].ID
	s.clock.Set(s.clock.Now().Add(time.Hour))
	form.Set("contacts[1].full_name", "Marc-Antoine Martin")
	res, _ = s.post(t, c, path+"/details", form, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	e, err = s.store.Queries().Enrolment(ctx, jeanne)
	require.NoError(t, err)
	require.Equal(t, "Marc-Antoine Martin", e.Contacts[0].FullName)
	require.Equal(t, contactID, e.Contacts[0].ID, "the contact keeps its place and its calls")
	require.True(t, agreed.Equal(*e.Contacts[0].ConsentAt))

	rows, err := s.store.Pool().Query(ctx, "SELECT details::text FROM audit_log WHERE action = 'person.details' AND person_id = $1 ORDER BY id", jeanne)
	require.NoError(t, err)
	var details []string
	for rows.Next() {
		var d string
		require.NoError(t, rows.Scan(&d))
		details = append(details, d)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{
		`{"changed": ["full_name", "phone", "address", "emergency_contacts"], "number_issues_resolved": 1}`,
		`{"changed": ["emergency_contacts"]}`,
	}, details)
	require.NotContains(t, s.logs.String(), "698765432")

	// The time zone moves with the plan.
	res, body = s.post(t, c, path+"/plan", url.Values{"csrf": {csrf}, "person.time_zone": {"Indian/Reunion"}, "plan.days": {"TUE"}, "plan.time": {"13:00"}, "plan.window": {"12:00-18:00"}}, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, body)
	person, _, err := s.store.Queries().Person(ctx, jeanne)
	require.NoError(t, err)
	require.Equal(t, "Indian/Reunion", person.TimeZone)

	// Nothing about a withdrawn person changes.
	require.NoError(t, s.store.WithTx(ctx, func(q *store.Queries) error {
		return q.ChangePerson(ctx, jeanne, store.PersonChange{Action: "person.withdraw", At: s.clock.Now()}, wellcheck.Actor{Label: "test"})
	}))
	res, body = s.post(t, c, path+"/details", form, nil)
	require.Equal(t, http.StatusConflict, res.StatusCode)
	require.Contains(t, body, "cette personne a retiré son consentement")
}
