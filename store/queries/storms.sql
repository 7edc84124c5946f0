-- The trunk judged as a whole: storms (wellcheck.TrunkRule). Times are the
-- service's clock, passed in.

-- name: ListRecentCalls :many
-- The check-in calls that ended since @since, with whom they were to. Calls
-- whose node stopped mid-call (wellcheck.Interrupted) say nothing of the
-- trunk: a node dying with its calls is not a storm.
SELECT a.id, c.person_id, a.outcome, a.sip_status
FROM attempts a
JOIN check_ins c ON c.id = a.check_in_id
WHERE a.ended_at >= @since::timestamptz
  AND a.failure_reason NOT LIKE 'interrupted:%'
ORDER BY a.id;

-- name: MarkTrunkAttempts :exec
UPDATE attempts SET trunk = true WHERE id = ANY(@ids::bigint[]);

-- name: OpenTrunkStorm :one
SELECT * FROM trunk_storms WHERE ended_at IS NULL;

-- name: BeginTrunkStorm :one
-- A storm begins, unless one is going on (another node saw it first): no row.
INSERT INTO trunk_storms (fault, began_at, probe_at, calls, persons)
VALUES (@fault, @began_at, @probe_at, @calls, @persons)
ON CONFLICT ((true)) WHERE ended_at IS NULL DO NOTHING
RETURNING *;

-- name: TakeTrunkProbe :execrows
-- The call about to leave is the storm's next probe, if it is due and no
-- other call took it; the one after is due at @next.
UPDATE trunk_storms SET probe_at = @next, probes = probes + 1
WHERE id = @id AND ended_at IS NULL AND probe_at <= @now;

-- name: EndTrunkStorm :execrows
UPDATE trunk_storms SET ended_at = @ended_at::timestamptz WHERE id = @id AND ended_at IS NULL;

-- name: ListTrunkStorms :many
-- The latest storms, the one going on first.
SELECT * FROM trunk_storms ORDER BY ended_at IS NULL DESC, began_at DESC LIMIT @count;
