-- name: CopyAudit :copyfrom
INSERT INTO audit_log (actor_id, actor_label, action, person_id, details)
VALUES (@actor_id, @actor_label, @action, @person_id, @details);

-- name: ListAuditForPerson :many
SELECT * FROM audit_log WHERE person_id = @person_id ORDER BY at, id;

-- name: ListAuditActionsByActor :many
SELECT action FROM audit_log WHERE actor_id = @actor_id ORDER BY at, id;

-- name: SearchAudit :many
-- The audit log newest first, a page before @before_id (0: the newest),
-- for one person (by id, or a part of their name), one actor, actions
-- starting with @action, in [@since, @until), as asked; with the names of
-- the actor and the person (empty once erased).
SELECT a.*, coalesce(u.full_name, '')::text AS actor_name, coalesce(p.full_name, '')::text AS person_name
FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id LEFT JOIN persons p ON p.id = a.person_id
WHERE (sqlc.narg('person_id')::bigint IS NULL OR a.person_id = sqlc.narg('person_id'))
  AND (@person_name::text = '' OR p.full_name ILIKE '%' || @person_name::text || '%')
  AND (sqlc.narg('actor_id')::bigint IS NULL OR a.actor_id = sqlc.narg('actor_id'))
  AND (@action::text = '' OR a.action LIKE @action::text || '%')
  AND (sqlc.narg('since')::timestamptz IS NULL OR a.at >= sqlc.narg('since'))
  AND (sqlc.narg('until')::timestamptz IS NULL OR a.at < sqlc.narg('until'))
  AND (@before_id::bigint = 0 OR a.id < @before_id::bigint)
ORDER BY a.id DESC
LIMIT @page_size;

-- name: PseudonymiseAudit :execrows
-- An erased person's entries keep who did what and when, on an id that no
-- longer names anyone, and of their details only the keys in @kept (ids,
-- counts, kinds, outcomes): never a plan, a zone, a file, a relation or a
-- date of the person's own.
UPDATE audit_log a
SET details = coalesce((SELECT jsonb_object_agg(d.key, d.value) FROM jsonb_each(a.details) d WHERE d.key = ANY (@kept::text[])), '{}')
WHERE a.person_id = @person_id;

-- name: PurgeAudit :execrows
-- Up to 10000 entries older than @days days by the database's clock, which
-- stamped them.
DELETE FROM audit_log WHERE id IN (
    SELECT id FROM audit_log WHERE at < now() - make_interval(days => @days::int) ORDER BY at LIMIT 10000);
