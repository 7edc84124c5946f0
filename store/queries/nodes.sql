-- Node liveness, on the database's clock: the one clock every node shares.

-- name: Heartbeat :one
-- The node is alive and reaches the database; the database's clock, for the
-- node to compare with its own. A beat after a gap longer than @gap starts a
-- new run (up_since): the node was away, or the database was.
INSERT INTO nodes (name, seen_at, up_since) VALUES (@name, now(), now())
ON CONFLICT (name) DO UPDATE
SET seen_at = now(),
    up_since = CASE WHEN nodes.seen_at < now() - @gap::interval THEN now() ELSE nodes.up_since END
RETURNING now()::timestamptz AS db_now;

-- name: ListLostCalls :many
-- Check-ins with an attempt in progress whose node has not been seen for
-- @dead_after while the asking node @judge was seen throughout (its run of
-- heartbeats began before that, and its last beat is within @gap): the node
-- died mid-call. A node with no row
-- (it never beat) is judged by the attempt's age instead, @started_before.
-- The check-in may have ended meanwhile (an earlier call's real outcome came
-- late): its open attempt is ended all the same.
SELECT c.id AS check_in_id, a.id AS attempt_id
FROM check_ins c
JOIN attempts a ON a.check_in_id = c.id AND a.ended_at IS NULL
LEFT JOIN nodes n ON n.name = a.node
WHERE EXISTS (SELECT 1 FROM nodes j WHERE j.name = @judge AND j.up_since <= now() - @dead_after::interval
                                    AND j.seen_at >= now() - @gap::interval)
  AND CASE WHEN n.name IS NULL THEN a.started_at < @started_before
           ELSE n.seen_at < now() - @dead_after::interval END
ORDER BY a.started_at
LIMIT 500;

-- name: EndLostCaseCalls :many
-- The browser phone's calls in progress whose node died, as ListLostCalls
-- judges it (a node that never beat, by the call's start, @started_before):
-- its audio went with it. They end as failed at @at, the judge's time (no
-- earlier than their start or answer: the dead node's clock may have run
-- ahead).
UPDATE case_calls
SET ended_at = greatest(@at::timestamptz, answered_at, started_at), outcome = 'failed'
WHERE id IN (
    SELECT k.id FROM case_calls k
    LEFT JOIN nodes n ON n.name = k.node
    WHERE k.ended_at IS NULL
      AND EXISTS (SELECT 1 FROM nodes j WHERE j.name = @judge AND j.up_since <= now() - @dead_after::interval
                                          AND j.seen_at >= now() - @gap::interval)
      AND CASE WHEN n.name IS NULL THEN k.started_at < @started_before
               ELSE n.seen_at < now() - @dead_after::interval END
    ORDER BY k.started_at
    LIMIT 500)
RETURNING *;

-- name: ForgetNodes :exec
-- Nodes not seen for a day are gone for good.
DELETE FROM nodes WHERE seen_at < now() - interval '1 day';
