-- The trunk judged as a whole: storms (wellcheck.TrunkRule). Times are the
-- service's clock, passed in.

-- name: ListRecentCalls :many
-- The first calls of check-ins that ended since @since, with whom they were
-- to and whether their check-in ended: a retry goes to someone who did not
-- answer before, and a call a storm already failed (trunk) was counted.
SELECT a.id, c.person_id, a.outcome, a.sip_status, a.failure_reason,
       c.state NOT IN ('planned', 'dialing') AS final
FROM attempts a
JOIN check_ins c ON c.id = a.check_in_id
WHERE a.ended_at >= @since::timestamptz AND a.number = 1 AND NOT a.trunk
ORDER BY a.ended_at DESC
LIMIT 2000;

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
-- The probe is due: call @by takes it, to go for a channel, and holds it
-- until @until. A storm that went quiet (no probe since @quiet_since: the
-- service closed, nothing to call) starts its waits over.
UPDATE trunk_storms
SET probe_by = @by, probe_at = @until,
    probes = CASE WHEN probe_at < @quiet_since THEN 0 ELSE probes END
WHERE id = @id AND ended_at IS NULL AND probe_at <= @now;

-- name: ConfirmTrunkProbe :execrows
-- Call @by, which holds the probe, leaves; the next probe is due at @next.
UPDATE trunk_storms SET probe_by = NULL, probe_at = @next, probes = probes + 1
WHERE id = @id AND ended_at IS NULL AND probe_by = @by;

-- name: EndTrunkStorm :execrows
UPDATE trunk_storms SET ended_at = @ended_at::timestamptz WHERE id = @id AND ended_at IS NULL;

-- name: ListTrunkStorms :many
-- The latest storms, the one going on first.
SELECT * FROM trunk_storms ORDER BY ended_at IS NULL DESC, began_at DESC LIMIT @count;
