package enroll

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/wellcheck/wellcheck"
)

// readRegister reads a register's header and rows, from a spreadsheet
// (.xlsx) or CSV, told apart by what the file holds rather than its name.
func readRegister(data []byte) (header []string, rows []row, err error) {
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		if bytes.Contains(data[:min(len(data), 200)], []byte("application/vnd.oasis.opendocument")) {
			return nil, nil, fileProblem("register_ods")
		}
		return readXLSX(data)
	case bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return nil, nil, fileProblem("register_xls")
	}
	return readCSV(data)
}

func fileProblem(key string, args ...any) error {
	var ps wellcheck.Problems
	ps.Add("file", key, args...)
	return ps.Err()
}

// headerSearch is how many rows a spreadsheet may have above its header (a
// title, a date, a blank line).
const headerSearch = 10

// readXLSX reads the first sheet of a workbook. Its header is the first row
// that names two columns or more (a title may stand above it), else its first
// row that holds anything; lines are the sheet's row numbers.
func readXLSX(data []byte) (header []string, rows []row, err error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, nil, fileProblem("register_unreadable")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, fileProblem("csv_empty")
	}
	all, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, nil, fileProblem("register_unreadable")
	}
	at := -1
	for i, rec := range all[:min(len(all), headerSearch)] {
		known := 0
		for _, h := range rec {
			if columnFor(h) >= 0 {
				known++
			}
		}
		if known >= 2 {
			at = i
			break
		}
		if at < 0 && !blank(rec) {
			at = i
		}
	}
	if at < 0 {
		return nil, nil, fileProblem("csv_empty")
	}
	header = all[at]
	for i, rec := range all[at+1:] {
		if blank(rec) {
			continue
		}
		r := row{line: at + i + 2, raw: true, fields: make([]string, len(header))}
		copy(r.fields, rec)
		for j := len(header); j < len(rec); j++ {
			if strings.TrimSpace(rec[j]) != "" {
				r.malformed = &wellcheck.Message{Key: "register_cell_outside", Args: []any{Letter(j)}}
				break
			}
		}
		rows = append(rows, r)
	}
	return header, rows, nil
}

// cellText is a spreadsheet's raw cell as a register's text: a date is a
// number of days since 1899-12-30, a time of day a fraction of a day, and a
// long number may be written with an exponent.
func cellText(v string, kind cellKind) string {
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || kind == textCell {
		return v
	}
	switch kind {
	case dateCell:
		t, err := excelize.ExcelDateToTime(n, false)
		if err != nil || n < 1 {
			return v
		}
		if n == math.Trunc(n) {
			return t.Format("2006-01-02")
		}
		return t.Format("2006-01-02T15:04")
	case timeCell:
		if n >= 1 || n < 0 {
			return v // a whole day or more is not a time of day: said so as typed
		}
		m := int(math.Round(n * 24 * 60))
		return fmt.Sprintf("%02d:%02d", m/60, m%60)
	case phoneCell:
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return v
}
