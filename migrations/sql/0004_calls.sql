-- The call workers: attempts guarded by their check-in, retries within the
-- day, cases raised and assigned, and the coordinators' queue of numbers that
-- do not work.

-- A check-in's state machine lives on its row, locked by whoever acts on it:
-- calling_since is set while an attempt is in progress (the sweep leaves such
-- a check-in to its worker until the call must have ended), retry_at while the
-- next attempt waits.
ALTER TABLE check_ins ADD COLUMN calling_since timestamptz;
ALTER TABLE check_ins ADD COLUMN retry_at timestamptz;
CREATE INDEX check_ins_calling_idx ON check_ins (calling_since) WHERE calling_since IS NOT NULL;

-- Check-ins that are finished carry the decision's reason (state_reason) and
-- their attempts; the worker reads a person's last check-ins to count those
-- unreached in a row.
CREATE INDEX check_ins_person_final_idx ON check_ins (person_id, slot_at DESC)
    WHERE state IN ('confirmed', 'flagged', 'unreached', 'undeliverable', 'system_error');

-- One pending follow-up per case: a new flag or miss updates it (raising its
-- priority, bringing its due time forward) rather than stacking another task on
-- the same person. Duplicates the sweep may have left are merged first.
UPDATE follow_ups f SET state = 'cancelled'
WHERE f.state = 'pending'
  AND EXISTS (SELECT 1 FROM follow_ups g WHERE g.case_id = f.case_id AND g.state = 'pending' AND g.id > f.id);
CREATE UNIQUE INDEX follow_ups_one_pending_key ON follow_ups (case_id) WHERE state = 'pending';
ALTER TABLE follow_ups ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE follow_ups DROP CONSTRAINT follow_ups_reason_check;
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_reason_check
    CHECK (reason IN ('flagged', 'unreached', 'unreached_repeatedly', 'callback', 'escalation', 'referral', 'manual', 'missed', 'system_error'));
ALTER TABLE cases DROP CONSTRAINT cases_opened_reason_check;
ALTER TABLE cases ADD CONSTRAINT cases_opened_reason_check
    CHECK (opened_reason IN ('flagged', 'unreached', 'undeliverable', 'referral', 'manual', 'missed', 'system_error'));

-- Who is on shift now, by weekday and time (the assignment's first question).
CREATE INDEX shifts_on_idx ON shifts (weekday, starts, ends);

-- The coordinators' data queue: a number that does not work (404, 484, 410,
-- 604) is a data problem, not a person in trouble. One open issue per person
-- and kind; a repeat counts on it.
CREATE TABLE data_issues (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id     bigint NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('undeliverable')),
    check_in_id   bigint REFERENCES check_ins (id) ON DELETE SET NULL,
    detail        text NOT NULL DEFAULT '',
    occurrences   integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
    opened_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz,
    resolved_by   bigint -- users.id (provenance)
);
CREATE UNIQUE INDEX data_issues_one_open_key ON data_issues (person_id, kind) WHERE resolved_at IS NULL;
CREATE INDEX data_issues_open_idx ON data_issues (opened_at) WHERE resolved_at IS NULL;
