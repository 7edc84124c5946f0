package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// CreateUser adds a user; an e-mail already used is a conflict.
func (q *Queries) CreateUser(ctx context.Context, u wellcheck.User) (wellcheck.User, error) {
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	langs := u.Languages
	if len(langs) == 0 {
		langs = []string{"fr"}
	}
	row, err := q.q.CreateUser(ctx, dbsqlc.CreateUserParams{
		Email: strings.TrimSpace(u.Email), FullName: u.FullName, Roles: roles, Languages: langs, Capacity: int32(u.Capacity),
	})
	if isConstraint(err, "users_email_key") {
		return wellcheck.User{}, wellcheck.Errorf(wellcheck.EConflict, "user_email_taken", u.Email)
	}
	if err != nil {
		return wellcheck.User{}, translate(err, "create user")
	}
	return userFromRow(row), nil
}

// CreateUserWithPassword adds a user who signs in with the password hash
// was made from (set at at).
func (q *Queries) CreateUserWithPassword(ctx context.Context, u wellcheck.User, hash string, at time.Time) (wellcheck.User, error) {
	created, err := q.CreateUser(ctx, u)
	if err != nil {
		return created, err
	}
	return created, q.SetPasswordHash(ctx, created.ID, hash, at)
}

// UserByEmail finds a user by e-mail, case-insensitively.
func (q *Queries) UserByEmail(ctx context.Context, email string) (wellcheck.User, error) {
	row, err := q.q.GetUserByEmail(ctx, strings.TrimSpace(email))
	if err != nil {
		return wellcheck.User{}, translate(err, "find user by e-mail")
	}
	return userFromRow(row), nil
}

// User finds a user by id.
func (q *Queries) User(ctx context.Context, id int64) (wellcheck.User, error) {
	row, err := q.q.GetUser(ctx, id)
	if err != nil {
		return wellcheck.User{}, translate(err, fmt.Sprintf("user %d", id))
	}
	return userFromRow(row), nil
}

// UsersByID returns the users of ids that exist, in no order: one read for
// many (a person's call ringing the listeners whose pages are open).
func (q *Queries) UsersByID(ctx context.Context, ids []int64) ([]wellcheck.User, error) {
	rows, err := q.q.ListUsersByID(ctx, ids)
	if err != nil {
		return nil, translate(err, "read users")
	}
	out := make([]wellcheck.User, len(rows))
	for i, r := range rows {
		out[i] = userFromRow(r)
	}
	return out, nil
}

func userFromRow(r dbsqlc.User) wellcheck.User {
	roles := make([]wellcheck.Role, len(r.Roles))
	for i, s := range r.Roles {
		roles[i] = wellcheck.Role(s)
	}
	return wellcheck.User{
		ID: r.ID, Email: r.Email, FullName: r.FullName, Roles: roles,
		Languages: r.Languages, Capacity: int(r.Capacity), Present: r.Present, Disabled: r.DisabledAt != nil,
	}
}

// ActiveListeners returns the id of every active listener by lower-cased e-mail.
func (q *Queries) ActiveListeners(ctx context.Context) (map[string]int64, error) {
	rows, err := q.q.ListActiveListeners(ctx)
	if err != nil {
		return nil, translate(err, "list listeners")
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[strings.ToLower(r.Email)] = r.ID
	}
	return out, nil
}

// SetPresent switches a listener present or away; ErrNotFound for no such user.
func (q *Queries) SetPresent(ctx context.Context, userID int64, present bool) error {
	n, err := q.q.SetPresent(ctx, dbsqlc.SetPresentParams{ID: userID, Present: present})
	if err != nil {
		return translate(err, "set presence")
	}
	if n == 0 {
		return wellcheck.ErrNotFound
	}
	return nil
}

// SetShifts replaces a listener's weekly shifts (in the service's zone).
func (q *Queries) SetShifts(ctx context.Context, userID int64, shifts []Shift) error {
	if err := q.q.DeleteShifts(ctx, userID); err != nil {
		return translate(err, "clear shifts")
	}
	p := dbsqlc.AddShiftsParams{UserID: userID}
	for _, s := range shifts {
		p.Weekdays = append(p.Weekdays, int16(wellcheck.ISOWeekday(s.Weekday)))
		p.Starts = append(p.Starts, pgTime(s.Start))
		p.Ends = append(p.Ends, pgTime(s.End))
	}
	return translate(q.q.AddShifts(ctx, p), "set shifts")
}

// Listener is a listener's profile as coordinators keep it: languages,
// skills, capacity, weekly shifts, and their load now.
type Listener struct {
	ListenerLoad
	Skills []string
	Shifts []Shift
}

// Listener reads a listener's profile; ErrNotFound if the user is no listener.
func (q *Queries) Listener(ctx context.Context, id int64) (Listener, error) {
	row, err := q.q.GetListener(ctx, id)
	if err != nil {
		return Listener{}, translate(err, fmt.Sprintf("listener %d", id))
	}
	shifts, err := q.q.ListUserShifts(ctx, id)
	if err != nil {
		return Listener{}, translate(err, fmt.Sprintf("shifts of listener %d", id))
	}
	l := Listener{ListenerLoad: ListenerLoad{User: userFromRow(dbsqlc.User{ID: row.ID, Email: row.Email, FullName: row.FullName, Roles: row.Roles,
		Languages: row.Languages, Capacity: row.Capacity, Present: row.Present, DisabledAt: row.DisabledAt}), Pending: int(row.Pending)},
		Skills: row.Skills}
	for _, s := range shifts {
		l.Shifts = append(l.Shifts, Shift{Weekday: time.Weekday(s.Weekday % 7), Window: wellcheck.Window{Start: timeOfDay(s.Starts), End: timeOfDay(s.Ends)}})
	}
	return l, nil
}

// SaveListener changes a listener's languages, skills, capacity and weekly
// shifts; ErrNotFound if the user is no listener.
func (q *Queries) SaveListener(ctx context.Context, l Listener) error {
	n, err := q.q.UpdateListenerProfile(ctx, dbsqlc.UpdateListenerProfileParams{ID: l.ID, Languages: l.Languages, Skills: l.Skills, Capacity: int32(l.Capacity)})
	if err != nil {
		return translate(err, fmt.Sprintf("save listener %d", l.ID))
	}
	if n == 0 {
		return wellcheck.ErrNotFound
	}
	return q.SetShifts(ctx, l.ID, l.Shifts)
}

// Account is a user as the admins' page shows them.
type Account struct {
	wellcheck.User
	// FailedSignIns are the account's failed sign-ins from every address.
	FailedSignIns wellcheck.FailedSignIns
	CreatedAt     time.Time
}

// Users lists every user, active ones first, by name.
func (q *Queries) Users(ctx context.Context) ([]Account, error) {
	rows, err := q.q.ListUsers(ctx)
	if err != nil {
		return nil, translate(err, "list users")
	}
	out := make([]Account, len(rows))
	for i, r := range rows {
		out[i] = Account{User: userFromRow(r), CreatedAt: r.CreatedAt,
			FailedSignIns: wellcheck.FailedSignIns{Count: int(r.FailedLogins), Last: deref(r.LastFailedLoginAt)}}
	}
	return out, nil
}

// SaveAccount changes a user's name and roles, and disables or enables the
// account (a disabled user is away, and signs in no more).
func (q *Queries) SaveAccount(ctx context.Context, u wellcheck.User, at time.Time) error {
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	n, err := q.q.UpdateUserAccount(ctx, dbsqlc.UpdateUserAccountParams{ID: u.ID, FullName: u.FullName, Roles: roles, Disabled: u.Disabled, At: at})
	if err != nil {
		return translate(err, fmt.Sprintf("save user %d", u.ID))
	}
	if n == 0 {
		return wellcheck.ErrNotFound
	}
	return nil
}
