package enroll_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/enroll"
)

// plans reads every person's name, plan and consent date.
func (b bundle) plans(t *testing.T) map[string]string {
	t.Helper()
	rows, err := b.store.Pool().Query(context.Background(), `
		SELECT p.full_name, p.phone, p.cron_spec, to_char(c.given_at AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD')
		FROM persons p JOIN consents c ON c.person_id = p.id ORDER BY p.id`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, phone, spec, given string
		require.NoError(t, rows.Scan(&name, &phone, &spec, &given))
		out[name] = phone + " | " + spec + " | " + given
	}
	require.NoError(t, rows.Err())
	return out
}

// A register as a town hall keeps it: French headers, the plan in words, no
// cron; one line's days make no sense, and the report says where.
func TestImportFrenchRegisterWithPlansInWords(t *testing.T) {
	t.Parallel()
	b := setup(t)
	data := "\ufeffNom et prénom;Téléphone;Jours d'appel;Heure d'appel;Orienté par;Consentement donné par;Date du consentement;Recueil du consentement;Contact 1 — nom;Contact 1 — téléphone;Contact 1 — accord pour l'appeler (oui/non)\r\n" +
		"Jeanne Martin;01 99 00 10 20;du lundi au vendredi;10 h 30;mairie;la personne;02/11/2026;téléphone;Germaine Martin;03 53 01 30 40;oui\r\n" +
		"Marcel Bernard;01 99 00 10 21;un jour sur deux;10:00;famille;la personne;02/11/2026;papier;;;\r\n" +
		"Lucie Petit;01 99 00 10 22;mardi et jeudi;14h;médecin;la personne;03/11/2026;en personne;;;\r\n"

	rep, err := b.svc.Import(context.Background(), strings.NewReader(data), b.coordinator, enroll.ImportOptions{FileName: "registre.csv", SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, 2, rep.Imported)
	require.Len(t, rep.Invalid, 1)
	require.Equal(t, 3, rep.Invalid[0].Line)
	require.Equal(t, []string{"colonne C (Jours d'appel) : « un jour sur deux » : indiquez des jours, par exemple « lundi, jeudi », « du lundi au vendredi » ou « tous les jours »"},
		rep.Invalid[0].Texts(wellcheck.French))
	require.Equal(t, []string{`column C (Jours d'appel): "un jour sur deux": give days, for example "Monday, Thursday", "Monday to Friday" or "every day"`},
		rep.Invalid[0].Texts(wellcheck.English), "the header as the file writes it, the rest in the reader's language")
	require.Equal(t, map[string]string{
		"Jeanne Martin": "+33199001020 | 30 10 * * MON-FRI | 2026-11-02",
		"Lucie Petit":   "+33199001022 | 0 14 * * TUE,THU | 2026-11-03",
	}, b.plans(t))
}

// A plan in words that calls outside its window is said in the words it
// was given, in the columns that gave it.
func TestImportPlanProblemsNameTheDaysAndTimeColumns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	data := "nom,téléphone,jours,heure,plage,origine,consentement donné par,date du consentement,recueil du consentement\n" +
		"Jeanne Martin,01 99 00 10 20,lundi,15:00,09:00-12:00,mairie,la personne,2026-11-02,téléphone\n"
	rep, err := b.svc.Import(context.Background(), strings.NewReader(data), b.coordinator, enroll.ImportOptions{DryRun: true})
	require.NoError(t, err)
	require.Len(t, rep.Invalid, 1)
	require.Equal(t, []string{"colonnes C et D (jours, heure) : « lundi vers 15 h » appelle à 15:00, hors de la plage d'appel 09:00–12:00"}, rep.Invalid[0].Texts(wellcheck.French))
}

func TestImportRefusesAHeaderWithoutAPlan(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for data, want := range map[string]string{
		"nom;téléphone;origine;consentement donné par;date du consentement;recueil du consentement\nA;0199001020;mairie;la personne;2026-11-02;papier\n":             "il faut les colonnes « Jours d'appel » et « Heure d'appel » (ou « Planning cron (expert) » pour un planning cron)",
		"nom;téléphone;jours;origine;consentement donné par;date du consentement;recueil du consentement\nA;0199001020;lundi;mairie;la personne;2026-11-02;papier\n": "il faut les colonnes « Jours d'appel » et « Heure d'appel »",
		"nom;téléphone;jours;heure;origine;consentement;date du consentement;recueil du consentement\nA;0199001020;lundi;10:00;mairie;x;2026-11-02;papier\n":         "colonne F « consentement » inconnue",
		"nom;tel;jours;heure;origine;consentement donné par;date du consentement;recueil du consentement;téléphone\n":                                                "colonnes B et I : « Téléphone » deux fois",
	} {
		_, err := b.svc.Import(context.Background(), strings.NewReader(data), b.coordinator, enroll.ImportOptions{})
		require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err), data)
		require.Contains(t, wellcheck.ErrorText(err, wellcheck.French), want)
	}
	require.Zero(t, b.count(t))
}

// workbook is a spreadsheet as a coordinator saves it: a title above the
// header, then rows of cells, numbers where the spreadsheet made numbers.
func workbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	require.NoError(t, f.SetCellStr("Sheet1", "A1", "Registre canicule 2026 — mairie du 11e"))
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+3) // a blank line under the title
		require.NoError(t, err)
		require.NoError(t, f.SetSheetRow("Sheet1", cell, &r))
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.Bytes()
}

// An .xlsx register: dates and times typed as such (numbers in the file), a
// number that lost its leading 0, a title above the header; one bad line is
// named by its row in the sheet and its column.
func TestImportSpreadsheet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	consentDay := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	data := workbook(t, [][]any{
		{"Nom et prénom", "Téléphone", "Jours d'appel", "Heure d'appel", "Origine du signalement", "Consentement donné par", "Date du consentement", "Recueil du consentement"},
		{"Jeanne Martin", 199001020, "lundi, jeudi", 10.5 / 24, "mairie", "la personne", consentDay, "téléphone"},
		{"Marcel Bernard", "06 12", "tous les jours", "10:00", "famille", "la personne", consentDay, "papier"},
		{"Lucie Petit", "01 99 00 10 22", "du lundi au vendredi", 14, "médecin", "la personne", "03/11/2026", "en personne"},
	})

	rep, err := b.svc.Import(context.Background(), bytes.NewReader(data), b.coordinator, enroll.ImportOptions{FileName: "registre.xlsx"})
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err), "one bad line: nothing is imported")
	require.Equal(t, 3, rep.Rows)
	require.Len(t, rep.Invalid, 1)
	require.Equal(t, 5, rep.Invalid[0].Line, "the sheet's row: title, blank, header, Jeanne, Marcel")
	require.Equal(t, []string{"colonne B (Téléphone) : « 06 12 » n'est pas un numéro de téléphone : un numéro français comme 06 12 34 56 78, ou international commençant par +"},
		rep.Invalid[0].Texts(wellcheck.French))
	require.Zero(t, b.count(t))

	rep, err = b.svc.Import(context.Background(), bytes.NewReader(data), b.coordinator, enroll.ImportOptions{FileName: "registre.xlsx", SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, 2, rep.Imported)
	require.Equal(t, map[string]string{
		"Jeanne Martin": "+33199001020 | 30 10 * * MON,THU | 2026-11-02",
		"Lucie Petit":   "+33199001022 | 0 14 * * MON-FRI | 2026-11-03",
	}, b.plans(t))
}

func TestImportNamesTheFormatsItCannotRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for data, want := range map[string]string{
		"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00":                                           "ancien format Excel (.xls) : enregistrez le classeur au format .xlsx",
		"PK\x03\x04\x14\x00\x00\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheetPK": "classeur OpenDocument (.ods) : enregistrez-le au format .xlsx",
		"PK\x03\x04 not really a workbook":                                                   "ce classeur .xlsx ne peut pas être lu",
	} {
		_, err := b.svc.Import(context.Background(), strings.NewReader(data), b.coordinator, enroll.ImportOptions{})
		require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err))
		require.Contains(t, wellcheck.ErrorText(err, wellcheck.French), want)
	}
}

// The model to download is a register the import reads: its header in
// French or English, and once filled in on its first sheet, imported.
func TestModelIsARegisterTheImportReads(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i, lang := range []wellcheck.Lang{wellcheck.French, wellcheck.English} {
		model, err := enroll.Model(lang)
		require.NoError(t, err)
		_, err = b.svc.Import(context.Background(), bytes.NewReader(model), b.coordinator, enroll.ImportOptions{})
		require.Contains(t, wellcheck.ErrorText(err, wellcheck.French), "le fichier ne contient aucune personne", "an empty model is a register without persons")

		f, err := excelize.OpenReader(bytes.NewReader(model))
		require.NoError(t, err)
		sheet := f.GetSheetList()[0]
		header, err := f.GetRows(sheet)
		require.NoError(t, err)
		req, _ := enroll.Columns(lang)
		require.Subset(t, header[0], req)
		fill := map[string]any{ // by the model's header in lang
			"full_name": "Personne " + string(lang), "phone": fmt.Sprintf("01 99 00 20 %02d", i),
			"days": "tous les jours", "time": "11:00", "referral_source": "mairie", "consent_given_by": "la personne",
			"consent_given_at": "2026-11-02", "consent_method": "papier", "contact1_consent": "oui",
			"contact1_name": "Proche", "contact1_phone": "03 53 01 30 40",
		}
		for col, h := range header[0] {
			for name, v := range fill {
				if h == enroll.Header(name, lang) {
					cell, _ := excelize.CoordinatesToCellName(col+1, 2)
					require.NoError(t, f.SetCellValue(sheet, cell, v))
				}
			}
		}
		var buf bytes.Buffer
		require.NoError(t, f.Write(&buf))
		f.Close()
		rep, err := b.svc.Import(context.Background(), &buf, b.coordinator, enroll.ImportOptions{})
		require.NoError(t, err, lang)
		require.Equal(t, 1, rep.Imported, lang)
	}
	require.Contains(t, b.plans(t)["Personne en"], "0 11 * * *")

	csvModel := string(enroll.ModelCSV(wellcheck.French))
	require.True(t, strings.HasPrefix(csvModel, "\ufeffNom et prénom;Téléphone;Jours d'appel;Heure d'appel;"), csvModel[:80])
}

// Registers name overseas places as people say them, not by IANA zone.
func TestImportReadsPlacesAsTimeZones(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Their windows in their own time, inside the service's hours in Paris
	// all year (summer time moves Paris, not them).
	data := "nom;téléphone;jours;heure;plage;fuseau horaire;origine;consentement donné par;date du consentement;recueil du consentement\n" +
		"Jeanne Hoarau;+262 262 12 34 56;lundi;14:00;12:00-19:00;La Réunion;mairie;la personne;2026-11-02;téléphone\n" +
		"Marcel Jean-Louis;+590 590 12 34 56;mardi;10:00;09:00-11:00;guadeloupe;mairie;la personne;2026-11-02;téléphone\n" +
		"Paul Neige;0199001020;jeudi;10:00;;Mars;mairie;la personne;2026-11-02;téléphone\n"
	rep, err := b.svc.Import(context.Background(), strings.NewReader(data), b.coordinator, enroll.ImportOptions{SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, 2, rep.Imported)
	require.Equal(t, []string{"colonne F (fuseau horaire) : « Mars » n'est pas un fuseau horaire connu : un lieu (France métropolitaine, Guadeloupe, La Réunion…) ou un fuseau comme America/Montreal"},
		rep.Invalid[0].Texts(wellcheck.French))
	zones := map[string]string{}
	rows, err := b.store.Pool().Query(context.Background(), "SELECT full_name, time_zone FROM persons")
	require.NoError(t, err)
	for rows.Next() {
		var name, zone string
		require.NoError(t, rows.Scan(&name, &zone))
		zones[name] = zone
	}
	require.NoError(t, rows.Err())
	require.Equal(t, map[string]string{"Jeanne Hoarau": "Indian/Reunion", "Marcel Jean-Louis": "America/Guadeloupe"}, zones)
	for place, zone := range map[string]string{"Polynésie": "Pacific/Tahiti", "nouvelle-calédonie": "Pacific/Noumea", "Réunion": "Indian/Reunion", "French Guiana": "America/Cayenne", "France": "Europe/Paris"} {
		got, ok := wellcheck.ZoneOfPlace(place)
		require.True(t, ok, place)
		require.Equal(t, zone, got, place)
	}
}
