package store

import (
	"context"
	"fmt"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// SecondFactor is a user's TOTP factor as stored. Secret is as sealed
// (admin seals and opens it); Confirmed is whether a code from it was
// typed, which makes it the account's factor.
type SecondFactor struct {
	UserID      int64
	Secret      string
	CreatedAt   time.Time
	ConfirmedAt *time.Time
	LastStep    int64
}

// Confirmed is whether the factor is the account's (a code from it was typed).
func (f SecondFactor) Confirmed() bool { return f.ConfirmedAt != nil }

// SecondFactor reads a user's factor, confirmed or not; ErrNotFound if none.
func (q *Queries) SecondFactor(ctx context.Context, userID int64) (SecondFactor, error) {
	r, err := q.q.GetSecondFactor(ctx, userID)
	if err != nil {
		return SecondFactor{}, translate(err, fmt.Sprintf("read the second factor of user %d", userID))
	}
	return SecondFactor{UserID: r.UserID, Secret: r.Secret, CreatedAt: r.CreatedAt, ConfirmedAt: r.ConfirmedAt,
		LastStep: r.LastStep}, nil
}

// StartSecondFactor keeps a new sealed secret for a user to confirm,
// replacing one not yet confirmed; a confirmed factor stays as it is.
func (q *Queries) StartSecondFactor(ctx context.Context, userID int64, sealed string, at time.Time) error {
	return translate(q.q.StartSecondFactor(ctx, dbsqlc.StartSecondFactorParams{UserID: userID, Secret: sealed, CreatedAt: at}),
		"start a second factor")
}

// ConfirmSecondFactor makes a user's unconfirmed secret their factor;
// ErrNotFound if there is none waiting.
func (q *Queries) ConfirmSecondFactor(ctx context.Context, userID int64, at time.Time) error {
	n, err := q.q.ConfirmSecondFactor(ctx, dbsqlc.ConfirmSecondFactorParams{UserID: userID, ConfirmedAt: &at})
	if err != nil {
		return translate(err, "confirm a second factor")
	}
	if n == 0 {
		return wellcheck.ErrNotFound
	}
	return nil
}

// AcceptStep records a code accepted for time step step; false if a code
// was already accepted for that step or a later one (a replay).
func (q *Queries) AcceptStep(ctx context.Context, userID, step int64) (bool, error) {
	n, err := q.q.AcceptStep(ctx, dbsqlc.AcceptStepParams{UserID: userID, Step: step})
	return n == 1, translate(err, "accept a code")
}

// TakeSecondFactorTry counts a code or passkey about to be checked at now,
// atomically: false if the user's second step is locked. The max-th try
// since the last right one locks it until lockUntil (a right one starts the
// count again: ClearSecondFactorFailures).
func (q *Queries) TakeSecondFactorTry(ctx context.Context, userID int64, now time.Time, max int, lockUntil time.Time) (bool, error) {
	n, err := q.q.TakeSecondFactorTry(ctx, dbsqlc.TakeSecondFactorTryParams{UserID: userID, Now: now, Max: int32(max), LockUntil: lockUntil})
	return n == 1, translate(err, "count a code")
}

// ClearSecondFactorFailures starts the count of wrong codes and passkeys
// again, and ends a lock.
func (q *Queries) ClearSecondFactorFailures(ctx context.Context, userID int64) error {
	return translate(q.q.ClearSecondFactorFailures(ctx, userID), "clear wrong codes")
}

// HasSecondFactor is whether a user has a second factor: a confirmed TOTP,
// or a passkey.
func (q *Queries) HasSecondFactor(ctx context.Context, userID int64) (bool, error) {
	has, err := q.q.HasSecondFactor(ctx, userID)
	return has != nil && *has, translate(err, "read whether a user has a second factor")
}

// DeleteSecondFactor removes a user's TOTP factor; whether there was one.
// Recovery codes stay (DeleteRecoveryCodes): they may serve a passkey.
func (q *Queries) DeleteSecondFactor(ctx context.Context, userID int64) (bool, error) {
	n, err := q.q.DeleteSecondFactor(ctx, userID)
	return n > 0, translate(err, "delete a second factor")
}

// DeleteRecoveryCodes removes a user's recovery codes, with their last
// factor.
func (q *Queries) DeleteRecoveryCodes(ctx context.Context, userID int64) error {
	return translate(q.q.DeleteRecoveryCodes(ctx, userID), "delete recovery codes")
}

// ReplaceRecoveryCodes keeps hashes as a user's recovery codes, in place of
// any before.
func (q *Queries) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error {
	if err := q.q.DeleteRecoveryCodes(ctx, userID); err != nil {
		return translate(err, "delete recovery codes")
	}
	rows := make([]dbsqlc.InsertRecoveryCodesParams, len(hashes))
	for i, h := range hashes {
		rows[i] = dbsqlc.InsertRecoveryCodesParams{UserID: userID, CodeHash: h}
	}
	_, err := q.q.InsertRecoveryCodes(ctx, rows)
	return translate(err, "keep recovery codes")
}

// UseRecoveryCode spends the recovery code of hash; false if it is not one
// of the user's, or was used.
func (q *Queries) UseRecoveryCode(ctx context.Context, userID int64, hash []byte, at time.Time) (bool, error) {
	n, err := q.q.UseRecoveryCode(ctx, dbsqlc.UseRecoveryCodeParams{UserID: userID, CodeHash: hash, UsedAt: &at})
	return n == 1, translate(err, "use a recovery code")
}

// UnusedRecoveryCodes counts a user's recovery codes not yet used.
func (q *Queries) UnusedRecoveryCodes(ctx context.Context, userID int64) (int, error) {
	n, err := q.q.CountRecoveryCodes(ctx, userID)
	return int(n), translate(err, "count recovery codes")
}

// PendingLogin is a sign-in whose password was right and whose second step
// is to come: it opens no page.
type PendingLogin struct {
	TokenHash []byte
	UserID    int64
	User      wellcheck.User // its roles, e-mail and name
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
	Failures  int
	UserAgent string
}

// CreatePendingLogin stores a pending second step.
func (q *Queries) CreatePendingLogin(ctx context.Context, p PendingLogin) error {
	return translate(q.q.CreatePendingLogin(ctx, dbsqlc.CreatePendingLoginParams{TokenHash: p.TokenHash, UserID: p.UserID,
		CsrfToken: p.CSRFToken, CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt, UserAgent: p.UserAgent}), "start a second step")
}

// PendingLogin reads the pending second step of a token hash, not expired,
// its user enabled; ErrNotFound otherwise.
func (q *Queries) PendingLogin(ctx context.Context, tokenHash []byte, now time.Time) (PendingLogin, error) {
	r, err := q.q.GetPendingLogin(ctx, dbsqlc.GetPendingLoginParams{TokenHash: tokenHash, Now: now})
	if err != nil {
		return PendingLogin{}, translate(err, "read a second step")
	}
	return PendingLogin{TokenHash: r.TokenHash, UserID: r.UserID, CSRFToken: r.CsrfToken, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
		Failures: int(r.Failures), UserAgent: r.UserAgent,
		User: userFromRow(dbsqlc.User{ID: r.UserID, Email: r.Email, FullName: r.FullName, Roles: r.Roles})}, nil
}

// RecordPendingFailure counts a wrong code at a second step and returns the
// count.
func (q *Queries) RecordPendingFailure(ctx context.Context, tokenHash []byte) (int, error) {
	n, err := q.q.RecordPendingFailure(ctx, tokenHash)
	return int(n), translate(err, "record a wrong code")
}

// DeletePendingLogin ends a second step (done, or given up).
func (q *Queries) DeletePendingLogin(ctx context.Context, tokenHash []byte) error {
	return translate(q.q.DeletePendingLogin(ctx, tokenHash), "end a second step")
}

// DeleteUserPendingLogins ends a user's second steps under way.
func (q *Queries) DeleteUserPendingLogins(ctx context.Context, userID int64) error {
	return translate(q.q.DeleteUserPendingLogins(ctx, userID), "end a user's second steps")
}

// DeleteExpiredPendingLogins removes second steps past their time.
func (q *Queries) DeleteExpiredPendingLogins(ctx context.Context, now time.Time) error {
	return translate(q.q.DeleteExpiredPendingLogins(ctx, now), "delete expired second steps")
}

// SecondFactorRoles are the roles whose users must have a second factor.
func (q *Queries) SecondFactorRoles(ctx context.Context) ([]wellcheck.Role, error) {
	rs, err := q.q.GetSecondFactorRoles(ctx)
	if err != nil {
		return nil, translate(err, "read the roles that need a second factor")
	}
	out := make([]wellcheck.Role, len(rs))
	for i, r := range rs {
		out[i] = wellcheck.Role(r)
	}
	return out, nil
}

// SetSecondFactorRoles chooses the roles whose users must have a second
// factor.
func (q *Queries) SetSecondFactorRoles(ctx context.Context, roles []wellcheck.Role, at time.Time) error {
	rs := make([]string, len(roles))
	for i, r := range roles {
		rs[i] = string(r)
	}
	return translate(q.q.SetSecondFactorRoles(ctx, dbsqlc.SetSecondFactorRolesParams{Roles: rs, UpdatedAt: &at}),
		"set the roles that need a second factor")
}

// UserSession is one of a user's live sessions as their account page shows
// it: ID names it without signing anyone in; TokenHash is only compared
// with the request's, never shown.
type UserSession struct {
	ID         int64
	TokenHash  []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	UserAgent  string
}

// UserSessions lists a user's live sessions, the latest seen first.
func (q *Queries) UserSessions(ctx context.Context, userID int64, now, idleSince time.Time) ([]UserSession, error) {
	rows, err := q.q.ListUserSessions(ctx, dbsqlc.ListUserSessionsParams{UserID: userID, Now: now, IdleSince: idleSince})
	if err != nil {
		return nil, translate(err, "list a user's sessions")
	}
	out := make([]UserSession, len(rows))
	for i, r := range rows {
		out[i] = UserSession{ID: r.ID, TokenHash: r.TokenHash, CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt, UserAgent: r.UserAgent}
	}
	return out, nil
}

// EndUserSession ends the session id if it is the user's; ErrNotFound if
// no such session is theirs.
func (q *Queries) EndUserSession(ctx context.Context, userID, id int64) error {
	n, err := q.q.DeleteUserSession(ctx, dbsqlc.DeleteUserSessionParams{ID: id, UserID: userID})
	if err != nil {
		return translate(err, "end a session")
	}
	if n == 0 {
		return wellcheck.ErrNotFound
	}
	return nil
}
