-- The calls of a case made or taken from the listener's browser phone (issue
-- 25), logged by themselves so that the listener only writes the note: who
-- called whom, when, whether the person answered, how long they spoke, who
-- hung up. No audio is ever recorded or stored: a row is the call's facts.
--   user_id     the listener; no key, like every provenance column
--   direction   'out' the listener called the person, 'in' the person called
--   number      the number dialled, or the caller's; NULL only for a caller
--               whose number was withheld
--   node        the node that bridged the call: when it starts again after a
--               crash, it ends the calls it left open ('failed')
--   answered_at NULL if nobody answered; ended_at and outcome NULL while the
--               call is in progress
-- Times are the service's clock, passed by the statements: no now() default.
CREATE TABLE case_calls (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    person_id   bigint NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL,
    direction   text NOT NULL CHECK (direction IN ('out', 'in')),
    number      text CHECK (number ~ '^\+[1-9][0-9]{6,14}$'),
    node        text NOT NULL DEFAULT '',
    sip_call_id text,
    started_at  timestamptz NOT NULL,
    answered_at timestamptz,
    ended_at    timestamptz,
    outcome     text CHECK (outcome IN ('answered', 'no_answer', 'busy', 'declined', 'invalid_number', 'failed')),
    hung_up_by  text CHECK (hung_up_by IN ('listener', 'person')),
    CHECK (direction = 'in' OR number IS NOT NULL),
    CHECK ((ended_at IS NULL) = (outcome IS NULL)),
    CHECK (answered_at >= started_at AND ended_at >= answered_at),
    CHECK (ended_at >= started_at),
    -- answered means someone answered; the ways of not answering mean nobody did
    -- ('failed' is either: the line may fail mid-call).
    CHECK (outcome <> 'answered' OR answered_at IS NOT NULL),
    CHECK (outcome NOT IN ('no_answer', 'busy', 'declined', 'invalid_number') OR answered_at IS NULL)
);
-- A case's calls, newest first (the case page).
CREATE INDEX case_calls_case_idx ON case_calls (case_id, started_at DESC, id DESC);
-- Calls in progress, by node (recovery after a crash).
CREATE INDEX case_calls_open_idx ON case_calls (node, started_at) WHERE ended_at IS NULL;
