package enroll

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"regexp"
	"testing"
	"time"

	"github.com/wellcheck/wellcheck"
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// FuzzReadCSV feeds arbitrary files to the import's parser and validator: they
// must never panic, every row must keep its line number, and a row found valid
// must carry a dialable E.164 number and a consent.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("full_name,phone,referral_source,consent_given_by,consent_given_at,consent_method,cron\n" +
		"Jeanne Martin,01 99 00 10 20,family,person,2026-10-01,phone,0 10 * * MON\n"))
	f.Add([]byte("\ufefffull_name;phone;referral_source;consent_given_by;consent_given_at;consent_method;cron;window\r\n" +
		"\"Élise \"\"Lili\"\" Dubois\";+33 1 43 55 12 34;médecin;la personne;02/11/2026;papier;30 9 * * TUE;09:00-11:00\r\n"))
	f.Add([]byte("full_name\tphone\tcron\n\"unterminated\n"))
	f.Add([]byte("full_name,phone,referral_source,consent_given_by,consent_given_at,consent_method,cron,notes\n" +
		"A,01 99 00 10 20,self,person,2026-10-01,phone,0 10 * * 1-5,\"Voisine attentive\n" +
		"B,01 99 00 10 21,self,person,2026-10-01,phone,0 10 * * 1-5,\n" +
		"C,01 99 00 10 22,self,person,2026-10-01,phone,0 10 * * 1-5,Mimi\"\n"))
	f.Add([]byte("full_name,phone,referral_source,consent_given_by,consent_given_at,consent_method,cron,contact3_phone\n,,,,,,,\n"))
	checker, err := NewChecker(wellcheck.DefaultSettings(), nil, "fr", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		header, rows, err := readCSV(data)
		if err != nil {
			if wellcheck.ErrorCode(err) != wellcheck.EInvalid {
				t.Fatalf("file-level error is not a validation error: %v", err)
			}
			return
		}
		// No row is lost: every line that holds data is a row, or the file is refused.
		if want := dataLines(data); len(rows) != want {
			t.Fatalf("%d rows read from %d data records", len(rows), want)
		}
		last := 1
		for _, r := range rows {
			if r.line <= last {
				t.Fatalf("row line %d after line %d", r.line, last)
			}
			last = r.line
		}
		lay, err := layoutOf(header)
		if err != nil {
			return // a header that names no register; TestImport… cover those
		}
		for _, res := range checkRows(context.Background(), checker, lay, rows, 1) {
			if len(res.problems) > 0 {
				continue
			}
			e := res.enrolment
			if !e164.MatchString(e.Person.Phone.E164()) || e.Consent == nil || e.Plan.Cron == "" || e.Person.FullName == "" {
				t.Fatalf("line %d accepted without a complete enrolment: %+v", res.line, e)
			}
		}
	})
}

// dataLines counts the non-blank records after the header, malformed ones
// included, as encoding/csv reads them record by record: what readCSV must account
// for, one row each. (It reads with the same reader, so it cannot see records
// hidden inside a quoted field; TestImportBrokenQuotesLoseNoRow covers those.)
func dataLines(data []byte) int {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma, r.FieldsPerRecord = delimiter(first), -1
	n := -1 // the header
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return n
		}
		if err == nil && blank(rec) {
			continue
		}
		n++
	}
}
