// Package wellcheck holds the domain of an outbound wellbeing-check service:
// persons enrolled by referral, their plans, check-ins and call attempts, the
// cases and follow-ups listeners work on, and the rules that need no I/O.
//
// Adapters live in their own packages: store/ (Postgres), scheduler/ (plans and
// calendars), dialer/ (SIP), workers/ (River), web/ (HTTP). See DESIGN.md.
package wellcheck

// Actor is who performed an action, for the audit log: a user, or the system.
type Actor struct {
	UserID *int64 // nil for the system
	Label  string // e.g. "user:12 (coordinator@example.org)", "cli", "planner"
}
