-- Limits every node shares when dialling through a trunk: its channels (calls at
-- once) and its calls per second, and a backoff when it says it is overloaded.

-- One row per trunk. next_call_at is the earliest moment the next call may start:
-- each call reserves its start by pushing it on by 1/CPS, so nodes together never
-- exceed the rate. backoff_until stops every node after a 503 or a trunk that
-- stopped answering.
CREATE TABLE trunk_limits (
    trunk         text PRIMARY KEY,
    next_call_at  timestamptz NOT NULL DEFAULT 'epoch',
    backoff_until timestamptz NOT NULL DEFAULT 'epoch',
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per channel of a trunk. A call holds one for its duration; the lease
-- frees the channels of a node that died mid-call.
CREATE TABLE trunk_channels (
    trunk      text NOT NULL REFERENCES trunk_limits (trunk) ON DELETE CASCADE,
    slot       integer NOT NULL CHECK (slot > 0),
    holder     text,
    expires_at timestamptz,
    PRIMARY KEY (trunk, slot),
    CHECK ((holder IS NULL) = (expires_at IS NULL))
);
