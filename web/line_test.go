package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/web"
)

// An admin sees the line as configured, asks for a test call, and follows it
// to its end: placed by a worker node through the callee simulator over SIP,
// the key pressed shown on the page.
func TestTestCall(t *testing.T) {
	t.Parallel()
	s := setup(t, func(ui *web.Server) {
		ui.Line = &web.Line{Trunk: "sip.example.net:5060", Transport: "tls", Channels: 4, CPS: 2.5,
			RingTimeout: 30 * time.Second, MaxCall: 3 * time.Minute, Languages: []string{"en", "fr"}, EscalationLanguages: []string{"fr"}}
	})
	ctx := context.Background()
	c := s.browser(t)
	csrf, _ := s.signInAs(t, c, adam)
	_, body, _ := s.get(t, c, "/admin/settings")
	require.Contains(t, body, "<dd>sip.example.net:5060 (TLS)</dd>")
	require.Contains(t, body, "<dd>4 appels à la fois, 2.5 nouveaux appels par seconde, sur tous les serveurs</dd>")
	require.Contains(t, body, "<dd>sonnerie 30 s au plus, appel 180 s au plus</dd>")
	require.Contains(t, body, "<dd>English, français</dd>")
	require.Contains(t, body, "Aucun appel de test pour l&#39;instant.")

	// Bad input is refused beside each field, what was typed kept.
	res, body := s.post(t, c, "/admin/test-calls", url.Values{"csrf": {csrf}, "test.target": {"06 12"}, "test.script": {"escalation"}, "test.lang": {"en"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, `id="test.target-problem">`)
	require.Contains(t, body, `name="test.target" type="text" value="06 12"`)
	require.Contains(t, body, `<p class="problem" id="test.lang-problem">pas de messages dans la langue « en » (il y en a en : fr)</p>`)
	res, body = s.post(t, c, "/admin/test-calls", url.Values{"csrf": {csrf}, "test.target": {"sip:@"}, "test.script": {"menu"}, "test.lang": {"fr"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, body, "n&#39;est pas une adresse SIP")
	require.Contains(t, body, `id="test.script-problem">`)

	// A good one is queued once: a second click while it waits is refused.
	good := url.Values{"csrf": {csrf}, "test.target": {"06 12 34 56 78"}, "test.script": {""}, "test.lang": {"fr"}}
	res, _ = s.post(t, c, "/admin/test-calls", good, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/admin/settings?done=test_call", res.Header.Get("Location"))
	res, body = s.post(t, c, "/admin/test-calls", good, nil)
	require.Equal(t, http.StatusConflict, res.StatusCode)
	require.Contains(t, body, "votre appel de test précédent n&#39;est pas fini")
	_, body, _ = s.get(t, c, "/admin/test-calls")
	require.Contains(t, body, "06 12 34 56 78")
	require.Contains(t, body, "en attente d&#39;une ligne libre")
	require.Contains(t, body, `hx-trigger="every 2s"`, "the list follows the call while it is not over")

	// A worker node places it; the person on the line presses 2.
	s.worker(t, time.Now, map[string]callee.Behaviour{"+33612345678": callee.PressTwo})
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		_, body, _ = s.get(ct, c, "/admin/test-calls")
		assert.NotContains(ct, body, "hx-trigger")
	}, 20*time.Second, 100*time.Millisecond)
	require.Contains(t, body, "<td>touche 2 (SIP 200)</td><td>2</td>")
	require.Contains(t, body, "<td>Adam Admin</td><td>06 12 34 56 78</td><td>Appel de contrôle — français</td>")
	// How it sounded, from its RTP and RTCP: what the call learned.
	require.Regexp(t, `<td>MOS 4\.[0-9] — perte 0\.0 % reçue[^<]*</td>`, body)

	// Nothing happened to any person; the audit names the request, and no log
	// line carries the number.
	var checkIns int
	require.NoError(t, s.store.Pool().QueryRow(ctx, "SELECT count(*) FROM check_ins").Scan(&checkIns))
	require.Zero(t, checkIns)
	actions, err := s.store.Queries().AuditActionsBy(ctx, s.admin.ID)
	require.NoError(t, err)
	require.Contains(t, actions, "test_call.request")
	require.NotContains(t, s.logs.String(), "612345678")
	require.Contains(t, s.logs.String(), "test call ended")

	// Another may be asked now that it has ended.
	res, _ = s.post(t, c, "/admin/test-calls", good, nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
}
