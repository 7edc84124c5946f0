-- Signing in: accounts' passwords and lockout, and server-side sessions.

-- name: SetPasswordHash :execrows
-- A new password also lifts what holds back the account's sign-ins: its
-- failures from every address.
WITH cleared AS (DELETE FROM login_failures WHERE user_id = @id)
UPDATE users SET password_hash = @password_hash, password_changed_at = @changed_at,
    failed_logins = 0, last_failed_login_at = NULL, updated_at = now()
WHERE id = @id;

-- name: GetLogin :one
-- What signing in needs of an account, by e-mail (case-insensitive).
SELECT id, password_hash, disabled_at FROM users WHERE lower(email) = lower(@email);

-- name: GetSignInFailures :one
-- The failures that bear on an attempt on account @user_id (0: an e-mail no
-- account has) from @addr: the pair's, the address's, the account's.
SELECT coalesce(p.failures, 0)::int AS pair_failures, p.last_failed_at AS pair_last,
       coalesce(a.failures, 0)::int AS address_failures, a.last_failed_at AS address_last,
       coalesce(u.failed_logins, 0)::int AS account_failures, u.last_failed_login_at AS account_last
FROM (SELECT 1) one
LEFT JOIN login_failures p ON p.user_id = @user_id AND p.addr = @addr
LEFT JOIN login_address_failures a ON a.addr = @addr
LEFT JOIN users u ON u.id = @user_id;

-- name: RecordAddressFailure :exec
-- One more failure from @addr; those before @forget_before no longer count.
INSERT INTO login_address_failures AS f (addr, failures, last_failed_at) VALUES (@addr, 1, @now)
ON CONFLICT (addr) DO UPDATE
SET failures = CASE WHEN f.last_failed_at <= @forget_before THEN 1 ELSE f.failures + 1 END,
    last_failed_at = greatest(f.last_failed_at, @now);

-- name: RecordPairFailure :exec
-- One more wrong password for account @user_id from @addr; failures before
-- @forget_before no longer count.
INSERT INTO login_failures AS f (user_id, addr, failures, last_failed_at) VALUES (@user_id, @addr, 1, @now)
ON CONFLICT (user_id, addr) DO UPDATE
SET failures = CASE WHEN f.last_failed_at <= @forget_before THEN 1 ELSE f.failures + 1 END,
    last_failed_at = greatest(f.last_failed_at, @now);

-- name: RecordAccountFailure :exec
-- One more wrong password for the account, from any address.
UPDATE users
SET failed_logins = CASE WHEN last_failed_login_at IS NULL OR last_failed_login_at <= @forget_before::timestamptz
        THEN 1 ELSE failed_logins + 1 END,
    last_failed_login_at = greatest(last_failed_login_at, @now::timestamptz)
WHERE id = @id;

-- name: ClearPairFailures :exec
-- The right password from @addr: that pair starts again (the account's and
-- the address's counts do not: a distributed attack or spraying goes on).
DELETE FROM login_failures WHERE user_id = @user_id AND addr = @addr;

-- name: DeleteForgottenFailures :exec
-- Failures no rule counts any more.
WITH pairs AS (DELETE FROM login_failures p WHERE p.last_failed_at <= @pairs_before::timestamptz)
DELETE FROM login_address_failures a WHERE a.last_failed_at <= @addresses_before::timestamptz;

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
