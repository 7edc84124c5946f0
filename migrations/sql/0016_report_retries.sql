-- The dashboard says how many of the day's calls were retries (a check-in's
-- second call or later), so that "calls placed" reads against "calls
-- planned": report_day counts them as calls.retried.
CREATE OR REPLACE FUNCTION report_day(day date, zone text) RETURNS jsonb
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
        SELECT 'calls.retried', count(*) FROM attempts a, span
        WHERE a.number > 1 AND a.started_at >= span.starts AND a.started_at < span.ends
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
