-- Test calls from the settings page: requested by an admin, placed by a
-- worker, shown on the page.

-- name: RequestTestCall :one
-- A new test call, unless this admin has one not yet ended, asked since
-- @since (a double click calls once): then no row.
INSERT INTO test_calls (requested_by, target, lang, script, requested_at)
SELECT @requested_by, @target, @lang, @script, @requested_at
WHERE NOT EXISTS (
    SELECT 1 FROM test_calls t
    WHERE t.requested_by = @requested_by AND t.ended_at IS NULL
      AND t.requested_at > @since
)
RETURNING id;

-- name: GetTestCall :one
SELECT * FROM test_calls WHERE id = @id;

-- name: StartTestCall :one
-- Marks a test call placed, once: a job run again finds it started.
UPDATE test_calls SET started_at = @at
WHERE id = @id AND started_at IS NULL AND ended_at IS NULL
RETURNING id;

-- name: EndTestCall :exec
UPDATE test_calls
SET ended_at = @ended_at, outcome = @outcome, sip_status = @sip_status, digits = @digits,
    reason = @reason, ring_ms = @ring_ms, talk_ms = @talk_ms,
    loss_received_pct = sqlc.narg('loss_received_pct'), loss_sent_pct = sqlc.narg('loss_sent_pct'),
    jitter_ms = sqlc.narg('jitter_ms'), rtt_ms = sqlc.narg('rtt_ms'), mos = sqlc.narg('mos')
WHERE id = @id AND ended_at IS NULL;

-- name: RecentTestCalls :many
-- The latest test calls, newest first, with who asked.
SELECT sqlc.embed(t), coalesce(u.full_name, '') AS requested_by_name
FROM test_calls t
LEFT JOIN users u ON u.id = t.requested_by
ORDER BY t.requested_at DESC, t.id DESC
LIMIT @max;

-- name: PurgeTestCalls :execrows
DELETE FROM test_calls WHERE requested_at < @before;
