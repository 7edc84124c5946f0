package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/web"
)

// Choosing a language goes back to the page the reader was on, and never
// to another site, whatever a link's ?next= says: each target below is what
// a browser would read as another site, or no page of ours.
func TestLanguageSwitchFollowsLocalPathsOnly(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer((&web.Server{}).Handler())
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ next, want string }{
		// This site's pages.
		{"/cases/3%3Fx%3D1", "/cases/3?x=1"},
		{"/persons%3Fq%3Djeanne%26page%3D2", "/persons?q=jeanne&page=2"},
		{"/admin/settings", "/admin/settings"},
		{"/", "/"},
		{"/persons/%252F", "/persons/%2F"}, // an escaped slash stays a path
		// Elsewhere, or nowhere.
		{"", "/"},
		{"//evil.example", "/"},
		{"//evil.example/cases", "/"},
		{"/%5Cevil.example", "/"},      // "/\evil.example"
		{"/%5C/evil.example", "/"},     // "/\/evil.example"
		{"/%09/evil.example", "/"},     // a tab, which browsers drop
		{"/%0A/evil.example", "/"},     // a line feed, also dropped
		{"/%0D%0A/evil.example", "/"},  // CR LF: a header split too
		{"/%00/evil.example", "/"},     // NUL
		{"/%7F/evil.example", "/"},     // DEL
		{"/%20/evil.example", "/"},     // a space
		{"/.%5Cevil.example", "/"},     // "/.\evil.example", cleaned to "/\evil.example"
		{"/cases%5C..%5C%5Cevil", "/"}, // a backslash further in
		{"%2F%2Fevil.example", "/"},    // encoded slashes: "//evil.example"
		{"/%2Fevil.example", "/"},      // "//evil.example"
		{"https://evil.example", "/"},
		{"https:/evil.example", "/"},
		{"HTTPS://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"%5C%5Cevil.example", "/"}, // "\\evil.example"
	} {
		// The raw answer, as a browser gets it: Go's client refuses to
		// follow some of these Locations, browsers do not.
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/lang?to=en&next="+tc.next, nil)
		require.NoError(t, err)
		res, err := srv.Client().Transport.RoundTrip(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusSeeOther, res.StatusCode, tc.next)
		assert.Equal(t, tc.want, res.Header.Get("Location"), "next=%s", tc.next)
	}
}
