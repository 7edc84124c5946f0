package store

import (
	"context"
	"fmt"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// APIToken is a token of the JSON API. It acts as its user; only the SHA-256
// of its value is stored.
type APIToken struct {
	ID         int64
	UserID     int64
	UserEmail  string // read by APITokens
	Name       string // what the token is for, e.g. "CRM of the social services"
	CreatedAt  time.Time
	LastUsedAt *time.Time // within a minute
	RevokedAt  *time.Time
}

// CreateAPIToken stores a token of user userID by the SHA-256 of its value.
func (q *Queries) CreateAPIToken(ctx context.Context, userID int64, name string, tokenHash []byte, at time.Time) (APIToken, error) {
	r, err := q.q.CreateAPIToken(ctx, dbsqlc.CreateAPITokenParams{UserID: userID, Name: name, TokenHash: tokenHash, CreatedAt: at})
	if err != nil {
		return APIToken{}, translate(err, fmt.Sprintf("create an API token for user %d", userID))
	}
	return APIToken{ID: r.ID, UserID: r.UserID, Name: r.Name, CreatedAt: r.CreatedAt}, nil
}

// UseAPIToken returns the user a live token acts as — the token not revoked,
// its user enabled — and the token's id, marking the token used at now (at
// most once a minute); ErrNotFound otherwise.
func (q *Queries) UseAPIToken(ctx context.Context, tokenHash []byte, now time.Time) (int64, wellcheck.User, error) {
	r, err := q.q.UseAPIToken(ctx, dbsqlc.UseAPITokenParams{TokenHash: tokenHash, Now: now})
	if err != nil {
		return 0, wellcheck.User{}, translate(err, "read an API token")
	}
	return r.ID, userFromRow(dbsqlc.User{ID: r.UserID, Email: r.Email, FullName: r.FullName, Roles: r.Roles, Languages: r.Languages,
		Capacity: r.Capacity, Present: r.Present}), nil
}

// APITokens lists every token, revoked ones included, oldest first.
func (q *Queries) APITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := q.q.ListAPITokens(ctx)
	if err != nil {
		return nil, translate(err, "list API tokens")
	}
	out := make([]APIToken, len(rows))
	for i, r := range rows {
		out[i] = APIToken{ID: r.ID, UserID: r.UserID, UserEmail: r.Email, Name: r.Name, CreatedAt: r.CreatedAt,
			LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
	}
	return out, nil
}

// RevokeAPIToken revokes token id at at: it lets nobody in any more. A token
// already revoked keeps its first revocation; ErrNotFound if there is no such
// token.
func (q *Queries) RevokeAPIToken(ctx context.Context, id int64, at time.Time) (APIToken, error) {
	r, err := q.q.RevokeAPIToken(ctx, dbsqlc.RevokeAPITokenParams{ID: id, At: at})
	if err != nil {
		return APIToken{}, translate(err, fmt.Sprintf("revoke API token %d", id))
	}
	return APIToken{ID: r.ID, UserID: r.UserID, Name: r.Name, RevokedAt: r.RevokedAt}, nil
}
