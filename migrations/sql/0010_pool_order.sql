-- The shared pool in the order listeners work it, for My list: an ordered
-- scan that stops at 500, where follow_ups_list_idx (assignee_id IS NULL is
-- no equality to the planner) made it read and sort the whole pool.
CREATE INDEX follow_ups_pool_idx ON follow_ups (priority, due_at, id) WHERE state = 'pending' AND assignee_id IS NULL;
