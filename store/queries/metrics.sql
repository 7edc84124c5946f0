-- name: MetricsCheckInsByState :many
SELECT state, count(*)::bigint AS n
FROM check_ins
WHERE slot_at >= sqlc.arg(day_start) AND slot_at < sqlc.arg(day_end)
GROUP BY state;

-- name: MetricsCheckInsDue :one
-- Calls whose slot has come and that no call has claimed yet (the queue that
-- the trunk channels work through), and the oldest slot among them.
SELECT count(*)::bigint AS n, coalesce(min(slot_at), sqlc.arg(now))::timestamptz AS oldest
FROM check_ins
WHERE state = 'planned' AND slot_at <= sqlc.arg(now);

-- name: MetricsFollowUpsPending :many
-- Follow-ups on a list, by list (a listener, or the shared pool) and whether
-- they are past due.
SELECT (assignee_id IS NULL)::bool AS pooled, (due_at < sqlc.arg(now))::bool AS overdue, count(*)::bigint AS n
FROM follow_ups
WHERE state = 'pending'
GROUP BY 1, 2;

-- name: MetricsRiverJobs :many
SELECT queue, state, count(*)::bigint AS n
FROM river_job
GROUP BY queue, state;
