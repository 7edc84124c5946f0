-- The part of River's job table our queries read, declared for sqlc only (River's
-- migrations create the real table before ours run).
CREATE TABLE river_job (
    id    bigint PRIMARY KEY,
    args  jsonb NOT NULL,
    kind  text NOT NULL,
    queue text NOT NULL,
    state text NOT NULL
);
