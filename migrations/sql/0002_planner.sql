-- The planner's memory, and the hand-off of check-ins missed while the system
-- was down.

-- One row: how far ahead check-ins are materialised. After an outage the planner
-- starts from here, so fires that came due while nothing ran are planned late
-- (dialled inside their window) or handed to a listener, never skipped.
CREATE TABLE planner_state (
    id            boolean PRIMARY KEY DEFAULT true CHECK (id),
    planned_until timestamptz,
    last_pass_at  timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO planner_state DEFAULT VALUES;

-- A check-in whose deadline passed without a call ('missed': system down or the
-- queue stalled) becomes system_error and opens or joins the person's case.
ALTER TABLE cases DROP CONSTRAINT cases_opened_reason_check;
ALTER TABLE cases ADD CONSTRAINT cases_opened_reason_check
    CHECK (opened_reason IN ('flagged', 'unreached', 'undeliverable', 'referral', 'manual', 'missed'));
ALTER TABLE follow_ups DROP CONSTRAINT follow_ups_reason_check;
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_reason_check
    CHECK (reason IN ('flagged', 'unreached', 'unreached_repeatedly', 'callback', 'escalation', 'referral', 'manual', 'missed'));
ALTER TABLE follow_ups ADD COLUMN check_in_id bigint REFERENCES check_ins (id) ON DELETE SET NULL;


-- A check-in's call job names the check-in (its args); the reverse link would
-- cost a second write of every check-in the planner creates.
ALTER TABLE check_ins DROP COLUMN job_id;

-- Re-planning finds the waiting call jobs of the check-ins it cancels by
-- check-in (River's GIN index on args answers a containment test by walking
-- every call job that has the key). River's tables exist: they migrate first.
CREATE INDEX river_job_check_in_idx ON river_job (((args ->> 'check_in_id')::bigint))
    WHERE kind = 'check_in_call';
