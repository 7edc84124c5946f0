package enroll

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/wellcheck/wellcheck"
)

// choices are the values a spreadsheet offers in a column's drop-down list,
// as people write them; Check reads each of them.
var choices = map[string][2][]string{
	"referral_source":  {{"famille", "médecin", "services sociaux", "bailleur", "mairie", "la personne", "autre"}, {"family", "doctor", "social services", "landlord", "town hall", "self", "other"}},
	"consent_given_by": {{"la personne", "représentant légal"}, {"person", "legal representative"}},
	"consent_method":   {{"téléphone", "papier", "en personne"}, {"phone", "paper", "in person"}},
	"risk_level":       {{"faible", "normal", "élevé"}, {"low", "normal", "high"}},
	"days":             {{"du lundi au vendredi", "tous les jours", "lundi, mercredi et vendredi", "mardi et jeudi"}, {"Monday to Friday", "every day", "Monday, Wednesday and Friday", "Tuesday and Thursday"}},
}

// yesNoChoices are a contact's consent column's values.
var yesNoChoices = [2][]string{{"oui", "non"}, {"yes", "no"}}

// modelRows is how many rows of the model's sheet carry the drop-down lists.
const modelRows = 5000

// Model is the register to fill in, as a workbook: a first sheet with every
// column's header in lang, drop-down lists where a column takes one of a few
// values, numbers kept as typed (a leading 0 stays), dates and times as such;
// a second sheet says what each column holds, with an example. The example
// is not on the first sheet, so that it is never imported by mistake.
func Model(lang wellcheck.Lang) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	persons := wellcheck.Message{Key: "model_sheet"}.Text(lang)
	if err := f.SetSheetName("Sheet1", persons); err != nil {
		return nil, err
	}
	at := func(col, row int) string {
		cell, _ := excelize.CoordinatesToCellName(col+1, row) // col and row are in range
		return cell
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return nil, err
	}
	text, _ := f.NewStyle(&excelize.Style{NumFmt: 49})                             // "@": kept as typed
	date, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("dd/mm/yyyy")})        // read back as a date
	clock, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("hh:mm")})            // read back as a time
	lng := map[wellcheck.Lang]int{wellcheck.French: 0, wellcheck.English: 1}[lang] // choices' index
	for i, c := range columns {
		if err := f.SetCellStr(persons, at(i, 1), c.Header(lang)); err != nil {
			return nil, err
		}
		letter := Letter(i)
		width := 18.0
		if c.name == "notes" || c.name == "referral_concern" || c.name == "address" {
			width = 30
		}
		if err := f.SetColWidth(persons, letter, letter, width); err != nil {
			return nil, err
		}
		style := text
		switch c.kind {
		case dateCell:
			style = date
		case timeCell:
			style = clock
		}
		if err := f.SetColStyle(persons, letter, style); err != nil {
			return nil, err
		}
		values := choices[c.name][lng]
		if strings.HasPrefix(c.name, "contact") && strings.HasSuffix(c.name, "_consent") {
			values = yesNoChoices[lng]
		}
		if len(values) == 0 {
			continue
		}
		dv := excelize.NewDataValidation(c.name != "days") // days may be written otherwise
		dv.Sqref = at(i, 2) + ":" + at(i, modelRows)
		if err := dv.SetDropList(values); err != nil {
			return nil, err
		}
		if err := f.AddDataValidation(persons, dv); err != nil {
			return nil, err
		}
	}
	if err := f.SetRowStyle(persons, 1, 1, bold); err != nil {
		return nil, err
	}
	if err := f.SetRowHeight(persons, 1, 45); err != nil {
		return nil, err
	}
	if err := f.SetPanes(persons, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}

	// The guide: one line a column.
	guide := wellcheck.Message{Key: "model_guide_sheet"}.Text(lang)
	if _, err := f.NewSheet(guide); err != nil {
		return nil, err
	}
	for i, h := range []string{"model_guide_column", "model_guide_required", "model_guide_what", "model_guide_example"} {
		if err := f.SetCellStr(guide, at(i, 1), wellcheck.Message{Key: h}.Text(lang)); err != nil {
			return nil, err
		}
	}
	if err := f.SetRowStyle(guide, 1, 1, bold); err != nil {
		return nil, err
	}
	for i, c := range columns {
		required := "model_optional"
		if isRequired(c.name) {
			required = "model_required"
		}
		help, example := columnHelp(c)
		for j, v := range []string{c.Header(lang), wellcheck.Message{Key: required}.Text(lang), help.Text(lang), example.Text(lang)} {
			if err := f.SetCellStr(guide, at(j, i+2), v); err != nil {
				return nil, err
			}
		}
	}
	for col, width := range map[string]float64{"A": 34, "B": 14, "C": 80, "D": 34} {
		if err := f.SetColWidth(guide, col, col, width); err != nil {
			return nil, err
		}
	}
	f.SetActiveSheet(0)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ModelCSV is the model as CSV: the header only, in lang, separated by
// semicolons as French spreadsheets write them, with the mark that makes
// them read it as UTF-8.
func ModelCSV(lang wellcheck.Lang) []byte {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.Comma = ';'
	header := make([]string, len(columns))
	for i, c := range columns {
		header[i] = c.Header(lang)
	}
	_ = w.Write(header) // a bytes.Buffer does not fail
	w.Flush()
	return buf.Bytes()
}

func isRequired(name string) bool {
	return slices.Contains(requiredColumns, name) || name == "days" || name == "time"
}

// columnHelp says what a column holds, and gives an example: a contact's
// columns share their words, with the contact's number.
func columnHelp(c column) (help, example wellcheck.Message) {
	key := c.name
	var args []any
	if strings.HasPrefix(key, "contact") {
		key = "contact" + key[8:]
		args = []any{int(c.name[7] - '0')}
	}
	return wellcheck.Message{Key: "column_help." + key, Args: args}, wellcheck.Message{Key: "column_example." + key}
}

func ptr[T any](v T) *T { return &v }
