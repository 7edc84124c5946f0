-- name: OpenReferralCases :execrows
-- A referral that carries a concern opens the person's case file at enrolment,
-- as listening lines do at the first call: priority normal (high for a person at
-- high risk), due now, with a follow-up for the referent listener if there is
-- one, else in the shared pool; each opening is audited.
WITH opened AS (
    INSERT INTO cases (person_id, state, priority, opened_reason, opened_at, due_at, assignee_id, opened_by)
    SELECT p.id,
           CASE WHEN p.referent_id IS NULL THEN 'open' ELSE 'assigned' END,
           (CASE WHEN p.risk_level = 'high' THEN 'high' ELSE 'normal' END)::case_priority,
           'referral', @now::timestamptz, @now::timestamptz, p.referent_id, r.taken_by
    FROM persons p
    JOIN referrals r ON r.person_id = p.id
    WHERE p.id = ANY(@person_ids::bigint[]) AND r.concern <> ''
    RETURNING id, person_id, priority, due_at, assignee_id
), tasks AS (
    INSERT INTO follow_ups (case_id, assignee_id, reason, priority, due_at)
    SELECT id, assignee_id, 'referral', priority, due_at FROM opened
)
INSERT INTO audit_log (actor_id, actor_label, action, person_id, case_id, details)
SELECT @actor_id, @actor_label, 'case.open', person_id, id, '{"reason": "referral"}'
FROM opened;

-- name: ListOpenCases :many
SELECT c.*, f.id AS follow_up_id, f.reason AS follow_up_reason, f.state AS follow_up_state, f.assignee_id AS follow_up_assignee
FROM cases c
JOIN follow_ups f ON f.case_id = c.id
WHERE c.person_id = @person_id AND c.state <> 'closed'
ORDER BY c.id, f.id;
