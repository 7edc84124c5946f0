-- Calls to the service: the caller recognised by their number, and the
-- check-in they missed today.

-- name: PersonByPhone :one
-- The enrolled person with this number (E.164): at most one, since two
-- persons who are not withdrawn never share a number.
SELECT id, full_name, language, time_zone, status
FROM persons WHERE phone = @phone AND status <> 'withdrawn';

-- name: MissedCheckIn :one
-- The person's latest check-in of the slots in [from, to) they missed: not
-- reached, our calls failed, or not reached yet and waiting to be called
-- again ('dialing' between two calls). One being dialled now is not: its
-- call decides.
SELECT c.id FROM check_ins c
WHERE c.person_id = @person_id AND c.slot_at >= @from_at AND c.slot_at < @to_at
  AND (c.state IN ('unreached', 'system_error')
       OR (c.state = 'dialing' AND c.calling_since IS NULL AND EXISTS (SELECT 1 FROM attempts a WHERE a.check_in_id = c.id AND a.ended_at IS NOT NULL)))
ORDER BY c.slot_at DESC
LIMIT 1;
