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
	"github.com/wellcheck/wellcheck/dialer"
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

// lineNode is a node's dialer as the settings page reads it, in a state a
// test sets.
type lineNode struct {
	reg    dialer.Registration
	health dialer.TrunkHealth
}

func (n *lineNode) Registration() dialer.Registration { return n.reg }
func (n *lineNode) TrunkHealth() dialer.TrunkHealth   { return n.health }

// The admin sees, on the line's page, whether this server is registered with
// the carrier and whether the trunk answers its keep-alives: in French, and
// in English.
func TestLineState(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	since := time.Date(2026, 12, 1, 9, 58, 0, 0, paris)
	node := &lineNode{}
	s := setup(t, func(ui *web.Server) {
		ui.Line = &web.Line{Trunk: "sip.example.net", Channels: 4, CPS: 2, RingTimeout: 30 * time.Second, MaxCall: 3 * time.Minute,
			Languages: []string{"fr"}, Register: true, Keepalive: 30 * time.Second, Node: node}
	})
	c := s.browser(t)
	s.signInAs(t, c, adam)
	page := func() string {
		t.Helper()
		_, body, _ := s.get(t, c, "/admin/settings")
		return body
	}

	node.reg = dialer.Registration{State: dialer.RegRegistered, AOR: "sip:service@sip.example.net", Contact: "sip:wellcheck@192.0.2.10:5062",
		Since: since, ExpiresAt: since.Add(10 * time.Minute)}
	node.health = dialer.TrunkHealth{State: dialer.TrunkUp, Target: "sip.example.net:5060", Since: since, RTT: 12300 * time.Microsecond, Status: 200}
	body := page()
	require.Contains(t, body, "<dt>Enregistrement auprès de l&#39;opérateur (ce serveur)</dt><dd>enregistré : sip:wellcheck@192.0.2.10:5062 sous sip:service@sip.example.net, depuis mar. 01/12 09:58, valable jusqu&#39;à mar. 01/12 10:08</dd>")
	require.Contains(t, body, "<dt>Opérateur joignable (ce serveur)</dt><dd>oui : sip.example.net:5060 répond depuis mar. 01/12 09:58, aller-retour 12.3 ms (SIP 200), sondé toutes les 30 s</dd>")

	node.reg = dialer.Registration{State: dialer.RegFailing, AOR: "sip:service@sip.example.net", Since: since, Status: 401,
		Reason: "the registrar answered 401 Unauthorized: check the SIP username and password", Failures: 3, RefreshAt: since.Add(time.Minute)}
	node.health = dialer.TrunkHealth{State: dialer.TrunkDown, Target: "sip.example.net:5060", Since: since, Misses: 4}
	body = page()
	require.Contains(t, body, "<dd>ÉCHEC depuis mar. 01/12 09:58 : refusé par le registrar (SIP 401) : vérifiez l&#39;utilisateur et le mot de passe SIP (essais manqués de suite : 3) ; nouvel essai mar. 01/12 09:59</dd>")
	require.Contains(t, body, "<dd>NON : sip.example.net:5060 ne répond plus depuis mar. 01/12 09:58 (4 sondages sans réponse) ; les appels de ce serveur attendent qu&#39;il réponde, sans compter contre personne</dd>")

	_, _, _ = s.get(t, c, "/lang?to=en&next=/admin/settings")
	body = page()
	require.Contains(t, body, "<dt>Registration with the carrier (this server)</dt><dd>FAILING since Tue 1 Dec, 9:58 am: refused by the registrar (SIP 401): check the SIP user and password (failed tries in a row: 3); next try Tue 1 Dec, 9:59 am</dd>")
	require.Contains(t, body, "<dt>Trunk reachable (this server)</dt><dd>NO: sip.example.net:5060 has not answered since Tue 1 Dec, 9:58 am (4 probes unanswered); this server&#39;s calls wait until it does, counted against nobody</dd>")
}

// A worker node's real dialer on the page: the callee simulator as the
// trunk answers the keep-alives (405: it is there) but is no registrar.
func TestLineStateOfARealDialer(t *testing.T) {
	t.Parallel()
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { ce.Close() })
	prompts, err := dialer.DefaultPrompts()
	require.NoError(t, err)
	d, err := dialer.New(dialer.Config{
		Trunk:  dialer.Trunk{Host: "127.0.0.1", Port: int(ce.Addr().Port()), Username: "service", Password: "s3cret-pass"},
		Listen: "127.0.0.1:0", CallerNumber: "+33199000000", Keepalive: 50 * time.Millisecond,
		Register: &dialer.Register{RetryMin: time.Minute},
	}, prompts)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, dialer.TrunkUp, d.TrunkHealth().State)
		assert.Equal(c, dialer.RegFailing, d.Registration().State)
	}, 10*time.Second, 10*time.Millisecond)
	s := setup(t, func(ui *web.Server) {
		ui.Line = &web.Line{Trunk: ce.Addr().String(), Channels: 4, CPS: 2, RingTimeout: 30 * time.Second, MaxCall: 3 * time.Minute,
			Languages: []string{"fr"}, Register: true, Keepalive: 50 * time.Millisecond, Node: d}
	})
	c := s.browser(t)
	s.signInAs(t, c, adam)
	_, body, _ := s.get(t, c, "/admin/settings")
	require.Contains(t, body, "refusé par le registrar (SIP 405) (essais manqués de suite : 1)")
	require.Contains(t, body, "<dd>oui : "+ce.Addr().String()+" répond depuis ")
	require.Contains(t, body, "(SIP 405), sondé toutes les 0.05 s</dd>")
	require.NotContains(t, body, "s3cret-pass")
}
