package admin_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/store"
)

func setup(t *testing.T) (*admin.Service, *store.Store) {
	t.Helper()
	st := store.New(dbtest.New(t))
	queue, err := jobs.NewJobs(st.Pool(), nil)
	require.NoError(t, err)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	return &admin.Service{Store: st, Passes: queue, Now: func() time.Time { return at }}, st
}

// audit reads the audit log as "label action" lines, oldest first.
func audit(t *testing.T, st *store.Store) []string {
	t.Helper()
	rows, err := st.Pool().Query(context.Background(), "SELECT actor_label || ' ' || action FROM audit_log ORDER BY id")
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		out = append(out, line)
	}
	require.NoError(t, rows.Err())
	return out
}

// passQueued reports whether a planner pass waits in the queue, and takes it
// out: a pass already waiting is not queued twice.
func passQueued(t *testing.T, st *store.Store) bool {
	t.Helper()
	tag, err := st.Pool().Exec(context.Background(), "DELETE FROM river_job WHERE kind = 'plan_check_ins'")
	require.NoError(t, err)
	return tag.RowsAffected() > 0
}

// A change of the calendar, from the pages or the command line, is audited
// and queues a planner pass with it; a refused one does neither.
func TestTheCalendarChangesWithItsPass(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, st := setup(t)
	u, err := wellcheck.NewUser("ada@example.org", "Ada Admin", []string{"admin"}, []string{"fr"}, 10)
	require.NoError(t, err)
	ada, err := svc.AddUser(ctx, wellcheck.Operator, u, admin.NewPassword())
	require.NoError(t, err)
	admin1 := wellcheck.UserActor(ada.ID, wellcheck.ViaWeb)

	c, err := wellcheck.NewClosure("2026-03-09", "2026-03-10", "inventaire")
	require.NoError(t, err)
	c, err = svc.AddClosure(ctx, wellcheck.UserActor(ada.ID, wellcheck.ViaCLI), c)
	require.NoError(t, err)
	require.NotZero(t, c.ID)
	require.True(t, passQueued(t, st))

	err = svc.SetOpeningHours(ctx, admin1, admin.Week{Name: "hours", Days: map[time.Weekday][2]string{time.Monday: {"18:00", "09:00"}}})
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
	require.Contains(t, wellcheck.ErrorText(err, wellcheck.French), "18:00-09:00")
	err = svc.SetOpeningHours(ctx, admin1, admin.Week{Name: "hours"})
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err), "never closed every day")

	settings := wellcheck.DefaultSettings()
	settings.UnreachedUrgentAfter = 0
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(svc.SaveSettings(ctx, admin1, settings)))
	require.False(t, passQueued(t, st), "nothing refused queues a pass")

	require.NoError(t, svc.SetOpeningHours(ctx, admin1, admin.Week{Name: "hours", Days: map[time.Weekday][2]string{time.Monday: {"09:00", "12:00"}}}))
	require.True(t, passQueued(t, st))
	require.NoError(t, svc.DeleteClosure(ctx, admin1, c.ID))
	require.True(t, passQueued(t, st))
	require.ErrorIs(t, svc.DeleteClosure(ctx, admin1, c.ID), wellcheck.ErrNotFound)
	require.False(t, passQueued(t, st), "a closure already gone queues nothing")
	require.Equal(t, []string{"cli user.add", "cli closure.add", "web settings.hours", "web closure.delete"}, audit(t, st))
}

// Accounts: one per e-mail, an admin cannot lock themselves out, a reset
// password signs everyone out.
func TestAccounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, st := setup(t)
	u, err := wellcheck.NewUser("ada@example.org", "Ada Admin", []string{"admin"}, []string{"fr"}, 10)
	require.NoError(t, err)
	_, err = svc.AddUser(ctx, wellcheck.Operator, u, "short")
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
	require.Equal(t, "mot de passe : le mot de passe doit compter de 12 à 256 caractères", wellcheck.ErrorText(err, wellcheck.French))
	ada, err := svc.AddUser(ctx, wellcheck.Operator, u, admin.NewPassword())
	require.NoError(t, err)
	_, err = svc.AddUser(ctx, wellcheck.Operator, u, admin.NewPassword())
	require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err), "one account per e-mail")

	byAda := wellcheck.UserActor(ada.ID, wellcheck.ViaWeb)
	demoted, err := wellcheck.NewUser(ada.Email, ada.FullName, []string{"listener"}, []string{"fr"}, 10)
	require.NoError(t, err)
	demoted.ID = ada.ID
	err = svc.ChangeUser(ctx, byAda, demoted)
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err), "an admin cannot lock themselves out")

	password, err := svc.ResetPassword(ctx, byAda, ada.ID)
	require.NoError(t, err)
	login, err := st.Queries().LoginByEmail(ctx, ada.Email)
	require.NoError(t, err)
	require.True(t, admin.CheckPassword(login.PasswordHash, password))
	require.Equal(t, []string{"cli user.add", "web user.password_reset"}, audit(t, st))
}
