-- name: GetSettings :one
SELECT * FROM service_settings;

-- name: ListOpeningHours :many
SELECT * FROM opening_hours ORDER BY weekday;

-- name: ClearOpeningHours :exec
DELETE FROM opening_hours;

-- name: AddOpeningHours :exec
INSERT INTO opening_hours (weekday, opens, closes) VALUES (@weekday, @opens, @closes);

-- name: UpdateServiceSettings :exec
UPDATE service_settings SET holiday_calendar = @holiday_calendar, cutoff = @cutoff, max_attempts = @max_attempts,
    retry_minutes = @retry_minutes::smallint[], max_calls_per_day = @max_calls_per_day,
    unreached_urgent_after = @unreached_urgent_after, caller_number = @caller_number, caller_name = @caller_name,
    escalation_needs_consent = @escalation_needs_consent, keep_closed_cases_days = @keep_closed_cases_days,
    keep_withdrawn_days = @keep_withdrawn_days, keep_audit_days = @keep_audit_days,
    voicemail_message = @voicemail_message, updated_at = now();
