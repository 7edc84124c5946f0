-- A call's audio quality (issue "Real phone networks", RTCP): what its RTP and
-- RTCP told, kept with its attempt, and with an admin's test call. Every
-- figure is NULL when the call did not learn it: no audio from the person's
-- side (nothing to measure), or no RTCP reports from it (nothing of how our
-- audio reached them, no round trip). Calls before this migration have none.
--   loss_received_pct  the person's side's packets that never reached us
--   loss_sent_pct      ours that never reached them, as their reports say
--   jitter_ms          interarrival jitter, the worse direction known
--   rtt_ms             round trip, from their reports
--   mos                estimated from the above (docs/calls.md)
-- The checks are NOT VALID: every existing row is NULL, and the table is not
-- scanned under its lock to prove it; new rows are checked.
ALTER TABLE attempts
    ADD COLUMN loss_received_pct double precision,
    ADD COLUMN loss_sent_pct     double precision,
    ADD COLUMN jitter_ms         double precision,
    ADD COLUMN rtt_ms            double precision,
    ADD COLUMN mos               double precision;
ALTER TABLE attempts
    ADD CONSTRAINT attempts_quality_check CHECK (
        loss_received_pct BETWEEN 0 AND 100 AND loss_sent_pct BETWEEN 0 AND 100
        AND jitter_ms >= 0 AND rtt_ms >= 0 AND mos BETWEEN 1 AND 5) NOT VALID;

ALTER TABLE test_calls
    ADD COLUMN loss_received_pct double precision,
    ADD COLUMN loss_sent_pct     double precision,
    ADD COLUMN jitter_ms         double precision,
    ADD COLUMN rtt_ms            double precision,
    ADD COLUMN mos               double precision;
ALTER TABLE test_calls
    ADD CONSTRAINT test_calls_quality_check CHECK (
        loss_received_pct BETWEEN 0 AND 100 AND loss_sent_pct BETWEEN 0 AND 100
        AND jitter_ms >= 0 AND rtt_ms >= 0 AND mos BETWEEN 1 AND 5) NOT VALID;
