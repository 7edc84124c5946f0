-- Tokens for the JSON API (/api/v1). A token acts as its user, with the
-- user's roles. Like a session it is known by the SHA-256 of its value: a copy
-- of the table lets nobody in. A token is revoked, not deleted, so that what
-- the audit log says of it keeps a name.
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (name <> '' AND length(name) <= 100),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);
