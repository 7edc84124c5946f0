-- The audit log has a retention of its own (issue 23): the retention pass
-- deletes entries older than keep_audit_days, a year by default. Its entries
-- are stamped by the database's clock (audit_log.at DEFAULT now()), and are
-- aged by it too.
ALTER TABLE service_settings ADD COLUMN keep_audit_days integer NOT NULL DEFAULT 365
    CHECK (keep_audit_days BETWEEN 30 AND 3650);
