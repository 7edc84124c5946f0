// Package wellcheck holds the domain of an outbound wellbeing-check service:
// persons enrolled by referral, their plans, check-ins and call attempts, the
// cases and follow-ups listeners work on, and the rules that need no I/O.
//
// The stages follow a check-in in the order of the flow: enroll/ (enrolment),
// scheduler/ (plans and calendars), calling/ (the calls), care/ (what
// follows a call), with admin/ for the administration, store/ (Postgres),
// dialer/ (SIP), jobs/ (River) and web/ (HTTP) at the edges. See
// docs/architecture.md.
package wellcheck

import "context"

// Actor is who performed an action, for the audit log. One convention: a
// person is their user id, labelled with how they acted (Via: "web", "api",
// "cli", "import"); the system is labelled "system:" and its part
// ("system:calls", "system:retention").
type Actor struct {
	UserID *int64 // nil for the system
	Label  string
}

// Via is how a person acted: through the pages, the JSON API, the command
// line, or a register imported.
type Via string

const (
	ViaWeb    Via = "web"
	ViaAPI    Via = "api"
	ViaCLI    Via = "cli"
	ViaImport Via = "import"
)

// UserActor is user id acting via a channel.
func UserActor(id int64, via Via) Actor { return Actor{UserID: &id, Label: string(via)} }

// Operator is someone at the server's command line who acts without an
// account: adding the first admin, creating API tokens.
var Operator = Actor{Label: string(ViaCLI)}

// SystemActor is the system acting in one of its parts.
func SystemActor(part string) Actor { return Actor{Label: "system:" + part} }

type viaKey struct{}

// WithVia says, for the services called with ctx, how the person acts.
func WithVia(ctx context.Context, via Via) context.Context {
	return context.WithValue(ctx, viaKey{}, via)
}

// ViaOf is how the person acting with ctx acts ("unknown" if nobody said).
func ViaOf(ctx context.Context) Via {
	if via, ok := ctx.Value(viaKey{}).(Via); ok {
		return via
	}
	return "unknown"
}
