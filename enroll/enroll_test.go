package enroll_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

type bundle struct {
	svc         *enroll.Service
	store       *store.Store
	coordinator wellcheck.User
	logs        *strings.Builder
}

// now is a Monday morning in Paris; every test sees the same clock.
var now = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func setup(t *testing.T) bundle { return setupB(t) }

// newPlanner is the planner enrolment plans persons with, on the test clock.
func newPlanner(t testing.TB, st *store.Store, logger *slog.Logger) *scheduler.Planner {
	t.Helper()
	queue, err := jobs.NewJobs(st.Pool(), logger)
	require.NoError(t, err)
	return &scheduler.Planner{Store: st, Jobs: queue, Logger: logger, Now: func() time.Time { return now }}
}

func setupB(t testing.TB) bundle {
	t.Helper()
	st := store.New(dbtest.New(t))
	ctx := context.Background()
	coord, err := st.Queries().CreateUser(ctx, wellcheck.User{Email: "claire@example.org", FullName: "Claire Coordinatrice", Roles: []wellcheck.Role{wellcheck.RoleCoordinator}})
	require.NoError(t, err)
	logs := &strings.Builder{}
	svc := &enroll.Service{Store: st, Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: func() time.Time { return now }}
	svc.Planner = newPlanner(t, st, svc.Logger)
	return bundle{svc: svc, store: st, coordinator: coord, logs: logs}
}

// validRequest is a referral as a coordinator takes it on the phone.
func validRequest() enroll.Request {
	return enroll.Request{
		Person: enroll.PersonInput{
			FullName: "Jeanne Martin", Phone: "06 12 34 56 78", Postcode: "75011", City: "Paris",
			Notes: "Vit seule depuis le décès de son mari ; malentendante, parler fort.",
		},
		Referral: enroll.ReferralInput{Source: "family", ReferrerName: "Paul Martin", ReferrerPhone: "06 98 76 54 32"},
		Consent:  &enroll.ConsentInput{GivenBy: "person", GivenAt: "2026-11-20", Method: "phone"},
		Contacts: []enroll.ContactInput{{FullName: "Paul Martin", Relation: "fils", Phone: "06 98 76 54 32", Consent: "oui"}},
		Plan:     enroll.PlanInput{Cron: "0 10 * * MON,WED,FRI", Window: "09:30-12:00"},
	}
}

func TestEnrollRecordsTheWholeReferral(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	// The audit log stamps its lines with the database's clock (bookkeeping,
	// read by no rule): the line comes between these two readings of it.
	var before, after time.Time
	require.NoError(t, b.store.Pool().QueryRow(ctx, "SELECT clock_timestamp()").Scan(&before))
	res, err := b.svc.Enroll(ctx, validRequest(), b.coordinator, "cli")
	require.NoError(t, err)
	require.Empty(t, res.Warnings)
	require.NoError(t, b.store.Pool().QueryRow(ctx, "SELECT clock_timestamp()").Scan(&after))

	e, err := b.store.Queries().Enrolment(ctx, res.PersonID)
	require.NoError(t, err)
	require.Equal(t, "Jeanne Martin", e.Person.FullName)
	require.Equal(t, wellcheck.Phone("+33612345678"), e.Person.Phone, "stored in E.164")
	require.Equal(t, "fr", e.Person.Language)
	require.Equal(t, "Europe/Paris", e.Person.TimeZone, "the service's zone by default")
	require.Equal(t, wellcheck.PersonActive, e.Person.Status)
	require.Equal(t, wellcheck.ReferralFamily, e.Referral.Source)
	require.Equal(t, wellcheck.Phone("+33698765432"), e.Referral.ReferrerPhone)
	require.Equal(t, b.coordinator.ID, e.Referral.TakenBy)
	require.Equal(t, wellcheck.ConsentByPerson, e.Consent.GivenBy)
	require.Equal(t, wellcheck.ConsentByPhone, e.Consent.Method)
	require.Equal(t, b.coordinator.ID, e.Consent.RecordedBy)
	require.Equal(t, "2026-11-20T00:00:00+01:00", e.Consent.GivenAt.In(mustLoad(t, "Europe/Paris")).Format(time.RFC3339), "a date is read in the service's zone")
	require.Len(t, e.Contacts, 1)
	require.Equal(t, wellcheck.Phone("+33698765432"), e.Contacts[0].Phone)
	require.Equal(t, 1, e.Contacts[0].Position)
	require.Equal(t, e.Consent.GivenAt, *e.Contacts[0].ConsentAt, "the person agreed this contact be called, with their own consent")
	require.Equal(t, "0 10 * * MON,WED,FRI", e.Plan.Cron)
	require.Equal(t, "09:30–12:00", e.Plan.Window.String())
	require.Nil(t, e.Plan.Retry, "the service's retry policy applies")
	require.Contains(t, e.Notes, "malentendante")

	// The audit log says who enrolled whom, how, and never the number or the notes.
	audit, err := b.store.Queries().AuditForPerson(ctx, res.PersonID)
	require.NoError(t, err)
	require.Len(t, audit, 1)
	require.Equal(t, "person.enrol", audit[0].Action)
	require.Equal(t, b.coordinator.ID, *audit[0].ActorID)
	require.Equal(t, "cli", audit[0].Actor, "who is the actor id; the label is how they acted")
	require.Equal(t, "family", audit[0].Details["referral_source"])
	require.False(t, audit[0].At.Before(before) || audit[0].At.After(after), "stamped %s, enrolled between %s and %s", audit[0].At, before, after)

	// Logs carry the person's id, never their number or notes.
	require.Contains(t, b.logs.String(), "person_id="+itoa(res.PersonID))
	require.NotContains(t, b.logs.String(), "12345678")
	require.NotContains(t, b.logs.String(), "malentendante")
}

func TestEnrollRejectsBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	tests := []struct {
		name   string
		change func(r *enroll.Request)
		field  string
		key    string
	}{
		{"no name", func(r *enroll.Request) { r.Person.FullName = "  " }, "person.full_name", "required"},
		{"no phone", func(r *enroll.Request) { r.Person.Phone = "" }, "person.phone", "required"},
		{"phone too short", func(r *enroll.Request) { r.Person.Phone = "06 12 34" }, "person.phone", "phone_invalid"},
		{"premium number", func(r *enroll.Request) { r.Person.Phone = "08 99 12 34 56" }, "person.phone", "phone_not_dialable"},
		{"letters", func(r *enroll.Request) { r.Person.Phone = "call me maybe" }, "person.phone", "phone_invalid"},
		{"unknown zone", func(r *enroll.Request) { r.Person.TimeZone = "Europe/Pariss" }, "person.time_zone", "time_zone_invalid"},
		{"zone abbreviation", func(r *enroll.Request) { r.Person.TimeZone = "CET" }, "person.time_zone", "time_zone_invalid"},
		{"machine zone", func(r *enroll.Request) { r.Person.TimeZone = "Local" }, "person.time_zone", "time_zone_invalid"},
		{"posix zone", func(r *enroll.Request) { r.Person.TimeZone = "posix/Europe/Paris" }, "person.time_zone", "time_zone_invalid"},
		{"NUL in a name", func(r *enroll.Request) { r.Person.FullName = "Jeanne\x00Martin" }, "person.full_name", "control_char"},
		{"line break in a name", func(r *enroll.Request) { r.Person.FullName = "Jeanne\nMartin" }, "person.full_name", "control_char"},
		{"zero-width space", func(r *enroll.Request) { r.Person.FullName = "Jeanne\u200bMartin" }, "person.full_name", "control_char"},
		{"right-to-left override", func(r *enroll.Request) { r.Contacts[0].FullName = "Paul\u202eMartin" }, "contacts[1].full_name", "control_char"},
		{"escape in notes", func(r *enroll.Request) { r.Person.Notes = "ok\x1b[31m" }, "person.notes", "control_char"},
		{"consent in year 26", func(r *enroll.Request) { r.Consent.GivenAt = "0026-11-20" }, "consent.given_at", "date_too_old"},
		{"language", func(r *enroll.Request) { r.Person.Language = "français" }, "person.language", "language_invalid"},
		{"risk", func(r *enroll.Request) { r.Person.RiskLevel = "extreme" }, "person.risk_level", "choice_invalid"},
		{"no referral source", func(r *enroll.Request) { r.Referral.Source = "" }, "referral.source", "required"},
		{"unknown referral source", func(r *enroll.Request) { r.Referral.Source = "neighbour" }, "referral.source", "choice_invalid"},
		{"bad referrer phone", func(r *enroll.Request) { r.Referral.ReferrerPhone = "12" }, "referral.referrer_phone", "phone_invalid"},
		{"referral in the future", func(r *enroll.Request) { r.Referral.ReferredAt = "2027-01-05" }, "referral.referred_at", "date_future"},
		{"no consent", func(r *enroll.Request) { r.Consent = nil }, "consent", "consent_missing"},
		{"empty consent", func(r *enroll.Request) { r.Consent = &enroll.ConsentInput{} }, "consent", "consent_missing"},
		{"consent date missing", func(r *enroll.Request) { r.Consent.GivenAt = "" }, "consent.given_at", "required"},
		{"consent date garbled", func(r *enroll.Request) { r.Consent.GivenAt = "yesterday" }, "consent.given_at", "date_invalid"},
		{"consent in the future", func(r *enroll.Request) { r.Consent.GivenAt = "2026-12-01" }, "consent.given_at", "date_future"},
		{"consent method", func(r *enroll.Request) { r.Consent.Method = "telepathy" }, "consent.method", "choice_invalid"},
		{"representative unnamed", func(r *enroll.Request) { r.Consent.GivenBy = "legal_representative" }, "consent.representative_name", "representative_missing"},
		{"contact without phone", func(r *enroll.Request) { r.Contacts[0].Phone = "" }, "contacts[1].phone", "required"},
		{"contact is the person", func(r *enroll.Request) { r.Contacts[0].Phone = "+33612345678" }, "contacts[1].phone", "phone_same_as_person"},
		{"contact consent", func(r *enroll.Request) { r.Contacts[0].Consent = "peut-être" }, "contacts[1].consent", "choice_invalid"},
		{"second contact after an empty place", func(r *enroll.Request) {
			r.Contacts = []enroll.ContactInput{{}, {FullName: "Paul Martin", Phone: "06 12"}}
		}, "contacts[2].phone", "phone_invalid"},
		{"no cron", func(r *enroll.Request) { r.Plan.Cron = "" }, "plan.cron", "required"},
		{"cron garbled", func(r *enroll.Request) { r.Plan.Cron = "every monday" }, "plan.cron", "cron_invalid"},
		{"cron never fires", func(r *enroll.Request) { r.Plan.Cron = "0 10 31 2 *" }, "plan.cron", "cron_never"},
		{"cron too often", func(r *enroll.Request) { r.Plan.Cron = "*/15 10-11 * * *" }, "plan.cron", "cron_too_often"},
		{"cron outside window", func(r *enroll.Request) { r.Plan.Cron = "0 15 * * MON" }, "plan.cron", "cron_outside_window"},
		{"window garbled", func(r *enroll.Request) { r.Plan.Window = "morning" }, "plan.window", "window_invalid"},
		{"window reversed", func(r *enroll.Request) { r.Plan.Window = "12:00-09:00" }, "plan.window", "window_invalid"},
		{"window before opening", func(r *enroll.Request) { r.Plan.Window = "07:00-10:30" }, "plan.window", "window_outside_hours"},
		{"retry delays", func(r *enroll.Request) { r.Plan.RetryMinutes = "15,soon" }, "plan.retry_minutes", "retry_invalid"},
		{"attempts", func(r *enroll.Request) { r.Plan.MaxAttempts = 50 }, "plan.max_attempts", "attempts_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validRequest()
			tt.change(&req)
			_, err := b.svc.Enroll(ctx, req, b.coordinator, "cli")
			require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
			var verr *wellcheck.ValidationError
			require.ErrorAs(t, err, &verr)
			found := false
			for _, p := range verr.Problems {
				found = found || p.Field == tt.field && p.Message.Key == tt.key
			}
			require.True(t, found, "want %s %s, got:\n%s", tt.field, tt.key, verr.Text(wellcheck.French))
		})
	}
	n, err := b.store.Queries().CountPersons(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing is written for a rejected enrolment")
}

func TestEnrollReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := validRequest()
	req.Person.Phone = "0899123456"
	req.Person.TimeZone = "Mars/Olympus"
	req.Consent = nil
	_, err := b.svc.Enroll(context.Background(), req, b.coordinator, "cli")
	var verr *wellcheck.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Equal(t, "téléphone : « 0899123456 » ne peut pas être appelé pour un appel de bien-être (numéro surtaxé)\n"+
		"fuseau horaire : « Mars/Olympus » n'est pas un fuseau horaire connu : un lieu (France métropolitaine, Guadeloupe, La Réunion…) ou un fuseau comme America/Montreal\n"+
		"consentement : le consentement de la personne est obligatoire pour l'inscrire", verr.Text(wellcheck.French))
	require.Equal(t, "phone: \"0899123456\" cannot be called for a check-in (premium-rate number)\n"+
		"time zone: \"Mars/Olympus\" is not a known time zone: a place (Mainland France, Guadeloupe, Réunion…) or a zone such as America/Montreal\n"+
		"consent: the person's consent is required to enrol them", verr.Text(wellcheck.English))
}

func TestEnrollWithoutEmergencyContactWarns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := validRequest()
	req.Contacts = nil
	res, err := b.svc.Enroll(context.Background(), req, b.coordinator, "cli")
	require.NoError(t, err, "a missing emergency contact is a warning, not an error")
	require.Len(t, res.Warnings, 1)
	require.Equal(t, "no_emergency_contact", res.Warnings[0].Message.Key)
}

func TestEnrollLegalRepresentativeAndFrenchWords(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := validRequest()
	req.Referral.Source = "Services sociaux"
	req.Consent = &enroll.ConsentInput{GivenBy: "représentant légal", RepresentativeName: "Maître Durand", GivenAt: "20/11/2026", Method: "papier"}
	req.Person.RiskLevel = "élevé"
	res, err := b.svc.Enroll(context.Background(), req, b.coordinator, "cli")
	require.NoError(t, err)
	e, err := b.store.Queries().Enrolment(context.Background(), res.PersonID)
	require.NoError(t, err)
	require.Equal(t, wellcheck.ReferralSocialServices, e.Referral.Source)
	require.Equal(t, wellcheck.ConsentByLegalRepresentative, e.Consent.GivenBy)
	require.Equal(t, "Maître Durand", e.Consent.RepresentativeName)
	require.Equal(t, wellcheck.ConsentOnPaper, e.Consent.Method)
	require.Equal(t, wellcheck.RiskHigh, e.Person.RiskLevel)
}

func TestEnrollDuplicatePhoneNamesTheExistingPerson(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	first, err := b.svc.Enroll(ctx, validRequest(), b.coordinator, "cli")
	require.NoError(t, err)

	again := validRequest()
	again.Person.FullName = "Jean Dupont"
	again.Person.Phone = "+33 6 12 34 56 78" // same line, typed differently
	_, err = b.svc.Enroll(ctx, again, b.coordinator, "cli")
	require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err))
	var conflict *wellcheck.ConflictError
	require.ErrorAs(t, err, &conflict)
	require.Equal(t, first.PersonID, conflict.PersonID)
	require.Equal(t, "ce numéro est déjà inscrit pour Jeanne Martin (personne n° "+itoa(first.PersonID)+")", wellcheck.ErrorText(err, wellcheck.French))
	n, err := b.store.Queries().CountPersons(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	// Once the first person has withdrawn, the line can be enrolled again.
	_, err = b.store.Pool().Exec(ctx, "UPDATE persons SET status = 'withdrawn', withdrawn_at = now() WHERE id = $1", first.PersonID)
	require.NoError(t, err)
	_, err = b.svc.Enroll(ctx, again, b.coordinator, "cli")
	require.NoError(t, err)
}

func TestEnrollSameNumberAtOnceEnrolsOnePerson(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	// Several coordinators take the same referral at the same moment.
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = b.svc.Enroll(ctx, validRequest(), b.coordinator, "web") })
	}
	wg.Wait()
	enrolled := 0
	for _, err := range errs {
		if err == nil {
			enrolled++
			continue
		}
		require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(err), "%v", err)
	}
	require.Equal(t, 1, enrolled)
	require.EqualValues(t, 1, b.count(t), "never a duplicate")
}

func TestEnrollNeedsACoordinator(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	_, err := b.store.Queries().CreateUser(ctx, wellcheck.User{Email: "leo@example.org", FullName: "Léo Écoutant", Roles: []wellcheck.Role{wellcheck.RoleListener}})
	require.NoError(t, err)

	_, err = b.svc.Coordinator(ctx, "leo@example.org")
	require.Equal(t, wellcheck.EForbidden, wellcheck.ErrorCode(err))
	_, err = b.svc.Coordinator(ctx, "nobody@example.org")
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
	require.Contains(t, wellcheck.ErrorText(err, wellcheck.English), `no active user "nobody@example.org"`)
	u, err := b.svc.Coordinator(ctx, "CLAIRE@example.org")
	require.NoError(t, err, "e-mail matching ignores case")
	require.Equal(t, b.coordinator.ID, u.ID)
}

func TestEnrollWithReferentListener(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	leo, err := b.store.Queries().CreateUser(ctx, wellcheck.User{Email: "leo@example.org", FullName: "Léo Écoutant", Roles: []wellcheck.Role{wellcheck.RoleListener}})
	require.NoError(t, err)

	req := validRequest()
	req.Person.Referent = " Leo@Example.org "
	res, err := b.svc.Enroll(ctx, req, b.coordinator, "cli")
	require.NoError(t, err)
	e, err := b.store.Queries().Enrolment(ctx, res.PersonID)
	require.NoError(t, err)
	require.Equal(t, &leo.ID, e.Person.ReferentID)

	// A coordinator is not a listener: refused, saying why.
	req = validRequest()
	req.Person.Phone = "01 99 00 10 20"
	req.Person.Referent = "claire@example.org"
	_, err = b.svc.Enroll(ctx, req, b.coordinator, "cli")
	require.Equal(t, "écoutant référent : « claire@example.org » n'est pas un écoutant actif", wellcheck.ErrorText(err, wellcheck.French))
}

func TestReferralConcernOpensTheCaseFile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	// Without a concern, no case.
	plain, err := b.svc.Enroll(ctx, validRequest(), b.coordinator, "cli")
	require.NoError(t, err)
	require.False(t, plain.CaseOpened)
	_, _, err = b.store.Queries().OpenCase(ctx, plain.PersonID)
	require.ErrorIs(t, err, wellcheck.ErrNotFound)

	// A landlord worried about a tenant: the case opens, in the shared pool.
	req := validRequest()
	req.Person.Phone = "01 99 00 10 20"
	req.Referral = enroll.ReferralInput{Source: "landlord", ReferrerName: "Paris Habitat", Concern: "Volets fermés depuis une semaine, courrier qui s'accumule."}
	worried, err := b.svc.Enroll(ctx, req, b.coordinator, "cli")
	require.NoError(t, err)
	require.True(t, worried.CaseOpened)
	c, followUps, err := b.store.Queries().OpenCase(ctx, worried.PersonID)
	require.NoError(t, err)
	require.Equal(t, wellcheck.CaseOpen, c.State)
	require.Equal(t, wellcheck.CaseReferral, c.OpenedReason)
	require.Equal(t, wellcheck.PriorityNormal, c.Priority)
	require.Nil(t, c.AssigneeID, "no referent: the shared pool")
	require.True(t, now.Equal(c.DueAt), "due at once, on the service's clock: %s", c.DueAt)
	require.True(t, now.Equal(c.OpenedAt), "opened at enrolment")
	require.Len(t, followUps, 1)
	require.Equal(t, wellcheck.FollowUpReferral, followUps[0].Reason)
	require.Equal(t, "pending", followUps[0].State)

	audit, err := b.store.Queries().AuditForPerson(ctx, worried.PersonID)
	require.NoError(t, err)
	require.Equal(t, []string{"person.enrol", "case.open"}, []string{audit[0].Action, audit[1].Action})

	// A person at high risk with a referent listener: high priority, on their list.
	leo, err := b.store.Queries().CreateUser(ctx, wellcheck.User{Email: "leo@example.org", FullName: "Léo", Roles: []wellcheck.Role{wellcheck.RoleListener}})
	require.NoError(t, err)
	req.Person.Phone = "02 61 91 10 20"
	req.Person.RiskLevel = "high"
	req.Person.Referent = "leo@example.org"
	followed, err := b.svc.Enroll(ctx, req, b.coordinator, "cli")
	require.NoError(t, err)
	c, followUps, err = b.store.Queries().OpenCase(ctx, followed.PersonID)
	require.NoError(t, err)
	require.Equal(t, wellcheck.CaseAssigned, c.State)
	require.Equal(t, wellcheck.PriorityHigh, c.Priority)
	require.Equal(t, &leo.ID, followUps[0].AssigneeID)
}

func TestEnrollRetryPolicyOverride(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := validRequest()
	req.Plan.MaxAttempts = 2
	req.Plan.RetryMinutes = "20"
	res, err := b.svc.Enroll(context.Background(), req, b.coordinator, "cli")
	require.NoError(t, err)
	e, err := b.store.Queries().Enrolment(context.Background(), res.PersonID)
	require.NoError(t, err)
	require.Equal(t, &wellcheck.RetryPolicy{MaxAttempts: 2, RetryMinutes: []int{20}}, e.Plan.Retry)
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Every field a problem can name reads as words, in both languages.
func TestEveryProblemFieldHasALabel(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 10001)
	req := enroll.Request{
		Person: enroll.PersonInput{FullName: long, Phone: "1", Language: "?", TimeZone: "Nowhere/Town", Address: long,
			Postcode: long, City: long, RiskLevel: "?", Referent: "nobody@example.org", Notes: long},
		Referral: enroll.ReferralInput{Source: "?", ReferrerName: long, ReferrerPhone: "1", Concern: long, ReferredAt: "?"},
		Consent:  &enroll.ConsentInput{GivenBy: "?", RepresentativeName: long, GivenAt: "?", Method: "?"},
		Contacts: []enroll.ContactInput{{FullName: long, Relation: long, Phone: "1", Language: "?", Consent: "?"}},
		Plan:     enroll.PlanInput{Cron: "?", Window: "?", MaxAttempts: 99, RetryMinutes: "?"},
	}
	c, err := enroll.NewChecker(wellcheck.DefaultSettings(), nil, "fr", now)
	require.NoError(t, err)
	_, _, err = c.Check(req, 1)
	var verr *wellcheck.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Greater(t, len(verr.Problems), 20)
	for _, p := range verr.Problems {
		for _, lang := range []wellcheck.Lang{wellcheck.French, wellcheck.English} {
			require.True(t, wellcheck.KnownField(p.Field), "field %q has no label", p.Field)
			require.NotEqual(t, p.Message.Key, p.Message.Text(lang), "message %s has no %s text", p.Message.Key, lang)
		}
	}
	req.Consent = nil
	_, _, err = c.Check(req, 1)
	require.ErrorAs(t, err, &verr)
	require.Contains(t, verr.Text(wellcheck.French), "consentement : le consentement de la personne est obligatoire pour l'inscrire")
}
