-- Finding people and partners from the web pages.

-- Coordinators search persons by any part of a name (trigrams) or by number.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX persons_name_trgm_idx ON persons USING gin (lower(full_name) gin_trgm_ops);
CREATE INDEX persons_phone_idx ON persons (phone);

-- Partner services are archived, never deleted: a follow-up that oriented
-- someone to one keeps naming it. Areas (the postcodes column) hold postcodes,
-- départements or communes; none means the partner serves everyone.
ALTER TABLE partners ADD COLUMN archived_at timestamptz;
ALTER TABLE partners ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
