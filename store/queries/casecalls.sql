-- The calls of a case from the listener's browser phone: started, answered,
-- ended, listed on the case page, and ended by their node when it starts
-- again after a crash. Every time is the service's clock, passed in.

-- name: StartCaseCall :one
INSERT INTO case_calls (case_id, person_id, user_id, direction, number, node, started_at)
VALUES (@case_id, @person_id, @user_id, @direction, sqlc.narg('number'), @node, @started_at)
RETURNING *;

-- name: GetCaseCall :one
SELECT * FROM case_calls WHERE id = @id;

-- name: LockCaseCall :one
SELECT * FROM case_calls WHERE id = @id FOR UPDATE;

-- name: SetCaseCallSIPID :one
-- The SIP Call-ID of the call's leg to the person, once known; set once.
UPDATE case_calls SET sip_call_id = @sip_call_id
WHERE id = @id AND sip_call_id IS NULL
RETURNING *;

-- name: AnswerCaseCall :one
-- The person answered (or the listener took the person's call): once, and
-- only while the call is in progress.
UPDATE case_calls SET answered_at = @at
WHERE id = @id AND answered_at IS NULL AND ended_at IS NULL
RETURNING *;

-- name: EndCaseCall :one
-- Ends a call in progress; an ended call keeps its first ending (no row).
-- "answered" with no answer seen (a signalling message lost) counts the
-- answer from the end.
UPDATE case_calls
SET ended_at = @at, outcome = @outcome, hung_up_by = sqlc.narg('hung_up_by'),
    answered_at = CASE WHEN @outcome::text = 'answered' THEN coalesce(answered_at, @at) ELSE answered_at END
WHERE id = @id AND ended_at IS NULL
RETURNING *;

-- name: ListCaseCalls :many
-- A case's calls, newest first, with the listener's name.
SELECT sqlc.embed(c), coalesce(u.full_name, '')::text AS user_name
FROM case_calls c
LEFT JOIN users u ON u.id = c.user_id
WHERE c.case_id = @case_id
ORDER BY c.started_at DESC, c.id DESC
LIMIT @max;
