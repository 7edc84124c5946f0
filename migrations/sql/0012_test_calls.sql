-- Test calls an admin places from the settings page, to hear the service's
-- prompts through the real trunk. A worker places each one (River job
-- test_call), within the trunk's limits like any call, at any hour: it calls
-- a member of staff, not a person. The number is staff's; retention deletes
-- test calls after 30 days.
CREATE TABLE test_calls (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requested_by bigint REFERENCES users (id) ON DELETE SET NULL,
    target       text NOT NULL CHECK (target ~ '^(\+[1-9][0-9]{6,14}|sip:.+)$'),
    lang         text NOT NULL,
    script       text NOT NULL DEFAULT '',
    requested_at timestamptz NOT NULL,
    started_at   timestamptz, -- a channel was free and the INVITE left
    ended_at     timestamptz,
    outcome      text,
    sip_status   integer NOT NULL DEFAULT 0,
    digits       text NOT NULL DEFAULT '',
    reason       text NOT NULL DEFAULT '',
    ring_ms      bigint NOT NULL DEFAULT 0,
    talk_ms      bigint NOT NULL DEFAULT 0
);
CREATE INDEX test_calls_requested_idx ON test_calls (requested_at DESC);
