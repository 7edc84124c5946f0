package enroll_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
	ctx := context.Background()
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
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		_, err := bundle.store.Pool().Exec(ctx, "TRUNCATE persons, audit_log CASCADE")
		require.NoError(b, err)
		b.StartTimer()
		start := time.Now()
		rep, err := bundle.svc.Import(ctx, bytes.NewReader(data), bundle.coordinator, enroll.ImportOptions{FileName: "bench.csv"})
		elapsed += time.Since(start)
		require.NoError(b, err)
		require.Equal(b, rows, rep.Imported)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/elapsed.Seconds(), "rows/s")
}
