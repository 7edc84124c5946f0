package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

// addUser adds an account with roles and the tests' password.
func (s *site) addUser(t *testing.T, email, name string, roles ...wellcheck.Role) wellcheck.User {
	t.Helper()
	ctx := context.Background()
	u, err := s.store.Queries().CreateUser(ctx, wellcheck.User{Email: email, FullName: name, Roles: roles, Capacity: 10})
	require.NoError(t, err)
	require.NoError(t, s.store.Queries().SetPasswordHash(ctx, u.ID, passwordHash(), time.Now()))
	return u
}

// Each lands on what they act on: a listener, whatever their other roles,
// on their list; a coordinator on the queue; an admin who is nothing else on
// the dashboard. What an action came back to say is said there.
func TestLanding(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.addUser(t, "lc@example.org", "Léa Deux-Rôles", wellcheck.RoleListener, wellcheck.RoleCoordinator)
	s.addUser(t, "ac@example.org", "Anne Admin-Coord", wellcheck.RoleAdmin, wellcheck.RoleCoordinator)
	for _, tc := range []struct {
		email, lands, h1 string
	}{
		{elise, "/", "<h1>Ma liste</h1>"},
		{"lc@example.org", "/", "<h1>Ma liste</h1>"},
		{claire, "/queue", "<h1>À traiter</h1>"},
		{"ac@example.org", "/queue", "<h1>À traiter</h1>"},
		{adam, "/dashboard", "<h1>Tableau de bord</h1>"},
	} {
		c := s.browser(t)
		_, body := s.signInAs(t, c, tc.email)
		require.Equal(t, tc.lands, s.landing(t, c), tc.email)
		require.Contains(t, body, tc.h1, tc.email)
	}

	// A coordinator's list is still theirs to see, at /list.
	c := s.browser(t)
	s.signInAs(t, c, claire)
	status, body, _ := s.get(t, c, "/list")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "<h1>Ma liste</h1>")

	// A case closed sends to /, which sends a coordinator to the queue with
	// the notice.
	res, err := c.Get(s.srv.URL + "/?done=closed")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/queue?done=closed", res.Header.Get("Location"))
	_, body, _ = s.get(t, c, "/queue?done=closed")
	require.Contains(t, body, "Clôture enregistrée.")
}
