package enroll_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/store"
)

// calls lists a person's check-ins as "Mon 23 14:00 planned", in Paris time.
func calls(t *testing.T, st *store.Store, id int64) []string {
	t.Helper()
	rows, err := st.Queries().CheckInsForPerson(context.Background(), id)
	require.NoError(t, err)
	paris := mustLoad(t, "Europe/Paris")
	out := []string{}
	for _, r := range rows {
		out = append(out, r.SlotAt.In(paris).Format("Mon 02 15:04")+" "+string(r.State))
	}
	return out
}

// Enrolled on Monday at 10:30 in Paris, a person asking for 14:00 every day is
// called this very afternoon: enrolment plans them in the same transaction.
func TestEnrolPlansThePersonAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := validRequest()
	req.Plan = enroll.PlanInput{Cron: "0 14 * * *", Window: "13:30-16:00"}
	res, err := b.svc.Enroll(context.Background(), req, b.coordinator, "cli")
	require.NoError(t, err)
	require.Equal(t, []string{"Mon 23 14:00 planned", "Tue 24 14:00 planned"}, calls(t, b.store, res.PersonID))
}

func TestChangesReplanAtOnceAndAreAudited(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	req := validRequest()
	req.Plan = enroll.PlanInput{Cron: "0 14 * * *", Window: "13:30-16:00"}
	res, err := b.svc.Enroll(ctx, req, b.coordinator, "cli")
	require.NoError(t, err)
	id := res.PersonID

	// A plan enrolment would refuse is refused here too, and changes nothing.
	_, _, err = b.svc.EditPlan(ctx, id, enroll.PlanInput{Cron: "0 20 * * *", Window: "19:00-21:00"}, "", b.coordinator, "cli")
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
	require.Equal(t, []string{"Mon 23 14:00 planned", "Tue 24 14:00 planned"}, calls(t, b.store, id))

	plan, _, err := b.svc.EditPlan(ctx, id, enroll.PlanInput{Cron: "30 11 * * MON-FRI", Window: "11:00-12:30"}, "", b.coordinator, "cli")
	require.NoError(t, err)
	require.Equal(t, "30 11 * * MON-FRI", plan.Cron)
	require.Equal(t, []string{"Mon 23 11:30 planned", "Mon 23 14:00 cancelled", "Tue 24 11:30 planned", "Tue 24 14:00 cancelled"}, calls(t, b.store, id))

	// A pause must end in the future, within a year.
	err = b.svc.Pause(ctx, id, now.Add(-time.Hour), b.coordinator, "cli")
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
	require.Contains(t, wellcheck.ErrorText(err, wellcheck.French), "doit être dans le futur")
	err = b.svc.Pause(ctx, id, now.AddDate(2, 0, 0), b.coordinator, "cli")
	require.Contains(t, wellcheck.ErrorText(err, wellcheck.English), "a pause lasts a year at most")

	require.NoError(t, b.svc.Pause(ctx, id, now.AddDate(0, 0, 7), b.coordinator, "cli"))
	require.Equal(t, []string{"Mon 23 11:30 cancelled", "Mon 23 14:00 cancelled", "Tue 24 11:30 cancelled", "Tue 24 14:00 cancelled"}, calls(t, b.store, id))
	require.NoError(t, b.svc.Resume(ctx, id, b.coordinator, "cli"))
	require.Equal(t, []string{"Mon 23 11:30 planned", "Mon 23 14:00 cancelled", "Tue 24 11:30 planned", "Tue 24 14:00 cancelled"}, calls(t, b.store, id))
	err = b.svc.Resume(ctx, id, b.coordinator, "cli")
	require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err), "resuming someone who is not paused")
	require.Equal(t, "this person is not paused", wellcheck.ErrorText(err, wellcheck.English))

	require.NoError(t, b.svc.Withdraw(ctx, id, b.coordinator, "cli"))
	require.Equal(t, []string{"Mon 23 11:30 cancelled", "Mon 23 14:00 cancelled", "Tue 24 11:30 cancelled", "Tue 24 14:00 cancelled"}, calls(t, b.store, id))
	e, err := b.store.Queries().Enrolment(ctx, id)
	require.NoError(t, err)
	require.Equal(t, wellcheck.PersonWithdrawn, e.Person.Status)
	_, _, err = b.svc.EditPlan(ctx, id, enroll.PlanInput{Cron: "0 14 * * *", Window: "13:30-16:00"}, "", b.coordinator, "cli")
	require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err), "a withdrawn person's plan no longer changes")

	err = b.svc.Pause(ctx, 9999, now.AddDate(0, 0, 1), b.coordinator, "cli")
	require.ErrorIs(t, err, wellcheck.ErrNotFound)

	audit, err := b.store.Queries().AuditForPerson(ctx, id)
	require.NoError(t, err)
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	require.Equal(t, []string{"person.enrol", "person.plan", "person.pause", "person.resume", "person.withdraw"}, actions)
	require.Equal(t, "30 11 * * MON-FRI", audit[1].Details["cron"])
}

// A plan is read in the person's zone: editing it without naming a zone keeps
// theirs (and their retry policy), it does not move them to the service's.
func TestEditPlanKeepsThePersonsZoneAndRetries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	req := validRequest()
	req.Person.TimeZone = "America/Guadeloupe"
	req.Plan = enroll.PlanInput{Cron: "0 10 * * *", Window: "09:00-11:00", MaxAttempts: 2, RetryMinutes: "20"}
	res, err := b.svc.Enroll(ctx, req, b.coordinator, "cli")
	require.NoError(t, err)

	_, _, err = b.svc.EditPlan(ctx, res.PersonID, enroll.PlanInput{Cron: "30 10 * * *", Window: "09:30-11:00"}, "", b.coordinator, "cli")
	require.NoError(t, err)
	e, err := b.store.Queries().Enrolment(ctx, res.PersonID)
	require.NoError(t, err)
	require.Equal(t, "America/Guadeloupe", e.Person.TimeZone)
	require.Equal(t, &wellcheck.RetryPolicy{MaxAttempts: 2, RetryMinutes: []int{20}}, e.Plan.Retry)
	rows, err := b.store.Queries().CheckInsForPerson(ctx, res.PersonID)
	require.NoError(t, err)
	planned := 0
	for _, r := range rows {
		if r.State == wellcheck.CheckInPlanned {
			planned++
			require.Equal(t, "10:30", r.SlotAt.In(mustLoad(t, "America/Guadeloupe")).Format("15:04"), "10:30 in Guadeloupe, 15:30 in Paris")
		}
	}
	require.Equal(t, 2, planned, "Monday and Tuesday")
}

// An imported register is planned once loaded: each person asking for 14:00
// every day has this afternoon's call and tomorrow's.
func TestImportPlansEveryone(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	csv := register(50, 0, func(i int, row []string) { row[7], row[8] = "0 14 * * *", "13:30-16:00" })
	rep, err := b.svc.Import(ctx, bytes.NewReader(csv), b.coordinator, enroll.ImportOptions{})
	require.NoError(t, err)
	require.Equal(t, 50, rep.Imported)
	counts, err := b.store.Queries().CountCheckIns(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(100), counts[wellcheck.CheckInPlanned])
	require.Equal(t, []string{"Mon 23 14:00 planned", "Tue 24 14:00 planned"}, calls(t, b.store, 50))
}
