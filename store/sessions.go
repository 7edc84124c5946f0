package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// SetPasswordHash stores a user's password hash (never the password) and
// unlocks the account; ErrNotFound if there is no such user.
func (q *Queries) SetPasswordHash(ctx context.Context, userID int64, hash string, at time.Time) error {
	n, err := q.q.SetPasswordHash(ctx, dbsqlc.SetPasswordHashParams{ID: userID, PasswordHash: &hash, ChangedAt: &at})
	if err != nil {
		return translate(err, fmt.Sprintf("set the password of user %d", userID))
	}
	if n == 0 {
		return wellcheck.ErrNotFound
	}
	return nil
}

// Login is what signing in needs of an account.
type Login struct {
	UserID       int64
	PasswordHash string // "" if none was ever set
	Disabled     bool
}

// LoginByEmail reads an account for signing in; ErrNotFound if none.
func (q *Queries) LoginByEmail(ctx context.Context, email string) (Login, error) {
	r, err := q.q.GetLogin(ctx, email)
	if err != nil {
		return Login{}, translate(err, "read an account")
	}
	return Login{UserID: r.ID, PasswordHash: deref(r.PasswordHash), Disabled: r.DisabledAt != nil}, nil
}

// SignInFailures reads the failures that bear on an attempt on account
// userID (0 for an e-mail no account has) from addr.
func (q *Queries) SignInFailures(ctx context.Context, userID int64, addr string) (wellcheck.SignInFailures, error) {
	r, err := q.q.GetSignInFailures(ctx, dbsqlc.GetSignInFailuresParams{UserID: userID, Addr: addr})
	if err != nil {
		return wellcheck.SignInFailures{}, translate(err, "read failed sign-ins")
	}
	failed := func(n int32, last *time.Time) wellcheck.FailedSignIns {
		return wellcheck.FailedSignIns{Count: int(n), Last: deref(last)}
	}
	return wellcheck.SignInFailures{
		Pair:    failed(r.PairFailures, r.PairLast),
		Address: failed(r.AddressFailures, r.AddressLast),
		Account: failed(r.AccountFailures, r.AccountLast),
	}, nil
}

// RecordSignInFailure counts a failed sign-in at now from addr, when a
// password was checked (an attempt held back unchecked makes no wait
// grow): against the address; and, when it was wrong for account userID
// (non-zero), against the pair and the account. Failures the policy forgets
// start counting again.
func (q *Queries) RecordSignInFailure(ctx context.Context, p wellcheck.SignInPolicy, userID int64, addr string, checked bool, now time.Time) error {
	if !checked {
		return nil
	}
	err := q.q.RecordAddressFailure(ctx, dbsqlc.RecordAddressFailureParams{Addr: addr, Now: now, ForgetBefore: now.Add(-p.Address.Forget)})
	if err == nil && userID != 0 {
		err = q.q.RecordPairFailure(ctx, dbsqlc.RecordPairFailureParams{UserID: userID, Addr: addr, Now: now, ForgetBefore: now.Add(-p.Pair.Forget)})
		if err == nil {
			err = q.q.RecordAccountFailure(ctx, dbsqlc.RecordAccountFailureParams{ID: userID, Now: now, ForgetBefore: now.Add(-p.AccountForget)})
		}
	}
	return translate(err, "record a failed sign-in")
}

// ClearPairFailures starts the count of account userID from addr again,
// after the right password from there.
func (q *Queries) ClearPairFailures(ctx context.Context, userID int64, addr string) error {
	return translate(q.q.ClearPairFailures(ctx, dbsqlc.ClearPairFailuresParams{UserID: userID, Addr: addr}), "clear failed sign-ins")
}

// DeleteForgottenFailures deletes the failures the policy no longer counts
// at now: client addresses are kept no longer than they serve.
func (q *Queries) DeleteForgottenFailures(ctx context.Context, p wellcheck.SignInPolicy, now time.Time) error {
	return translate(q.q.DeleteForgottenFailures(ctx, dbsqlc.DeleteForgottenFailuresParams{
		PairsBefore: now.Add(-p.Pair.Forget), AddressesBefore: now.Add(-p.Address.Forget)}), "delete forgotten failed sign-ins")
}

// Session is a signed-in browser.
type Session struct {
	TokenHash []byte // SHA-256 of the cookie's token
	UserID    int64
	User      wellcheck.User // read with the session by TouchSession
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
	UserAgent string
}

// CreateSession stores a new session.
func (q *Queries) CreateSession(ctx context.Context, s Session) error {
	return translate(q.q.CreateSession(ctx, dbsqlc.CreateSessionParams{
		TokenHash: s.TokenHash, UserID: s.UserID, CsrfToken: s.CSRFToken, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, UserAgent: s.UserAgent,
	}), "create a session")
}

// TouchSession returns the live session of a token hash, with its user — not
// expired, used since idleSince, its user enabled — marking it seen at now;
// ErrNotFound otherwise.
func (q *Queries) TouchSession(ctx context.Context, tokenHash []byte, now, idleSince time.Time) (Session, error) {
	r, err := q.q.TouchSession(ctx, dbsqlc.TouchSessionParams{TokenHash: tokenHash, Now: now, IdleSince: idleSince})
	if err != nil {
		return Session{}, translate(err, "read a session")
	}
	return sessionOf(tokenHash, r), nil
}

// ReadSession returns the live session of a token hash as TouchSession does,
// without marking it seen: what a page asks by itself (a poll) does not keep
// a session alive.
func (q *Queries) ReadSession(ctx context.Context, tokenHash []byte, now, idleSince time.Time) (Session, error) {
	r, err := q.q.ReadSession(ctx, dbsqlc.ReadSessionParams{TokenHash: tokenHash, Now: now, IdleSince: idleSince})
	if err != nil {
		return Session{}, translate(err, "read a session")
	}
	return sessionOf(tokenHash, dbsqlc.TouchSessionRow(r)), nil
}

func sessionOf(tokenHash []byte, r dbsqlc.TouchSessionRow) Session {
	return Session{TokenHash: tokenHash, UserID: r.UserID, CSRFToken: r.CsrfToken, CreatedAt: r.CreatedAt,
		User: userFromRow(dbsqlc.User{ID: r.UserID, Email: r.Email, FullName: r.FullName, Roles: r.Roles, Languages: r.Languages,
			Capacity: r.Capacity, Present: r.Present})}
}

// DeleteSession ends one session.
func (q *Queries) DeleteSession(ctx context.Context, tokenHash []byte) error {
	return translate(q.q.DeleteSession(ctx, tokenHash), "end a session")
}

// DeleteUserSessions ends every session of a user (signing out everywhere,
// a new password, an account disabled), and every sign-in of theirs under
// way at its second step: a reset meant to shut an intruder out leaves no
// window. It returns how many sessions ended.
func (q *Queries) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	n, err := q.q.DeleteUserSessions(ctx, userID)
	if err == nil {
		err = q.q.DeleteUserPendingLogins(ctx, userID)
	}
	return n, translate(err, "end a user's sessions")
}

// DeleteExpiredSessions removes sessions past their expiry or idle since
// before idleSince.
func (q *Queries) DeleteExpiredSessions(ctx context.Context, now, idleSince time.Time) (int64, error) {
	n, err := q.q.DeleteExpiredSessions(ctx, dbsqlc.DeleteExpiredSessionsParams{Now: now, IdleSince: idleSince})
	return n, translate(err, "delete expired sessions")
}

// AuditActionsBy lists, oldest first, the actions the audit log records a
// user taking.
func (q *Queries) AuditActionsBy(ctx context.Context, userID int64) ([]string, error) {
	actions, err := q.q.ListAuditActionsByActor(ctx, &userID)
	return actions, translate(err, "read the audit log")
}

// ListItem is one follow-up on a user's list, with what the list shows of the
// person.
type ListItem struct {
	wellcheck.FollowUp
	FullName string
	Phone    wellcheck.Phone
	TimeZone string
	Pool     bool // in the shared pool, not (yet) the user's own
	// UpdatedAt is the follow-up's last change (ListVersion reads it).
	UpdatedAt time.Time
	// Escalation is the case's latest escalation, if it had one (without
	// its calls).
	Escalation *CaseEscalation
}

// MyList returns a user's pending follow-ups and the shared pool's (at most
// 500), most pressing first: never another listener's.
func (q *Queries) MyList(ctx context.Context, userID int64) ([]ListItem, error) {
	rows, err := q.q.ListMyFollowUps(ctx, &userID)
	if err != nil {
		return nil, translate(err, "read a list")
	}
	out := make([]ListItem, len(rows))
	for i, r := range rows {
		out[i] = ListItem{
			FollowUp: wellcheck.FollowUp{ID: r.ID, CaseID: r.CaseID, PersonID: r.PersonID, AssigneeID: r.AssigneeID,
				Reason: wellcheck.FollowUpReason(r.Reason), Priority: wellcheck.Priority(r.Priority), DueAt: r.DueAt, State: "pending"},
			FullName: r.FullName, Phone: wellcheck.Phone(r.Phone), TimeZone: r.TimeZone, Pool: r.AssigneeID == nil, UpdatedAt: r.UpdatedAt,
		}
		if r.EscalationID != nil {
			out[i].Escalation = &CaseEscalation{
				Escalation: Escalation{ID: *r.EscalationID, CaseID: r.CaseID, PersonID: r.PersonID, StartedAt: deref(r.EscalationStartedAt),
					EndedAt: r.EscalationEndedAt, Outcome: wellcheck.EscalationOutcome(deref(r.EscalationOutcome))},
				AcknowledgedName: r.AcknowledgedByName, AcknowledgedRelation: r.AcknowledgedByRelation,
			}
		}
	}
	return out, nil
}

// ListVersion names a list as it stands: it changes whenever a follow-up
// enters it, leaves it or changes, or its case's escalation moves on. The
// list page and its poll both derive it from the list itself, so they cannot
// disagree.
func ListVersion(items []ListItem) string {
	h := fnv.New64a()
	for _, it := range items {
		fmt.Fprintf(h, "%d:%d;", it.ID, it.UpdatedAt.UnixMicro())
		if e := it.Escalation; e != nil {
			fmt.Fprintf(h, "e%d:%s;", e.ID, e.Outcome) // a contact's answer is news too
		}
	}
	return fmt.Sprintf("%d-%x", len(items), h.Sum64())
}

// seesEveryCase is whether user may see any case (an active coordinator or
// admin), not only their own and the shared pool's.
func seesEveryCase(user wellcheck.User) bool {
	return !user.Disabled && (user.Has(wellcheck.RoleCoordinator) || user.Has(wellcheck.RoleAdmin))
}

// CaseFor returns a case if user may see it — coordinators and admins any
// case, a listener their own and the shared pool's — and ErrNotFound
// otherwise, whether it does not exist or is not theirs.
func (q *Queries) CaseFor(ctx context.Context, caseID int64, user wellcheck.User) (wellcheck.Case, error) {
	r, err := q.q.GetCaseFor(ctx, dbsqlc.GetCaseForParams{ID: caseID, SeeAll: seesEveryCase(user), UserID: &user.ID})
	if err != nil {
		return wellcheck.Case{}, translate(err, fmt.Sprintf("case %d", caseID))
	}
	return caseOf(r), nil
}

// CaseFollowUp is a follow-up in a case's history.
type CaseFollowUp struct {
	wellcheck.FollowUp
	Reached                 *bool
	EmergencyServicesCalled bool
	DoneAt                  *time.Time
	PartnerName, DoneBy     string // the partner the person was oriented to, and who did it
}

// CaseFollowUps returns a case's follow-ups, latest first.
func (q *Queries) CaseFollowUps(ctx context.Context, caseID int64) ([]CaseFollowUp, error) {
	rows, err := q.q.ListCaseFollowUps(ctx, caseID)
	if err != nil {
		return nil, translate(err, "read a case's follow-ups")
	}
	out := make([]CaseFollowUp, len(rows))
	for i, r := range rows {
		f := r.FollowUp
		out[i] = CaseFollowUp{FollowUp: followUpOf(f), Reached: f.Reached, EmergencyServicesCalled: f.EmergencyServicesCalled, DoneAt: f.DoneAt,
			PartnerName: deref(r.PartnerName), DoneBy: deref(r.DoneByName)}
	}
	return out, nil
}

// Note is a note on a case.
type Note struct {
	ID         int64
	FollowUpID *int64
	AuthorID   *int64
	Body       string
	CreatedAt  time.Time
}

// CaseNotes returns a case's notes, latest first.
func (q *Queries) CaseNotes(ctx context.Context, caseID int64) ([]Note, error) {
	rows, err := q.q.ListCaseNotes(ctx, &caseID)
	if err != nil {
		return nil, translate(err, "read a case's notes")
	}
	out := make([]Note, len(rows))
	for i, r := range rows {
		out[i] = Note{ID: r.ID, FollowUpID: r.FollowUpID, AuthorID: r.AuthorID, Body: r.Body, CreatedAt: r.CreatedAt}
	}
	return out, nil
}
