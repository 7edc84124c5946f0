-- The planner: persons' plans in, check-ins out, in batches.

-- name: GetPlannerState :one
SELECT * FROM planner_state;

-- name: AdvancePlannerState :exec
UPDATE planner_state
SET planned_until = GREATEST(planned_until, @planned_until::timestamptz),
    last_pass_at = @pass_at::timestamptz,
    updated_at = now();

-- name: MaxPersonID :one
SELECT coalesce(max(id), 0)::bigint AS id FROM persons;

-- name: LockPlannablePersons :many
-- The persons who may be called with ids in [@lo, @hi), locked so that an edit
-- of one of them (which re-plans the person) or another planner's batch waits
-- for this one to commit, and this batch waits for them: plannings of a person
-- never interleave. NO KEY: rows that merely reference a person (a case, a
-- follow-up) can still be written meanwhile.
SELECT id, time_zone, status, paused_until, cron_spec, window_start, window_end, plan_updated_at
FROM persons
WHERE id >= @lo AND id < @hi AND status <> 'withdrawn'
ORDER BY id
FOR NO KEY UPDATE;

-- name: LockPlannablePersonsByID :many
SELECT id, time_zone, status, paused_until, cron_spec, window_start, window_end, plan_updated_at
FROM persons
WHERE id = ANY(@ids::bigint[])
ORDER BY id
FOR NO KEY UPDATE;

-- name: ListCheckInsSince :many
-- The persons' check-ins from @since on, whatever their state.
SELECT *
FROM check_ins
WHERE person_id = ANY(@person_ids::bigint[]) AND slot_at >= @since::timestamptz
ORDER BY person_id, slot_at;

-- name: ReserveCheckInIDs :many
SELECT nextval(pg_get_serial_sequence('check_ins', 'id'))::bigint AS id
FROM generate_series(1, @n::integer);

-- name: CopyCheckIns :copyfrom
INSERT INTO check_ins (id, person_id, slot_at, planned_for, move_reason, deadline_at)
VALUES (@id, @person_id, @slot_at, @planned_for, @move_reason, @deadline_at);

-- name: ReplanCheckIns :many
-- Check-ins a re-plan keeps or brings back (a pause lifted early): planned again,
-- with the deadline and move the current plan gives them.
UPDATE check_ins c
SET state = 'planned', state_reason = '', finished_at = NULL,
    planned_for = NULLIF(u.fire_at, c.slot_at), move_reason = u.move_reason,
    deadline_at = u.deadline_at, updated_at = now()
FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@fire_ats::timestamptz[]) AS fire_at,
             unnest(@move_reasons::text[]) AS move_reason, unnest(@deadline_ats::timestamptz[]) AS deadline_at) u
WHERE c.id = u.id AND c.state IN ('planned', 'cancelled')
RETURNING c.id, c.person_id, c.slot_at, c.deadline_at;

-- name: CancelCheckIns :many
UPDATE check_ins
SET state = 'cancelled', state_reason = @reason, finished_at = @now::timestamptz, updated_at = now()
WHERE id = ANY(@ids::bigint[]) AND state = 'planned'
RETURNING id;

-- name: EndExpiredPauses :execrows
-- A pause ends by itself: the person is active again (their slots after the
-- pause were planned all along). Rows are locked in id order, as planner
-- batches lock them, so the two never deadlock.
WITH due AS (
    SELECT id FROM persons
    WHERE status = 'paused' AND paused_until <= @now::timestamptz
    ORDER BY id
    FOR UPDATE
)
UPDATE persons p
SET status = 'active', paused_until = NULL, updated_at = now()
FROM due
WHERE p.id = due.id;

-- name: FinaliseMissedCheckIns :many
-- Check-ins whose deadline passed without a call being placed (the system was
-- down, or the queue stalled: 'missed'), or whose retry never ran ('stalled',
-- five minutes' grace after the deadline for a late worker to decide it
-- itself), become system_error. The caller hands them to listeners in the same
-- transaction. A check-in with a call in progress is left to its worker. At
-- most @max_rows at a time, oldest first: after a long outage the caller goes
-- batch by batch.
UPDATE check_ins c
SET state = 'system_error', state_reason = CASE c.state WHEN 'planned' THEN 'missed' ELSE 'stalled' END,
    retry_at = NULL, finished_at = @now::timestamptz, updated_at = now()
WHERE c.id IN (
    SELECT m.id FROM check_ins m
    WHERE m.state IN ('planned', 'dialing') AND m.slot_at < @now::timestamptz AND m.calling_since IS NULL
      AND ((m.state = 'planned' AND m.deadline_at <= @now::timestamptz)
        OR (m.state = 'dialing' AND m.deadline_at <= @stalled_before::timestamptz))
    ORDER BY m.slot_at
    LIMIT @max_rows::int
    FOR UPDATE SKIP LOCKED)
RETURNING c.id, c.person_id, c.slot_at, c.state_reason;

-- name: ListClosures :many
SELECT * FROM closures WHERE ends_on >= @from_day::date ORDER BY starts_on, id;

-- name: AddClosure :one
INSERT INTO closures (starts_on, ends_on, reason, created_by)
VALUES (@starts_on, @ends_on, @reason, @created_by)
RETURNING *;

-- name: DeleteClosure :execrows
DELETE FROM closures WHERE id = @id;

-- name: ListCheckInsForPerson :many
SELECT * FROM check_ins WHERE person_id = @person_id ORDER BY slot_at, id;

-- name: CountCheckInsByState :many
SELECT state, count(*) AS n FROM check_ins GROUP BY state ORDER BY state;

-- name: WaitingCallJobs :many
-- The call jobs of these check-ins that have not run yet (the kind is the
-- index's predicate: store.CallJobKind, its arguments store.CallJob).
SELECT id FROM river_job
WHERE kind = 'check_in_call'
  AND (args ->> 'check_in_id')::bigint = ANY(@check_in_ids::bigint[])
  AND state IN ('scheduled', 'available', 'retryable');
