-- Answering machines (issue 24): a call an answering machine took ends as
-- "voicemail", apart from "no_response" (answered, no key). Per service,
-- whether such a call leaves a short message after the beep (never the
-- person's name) or hangs up: hangs up unless an admin chooses, since a
-- message on a shared machine tells whoever hears it that the person is
-- called by this service.
ALTER TABLE attempts DROP CONSTRAINT attempts_outcome_check,
    ADD CONSTRAINT attempts_outcome_check CHECK (outcome IN ('ok', 'help_requested', 'no_response', 'voicemail',
        'no_answer', 'busy', 'declined', 'invalid_number', 'failed'));
ALTER TABLE escalation_calls DROP CONSTRAINT escalation_calls_outcome_check,
    ADD CONSTRAINT escalation_calls_outcome_check CHECK (outcome IN ('ok', 'help_requested', 'no_response', 'voicemail',
        'no_answer', 'busy', 'declined', 'invalid_number', 'failed'));
ALTER TABLE service_settings ADD COLUMN voicemail_message boolean NOT NULL DEFAULT false;
