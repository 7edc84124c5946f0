-- The coordinators' dashboard and exports, and imports from the browser.

-- What happened on one day (a date in zone): check-ins by state (by their
-- slot), calls placed, cases opened by reason and closed by reason, follow-ups
-- done (reached or not), plus what retention purged and kept as daily_counts.
-- One jsonb object of metric → count, e.g. {"check_in.confirmed": 812}.
CREATE FUNCTION report_day(day date, zone text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH span AS (
        SELECT (day::timestamp AT TIME ZONE zone) AS starts,
               ((day + 1)::timestamp AT TIME ZONE zone) AS ends
    ), metrics (metric, n) AS (
        SELECT 'check_in.' || k.state, count(*) FROM check_ins k, span
        WHERE k.slot_at >= span.starts AND k.slot_at < span.ends GROUP BY k.state
        UNION ALL
        SELECT 'calls.placed', count(*) FROM attempts a, span
        WHERE a.started_at >= span.starts AND a.started_at < span.ends
        UNION ALL
        SELECT 'case.opened.' || c.opened_reason, count(*) FROM cases c, span
        WHERE c.opened_at >= span.starts AND c.opened_at < span.ends GROUP BY c.opened_reason
        UNION ALL
        SELECT 'case.closed.' || c.closure_reason, count(*) FROM cases c, span
        WHERE c.state = 'closed' AND c.closed_at >= span.starts AND c.closed_at < span.ends GROUP BY c.closure_reason
        UNION ALL
        SELECT CASE WHEN f.reached THEN 'follow_up.reached' ELSE 'follow_up.not_reached' END, count(*) FROM follow_ups f, span
        WHERE f.state = 'done' AND f.done_at >= span.starts AND f.done_at < span.ends GROUP BY 1
        UNION ALL
        SELECT d.metric, d.count FROM daily_counts d WHERE d.day = report_day.day
    )
    SELECT coalesce(jsonb_object_agg(metric, total), '{}')
    FROM (SELECT metric, sum(n)::bigint AS total FROM metrics GROUP BY metric) m
$$;

-- Days that are over, counted once: the dashboard's 30 days read 30 rows.
-- A day is counted the first time it is asked for after it ended; what
-- retention purges later was counted already.
CREATE TABLE report_days (
    day         date PRIMARY KEY,
    zone        text NOT NULL,
    counts      jsonb NOT NULL,
    computed_at timestamptz NOT NULL
);

-- The day's calls placed, cases opened and follow-ups done, by when.
CREATE INDEX attempts_started_idx ON attempts (started_at);
CREATE INDEX cases_opened_idx ON cases (opened_at);
CREATE INDEX follow_ups_done_idx ON follow_ups (done_at) WHERE state = 'done';

-- A register uploaded from the browser, kept between its dry run and the
-- coordinator's confirmation (an hour at most), then deleted.
CREATE TABLE import_uploads (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_name   text NOT NULL,
    body        bytea NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX import_uploads_created_idx ON import_uploads (created_at);
