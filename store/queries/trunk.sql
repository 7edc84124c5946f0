-- Limits shared by every node dialling through a trunk.

-- name: EnsureTrunk :exec
INSERT INTO trunk_limits (trunk) VALUES (@trunk) ON CONFLICT DO NOTHING;

-- name: EnsureTrunkChannels :exec
-- Channels 1..@channels exist; channels above it are no longer handed out.
INSERT INTO trunk_channels (trunk, slot)
SELECT @trunk, s FROM generate_series(1, @channels::integer) AS s
ON CONFLICT DO NOTHING;

-- name: TakeTrunkChannel :one
-- A free channel (or one whose holder's lease ran out), taken by @holder. Nodes
-- skip channels another is taking, so they never wait on each other here.
UPDATE trunk_channels c
SET holder = @holder, expires_at = now() + @lease::interval
FROM (
    SELECT f.trunk, f.slot FROM trunk_channels f
    WHERE f.trunk = @trunk AND f.slot <= @channels::integer
      AND (f.holder IS NULL OR f.expires_at < now())
    ORDER BY f.slot
    LIMIT 1
    FOR UPDATE SKIP LOCKED
) AS free
WHERE c.trunk = free.trunk AND c.slot = free.slot
RETURNING c.slot;

-- name: ReleaseTrunkChannel :exec
UPDATE trunk_channels SET holder = NULL, expires_at = NULL
WHERE trunk = @trunk AND slot = @slot AND holder = @holder;

-- name: ReserveTrunkStart :one
-- Reserves the start of one call: the later of now, the end of any backoff and
-- the last reservation, and pushes the next reservation on by @gap.
UPDATE trunk_limits
SET next_call_at = GREATEST(next_call_at, now(), backoff_until) + @gap::interval,
    updated_at = now()
WHERE trunk = @trunk
RETURNING (next_call_at - @gap::interval)::timestamptz AS start_at, now()::timestamptz AS now;

-- name: TrunkBackoffUntil :one
SELECT backoff_until, now()::timestamptz AS now FROM trunk_limits WHERE trunk = @trunk;

-- name: BackOffTrunk :exec
UPDATE trunk_limits
SET backoff_until = GREATEST(backoff_until, now() + @wait::interval), updated_at = now()
WHERE trunk = @trunk;

-- name: TrunkChannelsInUse :one
SELECT count(*) FROM trunk_channels
WHERE trunk = @trunk AND holder IS NOT NULL AND expires_at >= now();

-- name: RenewTrunkChannel :one
-- Starts the lease again from now, once the call may start: the wait for its
-- turn must not eat the lease that covers the call. No row: the lease ran out
-- meanwhile and the channel may be another's.
UPDATE trunk_channels SET expires_at = now() + @lease::interval
WHERE trunk = @trunk AND slot = @slot AND holder = @holder AND expires_at >= now()
RETURNING slot;
