-- The care cycle: follow-ups recorded and scheduled, cases closed and handed
-- on, escalation calls to emergency contacts, retention.

-- name: LockCase :one
SELECT * FROM cases WHERE id = @id FOR NO KEY UPDATE;

-- name: LockCaseFollowUp :one
-- The case's follow-up in a state (pending or scheduled), locked.
SELECT * FROM follow_ups WHERE case_id = @case_id AND state = @state FOR UPDATE;

-- name: CompleteFollowUp :one
UPDATE follow_ups
SET state = 'done', reached = @reached, partner_id = sqlc.narg('partner_id'),
    emergency_services_called = @emergency_services_called,
    done_at = @done_at, done_by = sqlc.narg('done_by'), updated_at = now()
WHERE id = @id
RETURNING *;

-- name: InsertDoneFollowUp :one
-- A follow-up a listener made without one on their list (they called first).
INSERT INTO follow_ups (case_id, assignee_id, reason, priority, due_at, state, reached, partner_id,
                        emergency_services_called, done_at, done_by)
VALUES (@case_id, sqlc.narg('done_by'), 'manual', @priority, @done_at, 'done', @reached, sqlc.narg('partner_id'),
        @emergency_services_called, @done_at, sqlc.narg('done_by'))
RETURNING *;

-- name: AddNote :one
INSERT INTO notes (person_id, case_id, follow_up_id, author_id, body, created_at)
VALUES (@person_id, sqlc.narg('case_id'), sqlc.narg('follow_up_id'), sqlc.narg('author_id'), @body, @created_at)
RETURNING id;

-- name: ScheduleFollowUp :one
-- The case's next follow-up, waiting for its time; a later choice replaces an
-- earlier one.
INSERT INTO follow_ups (case_id, assignee_id, reason, priority, due_at, state)
VALUES (@case_id, sqlc.narg('assignee_id'), 'callback', @priority, @due_at, 'scheduled')
ON CONFLICT (case_id) WHERE state = 'scheduled' DO UPDATE
SET assignee_id = EXCLUDED.assignee_id, priority = EXCLUDED.priority, due_at = EXCLUDED.due_at, updated_at = now()
RETURNING *;

-- name: LockFollowUp :one
SELECT * FROM follow_ups WHERE id = @id FOR UPDATE;

-- name: GetFollowUp :one
SELECT * FROM follow_ups WHERE id = @id;

-- name: SetFollowUpState :exec
UPDATE follow_ups SET state = @state, updated_at = now() WHERE id = @id;

-- name: CancelCaseFollowUps :many
-- A closed case leaves every list and every schedule.
UPDATE follow_ups SET state = 'cancelled', updated_at = now()
WHERE case_id = @case_id AND state IN ('pending', 'scheduled')
RETURNING id;

-- name: CloseCase :one
UPDATE cases
SET state = 'closed', closed_at = @closed_at, closed_by = sqlc.narg('closed_by'),
    closure_reason = @closure_reason, person_agreed = @person_agreed, updated_at = now()
WHERE id = @id AND state <> 'closed'
RETURNING *;

-- name: SettleCase :one
-- The person was reached: the case's priority is set (not only raised) and it
-- is due when its next follow-up is.
UPDATE cases SET priority = @priority, due_at = @due_at, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: AssignCase :one
-- The case and its pending and scheduled follow-ups change hands (nil: the
-- shared pool).
WITH moved AS (
    UPDATE follow_ups
    SET previous_assignee_id = assignee_id, assignee_id = sqlc.narg('assignee_id'), updated_at = now()
    WHERE case_id = @id AND state IN ('pending', 'scheduled') AND assignee_id IS DISTINCT FROM sqlc.narg('assignee_id')::bigint
)
UPDATE cases
SET assignee_id = sqlc.narg('assignee_id'),
    state = CASE WHEN sqlc.narg('assignee_id')::bigint IS NULL THEN 'open' ELSE 'assigned' END,
    updated_at = now()
WHERE cases.id = @id
RETURNING *;

-- name: ListOrphanedFollowUps :many
-- Pending follow-ups that have come due on the list of a listener who is away,
-- off shift or disabled (at @weekday @local_time in the service's zone): they
-- must be handed on. Most pressing first, a page at a time after the @after_…
-- key of the last row of the page before.
SELECT f.id, f.case_id, c.person_id, f.assignee_id, f.priority, f.due_at
FROM follow_ups f
JOIN cases c ON c.id = f.case_id
JOIN users u ON u.id = f.assignee_id
WHERE f.state = 'pending' AND f.due_at <= @now::timestamptz
  AND (f.priority, f.due_at, f.id) > (@after_priority::case_priority, @after_due::timestamptz, @after_id::bigint)
  AND (u.disabled_at IS NOT NULL OR NOT u.present OR NOT 'listener' = ANY(u.roles)
       OR NOT EXISTS (SELECT 1 FROM shifts s
                      WHERE s.user_id = u.id AND s.weekday = @weekday AND s.starts <= @local_time AND s.ends > @local_time))
ORDER BY f.priority, f.due_at, f.id
LIMIT @max_rows::int;

-- name: PersonForCase :one
SELECT id, status, language, referent_id, risk_level, postcode, time_zone FROM persons WHERE id = @id;

-- name: StartEscalation :one
-- An escalation for the case, unless one is running: then none (no row).
INSERT INTO escalations (case_id, person_id, started_at)
VALUES (@case_id, @person_id, @started_at)
ON CONFLICT (case_id) WHERE ended_at IS NULL DO NOTHING
RETURNING *;

-- name: LockEscalation :one
SELECT * FROM escalations WHERE id = @id FOR NO KEY UPDATE;

-- name: GetEscalation :one
SELECT * FROM escalations WHERE id = @id;

-- name: EndEscalation :one
UPDATE escalations SET ended_at = @ended_at, outcome = @outcome, acknowledged_by = sqlc.narg('acknowledged_by')
WHERE id = @id AND ended_at IS NULL
RETURNING *;

-- name: ListEscalationCalls :many
SELECT * FROM escalation_calls WHERE escalation_id = @escalation_id ORDER BY position, attempt;

-- name: ListCaseEscalations :many
-- A case's escalations, latest first, with the contact who acknowledged as
-- they were named when they answered.
SELECT sqlc.embed(e), coalesce(ack.contact_name, '')::text AS acknowledged_by_name,
       coalesce(ack.contact_relation, '')::text AS acknowledged_by_relation
FROM escalations e
LEFT JOIN LATERAL (
    SELECT k.contact_name, k.contact_relation FROM escalation_calls k
    WHERE k.escalation_id = e.id AND k.acknowledged ORDER BY k.started_at DESC, k.id DESC LIMIT 1) ack ON true
WHERE e.case_id = @case_id
ORDER BY e.started_at DESC, e.id DESC;

-- name: ListCaseEscalationCalls :many
-- Every call to an emergency contact on a case, in the order they were made,
-- with whom it called (their name and relation as they were then).
SELECT * FROM escalation_calls k
WHERE k.case_id = @case_id
ORDER BY k.started_at, k.id;

-- name: StartEscalationCall :one
INSERT INTO escalation_calls (case_id, escalation_id, emergency_contact_id, position, attempt, started_at,
                              contact_name, contact_relation)
VALUES (@case_id, @escalation_id, @emergency_contact_id, @position, @attempt, @started_at,
        @contact_name, @contact_relation)
RETURNING *;

-- name: EndEscalationCall :execrows
-- A call in progress, or one presumed lost with its node (interrupted),
-- whose real outcome wins.
UPDATE escalation_calls
SET ended_at = @ended_at, outcome = @outcome, reason = @reason, call_id = @call_id, acknowledged = @acknowledged, trunk = @trunk
WHERE id = @id AND (ended_at IS NULL OR reason LIKE 'interrupted:%');

-- name: ListStaleEscalations :many
-- Running escalations, started before @before, that nothing is working: no
-- call began since @before (one older is its dead node's) and no job waits or
-- was taken after @taken_after (River's clock). They are taken up again.
SELECT e.id FROM escalations e
WHERE e.ended_at IS NULL AND e.started_at < @before::timestamptz
  AND NOT EXISTS (SELECT 1 FROM escalation_calls k
                  WHERE k.escalation_id = e.id AND k.ended_at IS NULL AND k.started_at >= @before::timestamptz)
  AND NOT EXISTS (SELECT 1 FROM river_job j
                  WHERE j.kind = 'escalate' AND (j.args ->> 'escalation_id')::bigint = e.id
                    AND (j.state IN ('available', 'scheduled', 'retryable', 'pending')
                         OR (j.state = 'running' AND j.attempted_at >= @taken_after::timestamptz)))
ORDER BY e.started_at
LIMIT 100;

-- name: SetContactConsent :exec
UPDATE emergency_contacts SET consent_at = sqlc.narg('consent_at') WHERE id = @id;

-- name: SetCareSettings :exec
UPDATE service_settings
SET keep_closed_cases_days = @keep_closed_cases_days, keep_withdrawn_days = @keep_withdrawn_days,
    keep_audit_days = @keep_audit_days, escalation_needs_consent = @escalation_needs_consent, updated_at = now();

-- name: PurgeClosedCases :one
-- Closed cases' files older than @before go, with their follow-ups, notes and
-- escalations; their counts stay in daily_counts.
WITH gone AS (
    DELETE FROM cases
    WHERE id IN (SELECT old.id FROM cases old WHERE old.state = 'closed' AND old.closed_at < @before ORDER BY old.closed_at LIMIT 1000)
    RETURNING closed_at, closure_reason
), counted AS (
    INSERT INTO daily_counts (day, metric, count)
    SELECT (closed_at AT TIME ZONE @zone::text)::date, 'case.closed.' || closure_reason, count(*)
    FROM gone GROUP BY 1, 2
    ON CONFLICT (day, metric) DO UPDATE SET count = daily_counts.count + EXCLUDED.count
)
SELECT count(*) FROM gone;

-- name: PurgeOldCheckIns :one
-- Finished check-ins older than @before go with their attempts; their counts
-- stay in daily_counts.
WITH gone AS (
    DELETE FROM check_ins
    WHERE id IN (SELECT old.id FROM check_ins old
                 WHERE old.slot_at < @before AND old.state NOT IN ('planned', 'dialing')
                 ORDER BY old.slot_at LIMIT 5000)
    RETURNING slot_at, state
), counted AS (
    INSERT INTO daily_counts (day, metric, count)
    SELECT (slot_at AT TIME ZONE @zone::text)::date, 'check_in.' || state, count(*)
    FROM gone GROUP BY 1, 2
    ON CONFLICT (day, metric) DO UPDATE SET count = daily_counts.count + EXCLUDED.count
)
SELECT count(*) FROM gone;

-- name: ListWithdrawnBefore :many
SELECT id FROM persons WHERE status = 'withdrawn' AND withdrawn_at < @before ORDER BY withdrawn_at LIMIT 500;

-- name: CountPersonForRetention :exec
-- What a person leaving the register counted: their check-ins per day and
-- state, their cases per day and closure (or 'open'), and the purge itself.
WITH metrics AS (
    SELECT (k.slot_at AT TIME ZONE @zone::text)::date AS day, 'check_in.' || k.state AS metric
    FROM check_ins k WHERE k.person_id = @person_id AND k.state NOT IN ('planned', 'dialing')
    UNION ALL
    SELECT (coalesce(c.closed_at, c.opened_at) AT TIME ZONE @zone::text)::date, 'case.closed.' || coalesce(c.closure_reason, 'open')
    FROM cases c WHERE c.person_id = @person_id
    UNION ALL
    SELECT (sqlc.arg('at')::timestamptz AT TIME ZONE @zone::text)::date, 'person.purged'
)
INSERT INTO daily_counts (day, metric, count)
SELECT day, metric, count(*) FROM metrics GROUP BY 1, 2
ON CONFLICT (day, metric) DO UPDATE SET count = daily_counts.count + EXCLUDED.count;

-- name: DeletePerson :execrows
DELETE FROM persons WHERE id = @id;

-- name: ListDailyCounts :many
SELECT * FROM daily_counts WHERE day BETWEEN @from_day AND @to_day ORDER BY day, metric;

-- name: CancelRunningEscalations :many
-- The person was reached (they answered a call, or a listener spoke to them):
-- their contacts are not called.
UPDATE escalations SET ended_at = @ended_at, outcome = 'cancelled'
WHERE person_id = @person_id AND ended_at IS NULL
RETURNING id, case_id;
