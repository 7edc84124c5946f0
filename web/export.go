package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// maxExportDays is the longest period one export covers.
const maxExportDays = 366

// exportChoices are what can be exported.
func exportChoices(lang wellcheck.Lang) []option {
	return []option{{"check-ins", text(lang, "export.check-ins")}, {"cases", text(lang, "export.cases")}}
}

// export streams a period's check-ins or cases as CSV, for a spreadsheet:
// in French, semicolon-separated with a byte-order mark (what a French
// spreadsheet opens as is); in English, comma-separated. Times are in the
// service's zone. No phone number leaves this way; the export is audited.
func (s *Server) export(w http.ResponseWriter, r *http.Request, sess session) error {
	lang := langOf(r)
	q := s.Store.Queries()
	settings, err := q.Settings(r.Context())
	if err != nil {
		return err
	}
	zone := personZone(settings.TimeZone)
	form := exportForm{What: r.FormValue("export.what"), From: r.FormValue("export.from"), To: r.FormValue("export.to")}
	what := form.What
	from, to, err := exportPeriod(what, form, zone)
	if err != nil {
		v, verr := s.dashboardView(r, form)
		if verr != nil {
			return verr
		}
		p := signedInPage(text(lang, "dashboard"), sess, v)
		p.Error, p.Problems = problemsOf(err, lang)
		return s.render(w, r, pageDashboard, statusOf(err), p)
	}
	first, last := from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly)
	err = q.Audit(r.Context(), actorOf(sess), "export."+strings.ReplaceAll(what, "-", "_"), nil, nil,
		map[string]any{"from": first, "to": last})
	if err != nil {
		return err
	}

	name := fmt.Sprintf("wellcheck-%s-%s-%s.csv", text(lang, "export.file."+what), first, last)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	out := newSheet(w, lang)
	local := func(t time.Time) string { return t.In(zone).Format("2006-01-02 15:04") }
	label := func(prefix, code string) string {
		if code == "" {
			return ""
		}
		if t := text(lang, prefix+code); t != prefix+code {
			return t
		}
		return code
	}
	switch what {
	case "check-ins":
		out.row(text(lang, "col.check_in"), text(lang, "col.person_id"), text(lang, "col.name"), text(lang, "col.slot")+" ("+zone.String()+")",
			text(lang, "col.state"), text(lang, "col.calls"), text(lang, "col.last_outcome"))
		err = q.ExportCheckIns(r.Context(), from, to, func(k store.ExportedCheckIn) error {
			return out.row(strconv.FormatInt(k.ID, 10), strconv.FormatInt(k.PersonID, 10), k.FullName, local(k.SlotAt),
				label("state.", k.State), strconv.Itoa(k.Calls), label("outcome.", k.LastOutcome))
		})
	case "cases":
		out.row(text(lang, "col.case"), text(lang, "col.person_id"), text(lang, "col.name"), text(lang, "col.opened")+" ("+zone.String()+")",
			text(lang, "col.why"), text(lang, "col.priority"), text(lang, "col.listener"), text(lang, "col.follow_ups"),
			text(lang, "col.closed"), text(lang, "col.closure"), text(lang, "col.agreed"))
		err = q.ExportCases(r.Context(), from, to, func(c store.ExportedCase) error {
			closed, agreed := "", ""
			if c.ClosedAt != nil {
				closed = local(*c.ClosedAt)
			}
			if c.PersonAgreed != nil {
				agreed = text(lang, map[bool]string{true: "yes", false: "no"}[*c.PersonAgreed])
			}
			return out.row(strconv.FormatInt(c.ID, 10), strconv.FormatInt(c.PersonID, 10), c.FullName, local(c.OpenedAt),
				label("reason.", c.OpenedReason), label("priority.", c.Priority), c.Assignee, strconv.Itoa(c.FollowUpsDone),
				closed, label("closure.", c.ClosureReason), agreed)
		})
	}
	if err == nil {
		err = out.flush()
	}
	if err != nil {
		// The header is sent: the download ends short, and the log says why.
		s.Logger.ErrorContext(r.Context(), "export", "what", what, "err", err)
	}
	return nil
}

// exportPeriod checks an export's form: what, and a period of whole days in
// zone, from its first day's midnight to the day after its last.
func exportPeriod(what string, f exportForm, zone *time.Location) (from, to time.Time, err error) {
	var ps wellcheck.Problems
	if what != "check-ins" && what != "cases" {
		ps = append(ps, wellcheck.Problem{Field: "export.what", Message: wellcheck.Message{Key: "choice_invalid", Args: []any{what, "check-ins, cases"}}})
	}
	day := func(field, s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), zone)
		if err != nil {
			ps = append(ps, wellcheck.Problem{Field: field, Message: wellcheck.Message{Key: "date_invalid", Args: []any{s}}})
		}
		return d
	}
	from, last := day("export.from", f.From), day("export.to", f.To)
	to = time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, zone)
	switch {
	case len(ps) > 0:
	case last.Before(from):
		ps = append(ps, wellcheck.Problem{Field: "export.to", Message: wellcheck.Message{Key: "period_backwards"}})
	case to.Sub(from) > maxExportDays*24*time.Hour+time.Hour: // a summer-time hour
		ps = append(ps, wellcheck.Problem{Field: "export.to", Message: wellcheck.Message{Key: "period_too_long", Args: []any{maxExportDays}}})
	}
	if len(ps) > 0 {
		return time.Time{}, time.Time{}, &wellcheck.ValidationError{Problems: ps}
	}
	return from, to, nil
}

// sheet writes CSV rows a spreadsheet opens safely.
type sheet struct {
	w   *csv.Writer
	err error
}

func newSheet(w http.ResponseWriter, lang wellcheck.Lang) *sheet {
	cw := csv.NewWriter(w)
	if lang == wellcheck.French {
		cw.Comma = ';'
		_, _ = w.Write([]byte("\uFEFF"))
	}
	return &sheet{w: cw}
}

// row writes one row. A cell a spreadsheet would read as a formula (=, +, -,
// @, a tab or a return first) is written with a leading apostrophe.
func (s *sheet) row(cells ...string) error {
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			cells[i] = "'" + c
		}
	}
	if s.err == nil {
		s.err = s.w.Write(cells)
	}
	return s.err
}

func (s *sheet) flush() error {
	s.w.Flush()
	return s.w.Error()
}
