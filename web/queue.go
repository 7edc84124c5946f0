package web

import (
	"net/http"

	"github.com/wellcheck/wellcheck/store"
)

// queueView is the coordinators' queue.
type queueView struct {
	Escalations, Issues []queueRow
}

type queueRow struct {
	store.QueueItem
	Phone, Since, What string
}

// queue shows what waits for a coordinator: people still unreached after
// their emergency contacts were called (urgent, first), and numbers that do
// not work.
func (s *Server) queue(w http.ResponseWriter, r *http.Request, sess session) error {
	lang := langOf(r)
	escalations, issues, err := s.Store.Queries().Queue(r.Context())
	if err != nil {
		return err
	}
	phones, err := s.phones(r)
	if err != nil {
		return err
	}
	row := func(it store.QueueItem, what string) queueRow {
		return queueRow{QueueItem: it, Phone: phones.Format(it.Phone), Since: dayAndClock(lang, it.Since.In(personZone(it.TimeZone))), What: what}
	}
	var v queueView
	for _, e := range escalations {
		v.Escalations = append(v.Escalations, row(e, text(lang, "escalation."+e.Outcome)))
	}
	for _, d := range issues {
		// What the network said, in words, and how often.
		what := textOr(lang, "issue."+d.Detail, text(lang, "issue.other"))
		seen := text(lang, "issue_seen", d.Occurrences)
		if d.Occurrences == 1 {
			seen = text(lang, "issue_seen_once")
		}
		v.Issues = append(v.Issues, row(d, what+" — "+seen))
	}
	p := signedInPage(text(lang, "queue"), sess, v)
	switch r.URL.Query().Get("done") {
	case "resolved":
		p.Notice = text(lang, "done.resolved")
	case "closed": // a case closed, come back through / (home)
		p.Notice = text(lang, "done.case_closed")
	}
	return s.render(w, r, pageQueue, http.StatusOK, p)
}

// resolveIssue marks an undeliverable number dealt with (corrected, or the
// person reached another way).
func (s *Server) resolveIssue(w http.ResponseWriter, r *http.Request, sess session) error {
	id, ok := pathID(r)
	if !ok {
		return notFound("not_found_page")
	}
	err := s.Store.WithTx(r.Context(), func(q *store.Queries) error {
		if err := q.ResolveDataIssue(r.Context(), id, sess.UserID, s.now()); err != nil {
			return err
		}
		return q.Audit(r.Context(), actorOf(sess), "data_issue.resolve", nil, nil, map[string]any{"data_issue_id": id})
	})
	if err != nil {
		return notFoundAs(err, "not_found_page")
	}
	http.Redirect(w, r, "/queue?done=resolved", http.StatusSeeOther)
	return nil
}
