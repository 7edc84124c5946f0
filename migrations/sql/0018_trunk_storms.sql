-- The trunk judged as a whole (issue 22): when most recent calls across many
-- persons fail the same way, it is the trunk's fault, not the persons'
-- (wellcheck.TrunkRule). The calls it failed are marked, counted against
-- nobody; a storm row says since when calls are held, and when the next
-- call is let through to see whether the trunk carries calls again.
ALTER TABLE attempts ADD COLUMN trunk boolean NOT NULL DEFAULT false;
-- A call to an emergency contact that a storm failed: it never uses the
-- contact up.
ALTER TABLE escalation_calls ADD COLUMN trunk boolean NOT NULL DEFAULT false;

-- The rule reads the calls that ended in the last few minutes.
CREATE INDEX attempts_ended_idx ON attempts (ended_at) WHERE ended_at IS NOT NULL;

CREATE TABLE trunk_storms (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fault     text NOT NULL,
    began_at  timestamptz NOT NULL,
    ended_at  timestamptz,
    -- The next call let through (a probe), and how many were let through
    -- and failed the same way: the wait between probes grows with them.
    -- probe_by is the call that has the probe while it waits for a channel
    -- (probe_at is then the end of its hold on it).
    probe_at  timestamptz NOT NULL,
    probes    integer NOT NULL DEFAULT 0,
    probe_by  text,
    -- What made it a storm: calls in the window, and persons they were to.
    calls     integer NOT NULL,
    persons   integer NOT NULL,
    CHECK (ended_at IS NULL OR ended_at >= began_at)
);
-- At most one storm at a time.
CREATE UNIQUE INDEX trunk_storms_open_idx ON trunk_storms ((true)) WHERE ended_at IS NULL;
