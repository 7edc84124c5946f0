package care_test

// The browser phone's calls logged on a case, on the real Postgres: who may
// call from a case, what is kept of each call and in the audit log, an end
// reported twice, and the calls a crashed node left open.

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/internal/clocktest"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/store"
)

type bundle struct {
	store                  *store.Store
	clock                  *clocktest.Clock
	cases                  *care.Cases
	listener, other, coord wellcheck.User
	personID, caseID       int64
}

const number = "+33612345678"

// setup enrols a person with a case assigned to a listener; another
// listener and a coordinator look on. The clock is Tuesday 1 December 2026,
// 10:00 UTC.
func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := context.Background()
	st := store.New(dbtest.New(t))
	b := &bundle{store: st, clock: clocktest.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))}
	b.cases = &care.Cases{Store: st, Now: b.clock.Now, Node: "node-a"}
	user := func(email string, role wellcheck.Role) wellcheck.User {
		u, err := st.Queries().CreateUser(ctx, wellcheck.User{Email: email, FullName: email, Roles: []wellcheck.Role{role}, Capacity: 10})
		require.NoError(t, err)
		return u
	}
	b.listener = user("elise@example.org", wellcheck.RoleListener)
	b.other = user("louis@example.org", wellcheck.RoleListener)
	b.coord = user("claire@example.org", wellcheck.RoleCoordinator)
	given := b.clock.Now().AddDate(0, -1, 0)
	e := wellcheck.Enrolment{
		Person:   wellcheck.Person{FullName: "Jeanne Martin", Phone: number, Language: "fr", TimeZone: "Europe/Paris", RiskLevel: wellcheck.RiskNormal},
		Referral: wellcheck.Referral{Source: wellcheck.ReferralFamily, ReferredAt: given},
		Consent:  &wellcheck.Consent{GivenBy: wellcheck.ConsentByPerson, GivenAt: given, Method: wellcheck.ConsentByPhone},
		Plan:     wellcheck.Plan{Cron: "0 10 * * 2", Window: wellcheck.Window{Start: wellcheck.Clock(9, 0), End: wellcheck.Clock(17, 0)}},
	}
	require.NoError(t, st.WithTx(ctx, func(q *store.Queries) error {
		ids, err := q.CopyEnrolments(ctx, []wellcheck.Enrolment{e}, given, wellcheck.Actor{Label: "test"}, store.AuditDetails{Via: "test"})
		if err != nil {
			return err
		}
		b.personID = ids[0]
		c, err := q.CreateCase(ctx, wellcheck.Case{PersonID: b.personID, Priority: wellcheck.PriorityHigh, OpenedReason: wellcheck.CaseFlagged,
			OpenedAt: b.clock.Now(), DueAt: b.clock.Now(), AssigneeID: &b.listener.ID})
		b.caseID = c.ID
		return err
	}))
	return b
}

func (b *bundle) advance(d time.Duration) { b.clock.Set(b.clock.Now().Add(d)) }

// audit returns the case's call entries in the audit log: action and details.
func (b *bundle) audit(t *testing.T) []store.AuditEntry {
	t.Helper()
	all, err := b.store.Queries().AuditForPerson(context.Background(), b.personID)
	require.NoError(t, err)
	var out []store.AuditEntry
	for _, e := range all {
		if e.Action == "call.start" || e.Action == "call.end" {
			out = append(out, e)
		}
	}
	return out
}

// A listener calls the person from their case: the call is logged by
// itself with the service's clock — start, answer, end, who hung up — and
// its start and end are audited as the listener's acts, without the number.
func TestCallIsLoggedOnTheCase(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	start := b.clock.Now()

	c, err := b.cases.StartCall(ctx, b.listener, b.caseID, "out", "")
	require.NoError(t, err)
	require.Equal(t, wellcheck.CallOut, c.Direction)
	require.Equal(t, wellcheck.Phone(number), c.Number, "no number given: the person's own")
	require.Equal(t, b.listener.ID, c.UserID)
	require.Equal(t, b.personID, c.PersonID)
	require.Equal(t, "node-a", c.Node)
	require.True(t, c.StartedAt.Equal(start), "the service's clock, not the database's")
	require.True(t, c.InProgress())

	_, err = b.cases.CallSIPID(ctx, c.ID, "abc@10.0.0.1")
	require.NoError(t, err)
	b.advance(8 * time.Second)
	c, err = b.cases.CallAnswered(ctx, c.ID)
	require.NoError(t, err)
	require.True(t, c.AnsweredAt.Equal(start.Add(8*time.Second)))
	b.advance(3*time.Minute + 20*time.Second)
	c, err = b.cases.EndCall(ctx, c.ID, wellcheck.CallAnswered, wellcheck.HungUpByPerson)
	require.NoError(t, err)
	require.Equal(t, 3*time.Minute+20*time.Second, c.Duration())
	require.True(t, c.Reached())
	require.Equal(t, wellcheck.HungUpByPerson, c.HungUpBy)

	calls, err := b.cases.Calls(ctx, b.caseID)
	require.NoError(t, err)
	require.Len(t, calls, 1)
	require.Equal(t, "elise@example.org", calls[0].UserName)
	require.Equal(t, "abc@10.0.0.1", calls[0].SIPCallID)
	require.Equal(t, wellcheck.CallAnswered, calls[0].Outcome)

	entries := b.audit(t)
	require.Len(t, entries, 2)
	require.Equal(t, "call.start", entries[0].Action)
	require.Equal(t, &b.listener.ID, entries[0].ActorID)
	require.Equal(t, "out", entries[0].Details["direction"])
	require.Equal(t, "call.end", entries[1].Action)
	require.Equal(t, &b.listener.ID, entries[1].ActorID)
	require.Equal(t, map[string]any{"call_id": float64(c.ID), "call_outcome": "answered", "reached": true, "duration_s": float64(200), "hung_up_by": "person"},
		entries[1].Details)
	for _, e := range entries {
		require.Equal(t, &b.caseID, e.CaseID)
		require.NotContains(t, e.Details, "number", "the audit log never holds a number")
	}
}

// Ending an ended call, or answering it, changes nothing: the signalling
// may report an end twice (a BYE and the browser's hang-up).
func TestEndCallIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	c, err := b.cases.StartCall(ctx, b.listener, b.caseID, "out", number)
	require.NoError(t, err)
	b.advance(30 * time.Second)
	first, err := b.cases.EndCall(ctx, c.ID, wellcheck.CallNoAnswer, "")
	require.NoError(t, err)
	require.False(t, first.Reached())

	b.advance(5 * time.Second)
	again, err := b.cases.EndCall(ctx, c.ID, wellcheck.CallFailed, wellcheck.HungUpByListener)
	require.NoError(t, err)
	require.Equal(t, first, again, "the first ending stands")
	answered, err := b.cases.CallAnswered(ctx, c.ID)
	require.NoError(t, err)
	require.Nil(t, answered.AnsweredAt, "an ended call is not answered afterwards")
	ends := 0
	for _, e := range b.audit(t) {
		if e.Action == "call.end" {
			ends++
		}
	}
	require.Equal(t, 1, ends, "ended once, audited once")

	_, err = b.cases.EndCall(ctx, c.ID+1000, wellcheck.CallAnswered, "")
	require.ErrorIs(t, err, wellcheck.ErrNotFound)
	_, err = b.cases.EndCall(ctx, c.ID, "ok", "")
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
}

// Only who may act on a case calls from it, and a closed case calls
// nobody; the person's own call is still logged on it.
func TestWhoMayCallFromACase(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	_, err := b.cases.StartCall(ctx, b.other, b.caseID, "out", "")
	require.Equal(t, wellcheck.EForbidden, wellcheck.ErrorCode(err), "another listener's case")
	// A page left open since: the account as it signed in, disabled since.
	disabled := b.listener
	disabled.Disabled = true
	require.NoError(t, b.store.Queries().SaveAccount(ctx, disabled, b.clock.Now()))
	_, err = b.cases.StartCall(ctx, b.listener, b.caseID, "out", "")
	require.Equal(t, wellcheck.EForbidden, wellcheck.ErrorCode(err), "a disabled account, though the page's copy is not")
	require.NoError(t, b.store.Queries().SaveAccount(ctx, b.listener, b.clock.Now())) // back
	_, err = b.cases.StartCall(ctx, b.coord, b.caseID, "out", "")
	require.NoError(t, err, "coordinators act on any case")

	_, err = b.cases.StartCall(ctx, b.listener, b.caseID, "sideways", "")
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
	_, err = b.cases.StartCall(ctx, b.listener, b.caseID, "out", "06 12 34 56 78")
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err), "E.164 only")
	require.Contains(t, err.Error(), `"••••••78"`, "never a number in a log line")

	_, err = b.cases.Close(ctx, b.listener, b.caseID, care.Closure{Reason: wellcheck.ClosureResolved, PersonAgreed: true})
	require.NoError(t, err)
	_, err = b.cases.StartCall(ctx, b.listener, b.caseID, "out", "")
	require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err), "a closed case calls nobody")
	in, err := b.cases.StartCall(ctx, b.listener, b.caseID, "in", "")
	require.NoError(t, err, "the person calling back is logged on their case")
	require.Equal(t, wellcheck.Phone(""), in.Number, "a withheld number")

	calls, err := b.cases.Calls(ctx, b.caseID)
	require.NoError(t, err)
	require.Len(t, calls, 2)
	require.Equal(t, wellcheck.CallIn, calls[0].Direction, "newest first")
	require.Equal(t, b.coord.ID, calls[1].UserID)
}

// A node that died mid-call (no heartbeat for the dead time, by the
// database's clock) has its calls ended by a live node's recovery: failed,
// at the recovery's time (an answered one keeps its answer, so the person
// was reached). A live node's calls, and calls already ended, are left
// alone; a node that never beat is judged by its calls' age.
func TestCallsOfADeadNode(t *testing.T) {
	t.Parallel()
	b := setup(t) // its calls are node-a's
	ctx := context.Background()
	q := b.store.Queries()
	beat := func(node string) {
		_, err := q.Heartbeat(ctx, node, time.Hour)
		require.NoError(t, err)
	}
	beat("node-a")
	beat("judge")
	ringing, err := b.cases.StartCall(ctx, b.listener, b.caseID, "out", "")
	require.NoError(t, err)
	talking, err := b.cases.StartCall(ctx, b.listener, b.caseID, "in", "+33145678900")
	require.NoError(t, err)
	b.advance(10 * time.Second)
	_, err = b.cases.CallAnswered(ctx, talking.ID)
	require.NoError(t, err)
	done, err := b.cases.StartCall(ctx, b.listener, b.caseID, "out", "")
	require.NoError(t, err)
	_, err = b.cases.EndCall(ctx, done.ID, wellcheck.CallBusy, "")
	require.NoError(t, err)
	ghost := &care.Cases{Store: b.store, Now: b.clock.Now, Node: "never-beat"}
	old, err := ghost.StartCall(ctx, b.listener, b.caseID, "out", "")
	require.NoError(t, err)
	b.advance(2 * time.Minute)
	recent, err := ghost.StartCall(ctx, b.listener, b.caseID, "out", "")
	require.NoError(t, err)
	startedBefore := b.clock.Now().Add(-time.Minute)

	n, err := b.cases.EndLostCalls(ctx, "judge", time.Hour, time.Hour, startedBefore)
	require.NoError(t, err)
	require.Zero(t, n, "nobody is dead yet: node-a beat less than an hour ago")

	const deadAfter = 300 * time.Millisecond
	require.Eventually(t, func() bool {
		beat("judge") // node-a has stopped
		n, err = b.cases.EndLostCalls(ctx, "judge", time.Hour, deadAfter, startedBefore)
		require.NoError(t, err)
		return n > 0
	}, 10*time.Second, 50*time.Millisecond)
	require.Equal(t, 3, n, "node-a's two, and the never-beat node's old one")
	byID := map[int64]wellcheck.CaseCall{}
	calls, err := b.cases.Calls(ctx, b.caseID)
	require.NoError(t, err)
	for _, c := range calls {
		byID[c.ID] = c
	}
	for _, id := range []int64{ringing.ID, talking.ID, old.ID} {
		c := byID[id]
		require.Equal(t, wellcheck.CallFailed, c.Outcome)
		require.True(t, c.EndedAt.Equal(b.clock.Now()), "ended at the recovery, on the service's clock")
	}
	require.False(t, byID[ringing.ID].Reached())
	require.True(t, byID[talking.ID].Reached())
	require.Equal(t, 2*time.Minute, byID[talking.ID].Duration())
	require.Equal(t, wellcheck.CallBusy, byID[done.ID].Outcome, "an ended call keeps its end")
	require.True(t, byID[recent.ID].InProgress(), "a never-beat node's recent call")

	n, err = b.cases.EndLostCalls(ctx, "judge", time.Hour, deadAfter, startedBefore)
	require.NoError(t, err)
	require.Zero(t, n, "twice ends nothing more")
	var system int
	for _, e := range b.audit(t) {
		if e.Action == "call.end" && e.ActorID == nil {
			require.Equal(t, "system:calls", e.Actor)
			system++
		}
	}
	require.Equal(t, 3, system)
}

// What a call's end says agrees with its answer: a call answered cannot end
// as one nobody answered, and "answered" with no answer seen (a message the
// signalling lost) counts the answer from the end.
func TestCallEndAgreesWithItsAnswer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	c, err := b.cases.StartCall(ctx, b.listener, b.caseID, "out", "")
	require.NoError(t, err)
	_, err = b.cases.CallAnswered(ctx, c.ID)
	require.NoError(t, err)
	_, err = b.cases.EndCall(ctx, c.ID, wellcheck.CallNoAnswer, "")
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))

	lost, err := b.cases.StartCall(ctx, b.listener, b.caseID, "out", "")
	require.NoError(t, err)
	b.advance(time.Minute)
	lost, err = b.cases.EndCall(ctx, lost.ID, wellcheck.CallAnswered, wellcheck.HungUpByListener)
	require.NoError(t, err)
	require.True(t, lost.Reached())
	require.Zero(t, lost.Duration())
}
