package enroll_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/internal/dbtest"
	"github.com/wellcheck/wellcheck/store"
)

const header = "full_name,phone,referral_source,referrer_name,consent_given_by,consent_given_at,consent_method,cron,window,contact1_name,contact1_relation,contact1_phone,notes\n"

// register writes an n-person CSV register; person i has phone 06 00 xx xx xx
// (offset by base so that several registers do not collide). bad, if not nil,
// may replace the fields of some rows.
func register(n, base int, bad func(i int, row []string)) []byte {
	var buf bytes.Buffer
	buf.WriteString(header)
	w := csv.NewWriter(&buf)
	for i := range n {
		row := []string{
			fmt.Sprintf("Personne %d", i+1),
			fmt.Sprintf("06%08d", base+i+1),
			"town_hall", "Mairie du 11e", "person", "2026-11-02", "phone",
			"0 10 * * MON,WED,FRI", "09:30-12:00",
			fmt.Sprintf("Proche %d", i+1), "fille", fmt.Sprintf("0698%06d", base+i+1),
			"",
		}
		if bad != nil {
			bad(i, row)
		}
		_ = w.Write(row) // a bytes.Buffer does not fail
	}
	w.Flush()
	return buf.Bytes()
}

func (b bundle) count(t *testing.T) int64 {
	t.Helper()
	n, err := b.store.Queries().CountPersons(context.Background())
	require.NoError(t, err)
	return n
}

func TestImportOneBadRowInAThousandImportsNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	// Row 500 (line 501: the header is line 1) has a number missing two digits.
	data := register(1000, 0, func(i int, row []string) {
		if i == 499 {
			row[1] = "06 12 34 56"
		}
	})

	rep, err := b.svc.Import(ctx, bytes.NewReader(data), b.coordinator, enroll.ImportOptions{FileName: "registre.csv"})
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
	require.Contains(t, wellcheck.ErrorText(err, wellcheck.French), "1 ligne invalide : rien n'a été importé")
	require.Equal(t, 1000, rep.Rows)
	require.Equal(t, 999, rep.Valid)
	require.Zero(t, rep.Imported)
	require.Len(t, rep.Invalid, 1)
	require.Equal(t, 501, rep.Invalid[0].Line)
	require.Equal(t, "téléphone : « 06 12 34 56 » n'est pas un numéro de téléphone : un numéro français comme 06 12 34 56 78, ou international commençant par +", rep.Invalid[0].Problems[0].Text(wellcheck.French))
	require.Zero(t, b.count(t), "nothing is imported")

	// With --skip-invalid the 999 valid rows go in, the bad one stays out.
	rep, err = b.svc.Import(ctx, bytes.NewReader(data), b.coordinator, enroll.ImportOptions{FileName: "registre.csv", SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, 999, rep.Imported)
	require.EqualValues(t, 999, b.count(t))

	// Every imported person is complete and audited.
	var contacts, plans, consents, referrals, audits int
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT
		(SELECT count(*) FROM emergency_contacts), (SELECT count(*) FROM persons WHERE cron_spec <> ''), (SELECT count(*) FROM consents),
		(SELECT count(*) FROM referrals), (SELECT count(*) FROM audit_log WHERE action = 'person.enrol' AND details->>'file' = 'registre.csv')`).
		Scan(&contacts, &plans, &consents, &referrals, &audits))
	require.Equal(t, []int{999, 999, 999, 999, 999}, []int{contacts, plans, consents, referrals, audits})

	// Importing the same file again: every row is now a number already enrolled.
	rep, err = b.svc.Import(ctx, bytes.NewReader(data), b.coordinator, enroll.ImportOptions{})
	require.Error(t, err)
	require.Len(t, rep.Invalid, 1000)
	require.Contains(t, rep.Invalid[0].Problems[0].Text(wellcheck.French), "ce numéro est déjà inscrit pour Personne 1 (personne n°")
	require.EqualValues(t, 999, b.count(t))
}

func TestImportDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	data := register(50, 0, func(i int, row []string) {
		switch i {
		case 9:
			row[7] = "0 10 * *" // line 11
		case 19:
			row[5] = "" // line 21: no consent date
		}
	})
	rep, err := b.svc.Import(context.Background(), bytes.NewReader(data), b.coordinator, enroll.ImportOptions{DryRun: true})
	require.NoError(t, err, "a dry run reports, it does not fail")
	require.True(t, rep.DryRun)
	require.Equal(t, 48, rep.Valid)
	require.Len(t, rep.Invalid, 2)
	require.Equal(t, 11, rep.Invalid[0].Line)
	require.Equal(t, "plan.cron", rep.Invalid[0].Problems[0].Field)
	require.Equal(t, 21, rep.Invalid[1].Line)
	require.Equal(t, "consent.given_at", rep.Invalid[1].Problems[0].Field)
	require.Zero(t, b.count(t))

	// Even a perfect file is not imported by a dry run.
	rep, err = b.svc.Import(context.Background(), bytes.NewReader(register(5, 100, nil)), b.coordinator, enroll.ImportOptions{DryRun: true})
	require.NoError(t, err)
	require.Equal(t, 5, rep.Valid)
	require.Zero(t, b.count(t))
}

func TestImportDuplicateInFile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	data := register(3, 0, func(i int, row []string) {
		if i == 2 {
			row[1] = "+33 6 00 00 00 01" // same line as row 1, written differently
		}
	})
	rep, err := b.svc.Import(context.Background(), bytes.NewReader(data), b.coordinator, enroll.ImportOptions{})
	require.Error(t, err)
	require.Len(t, rep.Invalid, 1)
	require.Equal(t, 4, rep.Invalid[0].Line)
	require.Equal(t, "téléphone : même numéro qu'à la ligne 2", rep.Invalid[0].Problems[0].Text(wellcheck.French))
}

func TestImportFrenchSpreadsheetExport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Excel "CSV UTF-8": BOM, semicolons, CRLF, French words, a quoted field with a
	// line break and a semicolon, a blank line at the end.
	data := "\ufeffFull_Name;Phone;Referral_Source;Consent_Given_By;Consent_Given_At;Consent_Method;Cron;Risk_Level;Notes\r\n" +
		"Élise Dubois;01 43 55 12 34;médecin;la personne;02/11/2026;téléphone;0 11 * * TUE;élevé;\"Sort peu ;\r\nvoisine attentive\"\r\n" +
		"\r\n"
	rep, err := b.svc.Import(context.Background(), strings.NewReader(data), b.coordinator, enroll.ImportOptions{})
	require.NoError(t, err)
	require.Equal(t, 1, rep.Imported)
	require.Len(t, rep.Warnings, 1, "no emergency contact is a warning")
	require.Equal(t, []int{2}, rep.Warnings[0].Lines)

	var name, source, risk string
	require.NoError(t, b.store.Pool().QueryRow(context.Background(),
		"SELECT p.full_name, r.source, p.risk_level FROM persons p JOIN referrals r ON r.person_id = p.id").Scan(&name, &source, &risk))
	require.Equal(t, []string{"Élise Dubois", "doctor", "high"}, []string{name, source, risk})
}

func TestImportRejectsUnusableFiles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name, data, want string
	}{
		{"latin-1", "full_name,phone\nH\xe9l\xe8ne,0612345678\n", "le fichier n'est pas en UTF-8"},
		{"missing columns", "full_name,phone\nJeanne,0612345678\n", "colonne obligatoire absente de l'en-tête : « Origine du signalement » (voir le modèle)"},
		{"typo in a column", strings.Replace(header, "contact1_phone", "contact1_phon", 1), "colonne L « contact1_phon » inconnue : donnez-lui un nom du modèle"},
		{"empty", "", "le fichier ne contient aucune personne"},
		{"header only", header, "le fichier ne contient aucune personne"},
		{"stray quote in the header", strings.Replace(header, "phone", `pho"ne`, 1), "fichier : ligne mal formée : guillemet isolé dans un champ"},
		{"quote left open in the header", strings.Replace(header, "phone", `"phone`, 1) + "Jeanne,0612345678\n", "un guillemet ouvert à la ligne 1 n'est pas refermé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.svc.Import(context.Background(), strings.NewReader(tt.data), b.coordinator, enroll.ImportOptions{})
			require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
			require.Contains(t, wellcheck.ErrorText(err, wellcheck.French), tt.want)
		})
	}
	require.Zero(t, b.count(t))
}

func TestImportMalformedLines(t *testing.T) {
	t.Parallel()
	b := setup(t)
	good := register(2, 0, nil)
	data := string(good) + "Too,few,fields\n" + strings.Split(string(register(1, 50, nil)), "\n")[1] + "\n"
	rep, err := b.svc.Import(context.Background(), strings.NewReader(data), b.coordinator, enroll.ImportOptions{SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, 3, rep.Imported)
	require.Len(t, rep.Invalid, 1)
	require.Equal(t, 4, rep.Invalid[0].Line)
	require.Contains(t, rep.Invalid[0].Problems[0].Text(wellcheck.English), "malformed line: 3 fields, the header has 13")
}

func TestImportBrokenQuotesLoseNoRow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	rows := strings.SplitAfter(string(register(7, 0, nil)), "\n")
	// Line 4: a stray quote inside a name. The reader goes on at line 5.
	stray := strings.Replace(rows[3], "Personne 3", `Marie "Mimi" Dupont`, 1)
	data := strings.Join(append(append(rows[:3:3], stray), rows[4:]...), "")
	rep, err := b.svc.Import(ctx, strings.NewReader(data), b.coordinator, enroll.ImportOptions{SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, 7, rep.Rows)
	require.Equal(t, 6, rep.Imported, "every row after the bad one is imported")
	require.Len(t, rep.Invalid, 1)
	require.Equal(t, 4, rep.Invalid[0].Line)
	require.Contains(t, rep.Invalid[0].Problems[0].Text(wellcheck.French), "guillemet isolé")

	// A quote opened and never closed swallows the rest of the file: those rows
	// cannot be read, so nothing is imported, even with --skip-invalid.
	unclosed := string(register(2, 100, nil)) + "\"Oubli de guillemet,01 99 00 10 20\n" + string(register(3, 200, nil)[len(header):])
	rep, err = b.svc.Import(ctx, strings.NewReader(unclosed), b.coordinator, enroll.ImportOptions{SkipInvalid: true})
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
	require.Equal(t, "fichier : un guillemet ouvert à la ligne 4 n'est pas refermé sur cette ligne (le champ court jusqu'à la ligne 5) : rien n'a été importé ; corrigez le fichier",
		wellcheck.ErrorText(err, wellcheck.French))
	require.Zero(t, rep.Imported)
	require.EqualValues(t, 6, b.count(t), "only the first import's rows")
}

func TestImportRefusesRowsHiddenInAQuotedField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// A note opens a quote on line 3; a stray quote at the end of line 6 closes
	// it: encoding/csv reads lines 3 to 6 as one valid record, and persons 3 to 5
	// would vanish into person 2's note (numbers included).
	head := "full_name,phone,referral_source,consent_given_by,consent_given_at,consent_method,cron,notes\n"
	row := func(n int, note string) string {
		return fmt.Sprintf("Personne %d,01 99 00 10 %02d,self,person,2026-10-01,phone,0 10 * * 1-5,%s\n", n, n, note)
	}
	data := head + row(1, "") + row(2, `"Voisine attentive`) + row(3, "") + row(4, "") + row(5, `Mimi"`) + row(6, "")
	for _, opts := range []enroll.ImportOptions{{}, {SkipInvalid: true}} {
		_, err := b.svc.Import(context.Background(), strings.NewReader(data), b.coordinator, opts)
		require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
		require.Contains(t, wellcheck.ErrorText(err, wellcheck.French), "un guillemet ouvert à la ligne 3 n'est pas refermé sur cette ligne (le champ court jusqu'à la ligne 6)")
	}
	require.Zero(t, b.count(t))

	// A genuine multi-line note is fine.
	ok := head + row(1, "\"Vit seule,\nsort peu\"")
	rep, err := b.svc.Import(context.Background(), strings.NewReader(ok), b.coordinator, enroll.ImportOptions{})
	require.NoError(t, err)
	require.Equal(t, 1, rep.Imported)
}

func TestImportIgnoresBlankSpreadsheetRows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	data := string(register(2, 0, nil)) + ",,,,,,,,,,,,\n  ,\t,,,,,,,,,,,\n"
	rep, err := b.svc.Import(context.Background(), strings.NewReader(data), b.coordinator, enroll.ImportOptions{})
	require.NoError(t, err)
	require.Equal(t, 2, rep.Rows)
	require.Equal(t, 2, rep.Imported)
}

// The import holds one connection for its transaction and needs no other: on a
// pool of one it finishes (it used to wait forever for a second).
func TestImportOnOneConnection(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), dbtest.NewURL(t)+"&pool_max_conns=1")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st := store.New(pool)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	coord, err := st.Queries().CreateUser(ctx, wellcheck.User{Email: "c@example.org", FullName: "C", Roles: []wellcheck.Role{wellcheck.RoleCoordinator}})
	require.NoError(t, err)
	svc := &enroll.Service{Store: st, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }}
	svc.Planner = newPlanner(t, st, svc.Logger)

	rep, err := svc.Import(ctx, bytes.NewReader(register(20_000, 0, nil)), coord, enroll.ImportOptions{})
	require.NoError(t, err)
	require.Equal(t, 20_000, rep.Imported)
}

func TestImportConcernsOpenCases(t *testing.T) {
	t.Parallel()
	b := setup(t)
	data := register(5, 0, nil)
	csvText := strings.Replace(string(data), "notes\n", "notes,referral_concern\n", 1)
	lines := strings.Split(strings.TrimSuffix(csvText, "\n"), "\n")
	for i := 1; i < len(lines); i++ {
		concern := ""
		if i == 2 || i == 4 {
			concern = "Ne répond plus au téléphone de sa fille"
		}
		lines[i] += "," + concern
	}
	rep, err := b.svc.Import(context.Background(), strings.NewReader(strings.Join(lines, "\n")), b.coordinator, enroll.ImportOptions{})
	require.NoError(t, err)
	require.Equal(t, 5, rep.Imported)
	var cases, pool int
	require.NoError(t, b.store.Pool().QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM cases WHERE opened_reason = 'referral' AND state = 'open'),
		(SELECT count(*) FROM follow_ups WHERE reason = 'referral' AND state = 'pending' AND assignee_id IS NULL)`).Scan(&cases, &pool))
	require.Equal(t, 2, cases, "one case per row with a concern")
	require.Equal(t, 2, pool)
}

// An import whose caller gives up (Ctrl-C, a closed web request) stops checking
// rows and returns, writing nothing.
func TestImportStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.svc.Import(ctx, bytes.NewReader(register(50_000, 0, nil)), b.coordinator, enroll.ImportOptions{})
	require.ErrorIs(t, err, context.Canceled)
	require.Zero(t, b.count(t))
}

// goWords are what Go's parsers (strconv, time, JSON, cron) say, which no
// coordinator should read.
var goWords = regexp.MustCompile(`(?i)strconv|atoi|parse|invalid syntax|failed to|json|go struct|unmarshal|syntax error|` +
	`of range|above maximum|below minimum|too many (hyphens|slashes)|unrecognized|provided|expected exactly|%!|<nil>|internal|interne`)

// A register with a bad value in each typed column: every bad value is
// refused on its line, beside its column, in words a coordinator reads, in
// French and in English; never in Go's ("failed to parse int from tous:
// strconv.Atoi: parsing "tous": invalid syntax").
func TestImportTellsBadValuesInTheCoordinatorsWords(t *testing.T) {
	t.Parallel()
	b := setup(t)
	columns := []string{"full_name", "phone", "language", "time_zone", "postcode", "risk_level", "referent_email",
		"referral_source", "referrer_phone", "referred_at", "consent_given_by", "consent_given_at", "consent_method",
		"cron", "window", "max_attempts", "retry_minutes", "contact1_name", "contact1_phone", "contact1_language", "contact1_consent"}
	good := map[string]string{
		"full_name": "Jeanne Martin", "phone": "06 12 34 56 78", "language": "fr", "time_zone": "Europe/Paris", "postcode": "75011",
		"risk_level": "normal", "referent_email": "", "referral_source": "famille", "referrer_phone": "06 98 76 54 33",
		"referred_at": "2026-11-20", "consent_given_by": "la personne", "consent_given_at": "2026-11-20", "consent_method": "téléphone",
		"cron": "0 10 * * MON,WED,FRI", "window": "09:30-12:00", "max_attempts": "3", "retry_minutes": "15,30",
		"contact1_name": "Paul Martin", "contact1_phone": "06 98 76 54 32", "contact1_language": "fr", "contact1_consent": "oui",
	}
	bad := []struct{ column, value, field string }{
		{"phone", "tous", "person.phone"},
		{"phone", "06 12", "person.phone"},
		{"language", "tous", "person.language"},
		{"time_zone", "tous", "person.time_zone"},
		{"time_zone", "Europe/Pariss", "person.time_zone"},
		{"time_zone", "CET", "person.time_zone"},
		{"postcode", "75011\x01", "person.postcode"},
		{"risk_level", "tous", "person.risk_level"},
		{"referent_email", "tous", "person.referent"},
		{"referral_source", "tous", "referral.source"},
		{"referrer_phone", "tous", "referral.referrer_phone"},
		{"referred_at", "tous", "referral.referred_at"},
		{"referred_at", "2026-02-30", "referral.referred_at"},
		{"referred_at", "31/13/2026", "referral.referred_at"},
		{"consent_given_by", "tous", "consent.given_by"},
		{"consent_given_at", "tous", "consent.given_at"},
		{"consent_given_at", "2026-11-20T25:00", "consent.given_at"},
		{"consent_method", "tous", "consent.method"},
		{"cron", "tous", "plan.cron"},
		{"cron", "0 tous * * MON", "plan.cron"},
		{"cron", "tous 10 * * MON", "plan.cron"},
		{"cron", "0 10 tous * *", "plan.cron"},
		{"cron", "0 10 * tous *", "plan.cron"},
		{"cron", "0 10 * * tous", "plan.cron"},
		{"cron", "0 10 * * LUNDI", "plan.cron"},
		{"cron", "60 10 * * MON", "plan.cron"},
		{"cron", "0 25 * * MON", "plan.cron"},
		{"cron", "0 10 32 * *", "plan.cron"},
		{"cron", "0 10 * 13 *", "plan.cron"},
		{"cron", "0 10 * * 8", "plan.cron"},
		{"cron", "0 12-10 * * MON", "plan.cron"},
		{"cron", "0 10-12/0 * * MON", "plan.cron"},
		{"cron", "0 10-11-12 * * MON", "plan.cron"},
		{"cron", "0 10/2/3 * * MON", "plan.cron"},
		{"cron", "0,tous 10 * * MON", "plan.cron"},
		{"cron", "0 10 * * MON-", "plan.cron"},
		{"cron", "@daily", "plan.cron"},
		{"cron", "TZ=Europe/Paris 0 10 * * MON", "plan.cron"},
		{"window", "tous", "plan.window"},
		{"window", "25:00-26:00", "plan.window"},
		{"window", "12:00-09:00", "plan.window"},
		{"max_attempts", "tous", "plan.max_attempts"},
		{"max_attempts", "2.5", "plan.max_attempts"},
		{"max_attempts", "11", "plan.max_attempts"},
		{"retry_minutes", "tous", "plan.retry_minutes"},
		{"retry_minutes", "15,tous", "plan.retry_minutes"},
		{"retry_minutes", "0", "plan.retry_minutes"},
		{"contact1_phone", "tous", "contacts[1].phone"},
		{"contact1_language", "tous", "contacts[1].language"},
		{"contact1_consent", "tous", "contacts[1].consent"},
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	require.NoError(t, w.Write(columns))
	for i, tc := range bad {
		row := make([]string, len(columns))
		for j, c := range columns {
			row[j] = good[c]
		}
		row[1] = fmt.Sprintf("06 12 34 %02d %02d", i/100, i%100) // a number of its own
		row[slices.Index(columns, tc.column)] = tc.value
		require.NoError(t, w.Write(row))
	}
	w.Flush()

	rep, err := b.svc.Import(context.Background(), &buf, b.coordinator, enroll.ImportOptions{DryRun: true})
	require.NoError(t, err)
	require.Len(t, rep.Invalid, len(bad), "every row has a bad value")
	for i, re := range rep.Invalid {
		tc := bad[i]
		require.Equal(t, i+2, re.Line)
		var fields []string
		for _, p := range re.Problems {
			fields = append(fields, p.Field)
			fr, en := p.Text(wellcheck.French), p.Text(wellcheck.English)
			assert.NotRegexp(t, goWords, fr, "%s = %q", tc.column, tc.value)
			assert.NotRegexp(t, goWords, en, "%s = %q", tc.column, tc.value)
			assert.NotEqual(t, fr, en, "%s = %q: said in each language", tc.column, tc.value)
		}
		assert.Equal(t, []string{tc.field}, fields, "%s = %q: %v", tc.column, tc.value, re.Problems)
	}
}
