package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store"
)

// NewPassword makes up a password to hand to a user: 26 characters, 130 bits.
func NewPassword() string { return rand.Text() }

// AddUser creates an account u (from wellcheck.NewUser) with password. A
// password of the wrong length is a problem of field user.password; an e-mail
// already taken, a conflict.
func (s *Service) AddUser(ctx context.Context, by wellcheck.Actor, u wellcheck.User, password string) (wellcheck.User, error) {
	hash, err := HashPassword(password)
	if errors.Is(err, ErrPasswordLength) {
		var ps wellcheck.Problems
		ps.Add("user.password", "password_length", MinPassword, MaxPassword)
		return u, ps.Err()
	} else if err != nil {
		return u, fmt.Errorf("hash a password: %w", err)
	}
	err = s.Store.WithTx(ctx, func(q *store.Queries) error {
		var err error
		if u, err = q.CreateUserWithPassword(ctx, u, hash, s.now()); err != nil {
			return err
		}
		return q.Audit(ctx, by, "user.add", nil, nil, map[string]any{"user_id": u.ID})
	})
	if err != nil {
		return u, fmt.Errorf("add a user: %w", err)
	}
	return u, nil
}

// ChangeUser saves an account's name and roles, or disables it (changed:
// from wellcheck.NewUser, with ID and Disabled set): a disabled user's
// sessions end at once. An admin (by's user) cannot lock themselves out.
func (s *Service) ChangeUser(ctx context.Context, by wellcheck.Actor, changed wellcheck.User) error {
	if by.UserID != nil && *by.UserID == changed.ID && (changed.Disabled || !slices.Contains(changed.Roles, wellcheck.RoleAdmin)) {
		var ps wellcheck.Problems
		ps.Add("user.roles", "self_lockout")
		return ps.Err()
	}
	roles := make([]string, len(changed.Roles))
	for i, r := range changed.Roles {
		roles[i] = string(r)
	}
	err := s.Store.WithTx(ctx, func(q *store.Queries) error {
		if err := q.SaveAccount(ctx, changed, s.now()); err != nil {
			return err
		}
		if changed.Disabled {
			if _, err := q.DeleteUserSessions(ctx, changed.ID); err != nil {
				return err
			}
		}
		return q.Audit(ctx, by, "user.change", nil, nil, map[string]any{"user_id": changed.ID, "roles": roles, "disabled": changed.Disabled})
	})
	if err != nil {
		return fmt.Errorf("change user %d: %w", changed.ID, err)
	}
	return nil
}

// ResetPassword gives account id a new password, returned to be shown once:
// its sessions end and a lock from failed attempts is lifted.
func (s *Service) ResetPassword(ctx context.Context, by wellcheck.Actor, id int64) (string, error) {
	password := NewPassword()
	hash, err := HashPassword(password)
	if err != nil {
		return "", fmt.Errorf("hash a password: %w", err)
	}
	err = s.Store.WithTx(ctx, func(q *store.Queries) error {
		if err := q.SetPasswordHash(ctx, id, hash, s.now()); err != nil {
			return err
		}
		if _, err := q.DeleteUserSessions(ctx, id); err != nil {
			return err
		}
		return q.Audit(ctx, by, "user.password_reset", nil, nil, map[string]any{"user_id": id})
	})
	if err != nil {
		return "", fmt.Errorf("reset the password of user %d: %w", id, err)
	}
	return password, nil
}
