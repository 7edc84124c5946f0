package wellcheck

import "slices"

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
