-- A second factor for signing in (issue 23): TOTP (RFC 6238) with recovery
-- codes, required per role by a service setting; and sessions a person can
-- see and end one by one.

-- A user's TOTP secret: sealed with the service's key when one is set
-- (WELLCHECK_SECRET_KEY; "v1:" + AES-256-GCM), never shown again once
-- confirmed. Unconfirmed while the user has not yet typed a code from it.
-- last_step is the last time step a code was accepted for: a code is
-- refused for that step or an earlier one (replay). failures counts wrong
-- codes in a row at the second step; at the limit it is locked until
-- locked_until.
CREATE TABLE second_factors (
    user_id      bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       text NOT NULL,
    created_at   timestamptz NOT NULL,
    confirmed_at timestamptz,
    last_step    bigint NOT NULL DEFAULT 0,
    failures     integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until timestamptz
);

-- Single-use recovery codes, by their SHA-256 (80 random bits each): a
-- copy of the table recovers nobody.
CREATE TABLE recovery_codes (
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL CHECK (length(code_hash) = 32),
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- A sign-in whose password was right and whose second step is still to
-- come: not a session, it opens no page. Known by the SHA-256 of its
-- cookie's token, like a session; the form's CSRF token with it; its own
-- count of wrong codes.
CREATE TABLE pending_logins (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    failures   integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    user_agent text NOT NULL DEFAULT ''
);
CREATE INDEX pending_logins_user_idx ON pending_logins (user_id);

-- The roles that must have a second factor (none by default: existing
-- services keep working until an admin chooses). One row.
CREATE TABLE second_factor_policy (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    roles      text[] NOT NULL DEFAULT '{}' CHECK (roles <@ ARRAY['listener', 'coordinator', 'admin']),
    updated_at timestamptz
);
INSERT INTO second_factor_policy DEFAULT VALUES;

-- A session's id for its owner's account page, to end it by: it names the
-- session without signing anyone in (the token's hash never leaves the
-- server).
ALTER TABLE sessions ADD COLUMN id bigint NOT NULL GENERATED ALWAYS AS IDENTITY UNIQUE;
