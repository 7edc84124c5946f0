-- name: MetricsCheckInsByState :many
SELECT state, count(*)::bigint AS n
FROM check_ins
WHERE slot_at >= sqlc.arg(day_start) AND slot_at < sqlc.arg(day_end)
GROUP BY state;

-- name: MetricsCallsDue :one
-- Calls whose time has come and that no node has started yet: a check-in's
-- first call from its slot, a retry from its time, until the deadline (past
-- it the sweep gives the check-in up: no call is due). The trunk's channels work
-- through them; oldest is when the one waiting longest came due.
SELECT count(*)::bigint AS n, coalesce(min(coalesce(retry_at, slot_at)), sqlc.arg(now))::timestamptz AS oldest
FROM check_ins
WHERE state IN ('planned', 'dialing') AND calling_since IS NULL
  AND slot_at <= sqlc.arg(now) AND coalesce(retry_at, slot_at) <= sqlc.arg(now)
  AND deadline_at > sqlc.arg(now);

-- name: MetricsFollowUpsPending :many
-- Follow-ups on a list, by list (a listener, or the shared pool) and whether
-- they are past due.
SELECT (assignee_id IS NULL)::bool AS pooled, (due_at < sqlc.arg(now))::bool AS overdue, count(*)::bigint AS n
FROM follow_ups
WHERE state = 'pending'
GROUP BY 1, 2;

-- name: MetricsRiverJobs :many
-- Jobs in the given states (store.RiverStates), read from River's fetching
-- index (state, queue, …).
SELECT queue, state::text AS state, count(*)::bigint AS n
FROM river_job
WHERE state = ANY(sqlc.arg(states)::text[]::river_job_state[])
GROUP BY queue, state;
