-- Which nodes are alive, by the database's clock (issue 22). A node writes
-- its row every few seconds while it can reach the database; a call in
-- progress is presumed lost with its node only when that node has not been
-- seen for a while, judged by another node that was itself seen throughout:
-- never by comparing two nodes' clocks, and never right after an outage that
-- silenced every node at once.
CREATE TABLE nodes (
    name       text PRIMARY KEY,
    -- seen_at is the node's last heartbeat; up_since when its current run of
    -- heartbeats began (a gap longer than a few beats starts a new run).
    seen_at    timestamptz NOT NULL,
    up_since   timestamptz NOT NULL
);
