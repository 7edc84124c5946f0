-- Passkeys (WebAuthn) as a second factor, and their ceremonies under way.

-- name: ListPasskeys :many
SELECT * FROM passkeys WHERE user_id = @user_id ORDER BY created_at, id;

-- name: InsertPasskey :one
INSERT INTO passkeys (user_id, credential_id, public_key, sign_count, aaguid, transports, flags, name, created_at)
VALUES (@user_id, @credential_id, @public_key, @sign_count, @aaguid, @transports::text[], @flags, @name, @created_at)
RETURNING id;

-- name: UsePasskey :execrows
-- A passkey used at @used_at with the authenticator's counter @sign_count:
-- refused (no row) when the counter did not go forwards, unless both are 0
-- (an authenticator that keeps no counter). Checked here, in the same
-- statement, so that two answers replayed at once cannot both pass.
UPDATE passkeys SET sign_count = @sign_count, flags = @flags, last_used_at = @used_at
WHERE id = @id AND user_id = @user_id AND (sign_count < @sign_count OR (sign_count = 0 AND @sign_count = 0));

-- name: DeletePasskey :execrows
DELETE FROM passkeys WHERE id = @id AND user_id = @user_id;

-- name: DeleteUserPasskeys :execrows
DELETE FROM passkeys WHERE user_id = @user_id;

-- name: PutPasskeyRegistration :exec
INSERT INTO passkey_registrations (session_hash, user_id, name, ceremony, expires_at)
VALUES (@session_hash, @user_id, @name, @ceremony, @expires_at)
ON CONFLICT (session_hash) DO UPDATE SET user_id = excluded.user_id, name = excluded.name, ceremony = excluded.ceremony, expires_at = excluded.expires_at;

-- name: TakePasskeyRegistration :one
-- A registration's ceremony, removed as it is read: used once.
DELETE FROM passkey_registrations WHERE session_hash = @session_hash AND user_id = @user_id
RETURNING name, ceremony, expires_at;

-- name: SetPendingPasskeyCeremony :execrows
UPDATE pending_logins SET passkey_ceremony = @ceremony WHERE token_hash = @token_hash;

-- name: TakePendingPasskeyCeremony :one
-- A second step's passkey ceremony, cleared as it is read: used once.
UPDATE pending_logins p SET passkey_ceremony = NULL
FROM (SELECT l.token_hash, l.passkey_ceremony FROM pending_logins l WHERE l.token_hash = @token_hash FOR UPDATE) old
WHERE p.token_hash = old.token_hash AND old.passkey_ceremony IS NOT NULL
RETURNING old.passkey_ceremony::jsonb AS ceremony;
