package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// NewSecret is a random secret for a session cookie, a CSRF token or an API
// token: 32 bytes, URL-safe.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is what is stored of a secret: its SHA-256. The secret itself
// is shown once and never kept.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// AddAPIToken makes a JSON API token named name that acts as the user with
// e-mail email (an active account), and returns it: its value is shown
// once, only its hash is stored.
func (s *Service) AddAPIToken(ctx context.Context, by wellcheck.Actor, email, name string) (token string, created store.APIToken, err error) {
	u, err := s.Store.Queries().UserByEmail(ctx, email)
	if errors.Is(err, wellcheck.ErrNotFound) || err == nil && u.Disabled {
		return "", created, wellcheck.Errorf(wellcheck.EInvalid, "user_unknown", email)
	}
	if err != nil {
		return "", created, fmt.Errorf("add an API token: %w", err)
	}
	token = "wck_" + NewSecret()
	err = s.Store.WithTx(ctx, func(q *store.Queries) error {
		var err error
		if created, err = q.CreateAPIToken(ctx, u.ID, name, HashSecret(token), s.now()); err != nil {
			return err
		}
		return q.Audit(ctx, by, "api_token.create", nil, nil, map[string]any{"token_id": created.ID, "user_id": u.ID, "name": name})
	})
	if err != nil {
		return "", created, fmt.Errorf("add an API token: %w", err)
	}
	created.UserEmail = u.Email
	return token, created, nil
}

// RevokeAPIToken revokes token id at once: the next request with it is
// refused. ErrNotFound if there is none.
func (s *Service) RevokeAPIToken(ctx context.Context, by wellcheck.Actor, id int64) (store.APIToken, error) {
	var revoked store.APIToken
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		var err error
		if revoked, err = q.RevokeAPIToken(ctx, id, s.now()); err != nil {
			return err
		}
		return q.Audit(ctx, by, "api_token.revoke", nil, nil, map[string]any{"token_id": id, "user_id": revoked.UserID, "name": revoked.Name})
	})
	if err != nil {
		return revoked, fmt.Errorf("revoke API token %d: %w", id, err)
	}
	return revoked, nil
}
