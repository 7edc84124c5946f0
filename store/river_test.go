package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/store"
)

// The SQL that finds a check-in's call job or an escalation's job reads River's
// rows by kind and by a key of their JSON arguments: jobs written with
// store.CallJob and store.EscalationJob (as package jobs writes them) must be
// found, so that a renamed field or kind breaks here and not in production.
func TestQueriesFindTheJobsRiverStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(dbtest.New(t))
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

	// A person with a check-in due an hour ago and an escalation started then.
	var checkIn, escalation int64
	require.NoError(t, st.WithTx(ctx, func(q *store.Queries) error {
		e := wellcheck.Enrolment{
			Person:   wellcheck.Person{FullName: "Personne Test", Phone: "+33612345678", Language: "fr", TimeZone: "Europe/Paris", RiskLevel: wellcheck.RiskNormal},
			Referral: wellcheck.Referral{Source: wellcheck.ReferralFamily, ReferredAt: at.AddDate(0, 0, -1)},
			Consent:  &wellcheck.Consent{GivenBy: wellcheck.ConsentByPerson, GivenAt: at.AddDate(0, 0, -1), Method: wellcheck.ConsentByPhone},
			Plan:     wellcheck.Plan{Cron: "0 10 * * 1", Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(17, 0)}},
		}
		ids, err := q.CopyEnrolments(ctx, []wellcheck.Enrolment{e}, at.AddDate(0, 0, -1), wellcheck.Actor{Label: "test"}, store.AuditDetails{Via: "test"})
		if err != nil {
			return err
		}
		cis, err := q.CreateCheckIns(ctx, []wellcheck.CheckIn{{PersonID: ids[0], SlotAt: at.Add(-time.Hour), DeadlineAt: at.Add(6 * time.Hour), State: wellcheck.CheckInPlanned}})
		if err != nil {
			return err
		}
		checkIn = cis[0].ID
		cs, err := q.CreateCase(ctx, wellcheck.Case{PersonID: ids[0], Priority: wellcheck.PriorityUrgent, OpenedReason: wellcheck.CaseUnreached, OpenedAt: at.Add(-time.Hour), DueAt: at})
		if err != nil {
			return err
		}
		esc, _, err := q.StartEscalation(ctx, cs.ID, ids[0], at.Add(-time.Hour))
		escalation = esc.ID
		return err
	}))
	require.Equal(t, []int64{checkIn}, unworked(t, st, at), "no job yet: the check-in is nobody's")
	stale, err := st.Queries().StaleEscalations(ctx, at.Add(-time.Minute), time.Now().Add(-time.Minute))
	require.NoError(t, err)
	require.Equal(t, []int64{escalation}, stale, "no job yet: the escalation is nobody's")

	insertJob(t, st, store.CallJobKind, store.CallJob{CheckInID: checkIn, Attempt: 1})
	insertJob(t, st, store.EscalationJobKind, store.EscalationJob{EscalationID: escalation})

	waiting, err := st.Queries().WaitingCallJobs(ctx, []int64{checkIn})
	require.NoError(t, err)
	require.Len(t, waiting, 1, "the check-in's call job is found by its arguments")
	require.Empty(t, unworked(t, st, at), "a job works the check-in")
	stale, err = st.Queries().StaleEscalations(ctx, at.Add(-time.Minute), time.Now().Add(-time.Minute))
	require.NoError(t, err)
	require.Empty(t, stale, "a job works the escalation")
}

func unworked(t *testing.T, st *store.Store, now time.Time) []int64 {
	t.Helper()
	us, err := st.Queries().UnworkedCheckIns(context.Background(), now.Add(-time.Minute), now, time.Now().Add(-time.Minute))
	require.NoError(t, err)
	var ids []int64
	for _, u := range us {
		ids = append(ids, u.CheckInID)
	}
	return ids
}

// insertJob writes a waiting River job of kind with args, as River does.
func insertJob(t *testing.T, st *store.Store, kind string, args any) {
	t.Helper()
	encoded, err := json.Marshal(args)
	require.NoError(t, err)
	_, err = st.Pool().Exec(context.Background(),
		`INSERT INTO river_job (args, kind, max_attempts, queue, state, scheduled_at) VALUES ($1, $2, 5, 'calls', 'scheduled', now() + interval '1 hour')`,
		encoded, kind)
	require.NoError(t, err)
}
