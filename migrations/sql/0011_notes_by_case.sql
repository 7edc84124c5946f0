-- A case's notes, for the case page: without it each view scanned every note
-- (20-33 ms on the benchmark's 1M-person service, growing with retention).
CREATE INDEX notes_case_idx ON notes (case_id, created_at) WHERE case_id IS NOT NULL;
