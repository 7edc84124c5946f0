package enroll_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/wellcheck/wellcheck/enroll"
)

// BenchmarkImport100k measures `wellcheck import` of a 100,000-person register:
// read, parse, validate every row (phones, time zones, plans), check every number
// against the database, and load all tables with COPY in one transaction.
//
//	make bench   (go test ./enroll -run '^$' -bench Import100k -benchtime 5x -count 5)
func BenchmarkImport100k(b *testing.B) {
	const rows = 100_000
	bundle := setupB(b)
	// A register as towns keep them: three plans, a third without an emergency
	// contact, some notes.
	data := register(rows, 0, func(i int, row []string) {
		switch i % 3 {
		case 1:
			row[7], row[8] = "30 9 * * TUE,THU", "09:00-11:00"
			row[9], row[10], row[11] = "", "", ""
		case 2:
			row[7], row[8] = "0 14 * * MON-FRI", "13:30-16:30"
			row[12] = "Appeler après la sieste"
		}
	})
	benchImport(b, bundle, data, "bench.csv", rows)
}

// BenchmarkImportXLSX100k is BenchmarkImport100k's register as a workbook,
// French headers and the plan in words, as town halls keep them: what the
// spreadsheet's reading adds to the import.
//
//	go test ./enroll -run '^$' -bench ImportXLSX100k -benchtime 3x -count 5
func BenchmarkImportXLSX100k(b *testing.B) {
	const rows = 100_000
	bundle := setupB(b)
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	require.NoError(b, err)
	header := []any{"Nom et prénom", "Téléphone", "Origine du signalement", "Nom de la personne qui signale", "Consentement donné par",
		"Date du consentement", "Recueil du consentement", "Jours d'appel", "Heure d'appel", "Plage d'appel",
		"Contact 1 — nom", "Contact 1 — lien", "Contact 1 — téléphone", "À savoir avant d'appeler"}
	require.NoError(b, sw.SetRow("A1", header))
	consent := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		row := []any{fmt.Sprintf("Personne %d", i+1), fmt.Sprintf("06%08d", i+1), "mairie", "Mairie du 11e", "la personne",
			consent, "téléphone", "lundi, mercredi et vendredi", 10.0 / 24, "09:30-12:00",
			fmt.Sprintf("Proche %d", i+1), "fille", fmt.Sprintf("0698%06d", i+1), ""}
		switch i % 3 {
		case 1:
			row[7], row[8], row[9] = "mardi et jeudi", "9 h 30", "09:00-11:00"
			row[10], row[11], row[12] = "", "", ""
		case 2:
			row[7], row[8], row[9] = "du lundi au vendredi", "14:00", "13:30-16:30"
			row[13] = "Appeler après la sieste"
		}
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		require.NoError(b, err)
		require.NoError(b, sw.SetRow(cell, row))
	}
	require.NoError(b, sw.Flush())
	var buf bytes.Buffer
	require.NoError(b, f.Write(&buf))
	require.NoError(b, f.Close())
	data := buf.Bytes()

	benchImport(b, bundle, data, "bench.xlsx", rows)
}

// benchImport imports the register data (rows persons) into an emptied
// database at each loop, and reports the rows imported a second.
func benchImport(b *testing.B, bundle bundle, data []byte, name string, rows int) {
	ctx := context.Background()
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		_, err := bundle.store.Pool().Exec(ctx, "TRUNCATE persons, audit_log CASCADE")
		require.NoError(b, err)
		b.StartTimer()
		start := time.Now()
		rep, err := bundle.svc.Import(ctx, bytes.NewReader(data), bundle.coordinator, enroll.ImportOptions{FileName: name})
		elapsed += time.Since(start)
		require.NoError(b, err)
		require.Equal(b, rows, rep.Imported)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/elapsed.Seconds(), "rows/s")
}
