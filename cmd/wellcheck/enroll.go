package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/enroll"
	"github.com/wellcheck/wellcheck/phone"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// enrollAs returns the enrolment service and the coordinator (by e-mail) who
// answers for what is enrolled.
func (a *app) enrollAs(ctx context.Context, email string) (*enroll.Service, wellcheck.User, error) {
	st, err := a.open(ctx)
	if err != nil {
		return nil, wellcheck.User{}, err
	}
	planner, err := a.planner(st)
	if err != nil {
		return nil, wellcheck.User{}, err
	}
	svc := a.enroller(st, planner)
	coordinator, err := svc.Coordinator(ctx, email)
	return svc, coordinator, err
}

// enroller is the enrolment service the CLI and the web pages share.
func (a *app) enroller(st *store.Store, planner *scheduler.Planner) *enroll.Service {
	return &enroll.Service{
		Store: st, Logger: a.logger, DefaultLanguage: string(a.cfg.Lang),
		Region: a.cfg.Region, TimeZone: a.cfg.TimeZone, Planner: planner,
	}
}

// contactFlags collects repeated --contact "Name|relation|phone[|language]".
type contactFlags []enroll.ContactInput

func (c *contactFlags) String() string { return fmt.Sprint(len(*c)) }
func (c *contactFlags) Set(v string) error {
	parts := strings.Split(v, "|")
	if len(parts) < 3 || len(parts) > 4 {
		return fmt.Errorf("want \"Name|relation|phone\" or \"Name|relation|phone|language\"")
	}
	ci := enroll.ContactInput{FullName: parts[0], Relation: parts[1], Phone: parts[2]}
	if len(parts) == 4 {
		ci.Language = parts[3]
	}
	*c = append(*c, ci)
	return nil
}

func (a *app) enroll(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	var req enroll.Request
	var cons enroll.ConsentInput
	var contacts contactFlags
	by := fs.String("by", "", "e-mail of the coordinator taking the referral (required)")
	file := fs.String("file", "", "read the request from a JSON file (- for standard input) instead of flags")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.StringVar(&req.Person.FullName, "name", "", "person's full name")
	fs.StringVar(&req.Person.Phone, "phone", "", "person's phone number (national or +country)")
	fs.StringVar(&req.Person.Language, "language", "", "person's language (fr, en, …)")
	fs.StringVar(&req.Person.TimeZone, "tz", "", "person's IANA time zone (default: the service's)")
	fs.StringVar(&req.Person.Address, "address", "", "street address")
	fs.StringVar(&req.Person.Postcode, "postcode", "", "postcode, to orient to local services")
	fs.StringVar(&req.Person.City, "city", "", "town")
	fs.StringVar(&req.Person.RiskLevel, "risk", "", "risk level: low, normal, high")
	fs.StringVar(&req.Person.Referent, "referent", "", "e-mail of the listener who follows the person")
	fs.StringVar(&req.Person.Notes, "notes", "", "free-text notes (kept apart, never logged)")
	fs.StringVar(&req.Referral.Source, "referral-source", "", "who referred: family, doctor, social_services, landlord, town_hall, self, other")
	fs.StringVar(&req.Referral.ReferrerName, "referrer-name", "", "referrer's name")
	fs.StringVar(&req.Referral.ReferrerPhone, "referrer-phone", "", "referrer's phone")
	fs.StringVar(&req.Referral.Concern, "concern", "", "what worried the referrer")
	fs.StringVar(&req.Referral.ReferredAt, "referred-at", "", "when the referral came (default: now)")
	fs.StringVar(&cons.GivenBy, "consent-by", "", "who consented: person or legal_representative")
	fs.StringVar(&cons.RepresentativeName, "consent-representative", "", "legal representative's name")
	fs.StringVar(&cons.GivenAt, "consent-at", "", "when consent was given (YYYY-MM-DD[THH:MM])")
	fs.StringVar(&cons.Method, "consent-method", "", "how: phone, paper, in_person")
	fs.Var(&contacts, "contact", "emergency contact \"Name|relation|phone[|language]\" (repeat, in calling order)")
	fs.StringVar(&req.Plan.Cron, "cron", "", "when to call: 5-field cron in the person's time zone, e.g. \"0 10 * * MON,WED,FRI\"")
	fs.StringVar(&req.Plan.Window, "window", "", "daily call window HH:MM-HH:MM (default: opening hours)")
	fs.IntVar(&req.Plan.MaxAttempts, "max-attempts", 0, "attempts per check-in (default: the service's)")
	fs.StringVar(&req.Plan.RetryMinutes, "retry-minutes", "", "minutes between attempts, e.g. 15,30 (default: the service's)")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if *by == "" {
		return &usageError{"enroll: --by EMAIL (the coordinator taking the referral) is required"}
	}
	if *file != "" {
		set := 0
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "file" && f.Name != "by" && f.Name != "json" {
				set++
			}
		})
		if set > 0 {
			return &usageError{"enroll: give either --file or the person's flags, not both"}
		}
		var err error
		if req, err = a.readRequest(*file); err != nil {
			return err
		}
	} else {
		if cons != (enroll.ConsentInput{}) {
			req.Consent = &cons
		}
		req.Contacts = contacts
	}

	svc, coordinator, err := a.enrollAs(ctx, *by)
	if err != nil {
		return err
	}
	res, err := svc.Enroll(ctx, req, coordinator, "cli")
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(a.stdout).Encode(map[string]any{
			"person_id": res.PersonID, "case_opened": res.CaseOpened, "warnings": problemTexts(res.Warnings, a.cfg.Lang),
		})
	}
	e, p := res.Enrolment, phone.Parser{Region: res.Region}
	a.say("cli_enrolled", e.Person.FullName, e.Person.ID, p.Format(e.Person.Phone), e.Plan.Cron, e.Plan.Window.String(), e.Person.TimeZone)
	if res.CaseOpened {
		a.say("cli_case_opened")
	}
	for _, w := range res.Warnings {
		a.say("cli_warning", w.Text(a.cfg.Lang))
	}
	return nil
}

// readRequest decodes a JSON request strictly: an unknown field is a mistake the
// coordinator wants to hear about, not silently dropped data.
func (a *app) readRequest(path string) (enroll.Request, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(a.stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return enroll.Request{}, &usageError{fmt.Sprintf("read %s: %v", path, err)}
	}
	return enroll.DecodeRequest(data)
}

func (a *app) importCSV(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	by := fs.String("by", "", "e-mail of the coordinator responsible for the import (required)")
	dryRun := fs.Bool("dry-run", false, "check every row and report; import nothing")
	skipInvalid := fs.Bool("skip-invalid", false, "import the valid rows even if some rows are invalid")
	fs.Usage = func() {
		req, opt := enroll.Columns(wellcheck.English)
		fmt.Fprintf(a.stderr, "Usage: wellcheck import --by EMAIL [--dry-run] [--skip-invalid] FILE.xlsx|FILE.csv\n\n"+
			"A workbook (.xlsx, its first sheet) or CSV in UTF-8 (commas, semicolons or tabs),\n"+
			"with a header naming the columns, in French or English.\n"+
			"Required columns: %s, and the plan: days and time (or cron)\nOptional columns: %s\n\n", strings.Join(req, ", "), strings.Join(opt, ", "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &usageError{"import: give exactly one register, .xlsx or CSV (- for standard input)"}
	}
	if *by == "" {
		return &usageError{"import: --by EMAIL (the coordinator responsible) is required"}
	}
	path := fs.Arg(0)
	var r io.Reader = a.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return &usageError{fmt.Sprintf("import: %v", err)}
		}
		defer f.Close()
		r = f
	}
	svc, coordinator, err := a.enrollAs(ctx, *by)
	if err != nil {
		return err
	}
	rep, err := svc.Import(ctx, r, coordinator, enroll.ImportOptions{
		FileName: filepath.Base(path), DryRun: *dryRun, SkipInvalid: *skipInvalid,
	})
	if wellcheck.ErrorCode(err) == wellcheck.EInvalid && rep.Rows == 0 {
		return err // the file itself is unusable (encoding, header)
	}
	a.printReport(rep)
	if err != nil {
		a.printError(err)
		return &reported{err}
	}
	return nil
}

// printReport writes one line per bad row, the warnings, and a summary.
func (a *app) printReport(rep enroll.Report) {
	for _, re := range rep.Invalid {
		a.say("cli_row_error", re.Line, strings.Join(re.Texts(a.cfg.Lang), " ; "))
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(a.stdout, w.Text(a.cfg.Lang))
	}
	fmt.Fprintln(a.stdout, rep.Summary().Text(a.cfg.Lang))
}

func problemTexts(ps wellcheck.Problems, lang wellcheck.Lang) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Text(lang)
	}
	return out
}

// say prints a catalogue message on a line of its own, in the user's language.
func (a *app) say(key string, args ...any) {
	fmt.Fprintln(a.stdout, wellcheck.Message{Key: key, Args: args}.Text(a.cfg.Lang))
}
