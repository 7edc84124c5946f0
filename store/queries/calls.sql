-- The call worker: a check-in, locked, with what deciding its call needs.

-- name: LockCheckInForCall :one
-- The check-in and its person, the check-in row locked until the transaction
-- ends: every step of a check-in's calls (claim, record, decide, sweep) takes
-- this lock first, so they never interleave.
SELECT c.id, c.person_id, c.slot_at, c.deadline_at, c.state, c.calling_since, c.retry_at,
       p.status AS person_status, p.paused_until, p.phone, p.language, p.time_zone,
       p.window_start, p.window_end, p.max_attempts, p.retry_minutes, p.referent_id, p.risk_level,
       p.full_name
FROM check_ins c
JOIN persons p ON p.id = c.person_id
WHERE c.id = @id
FOR NO KEY UPDATE OF c;

-- name: ListAttempts :many
SELECT * FROM attempts WHERE check_in_id = @check_in_id ORDER BY number;

-- name: StartAttempt :one
-- The row that guards the call: written and committed before the INVITE, so a
-- job delivered twice finds it and never dials again.
WITH attempt AS (
    INSERT INTO attempts (check_in_id, number, started_at, node)
    VALUES (@check_in_id, @number, @started_at, @node)
    RETURNING id
), checkin AS (
    UPDATE check_ins
    SET state = 'dialing', calling_since = @started_at, retry_at = NULL, updated_at = now()
    WHERE id = @check_in_id
)
SELECT id FROM attempt;

-- name: EndAttempt :execrows
UPDATE attempts
SET ended_at = @ended_at, outcome = @outcome, sip_status = sqlc.narg('sip_status'), call_id = @call_id,
    ring_ms = sqlc.narg('ring_ms'), talk_ms = sqlc.narg('talk_ms'), digits = @digits, failure_reason = @failure_reason,
    loss_received_pct = sqlc.narg('loss_received_pct'), loss_sent_pct = sqlc.narg('loss_sent_pct'),
    jitter_ms = sqlc.narg('jitter_ms'), rtt_ms = sqlc.narg('rtt_ms'), mos = sqlc.narg('mos')
WHERE id = @id AND (outcome IS NULL OR failure_reason LIKE 'interrupted:%');

-- name: WaitForRetry :exec
UPDATE check_ins
SET state = 'dialing', calling_since = NULL, retry_at = @retry_at, updated_at = now()
WHERE id = @id;

-- name: FinishCheckIn :exec
UPDATE check_ins
SET state = @state, state_reason = @reason, calling_since = NULL, retry_at = NULL,
    finished_at = @finished_at, updated_at = now()
WHERE id = @id;

-- name: RecentFinalStates :many
-- The person's last finished check-ins, newest first (cancelled ones are not
-- calls and do not break a run of unreached ones).
SELECT state FROM check_ins
WHERE person_id = @person_id
  AND state IN ('confirmed', 'flagged', 'unreached', 'undeliverable', 'system_error')
ORDER BY slot_at DESC
LIMIT @n;

-- name: PickListener :one
-- Who takes a person's follow-up now: the case's current assignee if still on
-- shift and present, else the referent listener if on shift, present and below
-- capacity, else the on-shift, present listener below capacity who speaks the
-- person's language with the fewest pending follow-ups. No row: nobody (the
-- shared pool).
WITH on_shift AS (
    SELECT u.id, u.capacity, u.languages,
           (SELECT count(*) FROM follow_ups f WHERE f.assignee_id = u.id AND f.state = 'pending') AS load
    FROM users u
    WHERE 'listener' = ANY(u.roles) AND u.disabled_at IS NULL AND u.present
      AND EXISTS (SELECT 1 FROM shifts s
                  WHERE s.user_id = u.id AND s.weekday = @weekday AND s.starts <= @local_time AND s.ends > @local_time)
)
SELECT id FROM on_shift
WHERE id = sqlc.narg('keep')::bigint
   OR (load < capacity AND (id = sqlc.narg('referent')::bigint OR @language::text = ANY(languages)))
ORDER BY coalesce(id = sqlc.narg('keep')::bigint, false) DESC,
         coalesce(id = sqlc.narg('referent')::bigint, false) DESC,
         load, id
LIMIT 1;

-- name: LockListenerChoice :exec
-- The choice of a listener, taken by one transaction at a time across every
-- node until it commits or rolls back (see store.PickListener). The two-key
-- form (2003135596 is "well" in ASCII; 1, this lock) lives apart from the
-- one-key advisory locks of migrations and River.
SELECT pg_advisory_xact_lock(2003135596, 1);

-- name: LockCases :exec
-- Cases by id, and the open cases of persons, locked in id order: a
-- transaction that acts on several cases locks them all at once, before it
-- takes the choice of a listener (LockListenerChoice), so that it never waits
-- for a case while holding that choice.
SELECT id FROM cases
WHERE id = ANY(@ids::bigint[]) OR (person_id = ANY(@person_ids::bigint[]) AND state <> 'closed')
ORDER BY id
FOR NO KEY UPDATE;

-- name: ListListenerShifts :many
-- Every active listener's weekly shifts: when the next one starts is when the
-- shared pool is next worked.
SELECT s.weekday, s.starts, s.ends
FROM shifts s
JOIN users u ON u.id = s.user_id
WHERE 'listener' = ANY(u.roles) AND u.disabled_at IS NULL
ORDER BY s.weekday, s.starts;

-- name: LockOpenCase :one
SELECT * FROM cases WHERE person_id = @person_id AND state <> 'closed' FOR NO KEY UPDATE;

-- name: OpenCase :one
INSERT INTO cases (person_id, state, priority, opened_reason, opened_at, due_at, assignee_id)
VALUES (@person_id, CASE WHEN sqlc.narg('assignee_id')::bigint IS NULL THEN 'open' ELSE 'assigned' END,
        @priority, @opened_reason, @opened_at, @due_at, sqlc.narg('assignee_id'))
RETURNING *;

-- name: RaiseCase :one
-- A new event on an open case: its priority rises (never falls), its due time
-- comes forward (never goes back), and it follows its assignee.
UPDATE cases
SET priority = LEAST(priority, @priority::case_priority),
    due_at = LEAST(due_at, @due_at),
    assignee_id = sqlc.narg('assignee_id'),
    state = CASE WHEN sqlc.narg('assignee_id')::bigint IS NULL THEN 'open' ELSE 'assigned' END,
    updated_at = now()
WHERE id = @id
RETURNING *;

-- name: PutFollowUp :one
-- The case's pending follow-up, created or brought up to date: one task per
-- case on a list, whatever happened since it was created.
INSERT INTO follow_ups (case_id, assignee_id, reason, priority, due_at, check_in_id)
VALUES (@case_id, sqlc.narg('assignee_id'), @reason, @priority, @due_at, sqlc.narg('check_in_id'))
ON CONFLICT (case_id) WHERE state = 'pending' DO UPDATE
SET assignee_id = EXCLUDED.assignee_id,
    -- The list says why by the most pressing event: a new one as pressing as
    -- the task already was (@event_priority) says why from now on.
    reason = CASE WHEN @event_priority::case_priority <= follow_ups.priority THEN EXCLUDED.reason ELSE follow_ups.reason END,
    priority = LEAST(follow_ups.priority, EXCLUDED.priority),
    due_at = LEAST(follow_ups.due_at, EXCLUDED.due_at),
    check_in_id = coalesce(EXCLUDED.check_in_id, follow_ups.check_in_id),
    updated_at = now()
RETURNING *;

-- name: RecordDataIssue :one
-- A number that does not work goes to the coordinators' queue: one open issue
-- per person, counting repeats.
INSERT INTO data_issues (person_id, kind, check_in_id, detail, opened_at, last_seen_at)
VALUES (@person_id, @kind, @check_in_id, @detail, @at, @at)
ON CONFLICT (person_id, kind) WHERE resolved_at IS NULL DO UPDATE
SET occurrences = data_issues.occurrences + 1, check_in_id = EXCLUDED.check_in_id,
    detail = EXCLUDED.detail, last_seen_at = EXCLUDED.last_seen_at
RETURNING *;

-- name: InsertAudit :exec
INSERT INTO audit_log (actor_id, actor_label, action, person_id, case_id, details)
VALUES (sqlc.narg('actor_id'), @actor_label, @action, sqlc.narg('person_id'), sqlc.narg('case_id'), @details);

-- name: ListFollowUpsFor :many
-- A listener's pending follow-ups in the order they work them (nil: the pool).
SELECT sqlc.embed(f), c.person_id
FROM follow_ups f
JOIN cases c ON c.id = f.case_id
WHERE f.state = 'pending' AND f.assignee_id IS NOT DISTINCT FROM sqlc.narg('assignee_id')::bigint
ORDER BY f.priority, f.due_at, f.id;

-- name: ListOpenDataIssues :many
SELECT * FROM data_issues WHERE resolved_at IS NULL ORDER BY opened_at, id;

-- name: ListAttemptsForPerson :many
SELECT a.* FROM attempts a JOIN check_ins c ON c.id = a.check_in_id
WHERE c.person_id = @person_id ORDER BY a.started_at, a.id;

-- name: PromoteDueCallJobs :execrows
-- River's leader makes scheduled jobs available every five seconds; a call
-- must start within a second of its slot. Call jobs due within @ahead are made
-- available now: River fetches an available job only once its scheduled_at
-- has come, so none starts early.
UPDATE river_job SET state = 'available'
WHERE state = 'scheduled' AND queue = 'calls' AND scheduled_at <= now() + @ahead::interval;

-- name: ListUnworkedCheckIns :many
-- Check-ins due since before @before, still callable, with no call in progress
-- and no job waiting to dial them or taken after @taken_after (River's clock):
-- their job was taken by a node that died before the call began (River hands
-- such a job on only much later), or lost.
-- The caller enqueues a new job for the next attempt; the attempt rows keep
-- the two from both dialling.
SELECT c.id, (SELECT count(*) FROM attempts a WHERE a.check_in_id = c.id)::int AS attempts
FROM check_ins c
WHERE c.state IN ('planned', 'dialing') AND c.calling_since IS NULL
  AND c.slot_at < @before::timestamptz AND coalesce(c.retry_at, c.slot_at) < @before::timestamptz
  AND c.deadline_at > @now::timestamptz
  AND NOT EXISTS (SELECT 1 FROM river_job j
                  WHERE j.kind = 'check_in_call' AND (j.args ->> 'check_in_id')::bigint = c.id
                    AND (j.state IN ('available', 'scheduled', 'retryable', 'pending')
                         OR (j.state = 'running' AND j.attempted_at >= @taken_after::timestamptz)))
ORDER BY c.slot_at
LIMIT 500;
