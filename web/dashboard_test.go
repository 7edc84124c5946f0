package web_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

// checkIn writes a person's check-in at slot, finished in state (or still
// planned) after one call per outcome given.
func (s *site) checkIn(t *testing.T, personID int64, slot time.Time, state string, outcomes ...string) {
	t.Helper()
	ctx := context.Background()
	var id int64
	finished := &slot
	if state == "planned" {
		finished = nil
	}
	require.NoError(t, s.store.Pool().QueryRow(ctx, `INSERT INTO check_ins (person_id, slot_at, deadline_at, state, finished_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, personID, slot, slot.Add(2*time.Hour), state, finished).Scan(&id))
	for i, o := range outcomes {
		at := slot.Add(time.Duration(i) * 15 * time.Minute)
		_, err := s.store.Pool().Exec(ctx, `INSERT INTO attempts (check_in_id, number, started_at, ended_at, outcome) VALUES ($1, $2, $3, $3, $4)`,
			id, i+1, at, o)
		require.NoError(t, err)
	}
}

// stats reads a figures list (<dl id=…>) as name → value.
func stats(t *testing.T, body, id string) map[string]string {
	t.Helper()
	start := strings.Index(body, `<dl class="stats" id="`+id+`">`)
	require.GreaterOrEqual(t, start, 0, "the %s figures", id)
	end := start + strings.Index(body[start:], "</dl>")
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`<dt>([^<]+)</dt><dd>([^<]+)</dd>`).FindAllStringSubmatch(body[start:end], -1) {
		out[html.UnescapeString(m[1])] = m[2]
	}
	return out
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	s := setup(t)
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, paris) }
	s.clock.Set(at(1, 14)) // a Tuesday, 14:00 in Paris
	anne := s.enrol(t, "Anne Bien", "+33612345601")
	bruno := s.enrol(t, "Bruno Rappel", "+33612345602")
	cora := s.enrol(t, "Cora Tard", "+33612345603")
	denis := s.enrol(t, "Denis Absent", "+33612345604")

	// Today: all well, a call back asked at the second call, one still to
	// call this afternoon, one not reached after three calls.
	s.checkIn(t, anne, at(1, 10), "confirmed", "ok")
	s.checkIn(t, bruno, at(1, 10), "flagged", "no_answer", "help_requested")
	s.checkIn(t, cora, at(1, 16), "planned")
	s.checkIn(t, denis, at(1, 10), "unreached", "no_answer", "busy", "no_answer")
	// Half past midnight on 1 December in Paris, still 30 November in UTC:
	// it counts today, the service's day.
	s.checkIn(t, anne, at(1, 0).Add(30*time.Minute), "confirmed", "ok")
	// Yesterday, and ten days ago.
	s.checkIn(t, anne, at(0, 10), "confirmed", "ok")
	s.checkIn(t, bruno, at(0, 10), "undeliverable", "invalid_number")
	s.checkIn(t, anne, time.Date(2026, 11, 21, 10, 0, 0, 0, paris), "confirmed", "ok")
	s.task(t, bruno, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	s.task(t, denis, nil, wellcheck.FollowUpUnreached, wellcheck.PriorityUrgent)
	_, err := s.store.Pool().Exec(context.Background(), "UPDATE cases SET opened_at = $1", at(1, 11))
	require.NoError(t, err)

	c := s.browser(t)
	s.signInAs(t, c, claire)
	status, body, _ := s.get(t, c, "/dashboard")
	require.Equal(t, http.StatusOK, status)
	// Calls placed read against calls planned: Bruno's second call and
	// Denis's second and third are retries, Cora is still to call.
	require.Contains(t, body, `<p class="summary" id="summary">7 appels passés pour 5 prévus, dont 3 rappels automatiques.</p>`)
	require.Equal(t, map[string]string{
		"appels prévus": "5", "appels passés": "7", "dont rappels automatiques": "3", "vont bien (touche 1)": "2", "demandent un rappel (touche 2)": "1",
		"injoignables": "1", "numéros invalides": "0", "en cours d'appel": "0", "encore à appeler": "1", "lignes utilisées en ce moment": "0",
	}, stats(t, body, "today"))
	require.Equal(t, map[string]string{
		"dossiers ouverts aujourd'hui": "2", "suivis faits aujourd'hui": "0", "dossiers en attente d'un écoutant": "1",
		"dossiers pris par un écoutant": "1", "dossiers urgents": "1",
	}, stats(t, body, "cases"))
	require.Contains(t, body, `<tr><td>Élise Écoutante</td><td><span class="away">Absent(e)</span></td>`)
	require.Contains(t, body, `<meter min="0" max="10" high="10" value="1"></meter> 1 suivi en attente sur 10`)

	// Thirty days, oldest first, each with its figures; the chart library
	// and the script that draws from the table.
	days := regexp.MustCompile(`<tr><th scope="row"><time datetime="([0-9-]+)" data-short="[0-9/]+">[^<]+</time></th>((?:<td>\d+</td>)+)</tr>`).FindAllStringSubmatch(body, -1)
	require.Len(t, days, 30)
	require.Equal(t, "2026-11-02", days[0][1])
	require.Equal(t, "2026-12-01", days[29][1])
	cells := func(day string) string {
		for _, d := range days {
			if d[1] == day {
				return d[2]
			}
		}
		return ""
	}
	// confirmed, flagged, unreached, undeliverable, placed, opened, closed, follow-ups done
	require.Equal(t, "<td>1</td><td>0</td><td>0</td><td>1</td><td>2</td><td>0</td><td>0</td><td>0</td>", cells("2026-11-30"))
	require.Equal(t, "<td>1</td><td>0</td><td>0</td><td>0</td><td>1</td><td>0</td><td>0</td><td>0</td>", cells("2026-11-21"))
	require.Equal(t, "<td>2</td><td>1</td><td>1</td><td>0</td><td>7</td><td>2</td><td>0</td><td>0</td>", cells("2026-12-01"))
	require.Contains(t, body, `<script src="/static/vendor/chart.js-4.6.1/chart.umd.min.js"></script>`)
	require.Contains(t, body, `<script src="/static/dashboard.js"></script>`)
	require.NotContains(t, body, "06 12 34 56", "no phone number on the dashboard")

	// The days that are over are counted once: yesterday's figures stay as
	// they were counted, whatever retention purges afterwards.
	var kept int
	require.NoError(t, s.store.Pool().QueryRow(context.Background(), "SELECT count(*) FROM report_days").Scan(&kept))
	require.Equal(t, 29, kept)
	_, err = s.store.Pool().Exec(context.Background(), "DELETE FROM check_ins WHERE slot_at < $1", at(0, 12))
	require.NoError(t, err)
	_, body, _ = s.get(t, c, "/dashboard")
	require.Contains(t, body, `<time datetime="2026-11-30" data-short="30/11">lun. 30/11</time></th><td>1</td><td>0</td><td>0</td><td>1</td><td>2</td>`)

	// In English.
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+"/dashboard", nil)
	require.NoError(t, err)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	en := string(raw)
	require.Contains(t, en, "<h1>Dashboard</h1>")
	require.Equal(t, "2", stats(t, en, "today")["all well (pressed 1)"])
	require.Equal(t, "3", stats(t, en, "today")["of them, automatic retries"])
	require.Contains(t, en, "7 calls placed for 5 planned, 3 automatic retries among them.")
	require.Contains(t, en, `<time datetime="2026-11-30" data-short="30 Nov">Mon 30 Nov</time>`)
}

func TestExport(t *testing.T) {
	t.Parallel()
	s := setup(t)
	paris, _ := time.LoadLocation("Europe/Paris")
	s.clock.Set(time.Date(2026, 12, 1, 14, 0, 0, 0, paris))
	anne := s.enrol(t, "Anne Bien", "+33612345601")
	formula := s.enrol(t, "=HYPERLINK(\"http://x\")", "+33612345602")
	s.checkIn(t, anne, time.Date(2026, 11, 30, 10, 0, 0, 0, paris), "confirmed", "no_answer", "ok")
	s.checkIn(t, formula, time.Date(2026, 11, 30, 10, 15, 0, 0, paris), "flagged", "help_requested")
	s.checkIn(t, anne, time.Date(2026, 11, 2, 10, 0, 0, 0, paris), "confirmed", "ok") // before the period
	caseID := s.task(t, formula, &s.user.ID, wellcheck.FollowUpFlagged, wellcheck.PriorityHigh)
	_, err := s.store.Pool().Exec(context.Background(), "UPDATE cases SET opened_at = $1", time.Date(2026, 11, 30, 10, 20, 0, 0, paris))
	require.NoError(t, err)

	c := s.browser(t)
	s.signInAs(t, c, claire)
	download := func(query, lang string) (*http.Response, string) {
		req, err := http.NewRequest(http.MethodGet, s.srv.URL+"/dashboard/export?"+query, nil)
		require.NoError(t, err)
		req.Header.Set("Accept-Language", lang)
		res, err := c.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, string(body)
	}

	// In French: what a French spreadsheet opens as is (a byte-order mark,
	// semicolons), times in the service's zone, words not codes, a formula
	// defused, and no phone number.
	res, body := download("export.what=check-ins&export.from=2026-11-30&export.to=2026-11-30", "fr")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
	require.Equal(t, `attachment; filename="wellcheck-appels-2026-11-30-2026-11-30.csv"`, res.Header.Get("Content-Disposition"))
	require.Equal(t, "\uFEFF"+
		"appel n°;personne n°;nom;créneau (Europe/Paris);issue;appels passés;dernier appel\n"+
		fmt.Sprintf("%s;%d;Anne Bien;2026-11-30 10:00;va bien (touche 1);2;touche 1\n", checkInID(t, s, anne, "2026-11-30"), anne)+
		fmt.Sprintf("%s;%d;\"'=HYPERLINK(\"\"http://x\"\")\";2026-11-30 10:15;demande un rappel (touche 2);1;touche 2\n", checkInID(t, s, formula, "2026-11-30"), formula),
		body)

	// In English, with commas; the cases of the month.
	res, body = download("export.what=cases&export.from=2026-11-01&export.to=2026-11-30", "en")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "case id,person id,name,opened (Europe/Paris),reason,priority,listener,follow-ups done,closed,closure reason,person agreed\n"+
		fmt.Sprintf("%d,%d,\"'=HYPERLINK(\"\"http://x\"\")\",2026-11-30 10:20,asked for a call back (pressed 2),high,Élise Écoutante,0,,,\n", caseID, formula),
		body)

	// Each export is in the audit log with its period.
	var details string
	require.NoError(t, s.store.Pool().QueryRow(context.Background(),
		"SELECT string_agg(action || ' ' || details::text, ' | ' ORDER BY id) FROM audit_log WHERE actor_id = $1 AND action LIKE 'export.%'", s.coord.ID).Scan(&details))
	require.Equal(t, `export.check_ins {"to": "2026-11-30", "from": "2026-11-30"} | export.cases {"to": "2026-11-30", "from": "2026-11-01"}`, details)

	// A bad period is refused beside its field, with the dashboard around it
	// and what was typed kept.
	for _, tc := range []struct{ query, field, problem string }{
		{"export.what=cases&export.from=2026-11-30&export.to=2026-11-01", "export.to", "la période finit avant de commencer"},
		{"export.what=cases&export.from=2025-01-01&export.to=2026-11-30", "export.to", "la période dépasse 366 jours"},
		{"export.what=cases&export.from=30/11/2026&export.to=2026-11-30", "export.from", "« 30/11/2026 » n&#39;est pas une date"},
		{"export.what=persons&export.from=2026-11-01&export.to=2026-11-30", "export.what", "« persons » n&#39;est pas une valeur possible"},
	} {
		res, body := download(tc.query, "fr")
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, tc.query)
		require.Contains(t, body, `<p class="problem" id="`+tc.field+`-problem">`+tc.problem, tc.query)
		require.Contains(t, body, "<h1>Tableau de bord</h1>")
	}
	_, body = download("export.what=cases&export.from=2026-11-30&export.to=2026-11-01", "fr")
	require.Contains(t, body, `<input id="export.from" name="export.from" type="date" value="2026-11-30" required>`)
	require.Contains(t, body, `<option value="cases" selected>`)
	require.NotContains(t, s.logs.String(), "612345601")
}

// checkInID is the id of a person's check-in on a day, as the export writes it.
func checkInID(t *testing.T, s *site, personID int64, day string) string {
	t.Helper()
	var id int64
	require.NoError(t, s.store.Pool().QueryRow(context.Background(),
		"SELECT id FROM check_ins WHERE person_id = $1 AND (slot_at AT TIME ZONE 'Europe/Paris')::date = $2::date", personID, day).Scan(&id))
	return fmt.Sprint(id)
}

// The charts are drawn in a real Chromium, under the pages' Content Security
// Policy, from the figures' table: 30 days, the check-ins stacked by outcome.
func TestBrowserDashboardCharts(t *testing.T) {
	t.Parallel()
	s := setup(t)
	paris, _ := time.LoadLocation("Europe/Paris")
	s.clock.Set(time.Date(2026, 12, 1, 14, 0, 0, 0, paris))
	anne := s.enrol(t, "Anne Bien", "+33612345601")
	s.checkIn(t, anne, time.Date(2026, 11, 30, 10, 0, 0, 0, paris), "confirmed", "ok")
	s.checkIn(t, anne, time.Date(2026, 12, 1, 10, 0, 0, 0, paris), "flagged", "help_requested")

	b := s.tab(t)
	b.signIn(t, claire)
	b.run(t, chromedp.Navigate(s.srv.URL+"/dashboard"), chromedp.WaitVisible(css("#chart-checkins")))
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	type series struct {
		Label string
		Data  []int
	}
	drawn, err := chromedp.Run(ctx, chromedp.Evaluate[map[string][]series](`(() => {
		const out = {};
		for (const id of ["chart-checkins", "chart-cases"]) {
			const chart = Chart.getChart(id);
			out[id] = chart ? chart.data.datasets.map(d => ({label: d.label, data: d.data})) : null;
		}
		return out;
	})()`))
	require.NoError(t, err, "the chart library loaded and drew")
	require.Len(t, drawn["chart-checkins"], 4)
	confirmed, flagged := drawn["chart-checkins"][0], drawn["chart-checkins"][1]
	require.Equal(t, "vont bien (touche 1)", confirmed.Label)
	require.Len(t, confirmed.Data, 30)
	require.Equal(t, 1, confirmed.Data[28], "30 November")
	require.Equal(t, "demandent un rappel (touche 2)", flagged.Label)
	require.Equal(t, 1, flagged.Data[29], "today")
	require.Len(t, drawn["chart-cases"], 3)
	painted, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const c = document.getElementById("chart-checkins");
		const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		return c.width > 0 && px.some(v => v !== 0);
	})()`))
	require.NoError(t, err)
	require.True(t, painted, "something is painted on the canvas")

	// Read on a tablet held upright: the axes named in French, the days
	// short and level, the legend at a size one reads at arm's length, and
	// the charts one per row, each tall enough not to squash its bars.
	type axes struct {
		X, Y        string
		First, Font int
		Ticks       []string
		Rotation    float64
		Height      float64
		Stacked     bool
	}
	read := func() axes {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[axes](`(() => {
			const chart = Chart.getChart("chart-checkins"), x = chart.scales.x;
			const a = document.getElementById("chart-checkins").closest("figure").getBoundingClientRect();
			const b = document.getElementById("chart-cases").closest("figure").getBoundingClientRect();
			return {X: chart.options.scales.x.title.text, Y: chart.options.scales.y.title.text,
				Ticks: x.ticks.map(t => t.label), Rotation: x.labelRotation, Font: Chart.helpers.toFont(chart.legend.options.labels.font).size,
				Height: chart.height, Stacked: b.top >= a.bottom && Math.abs(a.left - b.left) < 1};
		})()`))
		require.NoError(t, err)
		return got
	}
	tablet := read()
	require.Equal(t, "Jour", tablet.X)
	require.Equal(t, "appels prévus", tablet.Y)
	require.Equal(t, "02/11", tablet.Ticks[0], "the day, without its weekday")
	require.Zero(t, tablet.Rotation, "the days read level")
	require.GreaterOrEqual(t, tablet.Font, 13)
	require.GreaterOrEqual(t, tablet.Height, 280.0)
	require.True(t, tablet.Stacked, "one chart per row")

	// On a phone, the same, narrower.
	b.run(t, chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(css("#chart-checkins")))
	phone := read()
	require.Equal(t, "appels prévus", phone.Y)
	require.Zero(t, phone.Rotation)
	require.GreaterOrEqual(t, phone.Font, 13)
	require.True(t, phone.Stacked)
}

// A trunk failing every call is the first thing a coordinator reads on the
// dashboard: since when, how, that nobody is counted for it; and the storms
// of the day that are over.
func TestTheDashboardSaysTheLineIsFailing(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(hour, minute int) time.Time { return time.Date(2026, 12, 1, hour, minute, 0, 0, paris) }
	s.clock.Set(at(14, 0))
	c := s.browser(t)
	s.signInAs(t, c, claire)
	_, body, _ := s.get(t, c, "/dashboard")
	require.NotContains(t, body, `id="storm"`, "no storm, nothing said")

	q := s.store.Queries()
	morning, _, err := q.BeginTrunkStorm(ctx, wellcheck.FaultServer, at(9, 12), at(9, 13), 12, 11)
	require.NoError(t, err)
	_, err = q.EndTrunkStorm(ctx, morning, at(9, 31))
	require.NoError(t, err)
	_, began, err := q.BeginTrunkStorm(ctx, wellcheck.FaultUnanswered, at(13, 20), at(13, 21), 10, 10)
	require.NoError(t, err)
	require.True(t, began)

	_, body, _ = s.get(t, c, "/dashboard")
	require.Contains(t, body, `<div class="storm" role="alert" id="storm"><p><strong>La ligne téléphonique est en panne : les appels automatiques sont suspendus.</strong></p>`)
	require.Contains(t, body, "Depuis 13:20, presque tous les appels échouent de la même façon (ligne injoignable, 480 ou 408)")
	require.Contains(t, body, "<li>La ligne a été en panne de 09:12 à 09:31 (erreur chez l&#39;opérateur, 5xx) : les appels manqués ont été refaits.</li>")

	s.get(t, c, "/lang?to=en")
	_, body, _ = s.get(t, c, "/dashboard")
	require.Contains(t, body, "Since 1:20 pm, nearly every call has failed the same way (line unreachable, 480 or 408)")
}
