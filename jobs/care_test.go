package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/calling"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/internal/clocktest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/store"
)

// coordinator returns the service's coordinator, added the first time.
func (b *bundle) coordinator(t *testing.T) wellcheck.User {
	t.Helper()
	if u, err := b.store.Queries().UserByEmail(context.Background(), "coordination@example.org"); err == nil {
		return u
	}
	u, err := b.store.Queries().CreateUser(context.Background(), wellcheck.User{
		Email: "coordination@example.org", FullName: "Coordination", Roles: []wellcheck.Role{wellcheck.RoleCoordinator},
	})
	require.NoError(t, err)
	return u
}

func (b *bundle) user(t *testing.T, id int64) wellcheck.User {
	t.Helper()
	u, err := b.store.Queries().User(context.Background(), id)
	require.NoError(t, err)
	return u
}

// contacts are three emergency contacts, the second speaking English.
func contacts(consent ...bool) []wellcheck.EmergencyContact {
	given := at(9, 0).AddDate(0, 0, -7)
	cs := []wellcheck.EmergencyContact{
		{Position: 1, FullName: "Fille", Relation: "fille", Phone: "+33699000001", Language: "fr"},
		{Position: 2, FullName: "Neighbour", Relation: "voisin", Phone: "+33699000002", Language: "en"},
		{Position: 3, FullName: "Fils", Relation: "fils", Phone: "+33699000003", Language: "fr"},
	}
	for i := range cs {
		if i < len(consent) && consent[i] {
			cs[i].ConsentAt = &given
		}
	}
	return cs
}

// runEscalations works the queued escalation jobs as River would, then takes
// them off the queue.
func (b *bundle) runEscalations(t *testing.T) error {
	t.Helper()
	var err error
	for _, j := range queued[jobs.EscalateArgs](t, b) {
		err = errors.Join(err, b.escalate(context.Background(), j.Args.EscalationID))
		_, cerr := b.river.JobCancel(context.Background(), j.ID)
		require.NoError(t, cerr)
	}
	return err
}

func escalationCalls(b *bundle) []string {
	var out []string
	for _, c := range b.dialer.Calls() {
		if c.Script == dialer.ScriptEscalation {
			out = append(out, c.To+" "+c.Lang)
		}
	}
	return out
}

// urgent enrols a person with three contacts and has a coordinator open an
// urgent case for them, which starts an escalation.
func (b *bundle) urgent(t *testing.T, cs []wellcheck.EmergencyContact) (personID, caseID int64) {
	t.Helper()
	personID, _ = b.enrol(t, person{contacts: cs})
	c, err := b.care.Open(context.Background(), b.coordinator(t), personID, wellcheck.PriorityUrgent, "")
	require.NoError(t, err)
	return personID, c.ID
}

func TestEscalation(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		ctx := context.Background()

		t.Run("twice unreached: contacts called in order until one acknowledges", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			b.listener(t, "l@example.org", []string{"fr"}, 10, true)
			pid, number := b.enrol(t, person{retry: &wellcheck.RetryPolicy{MaxAttempts: 1}, contacts: contacts()})
			b.dialer.Answer = func(to string, _ int) dialer.Result {
				switch to {
				case number, "+33699000001":
					return dialertest.Result(wellcheck.OutcomeNoAnswer)
				}
				return dialertest.Result(wellcheck.OutcomeOK)
			}
			monday := at(10, 0).AddDate(0, 0, -1)
			b.clock.Set(monday)
			b.callUntilFinal(t, pid, b.checkIn(t, pid, monday, monday.Add(7*time.Hour)))
			require.Empty(t, queued[jobs.EscalateArgs](t, b), "one unreached check-in does not escalate")
			b.clock.Set(at(10, 0))
			b.callUntilFinal(t, pid, b.checkIn(t, pid, at(10, 0), at(17, 0)))
			require.Len(t, queued[jobs.EscalateArgs](t, b), 1, "twice unreached: the case is urgent and escalates")

			require.NoError(t, b.runEscalations(t))
			require.Equal(t, []string{"+33699000001 fr", "+33699000002 en"}, escalationCalls(b), "the third contact is not called")
			c, _, err := b.store.Queries().OpenCase(ctx, pid)
			require.NoError(t, err)
			require.Equal(t, wellcheck.PriorityUrgent, c.Priority, "the person is still unreached")
			unacked, err := b.store.Queries().UnacknowledgedEscalations(ctx)
			require.NoError(t, err)
			require.Empty(t, unacked)

			// The job delivered again calls nobody.
			e := lastEscalation(t, b, c.ID)
			require.Equal(t, wellcheck.EscalationAcknowledged, e.Outcome)
			require.NoError(t, b.escalate(ctx, e.ID))
			require.Len(t, escalationCalls(b), 2)
			require.NotContains(t, b.logs.String(), "+3369900000", "no contact's number in the logs")
		})

		t.Run("nobody acknowledges: the case stays urgent at the top of the coordinators' view", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			b.dialer.Answer = script(wellcheck.OutcomeBusy, wellcheck.OutcomeHelpRequested, wellcheck.OutcomeNoResponse)
			pid, caseID := b.urgent(t, contacts())
			require.NoError(t, b.runEscalations(t))
			require.Len(t, escalationCalls(b), 3)
			unacked, err := b.store.Queries().UnacknowledgedEscalations(ctx)
			require.NoError(t, err)
			require.Len(t, unacked, 1)
			require.Equal(t, caseID, unacked[0].CaseID)
			require.Equal(t, wellcheck.EscalationNobody, unacked[0].Outcome)
			open, _, err := b.store.Queries().OpenCase(ctx, pid)
			require.NoError(t, err)
			require.Equal(t, wellcheck.PriorityUrgent, open.Priority)
		})

		t.Run("consent required: only contacts the person agreed to", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			q := b.store.Queries()
			set, err := q.Settings(ctx)
			require.NoError(t, err)
			set.EscalationNeedsConsent = true
			require.NoError(t, q.SetCareSettings(ctx, set))
			b.dialer.Answer = script(wellcheck.OutcomeNoAnswer)
			b.urgent(t, contacts(false, true, false))
			require.NoError(t, b.runEscalations(t))
			require.Equal(t, []string{"+33699000002 en"}, escalationCalls(b))

			_, caseID := b.urgent(t, contacts())
			require.NoError(t, b.runEscalations(t))
			require.Len(t, escalationCalls(b), 1, "no consent recorded: nobody is called")
			require.Equal(t, wellcheck.EscalationNoContacts, lastEscalation(t, b, caseID).Outcome)
		})

		t.Run("the person answers first: nobody is called", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			pid, caseID := b.urgent(t, contacts())
			b.callUntilFinal(t, pid, b.checkIn(t, pid, at(10, 0), at(17, 0))) // presses 1
			require.NoError(t, b.runEscalations(t))
			require.Empty(t, escalationCalls(b))
			require.Equal(t, wellcheck.EscalationCancelled, lastEscalation(t, b, caseID).Outcome)
		})

		t.Run("our failures do not use up the contacts", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			b.dialer.Answer = script(wellcheck.OutcomeFailed, wellcheck.OutcomeOK) // the trunk hiccups once
			_, caseID := b.urgent(t, contacts())
			waiting := queued[jobs.EscalateArgs](t, b)
			require.Len(t, waiting, 1)
			var snooze *river.JobSnoozeError
			require.ErrorAs(t, b.escalate(ctx, waiting[0].Args.EscalationID), &snooze)
			require.Equal(t, 5*time.Minute, snooze.Duration, "the same contact again in 5 minutes")
			b.clock.Set(b.clock.Now().Add(snooze.Duration))
			require.NoError(t, b.escalate(ctx, waiting[0].Args.EscalationID))
			require.Equal(t, []string{"+33699000001 fr", "+33699000001 fr"}, escalationCalls(b))
			require.Equal(t, wellcheck.EscalationAcknowledged, lastEscalation(t, b, caseID).Outcome)
		})

		t.Run("an escalation whose job died is taken up", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			_, caseID := b.urgent(t, contacts())
			waiting := queued[jobs.EscalateArgs](t, b)
			require.Len(t, waiting, 1)
			_, err := b.river.JobCancel(ctx, waiting[0].ID) // as if River gave up on it
			require.NoError(t, err)
			n, err := b.calls.Recover(ctx)
			require.NoError(t, err)
			require.Zero(t, n, "a fresh escalation is left alone")
			b.clock.Set(b.clock.Now().Add(6 * time.Minute))
			n, err = b.calls.Recover(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, n)
			require.NoError(t, b.runEscalations(t))
			require.Equal(t, []string{"+33699000001 fr"}, escalationCalls(b))
			require.Equal(t, wellcheck.EscalationAcknowledged, lastEscalation(t, b, caseID).Outcome)
		})

		t.Run("a contact whose language has no prompts is called in French", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			b.dialer.Languages = []string{"fr", "en"}
			cs := contacts()
			cs[0].Language = "ar"
			b.urgent(t, cs)
			require.NoError(t, b.runEscalations(t))
			require.Equal(t, []string{"+33699000001 fr"}, escalationCalls(b))
		})

		t.Run("after hours: the calls wait for the opening", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			b.clock.Set(at(17, 30))
			b.urgent(t, contacts())
			waiting := queued[jobs.EscalateArgs](t, b)
			require.Len(t, waiting, 1)
			var snooze *river.JobSnoozeError
			require.ErrorAs(t, b.escalate(ctx, waiting[0].Args.EscalationID), &snooze)
			require.Equal(t, at(9, 0).AddDate(0, 0, 1), b.clock.Now().Add(snooze.Duration).In(paris), "Wednesday's opening")
			require.Empty(t, escalationCalls(b))
		})
	})
}

// lastEscalation reads the case's latest escalation.
func lastEscalation(t *testing.T, b *bundle, caseID int64) store.Escalation {
	t.Helper()
	listed, err := b.river.JobList(context.Background(), river.NewJobListParams().Kinds(jobs.EscalateArgs{}.Kind()).First(100))
	require.NoError(t, err)
	var last store.Escalation
	for _, j := range listed.Jobs {
		var args jobs.EscalateArgs
		require.NoError(t, json.Unmarshal(j.EncodedArgs, &args))
		var e store.Escalation
		require.NoError(t, b.store.WithTx(context.Background(), func(q *store.Queries) (err error) {
			e, err = q.LockEscalation(context.Background(), args.EscalationID)
			return err
		}))
		if e.CaseID == caseID && e.ID > last.ID {
			last = e
		}
	}
	require.NotZero(t, last.ID, "case %d has an escalation", caseID)
	return last
}

func TestFollowUpCycle(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		ctx := context.Background()
		wednesday := func(hour, minute int) time.Time { return at(hour, minute).AddDate(0, 0, 1) }

		t.Run("a flag, a callback scheduled for tomorrow, back on the list then, closed with consent", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			b.dialer.Answer = script(wellcheck.OutcomeHelpRequested)
			lid := b.listener(t, "l@example.org", []string{"fr"}, 10, true)
			require.NoError(t, b.store.Queries().SetShifts(ctx, lid, []store.Shift{
				{Weekday: time.Tuesday, Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(17, 0)}},
				{Weekday: time.Wednesday, Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(17, 0)}},
			}))
			listener := b.user(t, lid)
			pid, _ := b.enrol(t, person{})
			b.callUntilFinal(t, pid, b.checkIn(t, pid, at(10, 0), at(17, 0)))
			list := requireList(t, b, &lid, pid)
			require.Equal(t, wellcheck.FollowUpFlagged, list[0].Reason)

			b.clock.Set(at(10, 30))
			next := wednesday(14, 0)
			rec, err := b.care.Record(ctx, listener, list[0].CaseID, care.FollowUpRecord{
				Reached: true, Note: "A chuté hier, va bien ; rappel demain après la visite du médecin.", Next: &next,
			})
			require.NoError(t, err)
			require.False(t, rec.Moved)
			require.Equal(t, "done", rec.FollowUp.State)
			require.Equal(t, wellcheck.PriorityNormal, rec.Case.Priority, "reached: no longer high")
			requireList(t, b, &lid) // nothing until tomorrow
			waiting := queued[jobs.FollowUpDueArgs](t, b)
			require.Len(t, waiting, 1)
			// (River's clock is the machine's: the test's runs elsewhere.)
			require.WithinDuration(t, time.Now().Add(next.Sub(b.clock.Now())), waiting[0].At, 5*time.Second, "the job comes at 14:00 tomorrow")

			// Early delivery snoozes; at 14:00 it is back on the listener's list.
			var snooze *river.JobSnoozeError
			require.ErrorAs(t, b.followUpDue(ctx, waiting[0].Args.FollowUpID), &snooze)
			requireList(t, b, &lid)
			b.clock.Set(next)
			require.NoError(t, b.followUpDue(ctx, waiting[0].Args.FollowUpID))
			list = requireList(t, b, &lid, pid)
			require.Equal(t, wellcheck.FollowUpCallback, list[0].Reason)
			require.NoError(t, b.followUpDue(ctx, waiting[0].Args.FollowUpID), "delivered twice")
			requireList(t, b, &lid, pid)

			closed, err := b.care.Record(ctx, listener, list[0].CaseID, care.FollowUpRecord{
				Reached: true, Close: &care.Closure{Reason: wellcheck.ClosureOriented, PersonAgreed: true},
			})
			require.NoError(t, err)
			require.Equal(t, wellcheck.CaseClosed, closed.Case.State)
			require.True(t, *closed.Case.PersonAgreed)
			requireList(t, b, &lid)
			later := next.Add(24 * time.Hour)
			_, err = b.care.Record(ctx, listener, list[0].CaseID, care.FollowUpRecord{Reached: true, Next: &later})
			require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err))
			require.Equal(t, "ce dossier est clos", wellcheck.ErrorText(err, wellcheck.French))
		})

		t.Run("a callback set outside opening hours moves to the next opening", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			coord := b.coordinator(t)
			pid, _ := b.enrol(t, person{})
			c, err := b.care.Open(ctx, coord, pid, wellcheck.PriorityNormal, "")
			require.NoError(t, err)
			saturday := at(10, 0).AddDate(0, 0, 4)
			rec, err := b.care.Record(ctx, coord, c.ID, care.FollowUpRecord{Reached: false, Next: &saturday})
			require.NoError(t, err)
			require.True(t, rec.Moved)
			require.Equal(t, "Mon 07 09:00", rec.Next.DueAt.In(paris).Format("Mon 02 15:04"))
		})

		t.Run("what a listener may not do, and why", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			b.dialer.Answer = script(wellcheck.OutcomeHelpRequested)
			mine := b.listener(t, "mine@example.org", []string{"fr"}, 10, true)
			other := b.user(t, b.listener(t, "other@example.org", []string{"de"}, 10, true))
			pid, _ := b.enrol(t, person{referent: &mine})
			b.callUntilFinal(t, pid, b.checkIn(t, pid, at(10, 0), at(17, 0)))
			caseID := requireList(t, b, &mine, pid)[0].CaseID
			next := at(15, 0)

			_, err := b.care.Record(ctx, other, caseID, care.FollowUpRecord{Reached: true, Next: &next})
			require.Equal(t, wellcheck.EForbidden, wellcheck.ErrorCode(err), "another listener's case")
			_, err = b.care.Claim(ctx, other, caseID)
			require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err))
			require.Equal(t, "un autre écoutant vient de prendre ce dossier", wellcheck.ErrorText(err, wellcheck.French))
			_, err = b.care.Reassign(ctx, other, caseID, &other.ID)
			require.Equal(t, wellcheck.EForbidden, wellcheck.ErrorCode(err), "a listener hands on only their own cases")
			_, err = b.care.Open(ctx, other, pid, wellcheck.PriorityUrgent, "")
			require.Equal(t, wellcheck.EForbidden, wellcheck.ErrorCode(err), "only coordinators open cases (urgent calls the contacts)")

			listener := b.user(t, mine)
			for _, tc := range []struct {
				rec  care.FollowUpRecord
				text string
			}{
				{care.FollowUpRecord{Reached: false}, "prochain suivi : la personne n'a pas été jointe : indiquez quand rappeler, ou clôturez le dossier"},
				{care.FollowUpRecord{Reached: true}, "prochain suivi : indiquez la date du prochain suivi, ou clôturez le dossier"},
				{care.FollowUpRecord{Reached: true, Next: &next, Close: &care.Closure{Reason: wellcheck.ClosureResolved}}, "un dossier clôturé n'a pas de prochain suivi"},
				{care.FollowUpRecord{Reached: true, Next: ptr(at(9, 0))}, "le prochain suivi (" + at(9, 0).Format("02/01/2006") + ") doit être dans le futur"},
				{care.FollowUpRecord{Reached: true, Close: &care.Closure{Reason: "fixed"}}, "« fixed » n'est pas une valeur possible"},
			} {
				_, err := b.care.Record(ctx, listener, caseID, tc.rec)
				require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
				require.Contains(t, wellcheck.ErrorText(err, wellcheck.French), tc.text)
				var verr *wellcheck.ValidationError
				require.ErrorAs(t, err, &verr)
				for _, p := range verr.Problems {
					require.True(t, wellcheck.KnownField(p.Field), p.Field)
				}
			}
			requireList(t, b, &mine, pid) // nothing was lost

			// Handed to the pool, anyone may claim it.
			_, err = b.care.Reassign(ctx, listener, caseID, nil)
			require.NoError(t, err)
			requireList(t, b, nil, pid)
			_, err = b.care.Claim(ctx, other, caseID)
			require.NoError(t, err)
			requireList(t, b, &other.ID, pid)
			_, err = b.care.Claim(ctx, listener, caseID)
			require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err), "taken meanwhile")

			coord := b.coordinator(t)
			_, err = b.care.Open(ctx, coord, pid, "bogus", "")
			require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
			require.Contains(t, wellcheck.ErrorText(err, wellcheck.English), `priority: "bogus" is not one of the allowed values`)
		})

		t.Run("a reassigned case takes its scheduled callback along", func(t *testing.T) {
			t.Parallel()
			b := setupIn(t, e)
			b.dialer.Answer = script(wellcheck.OutcomeHelpRequested)
			a := b.listener(t, "a@example.org", []string{"fr"}, 10, true)
			other := b.listener(t, "b@example.org", []string{"fr"}, 10, true)
			pid, _ := b.enrol(t, person{referent: &a})
			b.callUntilFinal(t, pid, b.checkIn(t, pid, at(10, 0), at(17, 0)))
			caseID := requireList(t, b, &a, pid)[0].CaseID
			next := at(16, 0)
			rec, err := b.care.Record(ctx, b.user(t, a), caseID, care.FollowUpRecord{Reached: true, Next: &next})
			require.NoError(t, err)
			require.Equal(t, a, *rec.Next.AssigneeID)
			_, err = b.care.Reassign(ctx, b.coordinator(t), caseID, &other)
			require.NoError(t, err)
			scheduled, err := b.store.Queries().FollowUp(ctx, rec.Next.ID)
			require.NoError(t, err)
			require.Equal(t, other, *scheduled.AssigneeID, "the callback belongs to the new listener now")
			b.clock.Set(next)
			require.NoError(t, b.followUpDue(ctx, queued[jobs.FollowUpDueArgs](t, b)[0].Args.FollowUpID))
			requireList(t, b, &a)
			requireList(t, b, &other, pid)
		})
	})
}

func ptr[T any](v T) *T { return &v }

// A listener who goes away or whose shift ends leaves nothing due on their list.
func TestReassignment(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		ctx := context.Background()
		b := setupIn(t, e)
		b.dialer.Answer = script(wellcheck.OutcomeHelpRequested)
		away := b.listener(t, "away@example.org", []string{"fr"}, 10, true)
		stays := b.listener(t, "stays@example.org", []string{"fr"}, 10, true)
		// Two flags on away's list (their persons' referent), one on stays'.
		first, _ := b.enrol(t, person{referent: &away})
		second, _ := b.enrol(t, person{referent: &away})
		third, _ := b.enrol(t, person{referent: &stays})
		for _, pid := range []int64{first, second, third} {
			b.callUntilFinal(t, pid, b.checkIn(t, pid, at(10, 0), at(17, 0)))
		}
		requireList(t, b, &away, first, second)

		// Present and on shift: nothing moves, even when due.
		b.clock.Set(at(12, 30))
		moved, err := b.care.HandOnOrphans(ctx)
		require.NoError(t, err)
		require.Zero(t, moved)

		require.NoError(t, b.store.Queries().SetPresent(ctx, away, false))
		moved, err = b.care.HandOnOrphans(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, moved)
		requireList(t, b, &away)
		requireList(t, b, &stays, first, second, third)

		// After the shifts end nobody can take them: each person keeps their
		// listener overnight.
		b.clock.Set(at(17, 30))
		moved, err = b.care.HandOnOrphans(ctx)
		require.NoError(t, err)
		require.Zero(t, moved)
		requireList(t, b, &stays, first, second, third)

		// A listener whose account is disabled keeps nothing: the shared pool.
		_, err = b.store.Pool().Exec(ctx, "UPDATE users SET disabled_at = now() WHERE id = $1", stays)
		require.NoError(t, err)
		moved, err = b.care.HandOnOrphans(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, moved)
		requireList(t, b, nil, first, second, third)
	})
}

func TestRetention(t *testing.T) {
	t.Parallel()
	clocktest.InEras(t, 2026, func(t *testing.T, e clocktest.Era) {
		at := func(hour, minute int) time.Time { return e.In(at(hour, minute)) } // Tuesday in the era
		ctx := context.Background()
		b := setupIn(t, e)
		coord := b.coordinator(t)
		q := b.store.Queries()

		// Three years ago (a Tuesday too, in any era): a person called once,
		// their case closed; another who withdrew 98 days ago. Today: someone
		// still followed.
		old := at(10, 0).AddDate(0, 0, -3*52*7)
		b.clock.Set(old)
		kept, _ := b.enrol(t, person{})
		b.callUntilFinal(t, kept, b.checkIn(t, kept, old, old.Add(time.Hour)))
		c, err := b.care.Open(ctx, coord, kept, wellcheck.PriorityNormal, "note d'il y a trois ans")
		require.NoError(t, err)
		_, err = b.care.Close(ctx, coord, c.ID, care.Closure{Reason: wellcheck.ClosureResolved, PersonAgreed: true})
		require.NoError(t, err)

		b.clock.Set(at(10, 0).AddDate(0, 0, -98))
		gone, _ := b.enrol(t, person{})
		b.callUntilFinal(t, gone, b.checkIn(t, gone, b.clock.Now(), b.clock.Now().Add(time.Hour)))
		require.NoError(t, b.store.WithTx(ctx, func(q *store.Queries) error {
			return q.ChangePerson(ctx, gone, store.PersonChange{Action: "person.withdraw", At: b.clock.Now()}, wellcheck.Actor{Label: "test"})
		}))

		b.clock.Set(at(10, 0))
		recent, _ := b.enrol(t, person{})
		b.callUntilFinal(t, recent, b.checkIn(t, recent, at(10, 0), at(17, 0)))
		open, err := b.care.Open(ctx, coord, recent, wellcheck.PriorityNormal, "")
		require.NoError(t, err)

		// A register uploaded a minute ago, and one uploaded two hours ago and
		// never imported (saved second: an upload forgets those older than it by
		// an hour, and no one uploaded after it).
		for _, ago := range []time.Duration{time.Minute, 2 * time.Hour} {
			_, err := q.SaveUpload(ctx, coord.ID, "registre.csv", []byte("nom;téléphone\nJeanne;06 12 34 56 78\n"), b.clock.Now().Add(-ago))
			require.NoError(t, err)
		}

		// The audit log: an entry from 400 days ago, one from 300, by the
		// database's clock, which stamps them; a year is kept by default.
		for _, days := range []int{400, 300} {
			_, err := b.store.Pool().Exec(ctx, "INSERT INTO audit_log (at, actor_label, action) VALUES (now() - make_interval(days => $1), 'test', 'user.add')", days)
			require.NoError(t, err)
		}

		purged, err := b.admin.Retain(ctx)
		require.NoError(t, err)
		require.Equal(t, admin.Purged{ClosedCases: 1, CheckIns: 1, Persons: 1, Uploads: 1, Audit: 1}, purged)
		var oldest int
		require.NoError(t, b.store.Pool().QueryRow(ctx, "SELECT extract(day FROM now() - min(at))::int FROM audit_log").Scan(&oldest))
		require.Equal(t, 300, oldest, "the audit log keeps its last year")
		var uploads int
		require.NoError(t, b.store.Pool().QueryRow(ctx, "SELECT count(*) FROM import_uploads").Scan(&uploads))
		require.Zero(t, uploads, "a person was erased: the register waiting for its confirmation may hold them, and goes too")

		_, err = q.PersonForCase(ctx, gone)
		require.ErrorIs(t, err, wellcheck.ErrNotFound, "the withdrawn person is erased")
		_, err = q.PersonForCase(ctx, kept)
		require.NoError(t, err, "an enrolled person stays; only their old file goes")
		_, err = q.LockCase(ctx, c.ID)
		require.ErrorIs(t, err, wellcheck.ErrNotFound)
		still, _, err := q.OpenCase(ctx, recent)
		require.NoError(t, err)
		require.Equal(t, open.ID, still.ID)
		attempts, err := q.AttemptsForPerson(ctx, recent)
		require.NoError(t, err)
		require.Len(t, attempts, 1)

		counts, err := q.DailyCounts(ctx, old.AddDate(0, 0, -1), at(0, 0))
		require.NoError(t, err)
		require.Equal(t, map[string]map[string]int64{
			old.Format(time.DateOnly):                          {"check_in.confirmed": 1, "case.closed.resolved": 1},
			at(10, 0).AddDate(0, 0, -98).Format(time.DateOnly): {"check_in.confirmed": 1},
			at(10, 0).Format(time.DateOnly):                    {"person.purged": 1},
		}, counts, "what went is still counted")

		_, err = q.SaveUpload(ctx, coord.ID, "registre.csv", []byte("nom;téléphone\nJeanne;06 12 34 56 78\n"), b.clock.Now().Add(-time.Minute))
		require.NoError(t, err)
		again, err := b.admin.Retain(ctx)
		require.NoError(t, err)
		require.Zero(t, again)
		require.NoError(t, b.store.Pool().QueryRow(ctx, "SELECT count(*) FROM import_uploads").Scan(&uploads))
		require.Equal(t, 1, uploads, "nobody erased: the register still waiting for its confirmation stays")

		// An admin keeps the audit log 90 days: the entry of 300 days goes.
		set, err := q.Settings(ctx)
		require.NoError(t, err)
		require.Equal(t, 365, set.KeepAuditDays, "a year by default")
		set.KeepAuditDays = 90
		require.NoError(t, q.SetCareSettings(ctx, set))
		again, err = b.admin.Retain(ctx)
		require.NoError(t, err)
		require.Equal(t, admin.Purged{Audit: 1}, again)
	})
}

// A burst of flags, handed on by many call workers at once, never puts a
// listener above their capacity: the rest wait in the shared pool. A second
// press of 2 from a person already on a list raises their case where it is.
func TestABurstOfFlagsNeverOverfillsAListener(t *testing.T) {
	t.Parallel()
	const (
		persons  = 500
		workers  = 50
		capacity = 10
	)
	ctx := context.Background()
	b := setup(t)
	b.dialer.Answer = script(wellcheck.OutcomeHelpRequested)
	listeners := []int64{
		b.listener(t, "a@example.org", []string{"fr"}, capacity, true),
		b.listener(t, "b@example.org", []string{"fr"}, capacity, true),
		b.listener(t, "c@example.org", []string{"fr"}, capacity, true),
	}
	es := make([]wellcheck.Enrolment, persons)
	for i := range es {
		es[i] = b.enrolment(t, person{})
	}
	var pids []int64
	require.NoError(t, b.store.WithTx(ctx, func(q *store.Queries) error {
		var err error
		pids, err = q.CopyEnrolments(ctx, es, b.now(), wellcheck.Actor{Label: "test"}, store.AuditDetails{Via: "test"})
		return err
	}))
	plan := func(pids []int64, slot time.Time) []int64 {
		cs := make([]wellcheck.CheckIn, len(pids))
		for i, pid := range pids {
			cs[i] = wellcheck.CheckIn{PersonID: pid, SlotAt: slot.UTC(), DeadlineAt: at(17, 0).UTC()}
		}
		var ids []int64
		require.NoError(t, b.store.WithTx(ctx, func(q *store.Queries) error {
			planned, err := q.CreateCheckIns(ctx, cs)
			for _, c := range planned {
				ids = append(ids, c.ID)
			}
			return err
		}))
		return ids
	}
	// Every check-in is called by one of many workers, each finishing its
	// call in its own transaction, as River's workers do on one node or many:
	// what they share is the database.
	callAll := func(ids []int64) {
		work := make(chan int64)
		errs := make(chan error, len(ids))
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for id := range work {
					errs <- b.run(ctx, id, 1)
				}
			})
		}
		for _, id := range ids {
			work <- id
		}
		close(work)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		// Nothing was recorded only at a second try (a deadlock, a conflict).
		require.NotContains(t, b.logs.String(), "trying again")
	}
	callAll(plan(pids, at(10, 0)))

	full := map[int64]int{} // listener → pending follow-ups: their capacity
	for _, l := range listeners {
		full[l] = capacity
	}
	onLists := map[int64]int64{} // person → listener
	lists := func() map[int64]int {
		loads := map[int64]int{}
		for _, l := range listeners {
			list, err := b.store.Queries().FollowUpsFor(ctx, &l)
			require.NoError(t, err)
			loads[l] = len(list)
			for _, f := range list {
				if _, ok := onLists[f.PersonID]; !ok {
					onLists[f.PersonID] = l
				}
				require.Equal(t, l, onLists[f.PersonID], "person %d stays with their listener", f.PersonID)
			}
		}
		return loads
	}
	require.Equal(t, full, lists(), "each listener's list holds their capacity, no more")
	pool, err := b.store.Queries().FollowUpsFor(ctx, nil)
	require.NoError(t, err)
	require.Len(t, pool, persons-len(listeners)*capacity, "the rest wait in the shared pool")
	counts, err := b.store.Queries().OpenCases(ctx)
	require.NoError(t, err)
	require.Equal(t, store.CaseCounts{Pool: persons - len(listeners)*capacity, Assigned: len(listeners) * capacity}, counts)
	for _, pid := range pids {
		c, followUps, err := b.store.Queries().OpenCase(ctx, pid)
		require.NoError(t, err, "person %d has a case open", pid)
		require.Len(t, followUps, 1, "person %d: one case, one task", pid)
		require.Equal(t, c.AssigneeID, followUps[0].AssigneeID)
	}

	// The persons on a list press 2 again: each case is raised on its
	// listener's list (the same task, brought up to date), not added to it.
	var again []int64
	for pid := range onLists {
		again = append(again, pid)
	}
	b.clock.Set(at(11, 0))
	callAll(plan(again, at(11, 0)))
	require.Equal(t, full, lists(), "a raised case is the same task on the same list")
	counts, err = b.store.Queries().OpenCases(ctx)
	require.NoError(t, err)
	require.Equal(t, store.CaseCounts{Pool: persons - len(listeners)*capacity, Assigned: len(listeners) * capacity}, counts)
}

// A contact's "press 1" held in the journal when the node stopped is
// recorded when it starts again, even after another node presumed the call
// lost: the escalation ends acknowledged, and nobody else is called.
func TestAContactsAnswerHeldInTheJournalIsRecordedAtRestart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	q := b.store.Queries()
	_, caseID := b.urgent(t, contacts())
	jobsQueued := queued[jobs.EscalateArgs](t, b)
	require.Len(t, jobsQueued, 1)
	id := jobsQueued[0].Args.EscalationID
	e, err := q.Escalation(ctx, id)
	require.NoError(t, err)
	cs, err := q.EmergencyContacts(ctx, e.PersonID)
	require.NoError(t, err)

	// The node calls the first contact, who presses 1; the node writes it in
	// its journal and dies before the database has it.
	started := b.clock.Now()
	call, err := q.StartEscalationCall(ctx, e, cs[0], 1, started)
	require.NoError(t, err)
	dir := t.TempDir()
	journal, err := calling.OpenJournal(dir)
	require.NoError(t, err)
	require.NoError(t, journal.HoldContact(calling.ContactOutcome{Escalation: id, Case: caseID, Person: e.PersonID,
		Contact: cs[0].ID, Position: cs[0].Position, Relation: cs[0].Relation, Attempt: 1, Call: call,
		Started: started, Ended: started.Add(40 * time.Second), Outcome: wellcheck.OutcomeOK, SIPStatus: 200, CallID: "call-1"}))
	require.NoError(t, journal.Close())

	// Ten minutes later another node presumes the call lost with its node,
	// and waits to call that contact again.
	b.clock.Set(started.Add(10 * time.Minute))
	require.Error(t, b.escalate(ctx, id), "the contact is called again later")
	require.Empty(t, escalationCalls(b))

	// The node starts again and records what the contact said.
	after := b.node("after")
	after.Journal, err = calling.OpenJournal(dir)
	require.NoError(t, err)
	t.Cleanup(func() { after.Journal.Close() })
	require.Len(t, after.Journal.PendingContacts(), 1)
	require.Equal(t, 1, after.Replay(ctx))
	got := lastEscalation(t, b, caseID)
	require.Equal(t, wellcheck.EscalationAcknowledged, got.Outcome)
	require.Equal(t, &cs[0].ID, got.AcknowledgedBy)
	require.Empty(t, after.Journal.PendingContacts(), "recorded, the journal lets it go")
	require.NoError(t, after.Journal.Close())
	after.Journal, err = calling.OpenJournal(dir)
	require.NoError(t, err)
	require.Empty(t, after.Journal.PendingContacts(), "and says so on disk")

	// Should that mark be lost (it is not synced), the answer is replayed
	// again: nothing is recorded twice.
	lost := t.TempDir()
	again, err := calling.OpenJournal(lost)
	require.NoError(t, err)
	require.NoError(t, again.HoldContact(calling.ContactOutcome{Escalation: id, Case: caseID, Person: e.PersonID,
		Contact: cs[0].ID, Position: cs[0].Position, Attempt: 1, Call: call,
		Started: started, Ended: started.Add(40 * time.Second), Outcome: wellcheck.OutcomeOK, SIPStatus: 200, CallID: "call-1"}))
	replayer := b.node("again")
	replayer.Journal = again
	t.Cleanup(func() { again.Close() })
	replayer.Replay(ctx)
	require.Empty(t, again.PendingContacts())
	var acks int
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'escalation.acknowledged'`).Scan(&acks))
	require.Equal(t, 1, acks, "acknowledged once in the audit log")
	var relation string
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT details->>'relation' FROM audit_log WHERE action = 'escalation.acknowledged'`).Scan(&relation))
	require.Equal(t, cs[0].Relation, relation, "the journal keeps no relation: read again for the audit log")

	// Nobody else is called.
	b.clock.Set(started.Add(30 * time.Minute))
	require.NoError(t, b.escalate(ctx, id))
	require.Empty(t, escalationCalls(b))
}
