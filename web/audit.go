package web

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// auditView is a page of the audit log, with its filters.
type auditView struct {
	Person, Actor, Action string
	Actors                []option
	Entries               []auditRow
	Next                  string // the next page's address, if there is one
}

type auditRow struct {
	store.AuditEntry
	When, Who, Details string
	Person, Case       int64 // 0: none
}

// audit shows the audit log to admins, newest first, a hundred entries a
// page: who did what, to whom, when. Its details never hold a phone number
// or a note.
func (s *Server) audit(w http.ResponseWriter, r *http.Request, sess session) error {
	lang := langOf(r)
	q := s.Store.Queries()
	// The filter's fields (audit.person…), or a link's shorter names
	// (/admin/audit?person=ID).
	param := func(name string) string {
		return strings.TrimSpace(cmp.Or(r.FormValue("audit."+name), r.FormValue(name)))
	}
	v := auditView{Person: param("person"), Actor: param("actor"), Action: param("action")}
	var aq store.AuditQuery
	var ps wellcheck.Problems
	idOf := func(field, s string) *int64 {
		if s == "" {
			return nil
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			ps.Add(field, "id_invalid", s)
			return nil
		}
		return &id
	}
	aq.PersonID, aq.ActorID = idOf("audit.person", v.Person), idOf("audit.actor", v.Actor)
	aq.Action = truncate(v.Action, 100)
	aq.Before, _ = strconv.ParseInt(r.FormValue("before"), 10, 64)
	settings, err := q.Settings(r.Context())
	if err != nil {
		return err
	}
	users, err := q.Users(r.Context())
	if err != nil {
		return err
	}
	v.Actors = append(v.Actors, option{"", text(lang, "audit_anyone")})
	for _, u := range users {
		v.Actors = append(v.Actors, option{strconv.FormatInt(u.ID, 10), u.FullName})
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
	zone := personZone(settings.TimeZone)
	for _, e := range entries {
		row := auditRow{AuditEntry: e, When: dayAndClock(lang, e.At.In(zone)) + e.At.In(zone).Format(":05"), Who: cmp.Or(e.ActorName, e.Actor)}
		if e.PersonID != nil {
			row.Person = *e.PersonID
		}
		if e.CaseID != nil {
			row.Case = *e.CaseID
		}
		if len(e.Details) > 0 {
			b, _ := json.Marshal(e.Details) // decoded from JSON: encodes again
			row.Details = string(b)
		}
		v.Entries = append(v.Entries, row)
	}
	if len(entries) == store.AuditPage {
		next := url.Values{"person": {v.Person}, "actor": {v.Actor}, "action": {v.Action}, "before": {strconv.FormatInt(entries[len(entries)-1].ID, 10)}}
		v.Next = "/admin/audit?" + next.Encode()
	}
	p.Data = v
	return s.render(w, r, pageAudit, http.StatusOK, p)
}
