package store

import (
	"context"
	"fmt"
	"time"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/store/internal/dbsqlc"
)

// Passkey is one of a user's passkeys (WebAuthn credentials) as stored.
// CredentialID and PublicKey are the authenticator's, never shown nor
// logged; SignCount is the counter it last reported; Flags are WebAuthn's
// credential flags as one byte; Name is the user's label for it.
type Passkey struct {
	ID           int64
	UserID       int64
	CredentialID []byte
	PublicKey    []byte
	SignCount    uint32
	AAGUID       []byte
	Transports   []string
	Flags        byte
	Name         string
	CreatedAt    time.Time
	LastUsedAt   *time.Time
}

// Passkeys lists a user's passkeys, the oldest first.
func (q *Queries) Passkeys(ctx context.Context, userID int64) ([]Passkey, error) {
	rows, err := q.q.ListPasskeys(ctx, userID)
	if err != nil {
		return nil, translate(err, fmt.Sprintf("list the passkeys of user %d", userID))
	}
	out := make([]Passkey, len(rows))
	for i, r := range rows {
		out[i] = Passkey{ID: r.ID, UserID: r.UserID, CredentialID: r.CredentialID, PublicKey: r.PublicKey, SignCount: uint32(r.SignCount),
			AAGUID: r.Aaguid, Transports: r.Transports, Flags: byte(r.Flags), Name: r.Name, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt}
	}
	return out, nil
}

// AddPasskey keeps a new passkey and returns its id; a conflict if its
// credential is already kept (for anyone).
func (q *Queries) AddPasskey(ctx context.Context, p Passkey) (int64, error) {
	transports := p.Transports
	if transports == nil {
		transports = []string{}
	}
	aaguid := p.AAGUID
	if aaguid == nil {
		aaguid = []byte{}
	}
	id, err := q.q.InsertPasskey(ctx, dbsqlc.InsertPasskeyParams{UserID: p.UserID, CredentialID: p.CredentialID, PublicKey: p.PublicKey,
		SignCount: int64(p.SignCount), Aaguid: aaguid, Transports: transports, Flags: int16(p.Flags), Name: p.Name, CreatedAt: p.CreatedAt})
	return id, translate(err, "add a passkey")
}

// UsePasskey records user's passkey id used at at with the authenticator's
// counter signCount and flags; false, and nothing recorded, if the counter
// did not go forwards (a cloned authenticator, or an answer replayed),
// unless both it and the one kept are 0.
func (q *Queries) UsePasskey(ctx context.Context, userID, id int64, signCount uint32, flags byte, at time.Time) (bool, error) {
	n, err := q.q.UsePasskey(ctx, dbsqlc.UsePasskeyParams{ID: id, UserID: userID, SignCount: int64(signCount), Flags: int16(flags), UsedAt: &at})
	return n == 1, translate(err, "record a passkey used")
}

// DeletePasskey removes user's passkey id; ErrNotFound if no such passkey
// is theirs.
func (q *Queries) DeletePasskey(ctx context.Context, userID, id int64) error {
	n, err := q.q.DeletePasskey(ctx, dbsqlc.DeletePasskeyParams{ID: id, UserID: userID})
	if err != nil {
		return translate(err, "delete a passkey")
	}
	if n == 0 {
		return wellcheck.ErrNotFound
	}
	return nil
}

// DeleteUserPasskeys removes every passkey of a user, and returns how many
// there were.
func (q *Queries) DeleteUserPasskeys(ctx context.Context, userID int64) (int, error) {
	n, err := q.q.DeleteUserPasskeys(ctx, userID)
	return int(n), translate(err, "delete a user's passkeys")
}

// PasskeyRegistration is a passkey being added from a session: the
// ceremony's data (WebAuthn's session data, as JSON), the name the user
// gave, until when it waits.
type PasskeyRegistration struct {
	SessionHash []byte
	UserID      int64
	Name        string
	Ceremony    []byte
	ExpiresAt   time.Time
}

// PutPasskeyRegistration keeps a registration under way, in place of the
// session's one before.
func (q *Queries) PutPasskeyRegistration(ctx context.Context, r PasskeyRegistration) error {
	return translate(q.q.PutPasskeyRegistration(ctx, dbsqlc.PutPasskeyRegistrationParams{SessionHash: r.SessionHash, UserID: r.UserID,
		Name: r.Name, Ceremony: r.Ceremony, ExpiresAt: r.ExpiresAt}), "start adding a passkey")
}

// TakePasskeyRegistration reads and removes the session's registration
// under way (used once); ErrNotFound if there is none.
func (q *Queries) TakePasskeyRegistration(ctx context.Context, sessionHash []byte, userID int64) (PasskeyRegistration, error) {
	r, err := q.q.TakePasskeyRegistration(ctx, dbsqlc.TakePasskeyRegistrationParams{SessionHash: sessionHash, UserID: userID})
	if err != nil {
		return PasskeyRegistration{}, translate(err, "read a passkey being added")
	}
	return PasskeyRegistration{SessionHash: sessionHash, UserID: userID, Name: r.Name, Ceremony: r.Ceremony, ExpiresAt: r.ExpiresAt}, nil
}

// SetPendingPasskeyCeremony keeps a second step's passkey ceremony (JSON),
// in place of one before; ErrNotFound if the second step is gone.
func (q *Queries) SetPendingPasskeyCeremony(ctx context.Context, tokenHash, ceremony []byte) error {
	n, err := q.q.SetPendingPasskeyCeremony(ctx, dbsqlc.SetPendingPasskeyCeremonyParams{Ceremony: ceremony, TokenHash: tokenHash})
	if err != nil {
		return translate(err, "start a passkey at a second step")
	}
	if n == 0 {
		return wellcheck.ErrNotFound
	}
	return nil
}

// TakePendingPasskeyCeremony reads and clears a second step's passkey
// ceremony (used once); ErrNotFound if none waits.
func (q *Queries) TakePendingPasskeyCeremony(ctx context.Context, tokenHash []byte) ([]byte, error) {
	c, err := q.q.TakePendingPasskeyCeremony(ctx, tokenHash)
	return c, translate(err, "read a second step's passkey ceremony")
}
