package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/phone"
)

// The person erased, their referrer and their contacts, as distinctive as
// can be: none of it may be found anywhere once they are erased.
const (
	erasedName      = "Zéphyrine Quintavalle-Erasmus"
	erasedPhone     = "06 47 19 83 52"
	erasedAddress   = "17 impasse des Mésanges-Bleues"
	erasedCity      = "Lorlanges-sur-Alagnon"
	erasedNote      = "Ne pas appeler pendant la sieste de Gribouille le chat"
	referrerName    = "Docteur Anselme Vrignaud-Pelletier"
	referrerPhone   = "01 99 00 58 63"
	erasedConcern   = "chute dans l'escalier du Belvédère"
	firstContact    = "Octavie Brassempouy-Lenoir"
	firstRelation   = "nièce par alliance"
	firstPhone      = "06 58 27 41 93"
	secondContact   = "Barnabé Tchoukriel"
	secondRelation  = "voisin du palier"
	secondPhone     = "07 81 36 52 09"
	followUpNote    = "évoque une fugue de son petit-fils Théodoric"
	escalationNote  = "volets clos depuis trois jours au Belvédère"
	registerFile    = "registre-Quintavalle-Erasmus-2026.csv"
	erasedTimeZone  = "Europe/Brussels"
	erasedCron      = "7 10 * * 2"
	sisterName      = "Philomène Quintavalle-Erasmus"
	sisterPhone     = "06 12 48 96 37"
	sisterNote      = "Malvoyante depuis l'accident de la Saint-Fiacre"
	sisterRelation  = "sœur jumelle"
	otherPersonName = "Marcelline Dupuis-Gardon"
)

// keptAuditKeys are the details an erased person's audit entries may still
// carry: ids, counts, kinds and outcomes, never who they were or how they
// lived (names, relations, plans, zones, files, dates of their own).
var keptAuditKeys = []string{
	"after_days", "assignee_id", "changed", "check_in_id", "emergency_contacts", "emergency_services_called",
	"escalation_id", "follow_up_id", "from", "number_issues_resolved", "on_request", "outcome", "partner_id",
	"person_agreed", "position", "priority", "reached", "reason", "to", "via",
}

// TestErasureLeavesNoTrace enrols a person from a register, has them called,
// flag, followed up by a listener, escalated to their contacts, then erases
// them as the web and the CLI do, and looks for who they were in every row of
// every table (River's too) and every line logged.
func TestErasureLeavesNoTrace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	logger := slog.New(slog.NewTextHandler(b.logs, nil))
	b.clock.Set(at(9, 0))
	lid := b.listener(t, "ecoute@example.org", []string{"fr"}, 10, true)
	listener := b.user(t, lid)
	coord := b.coordinator(t)
	enrol := &enroll.Service{Store: b.store, Logger: logger, Planner: b.planner(t), Now: b.clock.Now}

	e164 := func(typed string) string {
		p, err := phone.Parser{Region: "FR"}.Parse(typed)
		require.NoError(t, err)
		return string(p)
	}

	// The person, enrolled on the web.
	res, err := enrol.Enroll(ctx, enroll.Request{
		Person: enroll.PersonInput{FullName: erasedName, Phone: erasedPhone, TimeZone: erasedTimeZone, Address: erasedAddress,
			Postcode: "15500", City: erasedCity, Referent: "ecoute@example.org", Notes: erasedNote},
		Referral: enroll.ReferralInput{Source: "doctor", ReferrerName: referrerName, ReferrerPhone: referrerPhone, Concern: erasedConcern},
		Consent:  &enroll.ConsentInput{GivenBy: "person", GivenAt: "2026-11-20", Method: "phone"},
		Contacts: []enroll.ContactInput{
			{FullName: firstContact, Relation: firstRelation, Phone: firstPhone},
			{FullName: secondContact, Relation: secondRelation, Phone: secondPhone},
		},
		Plan: enroll.PlanInput{Cron: erasedCron, Window: "09:00-17:00"},
	}, coord, "web")
	require.NoError(t, err)
	pid := res.PersonID
	number := e164(erasedPhone)

	// Her sister, from a register of her own, withdraws and is erased by
	// retention; someone from another register stays.
	header := "full_name;phone;address;city;referral_source;referrer_name;consent_given_by;consent_given_at;consent_method;cron;notes;" +
		"contact1_name;contact1_relation;contact1_phone\n"
	register := header + sisterName + ";" + sisterPhone + ";" + erasedAddress + ";" + erasedCity + ";famille;" + erasedName +
		";la personne;2026-11-20;téléphone;0 11 * * 2;" + sisterNote + ";" + erasedName + ";" + sisterRelation + ";" + erasedPhone + "\n"
	for file, body := range map[string]string{
		registerFile:          register,
		"registre-autres.csv": header + otherPersonName + ";06 71 22 33 11;;;famille;;la personne;2026-11-20;téléphone;0 11 * * 2;;;;\n",
	} {
		rep, err := enrol.Import(ctx, strings.NewReader(body), coord, enroll.ImportOptions{FileName: file})
		for _, re := range rep.Invalid {
			t.Log(re.Line, re.Texts(wellcheck.English))
		}
		require.NoError(t, err)
		require.Equal(t, 1, rep.Imported)
	}
	sisters, err := b.store.Queries().SearchPersons(ctx, "", wellcheck.Phone(e164(sisterPhone)), 10)
	require.NoError(t, err)
	require.Len(t, sisters, 1)
	require.NoError(t, enrol.Withdraw(ctx, sisters[0].ID, coord, "web"))

	// Called at 10:07: the person presses 2.
	checkIns, err := b.store.Queries().CheckInsForPerson(ctx, pid)
	require.NoError(t, err)
	require.NotEmpty(t, checkIns, "the import planned the person's calls")
	b.clock.Set(checkIns[0].SlotAt)
	b.dialer.Answer = func(to string, _ int) dialer.Result {
		switch to {
		case number:
			return dialertest.Result(wellcheck.OutcomeHelpRequested)
		case e164(firstPhone):
			return dialertest.Result(wellcheck.OutcomeNoAnswer)
		}
		return dialertest.Result(wellcheck.OutcomeOK)
	}
	b.callUntilFinal(t, pid, checkIns[0].ID)
	st, _ := b.state(t, pid, checkIns[0].ID)
	require.Equal(t, wellcheck.CheckInFlagged, st)

	// Their listener calls back, writes a note and plans the next call.
	list := requireList(t, b, &lid, pid)
	b.clock.Set(b.clock.Now().Add(20 * time.Minute))
	next := b.clock.Now().Add(3 * time.Hour)
	_, err = b.care.Record(ctx, listener, list[0].CaseID, care.FollowUpRecord{Reached: true, Note: followUpNote, Next: &next})
	require.NoError(t, err)

	// A coordinator escalates: the first contact does not answer, the second
	// acknowledges.
	_, err = b.care.Open(ctx, coord, pid, wellcheck.PriorityUrgent, escalationNote)
	require.NoError(t, err)
	require.NoError(t, b.runEscalations(t))
	require.Equal(t, []string{e164(firstPhone) + " fr", e164(secondPhone) + " fr"}, escalationCalls(b))
	var contactNames int
	require.NoError(t, b.store.Pool().QueryRow(ctx, "SELECT count(*) FROM escalation_calls WHERE contact_name = $1", secondContact).Scan(&contactNames))
	require.Equal(t, 1, contactNames, "the escalation's calls name the contacts")

	// The register, uploaded again to check it, waits for a confirmation.
	_, err = b.store.Queries().SaveUpload(ctx, coord.ID, registerFile, []byte(register), b.clock.Now())
	require.NoError(t, err)

	// Before erasure the dump finds the person: the search below is sound.
	before := everything(t, b)
	for _, v := range []string{erasedName, number, erasedNote, followUpNote, escalationNote, firstContact, registerFile} {
		require.Contains(t, before, v)
	}

	b.clock.Set(b.clock.Now().Add(time.Hour))
	require.NoError(t, enrol.Erase(ctx, pid, coord, "web"))
	settings, err := b.store.Queries().Settings(ctx)
	require.NoError(t, err)
	settings.KeepWithdrawnDays = 0
	require.NoError(t, b.store.Queries().SetCareSettings(ctx, settings))
	purged, err := b.admin.Retain(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), purged.Persons, "the sister who withdrew")

	traces := []string{
		erasedName, "Quintavalle", "Zéphyrine", erasedAddress, erasedCity, erasedNote, "Gribouille",
		referrerName, "Vrignaud", erasedConcern, erasedTimeZone, erasedCron,
		firstContact, firstRelation, secondContact, secondRelation, "Brassempouy", "Tchoukriel",
		followUpNote, "Théodoric", escalationNote, registerFile, "registre-Quintavalle",
		sisterName, "Philomène", sisterNote, "Saint-Fiacre", sisterRelation,
	}
	for _, typed := range []string{erasedPhone, referrerPhone, firstPhone, secondPhone, sisterPhone} {
		p := e164(typed)
		digits := strings.ReplaceAll(typed, " ", "")
		traces = append(traces, typed, p, digits, digits[1:], phone.Parser{Region: "FR"}.Format(wellcheck.Phone(p)),
			// what the logs masked a number to before: the country, the
			// operator and the last two digits
			p[:4]+strings.Repeat("•", len(p)-6)+p[len(p)-2:], digits[:3]+strings.Repeat("•", len(digits)-5)+digits[len(digits)-2:])
	}
	dump := everything(t, b)
	logs := b.logs.String()
	for _, v := range traces {
		for _, where := range []string{dump, logs} {
			for _, line := range strings.Split(where, "\n") {
				if strings.Contains(line, v) {
					t.Errorf("%q is still there: %s", v, line)
				}
			}
		}
	}
	require.Contains(t, dump, otherPersonName, "the person of the other register stays")

	// A masked number keeps its last two digits and nothing more.
	require.NotRegexp(t, regexp.MustCompile(`[0-9]•`), logs, "a masked number shows no digit before its last two")

	// What the audit log still says about them is an id and what was done.
	rows, err := b.store.Pool().Query(ctx, "SELECT action, details FROM audit_log WHERE person_id = ANY($1) ORDER BY id", []int64{pid, sisters[0].ID})
	require.NoError(t, err)
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var action string
		var details map[string]any
		if err := r.Scan(&action, &details); err != nil {
			return "", err
		}
		for k := range details {
			if !slices.Contains(keptAuditKeys, k) {
				return "", fmt.Errorf("%s keeps %q: %v", action, k, details[k])
			}
		}
		return action, nil
	})
	require.NoError(t, err)
	for _, action := range []string{"person.enrol", "follow_up.schedule", "escalation.acknowledged", "person.withdraw", "person.erase", "person.purge"} {
		require.Contains(t, entries, action, "the audit log still says what was done")
	}
}

// everything is every row of every table of the test's database, River's
// included, as text, with the bytes of binary columns as they are.
func everything(t *testing.T, b *bundle) string {
	t.Helper()
	ctx := context.Background()
	pool := b.store.Pool()
	rows, err := pool.Query(ctx, `
		SELECT format('%I.%I', n.nspname, c.relname),
		       coalesce((SELECT array_agg(quote_ident(a.attname)) FROM pg_attribute a
		                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'bytea'::regtype), '{}')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
		ORDER BY 1`)
	require.NoError(t, err)
	type table struct {
		name  string
		bytea []string
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var tb table
		return tb, r.Scan(&tb.name, &tb.bytea)
	})
	require.NoError(t, err)
	require.Greater(t, len(tables), 20)
	require.True(t, slices.ContainsFunc(tables, func(tb table) bool { return strings.HasSuffix(tb.name, ".river_job") }), "River's tables are searched")
	var out strings.Builder
	for _, tb := range tables {
		texts, err := pool.Query(ctx, "SELECT t::text FROM "+tb.name+" t")
		require.NoError(t, err)
		lines, err := pgx.CollectRows(texts, pgx.RowTo[string])
		require.NoError(t, err)
		for _, l := range lines {
			fmt.Fprintf(&out, "%s: %s\n", tb.name, l)
		}
		for _, col := range tb.bytea {
			blobs, err := pool.Query(ctx, "SELECT "+col+" FROM "+tb.name)
			require.NoError(t, err)
			bs, err := pgx.CollectRows(blobs, pgx.RowTo[[]byte])
			require.NoError(t, err)
			for _, v := range bs {
				for _, l := range strings.Split(string(v), "\n") {
					fmt.Fprintf(&out, "%s.%s: %s\n", tb.name, col, l)
				}
			}
		}
	}
	// River keeps job arguments and errors as JSON: read them as it wrote
	// them too, escapes undone.
	jobRows, err := pool.Query(ctx, "SELECT args::text, errors::text[] FROM river_job")
	require.NoError(t, err)
	for jobRows.Next() {
		var args string
		var errs []string
		require.NoError(t, jobRows.Scan(&args, &errs))
		for _, raw := range append(errs, args) {
			var v any
			require.NoError(t, json.Unmarshal([]byte(raw), &v))
			fmt.Fprintf(&out, "river_job (decoded): %v\n", v)
		}
	}
	require.NoError(t, jobRows.Err())
	return out.String()
}
