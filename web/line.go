package web

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/phone"
	"github.com/wellcheck/wellcheck/store"
)

// Line is the telephone line as the server is configured (flags and
// environment): the settings page shows it and places test calls through
// it, but does not change it.
type Line struct {
	Trunk, Transport, Proxy string
	// Authenticated is whether a username is set for the trunk's digest
	// authentication (the password is never shown).
	Authenticated bool
	Channels      int
	CPS           float64
	// RingTimeout is how long a call rings; MaxCall how long it may last.
	RingTimeout, MaxCall time.Duration
	// PromptsDir is where the prompts come from; "" the shipped ones.
	PromptsDir string
	// Languages have check-in prompts, EscalationLanguages a contact's call's.
	Languages, EscalationLanguages []string
	// Register says whether worker nodes register with the registrar;
	// Keepalive how often they probe the trunk (0: never).
	Register  bool
	Keepalive time.Duration
	// Node is this server's dialer, on a worker node (nil elsewhere): how
	// its registration and the trunk's keep-alives stand.
	Node LineNode
}

// LineNode is a node's dialer as the settings page reads it (*dialer.Dialer).
type LineNode interface {
	Registration() dialer.Registration
	TrunkHealth() dialer.TrunkHealth
}

// lineView is the settings page's line section.
type lineView struct {
	Line      *Line
	Facts     []fact
	TestCalls testCallsView
	Form      testCallForm
}

type fact struct{ Term, Value string }

// facts describes the line in words, times in zone.
func (l *Line) facts(lang wellcheck.Lang, zone *time.Location) []fact {
	if l == nil {
		return nil
	}
	trunk := l.Trunk + " (" + strings.ToUpper(cmp.Or(l.Transport, "udp")) + ")"
	if l.Proxy != "" {
		trunk += " — " + text(lang, "line.via", l.Proxy)
	}
	auth := text(lang, "no")
	if l.Authenticated {
		auth = text(lang, "yes")
	}
	prompts := text(lang, "line.shipped")
	if l.PromptsDir != "" {
		prompts = l.PromptsDir
	}
	names := func(codes []string) string {
		out := make([]string, len(codes))
		for i, c := range codes {
			out[i] = languageName(c)
		}
		return cmp.Or(strings.Join(out, ", "), "—")
	}
	return []fact{
		{text(lang, "line.trunk"), trunk},
		{text(lang, "line.auth"), auth},
		{text(lang, "line.limits"), text(lang, "line.limits_value", l.Channels, l.CPS)},
		{text(lang, "line.timeouts"), text(lang, "line.timeouts_value", l.RingTimeout.Seconds(), l.MaxCall.Seconds())},
		{text(lang, "line.prompts"), prompts},
		{text(lang, "script.check_in"), names(l.Languages)},
		{text(lang, "script.escalation"), names(l.EscalationLanguages)},
		{text(lang, "line.registration"), l.registration(lang, zone)},
		{text(lang, "line.keepalive"), l.keepalive(lang, zone)},
	}
}

// registration says how this server's registration stands.
func (l *Line) registration(lang wellcheck.Lang, zone *time.Location) string {
	switch {
	case !l.Register:
		return text(lang, "line.reg.off")
	case l.Node == nil:
		return text(lang, "line.elsewhere_node")
	}
	at := func(t time.Time) string { return dayAndClock(lang, t.In(zone)) }
	r := l.Node.Registration()
	switch r.State {
	case dialer.RegRegistered:
		return text(lang, "line.reg.registered", r.Contact, r.AOR, at(r.Since), at(r.ExpiresAt))
	case dialer.RegFailing:
		why := text(lang, "line.reg.no_answer")
		switch r.Status {
		case 0:
		case 401, 403, 407:
			why = text(lang, "line.reg.refused_credentials", r.Status)
		default:
			why = text(lang, "line.reg.refused", r.Status)
		}
		return text(lang, "line.reg.failing", at(r.Since), why, r.Failures, at(r.RefreshAt))
	case dialer.RegOff:
		return text(lang, "line.reg.stopped")
	}
	return text(lang, "line.reg.registering", r.AOR)
}

// keepalive says how the trunk answers this server's keep-alives.
func (l *Line) keepalive(lang wellcheck.Lang, zone *time.Location) string {
	switch {
	case l.Keepalive <= 0:
		return text(lang, "line.ka.off")
	case l.Node == nil:
		return text(lang, "line.elsewhere_node")
	}
	at := func(t time.Time) string { return dayAndClock(lang, t.In(zone)) }
	h := l.Node.TrunkHealth()
	switch h.State {
	case dialer.TrunkUp:
		return text(lang, "line.ka.up", h.Target, at(h.Since), float64(h.RTT.Microseconds())/1000, h.Status, l.Keepalive.Seconds())
	case dialer.TrunkDown:
		return text(lang, "line.ka.down", h.Target, at(h.Since), h.Misses)
	}
	return text(lang, "line.ka.unknown", h.Target)
}

// testCallForm is a test call as typed.
type testCallForm struct{ Target, Script, Lang string }

// testCallsView is the list of the latest test calls; Polling while one has
// not ended, so the page follows it.
type testCallsView struct {
	Lang    wellcheck.Lang
	Rows    []testCallRow
	Polling bool
}

type testCallRow struct{ When, By, Target, What, State, Digits, Times, Quality, Reason string }

// recentTestCalls is how many test calls the page lists.
const recentTestCalls = 10

// ScriptChoices are the test call's scripts.
func (l *Line) ScriptChoices(lang wellcheck.Lang) []option {
	return []option{{string(dialer.ScriptCheckIn), text(lang, "script.check_in")}, {string(dialer.ScriptEscalation), text(lang, "script.escalation")}}
}

// LangChoices are the prompts' languages, by name.
func (l *Line) LangChoices() []option {
	var out []option
	for _, code := range slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(l.Languages), l.EscalationLanguages...)))) {
		out = append(out, option{code, languageName(code)})
	}
	return out
}

// testCalls reads the latest test calls as the page lists them.
func (s *Server) testCalls(r *http.Request, settings wellcheck.Settings) (testCallsView, error) {
	calls, err := s.Store.Queries().RecentTestCalls(r.Context(), recentTestCalls)
	if err != nil {
		return testCallsView{}, err
	}
	lang, zone := langOf(r), personZone(settings.TimeZone)
	phones := phone.Parser{Region: settings.DefaultRegion}
	v := testCallsView{Lang: lang}
	for _, c := range calls {
		row := testCallRow{When: dayAndClock(lang, c.RequestedAt.In(zone)), By: cmp.Or(c.RequestedByName, "—"), Target: c.Target,
			What: text(lang, "script."+cmp.Or(c.Script, "check_in")) + " — " + languageName(c.Lang), Digits: c.Digits, Reason: c.Reason}
		if !strings.HasPrefix(c.Target, "sip:") {
			row.Target = phones.Format(wellcheck.Phone(c.Target))
		}
		switch {
		case c.EndedAt != nil:
			row.State = text(lang, "outcome."+string(c.Outcome))
			if c.SIPStatus != 0 {
				row.State += fmt.Sprintf(" (SIP %d)", c.SIPStatus)
			}
			row.Times = text(lang, "test_call_times", c.Ring.Round(100*time.Millisecond).Seconds(), c.Talk.Round(100*time.Millisecond).Seconds())
			row.Quality = qualityText(lang, c.Quality)
		case c.StartedAt != nil:
			row.State = text(lang, "test_call.calling")
		default:
			row.State = text(lang, "test_call.waiting")
		}
		v.Polling = v.Polling || c.EndedAt == nil
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// qualityText says what a call's RTP and RTCP told of its audio, the figures
// it learned only: "MOS 4.4 — perte 0.0 % reçue, 0.2 % envoyée — gigue 3 ms
// — aller-retour 48 ms"; a dash when it learned nothing.
func qualityText(lang wellcheck.Lang, q wellcheck.CallQuality) string {
	var parts, loss []string
	if q.MOS != nil {
		parts = append(parts, text(lang, "quality.mos", *q.MOS))
	}
	if q.LossReceivedPct != nil {
		loss = append(loss, text(lang, "quality.loss_received", *q.LossReceivedPct))
	}
	if q.LossSentPct != nil {
		loss = append(loss, text(lang, "quality.loss_sent", *q.LossSentPct))
	}
	if len(loss) > 0 {
		parts = append(parts, text(lang, "quality.loss", strings.Join(loss, ", ")))
	}
	if q.JitterMS != nil {
		parts = append(parts, text(lang, "quality.jitter", *q.JitterMS))
	}
	if q.RTTMS != nil {
		parts = append(parts, text(lang, "quality.rtt", *q.RTTMS))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " — ")
}

// testCallsFragment is the list of test calls alone, for the page to poll.
func (s *Server) testCallsFragment(w http.ResponseWriter, r *http.Request, sess session) error {
	settings, err := s.Store.Queries().Settings(r.Context())
	if err != nil {
		return err
	}
	v, err := s.testCalls(r, settings)
	if err != nil {
		return err
	}
	return s.renderFragment(w, fragmentTestCalls, v)
}

// testCall asks for a test call: the job that places it goes in the same
// transaction as its row and the audit entry, and any worker node places it
// with the dialer that wellcheck call uses.
func (s *Server) testCall(w http.ResponseWriter, r *http.Request, sess session) error {
	f := testCallForm{Target: r.PostFormValue("test.target"), Script: r.PostFormValue("test.script"), Lang: r.PostFormValue("test.lang")}
	err := s.requestTestCall(r, sess, f)
	return s.afterSettings(w, r, sess, err, "test_call")
}

func (s *Server) requestTestCall(r *http.Request, sess session, f testCallForm) error {
	if s.Line == nil {
		return wellcheck.Errorf(wellcheck.EInvalid, "no_line")
	}
	settings, err := s.Store.Queries().Settings(r.Context())
	if err != nil {
		return err
	}
	var ps wellcheck.Problems
	target, err := dialer.Target(f.Target, phone.Parser{Region: settings.DefaultRegion})
	if err != nil {
		ps.AddErr("test.target", err)
	}
	langs := s.Line.Languages
	switch dialer.Script(f.Script) {
	case dialer.ScriptCheckIn:
	case dialer.ScriptEscalation:
		langs = s.Line.EscalationLanguages
	default:
		ps.Add("test.script", "choice_invalid", f.Script, "check-in, escalation")
	}
	if !slices.Contains(langs, f.Lang) {
		ps.Add("test.lang", "no_prompts", f.Lang, strings.Join(langs, ", "))
	}
	if err := ps.Err(); err != nil {
		return err
	}
	return s.Store.WithTx(r.Context(), func(q *store.Queries) error {
		id, err := q.RequestTestCall(r.Context(), store.TestCall{RequestedBy: &sess.UserID, Target: target, Lang: f.Lang, Script: f.Script, RequestedAt: s.now()})
		if err != nil {
			return err
		}
		if err := q.Audit(r.Context(), actorOf(sess), "test_call.request", nil, nil,
			map[string]any{"test_call_id": id, "script": cmp.Or(f.Script, "check_in"), "lang": f.Lang}); err != nil {
			return err
		}
		return s.Jobs.EnqueueTestCall(r.Context(), q, id)
	})
}
