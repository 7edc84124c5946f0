package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// PersonHit is a person as a search lists them.
type PersonHit struct {
	ID          int64
	FullName    string
	Phone       wellcheck.Phone
	Status      wellcheck.PersonStatus
	Postcode    string
	City        string
	PausedUntil *time.Time
}

// SearchPersons finds up to max persons by number (when phone is set) or by
// any part of their name, case-insensitively.
func (q *Queries) SearchPersons(ctx context.Context, name string, phone wellcheck.Phone, max int) ([]PersonHit, error) {
	var rows []dbsqlc.SearchPersonsByNameRow
	var err error
	if phone != "" {
		var byPhone []dbsqlc.SearchPersonsByPhoneRow
		byPhone, err = q.q.SearchPersonsByPhone(ctx, dbsqlc.SearchPersonsByPhoneParams{Phone: string(phone), MaxRows: int32(max)})
		for _, r := range byPhone {
			rows = append(rows, dbsqlc.SearchPersonsByNameRow(r))
		}
	} else {
		rows, err = q.q.SearchPersonsByName(ctx, dbsqlc.SearchPersonsByNameParams{Term: strings.ToLower(strings.TrimSpace(name)), MaxRows: int32(max)})
	}
	if err != nil {
		return nil, translate(err, "search persons")
	}
	hits := make([]PersonHit, len(rows))
	for i, r := range rows {
		hits[i] = PersonHit{r.ID, r.FullName, wellcheck.Phone(r.Phone), wellcheck.PersonStatus(r.Status), r.Postcode, r.City, r.PausedUntil}
	}
	return hits, nil
}

func partnerOf(r dbsqlc.Partner) wellcheck.Partner {
	p := wellcheck.Partner{ID: r.ID, Name: r.Name, Kind: r.Kind, Areas: r.Postcodes, Hours: r.Hours, ArchivedAt: r.ArchivedAt}
	if r.Phone != nil {
		p.Phone = wellcheck.Phone(*r.Phone)
	}
	return p
}

func phoneOrNil(p wellcheck.Phone) *string {
	if p == "" {
		return nil
	}
	s := string(p)
	return &s
}

// Partners lists the partner directory by name, archived ones last if asked for.
func (q *Queries) Partners(ctx context.Context, withArchived bool) ([]wellcheck.Partner, error) {
	rows, err := q.q.ListPartners(ctx, withArchived)
	if err != nil {
		return nil, translate(err, "list partners")
	}
	out := make([]wellcheck.Partner, len(rows))
	for i, r := range rows {
		out[i] = partnerOf(r)
	}
	return out, nil
}

// Partner reads one partner.
func (q *Queries) Partner(ctx context.Context, id int64) (wellcheck.Partner, error) {
	r, err := q.q.GetPartner(ctx, id)
	if err != nil {
		return wellcheck.Partner{}, translate(err, fmt.Sprintf("partner %d", id))
	}
	return partnerOf(r), nil
}

// SavePartner adds p (ID zero) or updates it.
func (q *Queries) SavePartner(ctx context.Context, p wellcheck.Partner) (wellcheck.Partner, error) {
	areas := p.Areas
	if areas == nil {
		areas = []string{}
	}
	var (
		r   dbsqlc.Partner
		err error
	)
	if p.ID == 0 {
		r, err = q.q.CreatePartner(ctx, dbsqlc.CreatePartnerParams{Name: p.Name, Kind: p.Kind, Areas: areas, Phone: phoneOrNil(p.Phone), Hours: p.Hours})
	} else {
		r, err = q.q.UpdatePartner(ctx, dbsqlc.UpdatePartnerParams{ID: p.ID, Name: p.Name, Kind: p.Kind, Areas: areas,
			Phone: phoneOrNil(p.Phone), Hours: p.Hours, ArchivedAt: p.ArchivedAt})
	}
	if err != nil {
		return wellcheck.Partner{}, translate(err, "save partner")
	}
	return partnerOf(r), nil
}

// PartnersFor lists the active partners serving a person's place, nearest
// first: their postcode, their commune, their département, then those serving
// everyone.
func (q *Queries) PartnersFor(ctx context.Context, postcode, city string) ([]wellcheck.Partner, error) {
	rows, err := q.q.PartnersFor(ctx, dbsqlc.PartnersForParams{
		Postcode: strings.ToLower(strings.TrimSpace(postcode)), City: strings.ToLower(strings.TrimSpace(city)),
		Departement: wellcheck.Departement(postcode),
	})
	if err != nil {
		return nil, translate(err, "partners for a place")
	}
	out := make([]wellcheck.Partner, len(rows))
	for i, r := range rows {
		out[i] = partnerOf(dbsqlc.Partner{ID: r.ID, Name: r.Name, Kind: r.Kind, Postcodes: r.Postcodes, Phone: r.Phone, Hours: r.Hours, ArchivedAt: r.ArchivedAt})
	}
	return out, nil
}

// ListenerLoad is an active listener with their load: pending follow-ups,
// the measure their capacity is judged against.
type ListenerLoad struct {
	wellcheck.User
	Pending int
}

// Listeners lists the active listeners by name, with their load.
func (q *Queries) Listeners(ctx context.Context) ([]ListenerLoad, error) {
	rows, err := q.q.ListListenerUsers(ctx)
	if err != nil {
		return nil, translate(err, "list listeners")
	}
	out := make([]ListenerLoad, len(rows))
	for i, r := range rows {
		out[i] = ListenerLoad{User: wellcheck.User{ID: r.ID, FullName: r.FullName, Email: r.Email, Languages: r.Languages,
			Capacity: int(r.Capacity), Present: r.Present, Roles: []wellcheck.Role{wellcheck.RoleListener}}, Pending: int(r.Pending)}
	}
	return out, nil
}

// QueueItem is one thing in the coordinators' queue: an open case whose last
// escalation reached nobody, or a number that does not work.
type QueueItem struct {
	ID, PersonID int64
	CaseID       int64 // escalations
	FullName     string
	Phone        wellcheck.Phone
	TimeZone     string
	Since        time.Time
	Outcome      string // escalations: nobody, no_contacts
	Detail       string // data issues: what the network said
	Occurrences  int
}

// Queue lists the coordinators' queue: unacknowledged escalations and
// undeliverable numbers, oldest first (500 of each at most).
func (q *Queries) Queue(ctx context.Context) (escalations, issues []QueueItem, err error) {
	es, err := q.q.ListQueueEscalations(ctx)
	if err != nil {
		return nil, nil, translate(err, "queue escalations")
	}
	for _, e := range es {
		escalations = append(escalations, QueueItem{ID: e.ID, PersonID: e.PersonID, CaseID: e.CaseID, FullName: e.FullName,
			Phone: wellcheck.Phone(e.Phone), TimeZone: e.TimeZone, Since: e.StartedAt, Outcome: deref(e.Outcome)})
	}
	ds, err := q.q.ListQueueDataIssues(ctx)
	if err != nil {
		return nil, nil, translate(err, "queue data issues")
	}
	for _, d := range ds {
		issues = append(issues, QueueItem{ID: d.ID, PersonID: d.PersonID, FullName: d.FullName, Phone: wellcheck.Phone(d.Phone),
			TimeZone: d.TimeZone, Since: d.OpenedAt, Detail: d.Detail, Occurrences: int(d.Occurrences)})
	}
	return escalations, issues, nil
}

// ResolveDataIssue marks a data issue dealt with by user by.
func (q *Queries) ResolveDataIssue(ctx context.Context, id, by int64, at time.Time) error {
	n, err := q.q.ResolveDataIssue(ctx, dbsqlc.ResolveDataIssueParams{ID: id, By: &by, At: &at})
	if err != nil {
		return translate(err, "resolve data issue")
	}
	if n == 0 {
		return wellcheck.ErrNotFound
	}
	return nil
}
