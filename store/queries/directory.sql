-- Finding persons and partner services, for the web pages.

-- name: SearchPersonsByName :many
-- Persons whose name contains @term (lower case), best matches first.
SELECT id, full_name, phone, status, postcode, city, paused_until
FROM persons
WHERE lower(full_name) LIKE '%' || @term::text || '%'
ORDER BY lower(full_name) = @term::text DESC, starts_with(lower(full_name), @term::text) DESC, lower(full_name), id
LIMIT @max_rows;

-- name: SearchPersonsByPhone :many
SELECT id, full_name, phone, status, postcode, city, paused_until
FROM persons WHERE phone = @phone ORDER BY id DESC LIMIT @max_rows;

-- name: ListPartners :many
SELECT * FROM partners
WHERE (archived_at IS NULL OR @with_archived::bool)
ORDER BY archived_at IS NOT NULL, lower(name), id;

-- name: GetPartner :one
SELECT * FROM partners WHERE id = @id;

-- name: CreatePartner :one
INSERT INTO partners (name, kind, postcodes, phone, hours)
VALUES (@name, @kind, @areas, sqlc.narg('phone'), @hours)
RETURNING *;

-- name: UpdatePartner :one
UPDATE partners SET name = @name, kind = @kind, postcodes = @areas, phone = sqlc.narg('phone'),
    hours = @hours, archived_at = sqlc.narg('archived_at'), updated_at = now()
WHERE id = @id
RETURNING *;

-- name: PartnersFor :many
-- The active partners serving a place, nearest first: its postcode, its
-- commune, its département, then those serving everyone.
SELECT p.*, CASE
        WHEN @postcode::text <> '' AND @postcode::text = ANY (p.postcodes) THEN 0
        WHEN @city::text <> '' AND @city::text = ANY (p.postcodes) THEN 1
        WHEN @departement::text <> '' AND @departement::text = ANY (p.postcodes) THEN 2
        ELSE 3 END AS nearness
FROM partners p
WHERE p.archived_at IS NULL
  AND (p.postcodes = '{}' OR p.postcodes && ARRAY[@postcode::text, @city::text, @departement::text])
ORDER BY nearness, lower(p.name), p.id;

-- name: ListListenerUsers :many
-- Active listeners, by name, with their load as assignment judges it against
-- their capacity: their pending follow-ups (follow_ups_list_idx).
SELECT u.id, u.full_name, u.email, u.languages, u.capacity, u.present,
    (SELECT count(*) FROM follow_ups f WHERE f.assignee_id = u.id AND f.state = 'pending')::int AS pending
FROM users u
WHERE u.disabled_at IS NULL AND 'listener' = ANY (u.roles)
ORDER BY lower(u.full_name), u.id;

-- name: ListQueueEscalations :many
-- The coordinators' queue: open cases whose last escalation reached nobody,
-- oldest first, with the person.
SELECT e.id, e.case_id, e.person_id, e.started_at, e.ended_at, e.outcome, p.full_name, p.phone, p.time_zone
FROM escalations e
JOIN cases c ON c.id = e.case_id AND c.state <> 'closed'
JOIN persons p ON p.id = e.person_id
WHERE e.outcome IN ('nobody', 'no_contacts')
  AND NOT EXISTS (SELECT 1 FROM escalations later WHERE later.case_id = e.case_id AND later.started_at > e.started_at)
ORDER BY e.started_at, e.id
LIMIT 500;

-- name: ListQueueDataIssues :many
-- The coordinators' queue: numbers that do not work, oldest first.
SELECT d.id, d.person_id, d.kind, d.detail, d.occurrences, d.opened_at, d.last_seen_at, p.full_name, p.phone, p.time_zone
FROM data_issues d JOIN persons p ON p.id = d.person_id
WHERE d.resolved_at IS NULL
ORDER BY d.opened_at, d.id
LIMIT 500;

-- name: ResolveDataIssue :execrows
UPDATE data_issues SET resolved_at = @at, resolved_by = @by WHERE id = @id AND resolved_at IS NULL;
