-- The care cycle after a call: listeners' follow-ups and callbacks, escalation
-- to emergency contacts, and retention.

-- A scheduled follow-up (a callback a listener set) waits in state 'scheduled'
-- until its job puts it on a list; at most one per case, like a pending one.
CREATE UNIQUE INDEX follow_ups_one_scheduled_key ON follow_ups (case_id) WHERE state = 'scheduled';
-- Who had a follow-up before it was handed on (reassignment keeps the trail).
ALTER TABLE follow_ups ADD COLUMN previous_assignee_id bigint; -- users.id (provenance)

-- An escalation: the person's emergency contacts called in order when their
-- case turned urgent, until one acknowledges. At most one runs per case.
CREATE TABLE escalations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id         bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    person_id       bigint NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    started_at      timestamptz NOT NULL,
    ended_at        timestamptz,
    -- acknowledged: a contact pressed 1; nobody: every contact was tried;
    -- no_contacts: none could be called (none recorded, or none consented);
    -- cancelled: the case closed or the person withdrew first.
    outcome         text CHECK (outcome IN ('acknowledged', 'nobody', 'no_contacts', 'cancelled')),
    acknowledged_by bigint REFERENCES emergency_contacts (id) ON DELETE SET NULL,
    CHECK ((ended_at IS NULL) = (outcome IS NULL))
);
CREATE UNIQUE INDEX escalations_running_key ON escalations (case_id) WHERE ended_at IS NULL;
-- A person who answers stops their running escalation (looked up on every answer).
CREATE INDEX escalations_running_person_idx ON escalations (person_id) WHERE ended_at IS NULL;
CREATE INDEX escalations_case_idx ON escalations (case_id, started_at);

-- Each contact is called once per escalation — again only after a call that
-- failed through our fault (attempt 2, 3) — and each call's row is committed
-- before the INVITE leaves (the same guard as a check-in's attempt).
ALTER TABLE escalation_calls ADD COLUMN escalation_id bigint NOT NULL REFERENCES escalations (id) ON DELETE CASCADE;
ALTER TABLE escalation_calls ADD COLUMN attempt smallint NOT NULL DEFAULT 1 CHECK (attempt >= 1);
ALTER TABLE escalation_calls DROP CONSTRAINT escalation_calls_case_id_position_started_at_key;
ALTER TABLE escalation_calls ADD CONSTRAINT escalation_calls_once_key UNIQUE (escalation_id, position, attempt);
ALTER TABLE escalation_calls ALTER COLUMN started_at DROP DEFAULT;
ALTER TABLE escalation_calls ADD COLUMN reason text NOT NULL DEFAULT '';

-- Optional per service: a contact is called only once the person's consent to
-- it is recorded (consent_at).
ALTER TABLE emergency_contacts ADD COLUMN consent_at timestamptz;
ALTER TABLE service_settings ADD COLUMN escalation_needs_consent boolean NOT NULL DEFAULT false;

-- Retention (GDPR): closed cases' files and withdrawn persons are purged after
-- these many days; what they counted stays in daily_counts.
ALTER TABLE service_settings ADD COLUMN keep_closed_cases_days integer NOT NULL DEFAULT 730
    CHECK (keep_closed_cases_days BETWEEN 30 AND 3650);
ALTER TABLE service_settings ADD COLUMN keep_withdrawn_days integer NOT NULL DEFAULT 90
    CHECK (keep_withdrawn_days BETWEEN 0 AND 3650);
CREATE INDEX cases_closed_idx ON cases (closed_at) WHERE state = 'closed';
-- Check-ins by slot, whatever their state: retention's oldest first, and the
-- reports and exports of a period.
CREATE INDEX check_ins_slot_idx ON check_ins (slot_at);
CREATE INDEX persons_withdrawn_idx ON persons (withdrawn_at) WHERE status = 'withdrawn';

-- Aggregate counts of what was purged, per day (in the service's zone) and
-- metric ('check_in.confirmed', 'case.closed.resolved', …): reports over any
-- period add these to the rows still held.
CREATE TABLE daily_counts (
    day    date NOT NULL,
    metric text NOT NULL,
    count  bigint NOT NULL CHECK (count >= 0),
    PRIMARY KEY (day, metric)
);
