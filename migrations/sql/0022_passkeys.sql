-- Passkeys (WebAuthn) as a second factor beside TOTP: after the password,
-- never in its place. A user has a second factor when their TOTP is
-- confirmed or they have at least one passkey.

-- A user's passkeys. credential_id and public_key are the authenticator's;
-- sign_count is the counter it last reported (0 for those that keep none);
-- flags are WebAuthn's credential flags as one byte (backup eligible must
-- not change from one sign-in to the next); name is the user's label.
CREATE TABLE passkeys (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id bytea NOT NULL UNIQUE,
    public_key    bytea NOT NULL,
    sign_count    bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
    aaguid        bytea NOT NULL DEFAULT '\x',
    transports    text[] NOT NULL DEFAULT '{}',
    flags         smallint NOT NULL DEFAULT 0,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id);

-- A passkey being added from the account page, between the challenge and
-- the authenticator's answer: WebAuthn's session data (its challenge among
-- it), kept here rather than in a cookie, one per session, used once.
CREATE TABLE passkey_registrations (
    session_hash bytea PRIMARY KEY REFERENCES sessions (token_hash) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    ceremony     jsonb NOT NULL,
    expires_at   timestamptz NOT NULL
);

-- The passkey challenge of a sign-in's second step, used once.
ALTER TABLE pending_logins ADD COLUMN passkey_ceremony jsonb;

-- Wrong codes and failed passkeys at the second step, counted per user
-- whatever their factor (a user with passkeys only has no second_factors
-- row): the count and lock second_factors kept move here.
CREATE TABLE second_factor_tries (
    user_id      bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures     integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until timestamptz
);
INSERT INTO second_factor_tries (user_id, failures, locked_until)
SELECT user_id, failures, locked_until FROM second_factors WHERE failures > 0 OR locked_until IS NOT NULL;
ALTER TABLE second_factors DROP COLUMN failures, DROP COLUMN locked_until;
