package web_test

import (
	"context"
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

func TestListenersProfiles(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	s.task(t, s.enrol(t, "Jeanne Martin", "+33612345678"), &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	s.task(t, s.enrol(t, "Paul Durand", "+33612345679"), nil, wellcheck.FollowUpMissed, wellcheck.PriorityNormal)

	c := s.browser(t)
	s.signInAs(t, c, claire)
	status, body, csrf := s.get(t, c, "/listeners")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `<a href="/list">1 dossier en attente d&#39;un écoutant</a>`)
	require.Contains(t, body, `<a href="/listeners/`+itoa(s.user.ID)+`">Élise Écoutante</a>`)
	require.Contains(t, body, `1 suivi en attente sur 10`)
	require.NotContains(t, body[strings.Index(body, `id="listeners"`):], `">Claire Coordinatrice</a>`, "only listeners")

	path := "/listeners/" + itoa(s.user.ID)
	status, body, _ = s.get(t, c, path)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `value="fr"`)

	// Saved: languages, skills, capacity, and shifts on Monday and Thursday.
	form := url.Values{"csrf": {csrf}, "listener.languages": {"fr, AR"}, "listener.skills": {"Deuil; aidants"}, "listener.capacity": {"15"},
		"shifts[1].open": {"yes"}, "shifts[1].opens": {"09:00"}, "shifts[1].closes": {"13:00"},
		"shifts[4].open": {"yes"}, "shifts[4].opens": {"14:00"}, "shifts[4].closes": {"17:30"}}
	res, _ := s.post(t, c, path, form, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	l, err := s.store.Queries().Listener(context.Background(), s.user.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"fr", "ar"}, l.Languages)
	require.Equal(t, []string{"deuil", "aidants"}, l.Skills)
	require.Equal(t, 15, l.Capacity)
	require.Equal(t, []store.Shift{
		{Weekday: time.Monday, Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(13, 0)}},
		{Weekday: time.Thursday, Window: wellcheck.Window{Start: wellcheck.Clock(14, 0), End: wellcheck.Clock(17, 30)}},
	}, l.Shifts)
	_, body, _ = s.get(t, c, res.Header.Get("Location"))
	require.Contains(t, body, "Profil enregistré.")
	require.Contains(t, body, `name="shifts[4].closes" value="17:30"`)
	audit, err := s.store.Queries().AuditActionsBy(context.Background(), s.coord.ID)
	require.NoError(t, err)
	require.Contains(t, audit, "listener.profile")

	// Each problem beside its field, what was typed kept, nothing saved.
	form = url.Values{"csrf": {csrf}, "listener.languages": {"français"}, "listener.skills": {""}, "listener.capacity": {"-2"},
		"shifts[2].open": {"yes"}, "shifts[2].opens": {"18:00"}, "shifts[2].closes": {"09:00"}}
	res, body = s.post(t, c, path, form, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, `<p class="problem" id="listener.languages-problem">« français » n&#39;est pas un code de langue`)
	require.Contains(t, body, `<p class="problem" id="listener.capacity-problem">un nombre de 0 à 200</p>`)
	require.Contains(t, body, `« 18:00-09:00 » n&#39;est pas une plage horaire`)
	require.Contains(t, body, `name="listener.capacity" type="number" value="-2"`)
	l, err = s.store.Queries().Listener(context.Background(), s.user.ID)
	require.NoError(t, err)
	require.Equal(t, 15, l.Capacity, "nothing saved")

	// Skills cleared: none, saved as none.
	form = url.Values{"csrf": {csrf}, "listener.languages": {"fr"}, "listener.skills": {""}, "listener.capacity": {"15"}}
	res, _ = s.post(t, c, path, form, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	l, err = s.store.Queries().Listener(context.Background(), s.user.ID)
	require.NoError(t, err)
	require.Empty(t, l.Skills)

	// A coordinator is no listener: no profile to edit.
	status, _, _ = s.get(t, c, "/listeners/"+itoa(s.coord.ID))
	require.Equal(t, http.StatusNotFound, status)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
