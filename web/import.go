package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/enroll"
)

// maxUpload is the largest register the browser may send (about 100,000
// persons).
const maxUpload = 32 << 20

// maxRowsShown is how many bad rows the report lists (it counts them all).
const maxRowsShown = 200

// importView is the import page: the form, then the dry run's report, then
// what was imported.
type importView struct {
	Required, Optional string
	Plan               string // the plan's columns
	Upload             int64  // the register waiting for confirmation
	FileName           string
	Checked            bool // a report is shown
	Summary            string
	Invalid            []rowProblem
	Warnings           []string
	Valid, Bad         int
	Done               bool
}

type rowProblem struct {
	Line     int
	Name     string
	Problems []string
}

func (s *Server) importView(lang wellcheck.Lang) importView {
	req, opt := enroll.Columns(lang)
	quote := func(hs []string) string {
		for i, h := range hs {
			hs[i] = text(lang, "quoted", h)
		}
		return strings.Join(hs, ", ")
	}
	plan := []string{enroll.Header("days", lang), enroll.Header("time", lang)}
	return importView{Required: quote(req), Optional: quote(opt), Plan: quote(plan)}
}

// importForm asks for a register (.xlsx or CSV), the one `wellcheck import`
// reads, and offers the model to fill in.
func (s *Server) importForm(w http.ResponseWriter, r *http.Request, sess session) error {
	return s.render(w, r, pageImport, http.StatusOK, signedInPage(text(langOf(r), "import"), sess, s.importView(langOf(r))))
}

// importModel sends the register to fill in, as a workbook or CSV, its
// headers in the reader's language.
func (s *Server) importModel(w http.ResponseWriter, r *http.Request, sess session) error {
	lang := langOf(r)
	name := text(lang, "import_model_file")
	var body []byte
	switch r.PathValue("format") {
	case "model.xlsx":
		model, err := enroll.Model(lang)
		if err != nil {
			return err
		}
		body, name = model, name+".xlsx"
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	case "model.csv":
		body, name = enroll.ModelCSV(lang), name+".csv"
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	default:
		return notFound("not_found_page")
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	_, err := w.Write(body)
	return err
}

// checkImport keeps the uploaded register and checks every row of it, as
// `wellcheck import --dry-run` does, and shows the report; nothing is
// enrolled until the coordinator confirms.
func (s *Server) checkImport(w http.ResponseWriter, r *http.Request, sess session) error {
	lang := langOf(r)
	file, header, err := r.FormFile("file")
	if err != nil {
		return s.importProblem(w, r, sess, http.StatusUnprocessableEntity, text(lang, "import_no_file"))
	}
	defer file.Close()
	body, err := io.ReadAll(file)
	if err != nil {
		return s.importProblem(w, r, sess, http.StatusRequestEntityTooLarge, text(lang, "import_too_large"))
	}
	name := filepath.Base(header.Filename)
	id, err := s.Store.Queries().SaveUpload(r.Context(), sess.UserID, truncate(name, 200), body, s.now())
	if err != nil {
		return err
	}
	return s.runImport(w, r, sess, id, name, body, enroll.ImportOptions{FileName: name, DryRun: true})
}

// confirmImport imports a register checked before, the valid rows only if
// the coordinator said so.
func (s *Server) confirmImport(w http.ResponseWriter, r *http.Request, sess session) error {
	id, ok := pathID(r)
	name, body, err := "", []byte(nil), error(wellcheck.ErrNotFound)
	if ok {
		name, body, err = s.Store.Queries().Upload(r.Context(), id, sess.UserID, s.now())
	}
	switch {
	case errors.Is(err, wellcheck.ErrNotFound):
		return s.importProblem(w, r, sess, http.StatusNotFound, text(langOf(r), "import_expired"))
	case err != nil:
		return err
	}
	return s.runImport(w, r, sess, id, name, body, enroll.ImportOptions{FileName: name, SkipInvalid: r.PostFormValue("skip_invalid") == "yes"})
}

func (s *Server) runImport(w http.ResponseWriter, r *http.Request, sess session, id int64, name string, body []byte, opts enroll.ImportOptions) error {
	lang := langOf(r)
	rep, err := s.Enrol.Import(r.Context(), bytes.NewReader(body), sess.User, opts)
	if wellcheck.ErrorCode(err) == wellcheck.EInvalid && rep.Rows == 0 {
		// The file itself is unusable (encoding, header, empty).
		_ = s.Store.Queries().DeleteUpload(r.Context(), id)
		return s.importProblem(w, r, sess, http.StatusUnprocessableEntity, text(lang, "import_refused", name, wellcheck.ErrorText(err, lang)))
	}
	if err != nil && wellcheck.ErrorCode(err) != wellcheck.EInvalid {
		return err
	}
	v := s.importView(lang)
	v.FileName, v.Checked, v.Valid, v.Bad = name, true, rep.Valid, len(rep.Invalid)
	for _, re := range rep.Invalid[:min(len(rep.Invalid), maxRowsShown)] {
		v.Invalid = append(v.Invalid, rowProblem{Line: re.Line, Name: re.Name, Problems: re.Texts(lang)})
	}
	for _, w := range rep.Warnings {
		v.Warnings = append(v.Warnings, w.Text(lang))
	}
	status := http.StatusOK
	switch {
	case rep.DryRun:
		v.Summary = rep.Summary().Text(lang)
		v.Upload = id
	case err != nil: // invalid rows, and the coordinator did not say to leave them out
		v.Summary = wellcheck.ErrorText(err, lang)
		v.Upload = id
		status = http.StatusUnprocessableEntity
	default:
		v.Summary = rep.Summary().Text(lang)
		v.Done = true
		if err := s.Store.Queries().DeleteUpload(r.Context(), id); err != nil {
			s.Logger.ErrorContext(r.Context(), "forget an imported upload", "err", err)
		}
	}
	p := signedInPage(text(lang, "import"), sess, v)
	if status != http.StatusOK {
		p.keep(r) // the confirmation refused, its choice as it was sent
	}
	return s.render(w, r, pageImport, status, p)
}

func (s *Server) importProblem(w http.ResponseWriter, r *http.Request, sess session, status int, problem string) error {
	p := signedInPage(text(langOf(r), "import"), sess, s.importView(langOf(r)))
	p.Error = problem
	return s.render(w, r, pageImport, status, p)
}

// limitBody refuses a request body longer than n bytes.
func limitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}
