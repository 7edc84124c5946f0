package store

import (
	"context"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// CaseItem is an open case in a list, with what the list shows of the person.
type CaseItem struct {
	wellcheck.Case
	FullName string
	Phone    wellcheck.Phone
	TimeZone string
}

// OpenCasesFor returns the open cases user may see, most pressing first (at
// most max): coordinators and admins every one, a listener their own and the
// shared pool's — never another listener's. The query is the check, as for
// CaseFor.
func (q *Queries) OpenCasesFor(ctx context.Context, user wellcheck.User, max int) ([]CaseItem, error) {
	rows, err := q.q.ListOpenCasesFor(ctx, dbsqlc.ListOpenCasesForParams{SeeAll: seesEveryCase(user), UserID: &user.ID, Max: int32(max)})
	if err != nil {
		return nil, translate(err, "list open cases")
	}
	out := make([]CaseItem, len(rows))
	for i, r := range rows {
		out[i] = CaseItem{Case: caseOf(r.Case), FullName: r.FullName, Phone: wellcheck.Phone(r.Phone), TimeZone: r.TimeZone}
	}
	return out, nil
}
