-- What the soak (cmd/wellcheck soak) watches and checks, on its own
-- connection: read-only.

-- name: SoakCheckInsDue :one
-- The check-ins before @before still waiting for their first call and due
-- at @now, and the next one due after it (@before if none).
SELECT count(*) FILTER (WHERE slot_at <= @now::timestamptz) AS due,
       coalesce(min(slot_at) FILTER (WHERE slot_at > @now::timestamptz), @before)::timestamptz AS next
FROM check_ins WHERE state = 'planned' AND slot_at < @before;

-- name: SoakAttemptsEnded :one
SELECT count(*) FROM attempts WHERE ended_at IS NOT NULL;

-- name: SoakCheckInsOpen :one
SELECT count(*) FROM check_ins WHERE slot_at < @before AND state IN ('planned', 'dialing');

-- name: SoakCheckIns :many
SELECT id, state FROM check_ins WHERE slot_at < @before ORDER BY id;

-- name: SoakAttempts :many
-- Every attempt of the check-ins before @before, with the number it called.
SELECT a.check_in_id, a.number, a.started_at, coalesce(a.outcome, '')::text AS outcome, a.call_id, p.phone, a.failure_reason
FROM attempts a JOIN check_ins c ON c.id = a.check_in_id JOIN persons p ON p.id = c.person_id
WHERE c.slot_at < @before
ORDER BY a.started_at;
