package store

import (
	"context"
	"fmt"
	"strings"

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
