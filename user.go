package wellcheck

import (
	"net/mail"
	"slices"
	"strings"
)

// Role is what a user may do.
type Role string

const (
	RoleListener    Role = "listener"
	RoleCoordinator Role = "coordinator"
	RoleAdmin       Role = "admin"
)

// Roles lists the allowed roles.
var Roles = []Role{RoleListener, RoleCoordinator, RoleAdmin}

// User is a listener, coordinator or admin.
type User struct {
	ID        int64
	Email     string
	FullName  string
	Roles     []Role
	Languages []string
	Capacity  int
	Present   bool
	Disabled  bool
}

// Has reports whether u has role r.
func (u User) Has(r Role) bool { return slices.Contains(u.Roles, r) }

// CanEnrol reports whether u may enrol persons (coordinators and admins).
func (u User) CanEnrol() bool { return !u.Disabled && (u.Has(RoleCoordinator) || u.Has(RoleAdmin)) }

// NewUser checks a new account as an admin gives it: an e-mail address, a
// name, at least one role among Roles, languages spoken (French if none) and
// a capacity. Problems name the fields user.email, user.full_name,
// user.roles and user.capacity.
func NewUser(email, name string, roles, languages []string, capacity int) (User, error) {
	var ps Problems
	u := User{Email: strings.TrimSpace(email), FullName: strings.TrimSpace(name), Capacity: capacity}
	if addr, err := mail.ParseAddress(u.Email); err != nil || addr.Address != u.Email {
		ps.Add("user.email", "email_invalid", email)
	}
	if u.FullName == "" {
		ps.Add("user.full_name", "required")
	}
	for _, r := range roles {
		role := Role(strings.TrimSpace(strings.ToLower(r)))
		if !slices.Contains(Roles, role) {
			ps.Add("user.roles", "role_invalid", r)
			continue
		}
		u.Roles = append(u.Roles, role)
	}
	if len(roles) == 0 {
		ps.Add("user.roles", "required")
	}
	for _, l := range languages {
		if l = strings.TrimSpace(strings.ToLower(l)); l != "" {
			u.Languages = append(u.Languages, l)
		}
	}
	if len(u.Languages) == 0 {
		u.Languages = []string{"fr"}
	}
	if capacity < 0 || capacity > MaxCapacity {
		ps.Add("user.capacity", "capacity_invalid", MaxCapacity)
	}
	return u, ps.Err()
}

// MaxCapacity is the most follow-ups a listener may have waiting.
const MaxCapacity = 200

// SameID reports whether two optional ids (a referent, an assignee) are the
// same: both none, or equal.
func SameID(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
