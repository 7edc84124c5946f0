package web

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/scheduler"
	"github.com/wellcheck/wellcheck/store"
)

// auditView is a page of the audit log, with its filters.
type auditView struct {
	Person, Actor, Action, Since, Until string
	Actors, Actions                     []option
	Entries                             []auditRow
	Next                                string // the next page's address, if there is one
}

type auditRow struct {
	store.AuditEntry
	When, Who, Did, Details string
	Person, Case            int64 // 0: none
}

// auditActions are the actions the log names, in the order the filter
// offers them; each says, in words, what was done (and to whom, when a
// person follows).
var auditActions = []string{
	"person.view", "case.view", "person.enrol", "person.details", "person.plan", "person.pause", "person.resume",
	"person.withdraw", "person.erase", "person.purge", "case.open", "case.raise", "case.claim", "case.reassign",
	"case.close", "follow_up.record", "follow_up.schedule", "call.start", "call.end", "person.called_in", "escalation.start",
	"escalation.acknowledged", "escalation.end", "data_issue.resolve", "user.login", "user.login_failed", "user.logout_everywhere",
	"user.presence", "user.add", "user.change", "user.password_reset", "user.mfa_reset", "mfa.enrol",
	"mfa.recovery_codes", "mfa.disable", "session.end", "settings.hours", "settings.service", "settings.second_factor",
	"closure.add", "closure.delete", "partner.save", "listener.profile", "test_call.request", "export.",
	"api_token.create", "api_token.revoke",
}

// did says an action in words ("a consulté le dossier de"); an action the
// catalogue does not know is shown as it is.
func did(lang wellcheck.Lang, action string) string {
	key := "did." + action
	if strings.HasPrefix(action, "export.") {
		key = "did.export."
	}
	return textOr(lang, key, action)
}

// whoDid names who acted: the user, or the system's part, in words.
func whoDid(lang wellcheck.Lang, e store.AuditEntry) string {
	switch {
	case e.ActorName != "":
		return e.ActorName
	case strings.HasPrefix(e.Actor, "system:"):
		return text(lang, "who_system", text(lang, "system_part."+strings.TrimPrefix(e.Actor, "system:")))
	case e.Actor == string(wellcheck.ViaCLI):
		return text(lang, "who_operator")
	}
	return e.Actor
}

// audit shows the audit log to admins, newest first, a hundred entries a
// page, as sentences: who did what, to whom, when. It filters by person
// (a part of the name, or the number), by who acted, by action and by
// period. Its details never hold a phone number or a note.
func (s *Server) audit(w http.ResponseWriter, r *http.Request, sess session) error {
	lang := langOf(r)
	q := s.Store.Queries()
	// The filter's fields (audit.person…), or a link's shorter names
	// (/admin/audit?person=ID).
	param := func(name string) string {
		return strings.TrimSpace(cmp.Or(r.FormValue("audit."+name), r.FormValue(name)))
	}
	v := auditView{Person: param("person"), Actor: param("actor"), Action: param("action"), Since: param("since"), Until: param("until")}
	settings, err := q.Settings(r.Context())
	if err != nil {
		return err
	}
	zone := personZone(settings.TimeZone)
	var aq store.AuditQuery
	var ps wellcheck.Problems
	if id, err := strconv.ParseInt(v.Person, 10, 64); err == nil && id > 0 {
		aq.PersonID = &id
	} else {
		aq.PersonName = truncate(v.Person, 100)
	}
	if v.Actor != "" {
		id, err := strconv.ParseInt(v.Actor, 10, 64)
		if err != nil || id <= 0 {
			ps.Add("audit.actor", "id_invalid", v.Actor)
		} else {
			aq.ActorID = &id
		}
	}
	day := func(field, value string, after int) *time.Time {
		if value == "" {
			return nil
		}
		d, err := time.ParseInLocation(time.DateOnly, value, zone)
		if err != nil {
			ps.Add(field, "date_invalid", value)
			return nil
		}
		d = d.AddDate(0, 0, after)
		return &d
	}
	aq.Since, aq.Until = day("audit.since", v.Since, 0), day("audit.until", v.Until, 1) // the last day included
	aq.Action = truncate(v.Action, 100)
	aq.Before, _ = strconv.ParseInt(r.FormValue("before"), 10, 64)
	users, err := q.Users(r.Context())
	if err != nil {
		return err
	}
	v.Actors = append(v.Actors, option{"", text(lang, "audit_anyone")})
	names := map[int64]string{}
	for _, u := range users {
		v.Actors = append(v.Actors, option{strconv.FormatInt(u.ID, 10), u.FullName})
		names[u.ID] = u.FullName
	}
	v.Actions = append(v.Actions, option{"", text(lang, "audit_any_action")})
	for _, a := range auditActions {
		v.Actions = append(v.Actions, option{a, did(lang, a)})
	}
	p := signedInPage(text(lang, "audit"), sess, nil)
	if err := ps.Err(); err != nil {
		p.Error, p.Problems = problemsOf(err, lang)
		p.Data = v
		return s.render(w, r, pageAudit, http.StatusUnprocessableEntity, p)
	}
	entries, err := q.SearchAudit(r.Context(), aq)
	if err != nil {
		return err
	}
	for _, e := range entries {
		row := auditRow{AuditEntry: e, When: dayAndClock(lang, e.At.In(zone)) + e.At.In(zone).Format(":05"), Who: whoDid(lang, e), Did: did(lang, e.Action)}
		if e.PersonID != nil {
			row.Person = *e.PersonID
		}
		if e.CaseID != nil {
			row.Case = *e.CaseID
		}
		row.Details = details(lang, e.Details, names, zone)
		v.Entries = append(v.Entries, row)
	}
	if len(entries) == store.AuditPage {
		next := url.Values{"person": {v.Person}, "actor": {v.Actor}, "action": {v.Action}, "since": {v.Since}, "until": {v.Until},
			"before": {strconv.FormatInt(entries[len(entries)-1].ID, 10)}}
		v.Next = "/admin/audit?" + next.Encode()
	}
	p.Data = v
	return s.render(w, r, pageAudit, http.StatusOK, p)
}

// details writes an entry's details in words, "label : value" pairs in a
// stable order: a user's id becomes their name, a priority or a reason its
// words, yes and no words; a key the catalogue does not name is shown as
// it is.
func details(lang wellcheck.Lang, d map[string]any, users map[int64]string, zone *time.Location) string {
	parts := make([]string, 0, len(d))
	for _, k := range slices.Sorted(maps.Keys(d)) {
		parts = append(parts, textOr(lang, "detail."+k, k)+" : "+detailValue(lang, k, d[k], users, zone))
	}
	return strings.Join(parts, " · ")
}

func detailValue(lang wellcheck.Lang, key string, v any, users map[int64]string, zone *time.Location) string {
	switch v := v.(type) {
	case bool:
		if v {
			return text(lang, "yes")
		}
		return text(lang, "no")
	case float64: // JSON numbers
		if (key == "assignee_id" || key == "user_id" || key == "from" || key == "to") && users[int64(v)] != "" {
			return users[int64(v)]
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		switch key {
		case "priority":
			return text(lang, "priority."+v)
		case "reason": // a case's or follow-up's, or a closure's
			return textOr(lang, "reason."+v, textOr(lang, "closure."+v, v))
		case "outcome": // an escalation's
			return textOr(lang, "escalation."+v, v)
		case "call_outcome": // a browser phone's call
			return textOr(lang, "call_result."+v, v)
		case "direction":
			return textOr(lang, "call_dir."+v, v)
		case "hung_up_by":
			return textOr(lang, "hung_up."+v, v)
		case "via":
			return textOr(lang, "via."+v, v)
		case "cron":
			if words, ok := scheduler.Describe(v, lang); ok {
				return words
			}
		case "referral_source":
			return text(lang, "source."+v)
		case "due_at", "at":
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				return dayAndClock(lang, t.In(zone))
			}
		}
		return v
	case nil:
		return "—"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
