package web

import (
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/internal/logtest"
)

// A page whose template fails halfway is a 500 that says so, and nothing of
// the page: no status 200 with half a page under it.
func TestTemplateFailureSendsNoHalfPage(t *testing.T) {
	t.Parallel()
	broken := template.Must(template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/forms.html"))
	template.Must(broken.Parse(`{{define "content"}}<h1>Début de page</h1>{{.Data.Missing}}{{end}}`))
	logs := &logtest.Buffer{}
	s := &Server{Logger: slog.New(slog.NewTextHandler(logs, nil)), pages: map[string]*template.Template{"login": broken}}

	rec := httptest.NewRecorder()
	s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.render(w, r, "login", http.StatusOK, page{Data: struct{}{}})
	}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))

	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Equal(t, "text/plain; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Equal(t, text(wellcheck.French, "internal")+"\n", rec.Body.String(), "the failure's words, nothing of the page")
	require.Contains(t, logs.String(), "render page login")
}
