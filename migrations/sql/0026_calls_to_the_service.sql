-- Calls to the service (issue 25): a person who calls the service's number
-- and talks to a listener has a case for the note, opened (or raised) with
-- the reason 'called', its follow-up too. A check-in missed today and then
-- confirmed or flagged from the service's voice menu keeps the reason
-- 'called_in' (check_ins.state_reason, free text).
ALTER TABLE follow_ups DROP CONSTRAINT follow_ups_reason_check;
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_reason_check
    CHECK (reason IN ('flagged', 'unreached', 'unreached_repeatedly', 'callback', 'escalation', 'referral', 'manual', 'missed', 'system_error', 'called'));
ALTER TABLE cases DROP CONSTRAINT cases_opened_reason_check;
ALTER TABLE cases ADD CONSTRAINT cases_opened_reason_check
    CHECK (opened_reason IN ('flagged', 'unreached', 'undeliverable', 'referral', 'manual', 'missed', 'system_error', 'called'));
