-- Signing in: accounts' passwords and lockout, and server-side sessions.

-- name: SetPasswordHash :execrows
UPDATE users SET password_hash = @password_hash, password_changed_at = @changed_at,
    failed_logins = 0, locked_until = NULL, updated_at = now()
WHERE id = @id;

-- name: GetLogin :one
-- What signing in needs of an account, by e-mail (case-insensitive).
SELECT id, password_hash, failed_logins, locked_until, disabled_at FROM users WHERE lower(email) = lower(@email);

-- name: RecordLoginFailure :one
-- One more failed password; at @max failures in a row the account locks until
-- @lock_until.
UPDATE users
SET failed_logins = failed_logins + 1,
    locked_until = CASE WHEN failed_logins + 1 >= @max::int THEN @lock_until::timestamptz ELSE locked_until END
WHERE id = @id
RETURNING failed_logins, locked_until;

-- name: ResetLoginFailures :exec
UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = @id;

-- name: CreateSession :exec
INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, user_agent)
VALUES (@token_hash, @user_id, @csrf_token, @created_at, @created_at, @expires_at, @user_agent);

-- name: TouchSession :one
-- The session of a token, if it has not expired nor been idle longer than
-- @idle_since allows, and its user is still enabled; seen now. With the user:
-- one statement per request.
UPDATE sessions s SET last_seen_at = @now::timestamptz
FROM users u
WHERE s.token_hash = @token_hash AND u.id = s.user_id AND u.disabled_at IS NULL
  AND s.expires_at > @now::timestamptz AND s.last_seen_at > @idle_since::timestamptz
RETURNING s.user_id, s.csrf_token, s.created_at, u.email, u.full_name, u.roles, u.languages, u.capacity, u.present;

-- name: ReadSession :one
-- The session of a token as TouchSession finds it, left as last seen: for
-- what a page asks by itself (a poll), which is not the person's activity.
SELECT s.user_id, s.csrf_token, s.created_at, u.email, u.full_name, u.roles, u.languages, u.capacity, u.present
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.token_hash = @token_hash AND u.disabled_at IS NULL
  AND s.expires_at > @now::timestamptz AND s.last_seen_at > @idle_since::timestamptz;

-- name: DeleteSession :exec
DELETE FROM sessions WHERE token_hash = @token_hash;

-- name: DeleteUserSessions :execrows
DELETE FROM sessions WHERE user_id = @user_id;

-- name: DeleteExpiredSessions :execrows
DELETE FROM sessions WHERE expires_at <= @now::timestamptz OR last_seen_at <= @idle_since::timestamptz;

-- name: ListMyFollowUps :many
-- A user's list: their pending follow-ups and the shared pool's, most pressing
-- first, each with its case's latest escalation. This WHERE is the
-- authorisation: nobody else's follow-ups. Each half is read in order from
-- follow_ups_list_idx and stops at 500: an OR of the two would read and sort
-- the whole pool.
WITH listed AS (
    (SELECT * FROM follow_ups mine WHERE mine.state = 'pending' AND mine.assignee_id = @user_id
     ORDER BY mine.priority, mine.due_at, mine.id LIMIT 500)
    UNION ALL
    (SELECT * FROM follow_ups pool WHERE pool.state = 'pending' AND pool.assignee_id IS NULL
     ORDER BY pool.priority, pool.due_at, pool.id LIMIT 500)
), top AS (
    SELECT * FROM listed ORDER BY priority, due_at, id LIMIT 500
)
SELECT f.id, f.case_id, f.reason, f.priority, f.due_at, f.assignee_id, f.updated_at,
       p.id AS person_id, p.full_name, p.phone, p.time_zone,
       e.id AS escalation_id, e.outcome AS escalation_outcome, e.started_at AS escalation_started_at,
       e.ended_at AS escalation_ended_at, coalesce(ack.contact_name, '')::text AS acknowledged_by_name,
       coalesce(ack.contact_relation, '')::text AS acknowledged_by_relation
FROM top f
JOIN cases c ON c.id = f.case_id
JOIN persons p ON p.id = c.person_id
-- The case's latest escalation, if any: the list says how it went.
LEFT JOIN escalations e ON e.id = (
    SELECT le.id FROM escalations le WHERE le.case_id = f.case_id ORDER BY le.started_at DESC, le.id DESC LIMIT 1)
-- Who acknowledged it, as they were named when they answered.
LEFT JOIN LATERAL (
    SELECT k.contact_name, k.contact_relation FROM escalation_calls k
    WHERE k.escalation_id = e.id AND k.acknowledged ORDER BY k.started_at DESC, k.id DESC LIMIT 1) ack ON true
ORDER BY f.priority, f.due_at, f.id;

-- name: GetCaseFor :one
-- A case as a user may see it: coordinators and admins (@see_all) any case; a
-- listener, while it is open, their own and the shared pool's; once closed,
-- only if they handled it: its listener when it closed, who closed it, or who
-- recorded a follow-up on it (a closed case leaves the pool: its notes and
-- contacts are not everyone's to read). No row: not found, or not theirs.
SELECT * FROM cases c
WHERE c.id = @id AND (
    @see_all::boolean
    OR (c.state <> 'closed' AND (c.assignee_id = @user_id OR c.assignee_id IS NULL))
    OR (c.state = 'closed' AND (c.assignee_id = @user_id OR c.closed_by = @user_id
        OR EXISTS (SELECT 1 FROM follow_ups f WHERE f.case_id = c.id AND f.done_by = @user_id))));

-- name: ListCaseFollowUps :many
-- A case's follow-ups, latest first, with the partner each oriented to and who
-- did it.
SELECT sqlc.embed(f), p.name AS partner_name, u.full_name AS done_by_name
FROM follow_ups f
LEFT JOIN partners p ON p.id = f.partner_id
LEFT JOIN users u ON u.id = f.done_by
WHERE f.case_id = @case_id ORDER BY coalesce(f.done_at, f.due_at) DESC, f.id DESC;

-- name: ListCaseNotes :many
SELECT id, follow_up_id, author_id, body, created_at FROM notes WHERE case_id = @case_id ORDER BY created_at DESC, id DESC;
