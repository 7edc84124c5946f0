package switchboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/calling"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/phone"
	"github.com/wellcheck/wellcheck/store"
)

// Calls to the service: a second dialer plays the caller's carrier, its
// leg their phone (speaking at 1 kHz), calling the service's number; the
// service's dialer hands the call to the switchboard.

// callerVoice is the pitch the caller speaks at (Hz).
const callerVoice = 1000

// takeCalls makes the bundle's dialer hand calls to the service to its
// switchboard, the service's clock at now (setup's: a Tuesday, open).
func (b *bundle) takeCalls(now func() time.Time) {
	if now == nil {
		now = b.cases.Now
	}
	b.board.Desk = calling.Desk{Calls: &calling.Calls{Store: b.store, Care: b.cases, Now: now}}
	b.board.Numbers = phone.Parser{Region: "FR"}
	b.dialer.TakeCalls(b.board)
}

// A person calling the service while a listener is free: the listener's
// page rings with their name, the listener takes the call, each hears the
// other, and the call is logged on the person's case, taken by that
// listener, as one the person made.
func TestCallToTheServiceTakenByAListener(t *testing.T) {
	t.Parallel()
	b := setup(t, dummyCallee())
	b.takeCalls(nil)
	pg, br, _ := b.listenerPage(t, true)
	caller := dialertest.NewLeg(t)
	caller.Voice = callerVoice
	ended := dialertest.CallIn(t, b.dialer, "+33612345678", caller)

	ring := pg.wait(t, "ring", 10*time.Second)
	require.True(t, ring.Incoming)
	require.Equal(t, b.personID, ring.Person)
	require.Equal(t, "Jeanne Martin", ring.Name)
	require.Empty(t, ring.Caller, "a known person is named, their number not shown")
	<-caller.Picked()
	require.Eventually(t, func() bool {
		heard, _, _ := caller.Snapshot()
		return dialertest.Hears(heard, listenerVoice, 50) && dialertest.Hears(br.Heard(), callerVoice, 50)
	}, 10*time.Second, 20*time.Millisecond, "each hears the other")
	caller.HangUp()
	require.Equal(t, wellcheck.OutcomeAnswered, (<-ended).Outcome)

	end := pg.wait(t, "ended", 10*time.Second)
	require.Equal(t, wellcheck.CallAnswered, end.Outcome)
	require.Equal(t, b.caseID, end.Case, "the person's open case")
	calls, err := b.cases.Calls(context.Background(), b.caseID)
	require.NoError(t, err)
	require.Len(t, calls, 1)
	c := calls[0]
	require.Equal(t, wellcheck.CallIn, c.Direction)
	require.Equal(t, b.listener.ID, c.UserID)
	require.Equal(t, wellcheck.Phone("+33612345678"), c.Number)
	require.True(t, c.Reached())
	require.Equal(t, wellcheck.CallAnswered, c.Outcome)
	require.Equal(t, wellcheck.HungUpByPerson, c.HungUpBy)
	require.NotEmpty(t, c.SIPCallID)
}

// A caller the service does not know rings the listeners' pages with
// their number, and no file.
func TestCallToTheServiceFromAnUnknownNumber(t *testing.T) {
	t.Parallel()
	b := setup(t, dummyCallee())
	b.takeCalls(nil)
	pg, _, _ := b.listenerPage(t, true)
	caller := dialertest.NewLeg(t)
	ended := dialertest.CallIn(t, b.dialer, "+33698765432", caller)
	ring := pg.wait(t, "ring", 10*time.Second)
	require.True(t, ring.Incoming)
	require.Zero(t, ring.Person)
	require.Empty(t, ring.Name)
	require.Equal(t, "06 98 76 54 32", ring.Caller)
	<-caller.Picked()
	caller.HangUp()
	<-ended
	pg.wait(t, "ended", 10*time.Second)
	calls, err := b.cases.Calls(context.Background(), b.caseID)
	require.NoError(t, err)
	require.Empty(t, calls, "nobody's case")
}

// missedToday gives the person a check-in this morning they missed:
// finished unreached, or waiting to be called again.
func (b *bundle) missedToday(t *testing.T, final bool) int64 {
	t.Helper()
	ctx := context.Background()
	now := b.cases.Now()
	var id int64
	require.NoError(t, b.store.WithTx(ctx, func(q *store.Queries) error {
		cs, err := q.CreateCheckIns(ctx, []wellcheck.CheckIn{{PersonID: b.personID, SlotAt: now.Add(-time.Hour), DeadlineAt: now.Add(5 * time.Hour)}})
		if err != nil {
			return err
		}
		id = cs[0].ID
		at := now.Add(-time.Hour)
		attempt, err := q.StartAttempt(ctx, id, 1, at, "node-a")
		if err != nil {
			return err
		}
		ended := at.Add(30 * time.Second)
		if err := q.EndAttempt(ctx, wellcheck.Attempt{ID: attempt, EndedAt: &ended, Outcome: wellcheck.OutcomeNoAnswer}); err != nil {
			return err
		}
		if final {
			return q.FinishCheckIn(ctx, id, wellcheck.CheckInUnreached, wellcheck.ReasonAttemptsExhausted, ended)
		}
		return q.WaitForRetry(ctx, id, now.Add(time.Hour))
	}))
	return id
}

func (b *bundle) checkIn(t *testing.T, id int64) (wellcheck.CheckInState, wellcheck.CheckInReason) {
	t.Helper()
	var state, reason string
	require.NoError(t, b.store.Pool().QueryRow(context.Background(), "SELECT state, state_reason FROM check_ins WHERE id = $1", id).Scan(&state, &reason))
	return wellcheck.CheckInState(state), wellcheck.CheckInReason(reason)
}

// Nobody free, a known person hears the voice menu: 1 confirms the
// check-in they missed today (missed for good, or waiting to be called
// again); 2 flags it, and the person's case gets a task on a list.
func TestCallToTheServiceMenu(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		final bool
		key   byte
		state wellcheck.CheckInState
	}{
		{"1 after the day's calls", true, '1', wellcheck.CheckInConfirmed},
		{"1 between two calls", false, '1', wellcheck.CheckInConfirmed},
		{"2", true, '2', wellcheck.CheckInFlagged},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, dummyCallee())
			b.takeCalls(nil)
			missed := b.missedToday(t, c.final)
			caller := dialertest.NewLeg(t)
			ended := dialertest.CallIn(t, b.dialer, "+33612345678", caller)
			<-caller.Picked()
			caller.AwaitHeard(t, 440, 10) // the menu
			caller.Press(t, c.key)
			res := <-ended
			require.Equal(t, "them", res.HungUpBy, "the service hung up after its closing")
			require.Eventually(t, func() bool {
				state, _ := b.checkIn(t, missed)
				return state == c.state
			}, 10*time.Second, 20*time.Millisecond)
			_, reason := b.checkIn(t, missed)
			require.Equal(t, wellcheck.ReasonCalledIn, reason)
			if c.key == '2' {
				require.Equal(t, 1, b.pendingTasks(t), "the case is on a list")
			}
		})
	}
}

// 2 with no check-in missed today puts the person on a list all the same;
// 1 changes nothing.
func TestCallToTheServiceMenuWithNothingMissed(t *testing.T) {
	t.Parallel()
	b := setup(t, dummyCallee())
	b.takeCalls(nil)
	for _, key := range []byte{'1', '2'} {
		caller := dialertest.NewLeg(t)
		ended := dialertest.CallIn(t, b.dialer, "+33612345678", caller)
		<-caller.Picked()
		caller.AwaitHeard(t, 440, 10) // the menu
		caller.Press(t, key)
		<-ended
	}
	require.Eventually(t, func() bool { return b.pendingTasks(t) == 1 }, 10*time.Second, 20*time.Millisecond, "2 put the case on a list, once")
}

// The service closed, nobody's page rings: the known person hears the
// menu at once, and a caller the service does not know the message.
func TestCallToTheServiceClosed(t *testing.T) {
	t.Parallel()
	b := setup(t, dummyCallee())
	saturday := time.Date(2026, 12, 5, 11, 0, 0, 0, time.UTC)
	b.takeCalls(func() time.Time { return saturday })
	pg, _, _ := b.listenerPage(t, false)
	for _, number := range []string{"+33612345678", "+33698765432"} {
		caller := dialertest.NewLeg(t)
		res := <-dialertest.CallIn(t, b.dialer, number, caller)
		require.Equal(t, wellcheck.OutcomeAnswered, res.Outcome)
		require.Equal(t, "them", res.HungUpBy, "answered by the service, which hung up")
		heard, _, _ := caller.Snapshot()
		require.True(t, dialertest.Hears(heard, 440, 10), "they heard the service's words")
	}
	require.Equal(t, []string{"ready"}, pg.types(), "no page rang")
}

// pendingTasks counts the person's case's follow-ups on a list.
func (b *bundle) pendingTasks(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, b.store.Pool().QueryRow(context.Background(),
		"SELECT count(*) FROM follow_ups WHERE case_id = $1 AND state = 'pending'", b.caseID).Scan(&n))
	return n
}

// dummyCallee is the person's phone for calls the service places: none
// in these tests.
func dummyCallee() callee.Config { return callee.Config{Behaviour: callee.PressOne} }
