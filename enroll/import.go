package enroll

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// ImportOptions tune an import.
type ImportOptions struct {
	FileName    string // for the audit log
	DryRun      bool   // validate and report; write nothing
	SkipInvalid bool   // import the valid rows even when some are invalid
}

// RowError is a register's row that cannot be enrolled: its line in the file
// (its row in a spreadsheet) and its problems, each in the columns it was
// found in.
type RowError struct {
	Line     int
	Name     string // the person's name as the row gives it, to find the row by
	Problems wellcheck.Problems
	columns  [][]int // per problem, the file's columns it is in
	layout   *layout
}

// Texts says each problem where the coordinator will look for it: "colonne C
// (Téléphone) : « 06 12 » n'est pas un numéro…", in the header as the file
// writes it.
func (re RowError) Texts(lang wellcheck.Lang) []string {
	out := make([]string, len(re.Problems))
	for i, p := range re.Problems {
		var at []int
		if i < len(re.columns) {
			at = re.columns[i]
		}
		if len(at) == 0 {
			out[i] = p.Text(lang)
			continue
		}
		letters, headers := make([]any, len(at)), make([]string, len(at))
		for j, c := range at {
			letters[j], headers[j] = Letter(c), re.layout.written[c]
		}
		key := "import_in_column"
		if len(at) > 1 {
			key = "import_in_columns"
		}
		out[i] = wellcheck.Message{Key: key, Args: []any{wellcheck.List(letters), strings.Join(headers, ", "), p.Message}}.Text(lang)
	}
	return out
}

// WarningSummary gathers one warning across rows.
type WarningSummary struct {
	Problem wellcheck.Problem
	Lines   []int // every line that has it, in order
}

// Text is the warning as a report says it: how many lines have it, what it
// is, and the first ten of them.
func (w WarningSummary) Text(lang wellcheck.Lang) string {
	lines := make([]string, 0, 11)
	for i, l := range w.Lines {
		if i == 10 {
			lines = append(lines, "…")
			break
		}
		lines = append(lines, strconv.Itoa(l))
	}
	return wellcheck.Message{Key: "cli_row_warning", Args: []any{len(w.Lines), w.Problem.Text(lang), strings.Join(lines, ", ")}}.Text(lang)
}

// Report is what an import found and did.
type Report struct {
	Rows     int // data rows read
	Valid    int
	Invalid  []RowError // in line order
	Warnings []WarningSummary
	Imported int
	DryRun   bool
}

// Summary is the report's last line: what was read, found valid, imported.
func (rep Report) Summary() wellcheck.Message {
	if rep.DryRun {
		return wellcheck.Message{Key: "cli_import_dry_run", Args: []any{rep.Rows, rep.Valid, len(rep.Invalid)}}
	}
	return wellcheck.Message{Key: "cli_import_done", Args: []any{rep.Rows, rep.Imported, len(rep.Invalid)}}
}

// errRowsInvalid marks the error Import returns, with an invalid-input
// *wellcheck.Error, when rows are invalid and neither DryRun nor SkipInvalid was
// asked: nothing was imported.
var errRowsInvalid = errors.New("invalid rows")

// Import reads a register as CSV (UTF-8, comma, semicolon or tab separated, a
// header naming the columns) and enrols every person in it, taken by coordinator.
//
// Every row is validated, and each bad row reported with its line number and
// reasons. Nothing is written when any row is invalid, unless SkipInvalid is set;
// nothing at all with DryRun. A number already enrolled, or twice in the file, is
// an invalid row. The valid rows are loaded with COPY in one transaction, chunk by
// chunk as they are checked, and rolled back if a bad row turns up later.
func (s *Service) Import(ctx context.Context, r io.Reader, coordinator wellcheck.User, opts ImportOptions) (Report, error) {
	rep := Report{DryRun: opts.DryRun}
	data, err := io.ReadAll(r)
	if err != nil {
		return rep, fmt.Errorf("read import file: %w", err)
	}
	written, rows, err := readRegister(data)
	if err != nil {
		return rep, err
	}
	lay, err := layoutOf(written)
	if err != nil {
		return rep, err
	}
	rep.Rows = len(rows)
	if len(rows) == 0 {
		return rep, &wellcheck.ValidationError{Problems: wellcheck.Problems{{Field: "file", Message: wellcheck.Message{Key: "csv_empty"}}}}
	}
	checker, err := s.Checker(ctx)
	if err != nil {
		return rep, err
	}

	// Rows are checked chunk by chunk in the background while the checked chunks
	// are loaded, so the CPU-bound checks and the database work overlap. The load
	// is one transaction: if any row turns out invalid (and --skip-invalid was not
	// given) it is rolled back and nothing is imported.
	ctx, cancel := context.WithCancel(ctx)
	chunks := checkChunks(ctx, checker, lay, rows, coordinator.ID)
	defer func() {
		cancel()
		for range chunks { // wait for the checker to stop
		}
	}()
	actor := actorOf(coordinator, "import")
	details := store.AuditDetails{Via: "import", File: opts.FileName}
	firstLine := make(map[wellcheck.Phone]int, len(rows))
	warningAt := map[string]int{} // field and French text → index in rep.Warnings
	imported := 0
	var importedIDs []int64
	err = s.Store.WithTx(ctx, func(q *store.Queries) error {
		for results := range chunks {
			// Numbers already enrolled, read in the transaction that will write.
			taken, err := q.EnrolledByPhones(ctx, checkedPhones(results))
			if err != nil {
				return err
			}
			valid := rep.add(results, taken, firstLine, warningAt)
			if opts.DryRun || len(rep.Invalid) > 0 && !opts.SkipInvalid || len(valid) == 0 {
				continue // keep reading: the report names every bad row
			}
			ids, err := q.CopyEnrolments(ctx, valid, checker.Now, actor, details)
			if err != nil {
				return err
			}
			importedIDs = append(importedIDs, ids...)
			imported += len(valid)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return invalidErr(rep, opts) // non-nil rolls the load back
	})
	if errors.Is(err, errRowsInvalid) {
		return rep, err
	}
	if err != nil {
		return rep, fmt.Errorf("import %d persons: %w", rep.Valid, err)
	}
	if !opts.DryRun {
		rep.Imported = imported
		// Not the file's name: it may name a person, and a log cannot be
		// erased; the audit log has it, and forgets it when they are.
		s.Logger.InfoContext(ctx, "persons imported", "count", rep.Imported, "skipped", len(rep.Invalid), "by", actor.Label)
	}
	// Planned once loaded, several batches at once: planning inside the load's
	// single transaction halved the import's speed. Should it fail, the persons
	// are enrolled and the server's next pass plans them.
	if err := s.Planner.PlanPersons(ctx, importedIDs); err != nil {
		return rep, fmt.Errorf("%d persons imported; planning their calls failed, the next planner pass will: %w", imported, err)
	}
	return rep, nil
}

// importChunk is how many rows are checked, then loaded, at a time.
const importChunk = 8192

// checkChunks validates rows in file order, chunk by chunk, on every core. It
// does no I/O, and runs ahead of the consumer by one chunk; it stops when ctx ends.
func checkChunks(ctx context.Context, c *Checker, lay *layout, rows []row, takenBy int64) <-chan []rowResult {
	out := make(chan []rowResult, 1)
	go func() {
		defer close(out)
		for start := 0; start < len(rows); start += importChunk {
			results := checkRows(ctx, c, lay, rows[start:min(start+importChunk, len(rows))], takenBy)
			if ctx.Err() != nil {
				return
			}
			select {
			case out <- results:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func checkedPhones(results []rowResult) []wellcheck.Phone {
	phones := make([]wellcheck.Phone, 0, len(results))
	for _, res := range results {
		if len(res.problems) == 0 {
			phones = append(phones, res.enrolment.Person.Phone)
		}
	}
	return phones
}

// add records a checked chunk in the report: numbers twice in the file or already
// enrolled make a row invalid; warnings are gathered by kind. It returns the
// chunk's valid enrolments.
func (rep *Report) add(results []rowResult, taken map[wellcheck.Phone]store.PersonRef, firstLine map[wellcheck.Phone]int, warningAt map[string]int) []wellcheck.Enrolment {
	var valid []wellcheck.Enrolment
	for i := range results {
		res := &results[i]
		if ph := res.enrolment.Person.Phone; len(res.problems) == 0 {
			if line, dup := firstLine[ph]; dup {
				res.problems.Add("person.phone", "csv_duplicate_phone", line)
			} else if ref, ok := taken[ph]; ok {
				res.problems.Add("person.phone", "phone_taken", ref.FullName, ref.ID)
			} else {
				firstLine[ph] = res.line
			}
		}
		if len(res.problems) > 0 {
			re := RowError{Line: res.line, Name: res.name, Problems: res.problems, layout: res.layout}
			for _, p := range res.problems {
				re.columns = append(re.columns, res.layout.columnsOf(p.Field, res.inWords))
			}
			rep.Invalid = append(rep.Invalid, re)
			continue
		}
		valid = append(valid, res.enrolment)
		for _, w := range res.warnings {
			key := w.Field + "\x00" + w.Message.Text(wellcheck.French)
			at, ok := warningAt[key]
			if !ok {
				at = len(rep.Warnings)
				warningAt[key] = at
				rep.Warnings = append(rep.Warnings, WarningSummary{Problem: w})
			}
			rep.Warnings[at].Lines = append(rep.Warnings[at].Lines, res.line)
		}
	}
	rep.Valid += len(valid)
	return valid
}

func invalidErr(rep Report, opts ImportOptions) error {
	if len(rep.Invalid) == 0 || opts.DryRun || opts.SkipInvalid {
		return nil
	}
	return fmt.Errorf("%w: %w", errRowsInvalid, wellcheck.Errorf(wellcheck.EInvalid, "import_had_errors", len(rep.Invalid)))
}

type row struct {
	line      int
	fields    []string           // in header order
	malformed *wellcheck.Message // why the line could not be read
	raw       bool               // a spreadsheet's cells: dates and times as numbers
}

// swallowed reports whether a field of rec spans lines one of which looks like a
// whole record (as many separators as a row has), and on which line it ends.
func swallowed(cr *csv.Reader, rec []string, comma rune, columns int) (int, bool) {
	for i, f := range rec {
		if !strings.Contains(f, "\n") {
			continue
		}
		start, _ := cr.FieldPos(i)
		lines := strings.Split(f, "\n")
		for _, l := range lines[1:] {
			if columns > 2 && strings.Count(l, string(comma)) >= columns-1 {
				return start + len(lines) - 1, true
			}
		}
	}
	return 0, false
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

type rowResult struct {
	line      int
	enrolment wellcheck.Enrolment
	problems  wellcheck.Problems
	warnings  wellcheck.Problems
	layout    *layout
	inWords   bool   // the plan is days and a time, not a cron spec
	name      string // the full name as typed
}

// readCSV parses the whole file: encoding, delimiter, header, then one row per
// record. File-level problems (encoding, quotes) are a *wellcheck.ValidationError;
// a malformed record becomes a row with err set, so the rest is still checked.
func readCSV(data []byte) (header []string, rows []row, err error) {
	if !utf8.Valid(data) {
		return nil, nil, fileProblem("csv_not_utf8")
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	firstLine, _, _ := bytes.Cut(data, []byte("\n"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = delimiter(firstLine)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false

	header, err = cr.Read()
	if err == io.EOF {
		return nil, nil, fileProblem("csv_empty")
	}
	if err != nil {
		var perr *csv.ParseError
		if errors.As(err, &perr) && perr.Line > perr.StartLine {
			return nil, nil, fileProblem("csv_quote_swallowed", perr.StartLine, perr.Line)
		}
		return nil, nil, fileProblem(quoteProblem(err))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			if perr.Line > perr.StartLine {
				// A quote left open swallowed the lines after it: those rows cannot
				// be read, so the file cannot be imported, whatever the flags.
				return nil, nil, fileProblem("csv_quote_swallowed", perr.StartLine, perr.Line)
			}
			rows = append(rows, row{line: perr.StartLine, malformed: &wellcheck.Message{Key: quoteProblem(perr)}})
			continue // the reader goes on at the next line
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read CSV: %w", err)
		}
		line, _ := cr.FieldPos(0) // only valid for a record read without error
		if end, ok := swallowed(cr, rec, cr.Comma, len(header)); ok {
			// A quote opened in one record and closed on a later line parses as one
			// record that holds the lines between: whole rows hidden in a field.
			return nil, nil, fileProblem("csv_quote_swallowed", line, end)
		}
		if blank(rec) {
			continue // an empty line, or a spreadsheet's ";;;;"
		}
		if len(rec) != len(header) {
			rows = append(rows, row{line: line, malformed: &wellcheck.Message{Key: "csv_field_count", Args: []any{len(rec), len(header)}}})
			continue
		}
		rows = append(rows, row{line: line, fields: rec})
	}
	return header, rows, nil
}

// quoteProblem is the message for a line the CSV reader refused: a quote
// where there should be none, or a quoted field badly closed (the only
// errors it has with FieldsPerRecord < 0).
func quoteProblem(err error) string {
	if errors.Is(err, csv.ErrBareQuote) {
		return "csv_bare_quote"
	}
	return "csv_quote"
}

// delimiter guesses the separator from the header line: French spreadsheets export
// with semicolons.
func delimiter(header []byte) rune {
	best, count := ',', bytes.Count(header, []byte(","))
	for _, d := range []rune{';', '\t'} {
		if n := bytes.Count(header, []byte(string(d))); n > count {
			best, count = d, n
		}
	}
	return best
}

// checkRows validates every row, in parallel: phone parsing dominates.
func checkRows(ctx context.Context, c *Checker, lay *layout, rows []row, takenBy int64) []rowResult {
	results := make([]rowResult, len(rows))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(rows)/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(rows) && ctx.Err() == nil; i += workers {
				results[i] = checkRow(c, lay, rows[i], takenBy)
			}
		})
	}
	wg.Wait()
	return results
}

func checkRow(c *Checker, lay *layout, r row, takenBy int64) rowResult {
	res := rowResult{line: r.line, layout: lay}
	if r.malformed != nil {
		res.problems = append(res.problems, wellcheck.Problem{Message: *r.malformed})
		return res
	}
	var req Request
	for i, v := range r.fields {
		if lay.index[i] < 0 {
			if strings.TrimSpace(v) != "" {
				res.problems.Add("", "register_cell_outside", Letter(i))
			}
			continue
		}
		col := columns[lay.index[i]]
		if r.raw {
			v = cellText(v, col.kind)
		}
		col.set(&req, v)
	}
	if len(res.problems) > 0 {
		return res
	}
	res.inWords = strings.TrimSpace(req.Plan.Cron) == ""
	res.name = strings.TrimSpace(req.Person.FullName)
	e, warnings, err := c.Check(req, takenBy)
	res.enrolment, res.warnings = e, warnings
	var verr *wellcheck.ValidationError
	if errors.As(err, &verr) {
		res.problems = verr.Problems
	}
	return res
}
