package web_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// rawCodes are the codes the domain stores for outcomes, states, reasons and
// statuses: none should ever reach a listener or a coordinator as it is.
// Priorities and risk levels are left out: "normal" and "urgent" are also
// French words.
func rawCodes() []string {
	var out []string
	add := func(codes ...string) { out = append(out, codes...) }
	for _, o := range []wellcheck.Outcome{wellcheck.OutcomeOK, wellcheck.OutcomeHelpRequested, wellcheck.OutcomeNoResponse, wellcheck.OutcomeNoAnswer,
		wellcheck.OutcomeBusy, wellcheck.OutcomeDeclined, wellcheck.OutcomeInvalidNumber, wellcheck.OutcomeFailed} {
		add(string(o))
	}
	for _, s := range []wellcheck.CheckInState{wellcheck.CheckInPlanned, wellcheck.CheckInDialing, wellcheck.CheckInConfirmed, wellcheck.CheckInFlagged,
		wellcheck.CheckInUnreached, wellcheck.CheckInUndeliverable, wellcheck.CheckInCancelled, wellcheck.CheckInSystemError} {
		add(string(s))
	}
	for _, r := range []wellcheck.CheckInReason{wellcheck.ReasonInvalidNumber, wellcheck.ReasonAttemptsExhausted, wellcheck.ReasonNoTimeLeft,
		wellcheck.ReasonCallsFailed, wellcheck.ReasonTrunkDown, wellcheck.ReasonNotCalledInTime, wellcheck.ReasonMissed, wellcheck.ReasonStalled, wellcheck.ReasonPaused,
		wellcheck.ReasonWithdrawn, wellcheck.ReasonClosed, wellcheck.ReasonReplanned} {
		add(string(r))
	}
	for _, s := range []wellcheck.CaseState{wellcheck.CaseOpen, wellcheck.CaseAssigned, wellcheck.CaseClosed} {
		add(string(s))
	}
	for _, r := range []wellcheck.CaseReason{wellcheck.CaseFlagged, wellcheck.CaseUnreached, wellcheck.CaseUndeliverable, wellcheck.CaseReferral,
		wellcheck.CaseManual, wellcheck.CaseMissed, wellcheck.CaseSystemError} {
		add(string(r))
	}
	for _, r := range []wellcheck.FollowUpReason{wellcheck.FollowUpFlagged, wellcheck.FollowUpUnreached, wellcheck.FollowUpUnreachedRepeatedly,
		wellcheck.FollowUpSystemError, wellcheck.FollowUpMissed, wellcheck.FollowUpCallback, wellcheck.FollowUpReferral, wellcheck.FollowUpManual} {
		add(string(r))
	}
	for _, r := range wellcheck.ClosureReasons {
		add(string(r))
	}
	for _, o := range []wellcheck.EscalationOutcome{wellcheck.EscalationAcknowledged, wellcheck.EscalationNobody, wellcheck.EscalationNoContacts,
		wellcheck.EscalationCancelled} {
		add(string(o))
	}
	for _, s := range []wellcheck.PersonStatus{wellcheck.PersonActive, wellcheck.PersonPaused, wellcheck.PersonWithdrawn} {
		add(string(s))
	}
	// The language a person is called in, or a listener speaks, is named too
	// ("en" is left out: it is also a French word).
	add(string(wellcheck.French))
	return out
}

// visibleText is the text a reader sees on a page: text nodes, not
// attributes, scripts or styles. On an admin's page, a <code> block is left
// out too: there a code may be shown to an admin on purpose (the cron spec of
// an expert's plan, a SIP reason), as the code it is.
func visibleText(t *testing.T, body string, admin bool) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	require.NoError(t, err)
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style || admin && n.DataAtom == atom.Code) {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return b.String()
}

// Every page a listener, a coordinator or an admin reads says outcomes,
// states, reasons and statuses in words, never as the code the database
// keeps: a service with cases open, taken and closed, calls of every
// outcome, an escalation, a number that does not work and an audit log.
func TestNoRawCodeShown(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, paris) }
	s.clock.Set(at(3, 11))

	jeanne := s.enrol(t, "Jeanne Martin", "+33612345678", alain, nadia)
	paul := s.enrol(t, "Paul Durand", "+33612345679")
	rose := s.enrol(t, "Rose Carré", "+33612345601")
	marc := s.enrol(t, "Marc Pause", "+33612345602")
	zoe := s.enrol(t, "Zoé Retrait", "+33612345603")
	_, err := s.store.Pool().Exec(ctx, `UPDATE persons SET status = 'paused', paused_until = $2 WHERE id = $1`, marc, at(20, 0))
	require.NoError(t, err)
	_, err = s.store.Pool().Exec(ctx, `UPDATE persons SET status = 'withdrawn', withdrawn_at = $2 WHERE id = $1`, zoe, at(2, 9))
	require.NoError(t, err)

	// Calls of every outcome, check-ins in every state.
	s.checkIn(t, jeanne, at(1, 10), "confirmed", "ok")
	s.checkIn(t, jeanne, at(1, 14), "flagged", "no_answer", "help_requested")
	s.checkIn(t, jeanne, at(2, 10), "unreached", "no_answer", "busy", "no_response")
	s.checkIn(t, jeanne, at(2, 14), "system_error", "failed", "declined")
	s.checkIn(t, jeanne, at(3, 10), "cancelled")
	s.checkIn(t, jeanne, at(4, 10), "planned")
	s.checkIn(t, paul, at(2, 10), "undeliverable", "invalid_number")
	s.checkIn(t, paul, at(3, 10), "dialing")

	// Cases: Élise's, the pool's, closed ones, for every reason.
	mine := s.task(t, jeanne, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	pool := s.task(t, paul, nil, wellcheck.FollowUpMissed, wellcheck.PriorityNormal)
	repeated := s.task(t, s.enrol(t, "Henri Souvent", "+33612345604"), &s.user.ID, wellcheck.FollowUpUnreachedRepeatedly, wellcheck.PriorityUrgent)
	failed := s.task(t, s.enrol(t, "Odette Panne", "+33612345605"), nil, wellcheck.FollowUpSystemError, wellcheck.PriorityLow)
	callback := s.task(t, s.enrol(t, "Luc Rappel", "+33612345606"), &s.user.ID, wellcheck.FollowUpCallback, wellcheck.PriorityNormal)
	unreached := s.task(t, s.enrol(t, "Lise Muette", "+33612345607"), &s.user.ID, wellcheck.FollowUpUnreached, wellcheck.PriorityUrgent)
	closed := s.task(t, rose, &s.user.ID, wellcheck.FollowUpReferral, wellcheck.PriorityHigh)
	s.recorded(t, closed, s.user.ID)
	s.closeCase(t, closed, s.coord.ID)

	// An escalation on Jeanne's case: both contacts called, nobody confirmed;
	// Paul's number does not work; and what the system did, in the audit log.
	e, err := s.store.Queries().Enrolment(ctx, jeanne)
	require.NoError(t, err)
	calls := store.AuditDetails{Via: string(wellcheck.ViaWeb)}
	require.NoError(t, s.store.WithTx(ctx, func(q *store.Queries) error {
		esc, _, err := q.StartEscalation(ctx, mine, jeanne, at(3, 9))
		if err != nil {
			return err
		}
		for i, c := range e.Contacts {
			id, err := q.StartEscalationCall(ctx, esc, c, 1, at(3, 9).Add(time.Duration(i)*time.Minute))
			if err != nil {
				return err
			}
			ended := at(3, 9).Add(time.Duration(i)*time.Minute + 30*time.Second)
			outcome := []wellcheck.Outcome{wellcheck.OutcomeNoAnswer, wellcheck.OutcomeBusy}[i%2]
			if _, err := q.EndEscalationCall(ctx, wellcheck.EscalationCall{ID: id, EndedAt: &ended, Outcome: outcome}); err != nil {
				return err
			}
		}
		if _, err := q.EndEscalation(ctx, esc.ID, wellcheck.EscalationNobody, nil, at(3, 10)); err != nil {
			return err
		}
		if _, err := q.RecordDataIssue(ctx, store.DataIssue{PersonID: paul, Kind: "undeliverable", Detail: string(wellcheck.ReasonInvalidNumber), LastSeenAt: at(2, 10)}); err != nil {
			return err
		}
		system := wellcheck.SystemActor("calls")
		for _, a := range []struct {
			action   string
			person   int64
			caseID   int64
			details  map[string]any
			bySystem bool
		}{
			{"escalation.end", jeanne, mine, map[string]any{"escalation_id": esc.ID, "outcome": string(wellcheck.EscalationNobody)}, true},
			{"case.open", paul, pool, map[string]any{"reason": string(wellcheck.CaseUndeliverable), "priority": "normal"}, true},
			{"case.open", rose, closed, map[string]any{"reason": string(wellcheck.CaseReferral)}, true},
			{"case.close", rose, closed, map[string]any{"reason": string(wellcheck.ClosureOriented), "person_agreed": true}, false},
			{"person.enrol", zoe, 0, map[string]any{"via": calls.Via, "emergency_contacts": 0}, false},
		} {
			actor := wellcheck.UserActor(s.coord.ID, wellcheck.ViaWeb)
			if a.bySystem {
				actor = system
			}
			var caseID *int64
			if a.caseID != 0 {
				caseID = &a.caseID
			}
			if err := q.Audit(ctx, actor, a.action, &a.person, caseID, a.details); err != nil {
				return err
			}
		}
		return nil
	}))

	codes := rawCodes()
	pattern := regexp.MustCompile(`\b(` + strings.Join(codes, "|") + `)\b`)
	check := func(t *testing.T, email string, admin bool, paths ...string) {
		t.Helper()
		c := s.browser(t)
		s.signInAs(t, c, email)
		for _, path := range paths {
			status, body, _ := s.get(t, c, path)
			require.Equal(t, 200, status, path)
			text := visibleText(t, body, admin)
			require.Empty(t, pattern.FindAllString(text, -1), "%s shows a code as it is, to %s", path, email)
		}
	}
	id := func(n int64) string { return fmt.Sprint(n) }
	check(t, elise, false, "/", "/list", "/cases/"+id(mine), "/cases/"+id(repeated), "/cases/"+id(callback), "/cases/"+id(unreached),
		"/cases/"+id(closed), "/account")
	check(t, claire, false, "/queue", "/dashboard", "/listeners", "/persons?q=a", "/persons/new", "/cases/"+id(pool), "/cases/"+id(failed),
		"/persons/"+id(jeanne), "/persons/"+id(paul), "/persons/"+id(rose), "/persons/"+id(marc), "/persons/"+id(zoe))
	check(t, adam, true, "/admin/audit", "/admin/settings", "/admin/users", "/partners")
}
