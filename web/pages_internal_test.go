package web

import (
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/internal/logtest"
)

// templatesWith is the embedded templates with some changed: a file's new
// text, or nil to leave it out.
func templatesWith(t *testing.T, changes map[string]*string) fs.FS {
	t.Helper()
	fsys := fstest.MapFS{}
	require.NoError(t, fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templateFiles, path)
		fsys[path] = &fstest.MapFile{Data: data}
		return err
	}))
	for path, text := range changes {
		require.Contains(t, fsys, path, "a template to change")
		if text == nil {
			delete(fsys, path)
		} else {
			fsys[path] = &fstest.MapFile{Data: []byte(*text)}
		}
	}
	return fsys
}

// A page the handlers render whose template is missing, or broken, stops
// the server being built: found at start, not on a reader's request.
func TestMissingTemplateFailsConstruction(t *testing.T) {
	t.Parallel()
	_, err := (&Server{}).Routes()
	require.NoError(t, err, "the embedded templates make every page")

	content := `{{define "content"}}<h1>{{.Title}}</h1>{{end}}`
	empty := ""
	for name, tc := range map[string]struct {
		changes map[string]*string
		want    string
	}{
		"a page's file missing":     {map[string]*string{"templates/audit.html": nil}, "parse page audit"},
		"the shared layout missing": {map[string]*string{"templates/layout.html": nil}, "layout.html"},
		"a page without content":    {map[string]*string{"templates/queue.html": &empty}, "templates/queue.html defines no content"},
		"a fragment missing":        {map[string]*string{"templates/home.html": &content}, "no fragment list-update"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, err := (&Server{}).routes(templatesWith(t, tc.changes))
			require.ErrorContains(t, err, tc.want)
			require.Nil(t, h)
		})
	}
}

// A page whose template fails halfway is a 500 that says so, and nothing of
// the page: no status 200 with half a page under it.
func TestTemplateFailureSendsNoHalfPage(t *testing.T) {
	t.Parallel()
	broken := `{{define "content"}}<h1>Début de page</h1>{{.Data.Missing}}{{end}}`
	logs := &logtest.Buffer{}
	s := &Server{Logger: slog.New(slog.NewTextHandler(logs, nil))}
	h, err := s.routes(templatesWith(t, map[string]*string{"templates/login.html": &broken}))
	require.NoError(t, err, "it parses: it fails only when drawn")

	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	res, err := srv.Client().Get(srv.URL + "/login")
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)

	require.Equal(t, http.StatusInternalServerError, res.StatusCode)
	require.Equal(t, "text/plain; charset=utf-8", res.Header.Get("Content-Type"))
	require.Equal(t, text(wellcheck.French, "internal")+"\n", string(body), "the failure's words, nothing of the page")
	require.Contains(t, logs.String(), "render page login")
}
