-- The coordinators' dashboard and exports.

-- name: ReportDay :one
-- One day's counts, computed now (today's, or a day not stored).
SELECT report_day(@day::date, @zone::text)::jsonb AS counts;

-- name: FillReportDays :exec
-- Counts the days from @from_day to @to_day (all over) not counted yet.
INSERT INTO report_days (day, zone, counts, computed_at)
SELECT d::date, @zone::text, report_day(d::date, @zone::text), @now::timestamptz
FROM generate_series(@from_day::date, @to_day::date, interval '1 day') AS d
WHERE NOT EXISTS (SELECT 1 FROM report_days r WHERE r.day = d::date)
ON CONFLICT (day) DO NOTHING;

-- name: ListReportDays :many
SELECT day, counts FROM report_days WHERE day BETWEEN @from_day AND @to_day ORDER BY day;

-- name: OpenCaseCounts :one
-- Open cases: in the shared pool, with a listener, urgent.
SELECT count(*) FILTER (WHERE assignee_id IS NULL)::int AS pool,
       count(*) FILTER (WHERE assignee_id IS NOT NULL)::int AS assigned,
       count(*) FILTER (WHERE priority = 'urgent')::int AS urgent
FROM cases WHERE state <> 'closed';

-- name: ChannelsInUse :one
SELECT count(*)::int FROM trunk_channels WHERE holder IS NOT NULL AND expires_at > @now;

-- name: ExportCheckIns :many
-- Check-ins of a period by slot, a page at a time after (@after_slot,
-- @after_id), with their calls; never a phone number.
SELECT k.id, k.person_id, p.full_name, k.slot_at, k.state, k.state_reason,
    coalesce(a.calls, 0)::int AS calls, coalesce(a.last_outcome, '')::text AS last_outcome
FROM check_ins k
JOIN persons p ON p.id = k.person_id
LEFT JOIN LATERAL (
    SELECT count(*) AS calls, (array_agg(x.outcome ORDER BY x.number DESC))[1] AS last_outcome
    FROM attempts x WHERE x.check_in_id = k.id
) a ON true
WHERE k.slot_at >= @from_at AND k.slot_at < @to_at
  AND (k.slot_at, k.id) > (@after_slot::timestamptz, @after_id::bigint)
ORDER BY k.slot_at, k.id
LIMIT @page_size;

-- name: ExportCases :many
-- Cases opened in a period, a page at a time after (@after_opened,
-- @after_id), with who followed them and how they closed.
SELECT c.id, c.person_id, p.full_name, c.opened_at, c.opened_reason, c.priority, c.state,
    coalesce(u.full_name, '')::text AS assignee, c.closed_at, coalesce(c.closure_reason, '')::text AS closure_reason, c.person_agreed,
    (SELECT count(*) FROM follow_ups f WHERE f.case_id = c.id AND f.state = 'done')::int AS follow_ups_done
FROM cases c
JOIN persons p ON p.id = c.person_id
LEFT JOIN users u ON u.id = c.assignee_id
WHERE c.opened_at >= @from_at AND c.opened_at < @to_at
  AND (c.opened_at, c.id) > (@after_opened::timestamptz, @after_id::bigint)
ORDER BY c.opened_at, c.id
LIMIT @page_size;

-- name: DeleteStaleUploads :execrows
DELETE FROM import_uploads WHERE created_at < @before;

-- name: SaveUpload :one
INSERT INTO import_uploads (user_id, file_name, body, created_at) VALUES (@user_id, @file_name, @body, @created_at) RETURNING id;

-- name: GetUpload :one
SELECT file_name, body FROM import_uploads WHERE id = @id AND user_id = @user_id AND created_at >= @after;

-- name: DeleteUpload :exec
DELETE FROM import_uploads WHERE id = @id;

-- name: DeleteAllUploads :execrows
DELETE FROM import_uploads;
