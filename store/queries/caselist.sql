-- Lists of cases, with what a list shows of each person.

-- name: ListOpenCasesFor :many
-- The cases still open that a user may see, most pressing first (at most
-- @max): coordinators and admins (@see_all) every one, a listener their own
-- and the shared pool's. This WHERE is the authorisation, as GetCaseFor's.
SELECT sqlc.embed(c), p.full_name, p.phone, p.time_zone
FROM cases c
JOIN persons p ON p.id = c.person_id
WHERE c.state <> 'closed' AND (@see_all::boolean OR c.assignee_id = @user_id OR c.assignee_id IS NULL)
ORDER BY c.priority, c.due_at, c.id
LIMIT @max;
