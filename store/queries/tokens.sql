-- Tokens of the JSON API: created and revoked from the command line, used on
-- every API request.

-- name: CreateAPIToken :one
INSERT INTO api_tokens (user_id, name, token_hash, created_at)
VALUES (@user_id, @name, @token_hash, @created_at)
RETURNING *;

-- name: UseAPIToken :one
-- The live token of a hash, with its user: not revoked, its user enabled.
-- It is marked used now, at most once a minute (otherwise nothing is
-- written): one statement per request, one write a minute per token.
-- (sqlc.arg, not @now: sqlc v1.31 mangles @ parameters in an UPDATE inside WITH.)
WITH live AS (
    SELECT k.id, u.id AS user_id, u.email, u.full_name, u.roles, u.languages, u.capacity, u.present
    FROM api_tokens k
    JOIN users u ON u.id = k.user_id
    WHERE k.token_hash = @token_hash AND k.revoked_at IS NULL AND u.disabled_at IS NULL
), touched AS (
    UPDATE api_tokens SET last_used_at = sqlc.arg(now)::timestamptz
    WHERE api_tokens.id = (SELECT live.id FROM live)
      AND (api_tokens.last_used_at IS NULL OR api_tokens.last_used_at <= sqlc.arg(now)::timestamptz - interval '1 minute')
)
SELECT id, user_id, email, full_name, roles, languages, capacity, present FROM live;

-- name: ListAPITokens :many
-- Every token, with its user's e-mail, in the order they were created.
SELECT k.id, k.user_id, k.name, k.created_at, k.last_used_at, k.revoked_at, u.email
FROM api_tokens k
JOIN users u ON u.id = k.user_id
ORDER BY k.id;

-- name: RevokeAPIToken :one
-- Revokes a token; one already revoked keeps its first revocation.
UPDATE api_tokens SET revoked_at = coalesce(revoked_at, @at::timestamptz)
WHERE id = @id
RETURNING id, user_id, name, revoked_at;
