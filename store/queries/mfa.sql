-- The second factor (TOTP and recovery codes), the pending second step of a
-- sign-in, the roles that require a factor, and a user's own sessions.

-- name: GetSecondFactor :one
SELECT * FROM second_factors WHERE user_id = @user_id;

-- name: StartSecondFactor :exec
-- A new secret to confirm, replacing one not yet confirmed; a confirmed
-- factor is left alone (no row changes: the caller checks first).
INSERT INTO second_factors (user_id, secret, created_at) VALUES (@user_id, @secret, @created_at)
ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, last_step = 0
WHERE second_factors.confirmed_at IS NULL;

-- name: ConfirmSecondFactor :execrows
UPDATE second_factors SET confirmed_at = @confirmed_at WHERE user_id = @user_id AND confirmed_at IS NULL;

-- name: AcceptStep :execrows
-- A code accepted for @step, unless a code was already accepted for it or a
-- later one (replay).
UPDATE second_factors SET last_step = @step
WHERE user_id = @user_id AND last_step < @step;

-- name: TakeSecondFactorTry :execrows
-- One more code or passkey is about to be checked, counted before it is (a
-- right one starts the count again: ClearSecondFactorFailures), so that
-- tries sent at once are counted each: the @max-th since the last right
-- one locks the second step until @lock_until, and no row means it is
-- locked. A lock that ran out starts the count again from one.
INSERT INTO second_factor_tries AS t (user_id, failures, locked_until)
VALUES (@user_id, 1, CASE WHEN 1 >= @max::int THEN @lock_until::timestamptz END)
ON CONFLICT (user_id) DO UPDATE
SET failures = CASE WHEN t.locked_until <= @now::timestamptz THEN 1 ELSE t.failures + 1 END,
    locked_until = CASE WHEN (CASE WHEN t.locked_until <= @now::timestamptz THEN 1 ELSE t.failures + 1 END) >= @max::int THEN @lock_until::timestamptz
                        WHEN t.locked_until <= @now::timestamptz THEN NULL
                        ELSE t.locked_until END
WHERE t.locked_until IS NULL OR t.locked_until <= @now::timestamptz;

-- name: ClearSecondFactorFailures :exec
DELETE FROM second_factor_tries WHERE user_id = @user_id;

-- name: DeleteSecondFactor :execrows
DELETE FROM second_factors WHERE user_id = @user_id;

-- name: DeleteRecoveryCodes :exec
DELETE FROM recovery_codes WHERE user_id = @user_id;

-- name: InsertRecoveryCodes :copyfrom
INSERT INTO recovery_codes (user_id, code_hash) VALUES (@user_id, @code_hash);

-- name: UseRecoveryCode :execrows
UPDATE recovery_codes SET used_at = @used_at WHERE user_id = @user_id AND code_hash = @code_hash AND used_at IS NULL;

-- name: CountRecoveryCodes :one
SELECT count(*) FILTER (WHERE used_at IS NULL) AS unused FROM recovery_codes WHERE user_id = @user_id;

-- name: CreatePendingLogin :exec
INSERT INTO pending_logins (token_hash, user_id, csrf_token, created_at, expires_at, user_agent)
VALUES (@token_hash, @user_id, @csrf_token, @created_at, @expires_at, @user_agent);

-- name: HasSecondFactor :one
-- Whether a user has a second factor: a confirmed TOTP, or a passkey.
SELECT EXISTS (SELECT 1 FROM second_factors f WHERE f.user_id = @user_id AND f.confirmed_at IS NOT NULL)
    OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = @user_id) AS has;

-- name: GetPendingLogin :one
-- A pending second step, if it has not expired and its user is still
-- enabled.
SELECT p.token_hash, p.user_id, p.csrf_token, p.created_at, p.expires_at, p.failures, p.user_agent, u.roles, u.email, u.full_name
FROM pending_logins p JOIN users u ON u.id = p.user_id
WHERE p.token_hash = @token_hash AND p.expires_at > @now::timestamptz AND u.disabled_at IS NULL;

-- name: RecordPendingFailure :one
UPDATE pending_logins SET failures = failures + 1 WHERE token_hash = @token_hash RETURNING failures;

-- name: DeletePendingLogin :exec
DELETE FROM pending_logins WHERE token_hash = @token_hash;

-- name: DeleteUserPendingLogins :exec
DELETE FROM pending_logins WHERE user_id = @user_id;

-- name: DeleteExpiredPendingLogins :exec
DELETE FROM pending_logins WHERE expires_at <= @now::timestamptz;

-- name: GetSecondFactorRoles :one
SELECT roles FROM second_factor_policy;

-- name: SetSecondFactorRoles :exec
UPDATE second_factor_policy SET roles = @roles::text[], updated_at = @updated_at;

-- name: ListUserSessions :many
-- A user's live sessions, the latest seen first.
SELECT id, token_hash, created_at, last_seen_at, user_agent FROM sessions
WHERE user_id = @user_id AND expires_at > @now::timestamptz AND last_seen_at > @idle_since::timestamptz
ORDER BY last_seen_at DESC, id DESC;

-- name: DeleteUserSession :execrows
-- One of a user's sessions, by its id: never another's.
DELETE FROM sessions WHERE id = @id AND user_id = @user_id;
