package web_test

// Every page, as each role sees it, checked in Chromium by axe-core against
// WCAG 2 A and AA: what a screen reader, a keyboard or weak eyes would stumble
// on (a field without a name, text too pale, landmarks, ids used twice).

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

// axePath is axe-core as scripts/vendor-js fetches it for the tests: in
// testdata, which the binary does not embed, so that no page can load it.
const axePath = "testdata/vendor/axe-core-4.14.1/axe.min.js"

var axeScript = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(axePath)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s is missing: run make test-deps (scripts/vendor-js): %w", axePath, err)
	}
	return string(b), err
})

// violation is one axe rule a page breaks, and where.
type violation struct {
	ID, Impact, Help string
	Nodes            []string
}

func (v violation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, " | "))
}

// axe runs axe-core on the tab's page for WCAG 2 A and AA and returns what it
// found.
func (b *tab) axe(t *testing.T) []violation {
	t.Helper()
	script, err := axeScript()
	require.NoError(t, err)
	b.run(t, chromedp.Evaluate[chromedp.Void](script))
	const check = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}, resultTypes: ["violations"]})
		.then(r => r.violations.map(v => ({ID: v.id, Impact: v.impact || "", Help: v.help,
			Nodes: v.nodes.map(n => n.target.join(" "))})))`
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](check, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	return found
}

// Every page passes axe-core's WCAG 2 A and AA rules, for each role that may
// open it.
func TestA11yEveryPage(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	jeanne := s.enrol(t, "Jeanne Martin", "+33612345678",
		wellcheck.EmergencyContact{Position: 1, FullName: "Alain Martin", Relation: "fils", Phone: "+33698765432", Language: "fr"})
	hers := s.task(t, jeanne, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityUrgent)
	pool := s.task(t, s.enrol(t, "Paul Durand", "+33612345679"), nil, wellcheck.FollowUpMissed, wellcheck.PriorityNormal)
	partner := s.partner(t, "Petits Frères des Pauvres", "+33145000000")

	// A refused enrolment: the page with each problem beside its field.
	refused := visit{"/persons/new", []chromedp.Action[chromedp.Void]{
		chromedp.Click(css(`button.primary`)),
		chromedp.WaitVisible(css(`#problems`)),
	}}
	for _, tc := range []struct {
		who    string // "" for no one signed in
		visits []visit
	}{
		{"", paths("/login")},
		{elise, paths("/", fmt.Sprintf("/cases/%d", hers), fmt.Sprintf("/cases/%d", pool), "/account")},
		{claire, append(paths("/", fmt.Sprintf("/cases/%d", hers), "/persons/new", "/persons", "/persons?q=Martin",
			fmt.Sprintf("/persons/%d", jeanne), "/persons/import", "/partners", fmt.Sprintf("/partners/%d", partner),
			"/queue", "/listeners", fmt.Sprintf("/listeners/%d", s.user.ID), "/dashboard"), refused)},
		{adam, paths("/", "/admin/settings", "/admin/users", fmt.Sprintf("/admin/users/%d", s.other.ID), "/admin/audit",
			"/persons/new", "/persons", "/dashboard")},
	} {
		t.Run(cmp.Or(tc.who, "signed-out"), func(t *testing.T) {
			t.Parallel()
			b := s.tab(t)
			if tc.who != "" {
				b.signIn(t, tc.who)
			}
			for _, v := range tc.visits {
				b.run(t,
					chromedp.Navigate(s.srv.URL+v.path),
					chromedp.WaitVisible(css("main h1")),
				)
				b.run(t, v.then...)
				for _, found := range b.axe(t) {
					if why, ok := allowedViolations[found.ID]; ok {
						t.Logf("%s: allowed %s (%s)", v.path, found, why)
						continue
					}
					t.Errorf("%s: %s", v.path, found)
				}
			}
		})
	}
}

// visit is a page to check: its address, and what to do there first.
type visit struct {
	path string
	then []chromedp.Action[chromedp.Void]
}

func paths(ps ...string) []visit {
	vs := make([]visit, len(ps))
	for i, p := range ps {
		vs[i] = visit{path: p}
	}
	return vs
}

// allowedViolations are the axe rules a page may break for now, each with
// why; keep it short.
var allowedViolations = map[string]string{}
