package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pageName is one of the pages, each a template of templates/ on the shared
// layout. Handlers name the page they render by these alone, and Routes
// parses every one of them: a page missing is found at start, not on a
// reader's request.
type pageName int

const (
	pageLogin pageName = iota
	pageHome
	pageCase
	pageEnrol
	pagePersons
	pagePerson
	pagePartners
	pagePartner
	pageSettings
	pageQueue
	pageDashboard
	pageImport
	pageListeners
	pageListener
	pageUsers
	pageUser
	pageAudit
	pageAccount
	pageSecondFactor
	pageCount // how many pages there are
)

// pageFiles are the pages' templates: pageFiles[p] is templates/<it>.html.
var pageFiles = [pageCount]string{
	pageLogin:        "login",
	pageHome:         "home",
	pageCase:         "case",
	pageEnrol:        "enrol",
	pagePersons:      "persons",
	pagePerson:       "person",
	pagePartners:     "partners",
	pagePartner:      "partner",
	pageSettings:     "settings",
	pageQueue:        "queue",
	pageDashboard:    "dashboard",
	pageImport:       "import",
	pageListeners:    "listeners",
	pageListener:     "listener",
	pageUsers:        "users",
	pageUser:         "user",
	pageAudit:        "audit",
	pageAccount:      "account",
	pageSecondFactor: "second_factor",
}

func (p pageName) String() string { return pageFiles[p] }

// fragment is one template of a page's set: the part of the page that a
// question from the page gets alone, and replaces.
type fragment struct {
	page pageName
	name string
}

var (
	fragmentListUpdate = fragment{pageHome, "list-update"}
	fragmentTestCalls  = fragment{pageSettings, "test-calls"}
	fragmentPreview    = fragment{pageEnrol, "preview-body"}
)

// fragments are the fragments handlers render; Routes checks each is in its
// page's set.
var fragments = []fragment{fragmentListUpdate, fragmentTestCalls, fragmentPreview}

// pages are every page's template set, parsed.
type pages [pageCount]*template.Template

// parsePages parses every page from fsys (templates/…, as templateFiles
// holds them) on the shared layout and forms. A page missing, one that does
// not parse or draws no content, or a fragment not where it is looked for,
// is an error.
func parsePages(fsys fs.FS) (pages, error) {
	var ps pages
	for p := range pageCount {
		if pageFiles[p] == "" {
			return ps, fmt.Errorf("page %d has no template", p)
		}
		t, err := template.New("").Funcs(funcs).ParseFS(fsys, "templates/layout.html", "templates/forms.html", "templates/"+pageFiles[p]+".html")
		if err != nil {
			return ps, fmt.Errorf("parse page %s: %w", p, err)
		}
		if t.Lookup("content") == nil {
			return ps, fmt.Errorf("parse page %s: templates/%s.html defines no content", p, p)
		}
		ps[p] = t
	}
	for _, f := range fragments {
		if ps[f.page].Lookup(f.name) == nil {
			return ps, fmt.Errorf("parse page %s: no fragment %s", f.page, f.name)
		}
	}
	return ps, nil
}

// render writes page name with status. The page is drawn whole before
// anything is sent: a template that fails is the error render returns, which
// the reader gets as a failure (500), never as half a page that says 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name pageName, status int, p page) error {
	p.Lang, p.Here, p.Demo, p.River = langOf(r), "/", s.Demo, s.RiverUI != nil
	p.Phone, p.RawAudio = s.Phone != nil && p.User != nil && mayPhone(*p.User), s.RawAudio
	// Persons' files are the staff's, who enrol them (the routes' staff).
	p.PersonFiles = p.User != nil && p.User.CanEnrol()
	if r.Method == http.MethodGet {
		p.Here = r.URL.RequestURI()
	}
	var b bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		return fmt.Errorf("render page %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = b.WriteTo(w) // a reader gone away is no failure of ours
	return nil
}

// renderFragment writes fragment f alone, drawn whole before anything is
// sent, as a page is (render).
func (s *Server) renderFragment(w http.ResponseWriter, f fragment, data any) error {
	var b bytes.Buffer
	if err := s.pages[f.page].ExecuteTemplate(&b, f.name, data); err != nil {
		return fmt.Errorf("render fragment %s of page %s: %w", f.name, f.page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = b.WriteTo(w)
	return nil
}
