-- name: CopyAudit :copyfrom
INSERT INTO audit_log (actor_id, actor_label, action, person_id, details)
VALUES (@actor_id, @actor_label, @action, @person_id, @details);

-- name: ListAuditForPerson :many
SELECT * FROM audit_log WHERE person_id = @person_id ORDER BY at, id;

-- name: ListAuditActionsByActor :many
SELECT action FROM audit_log WHERE actor_id = @actor_id ORDER BY at, id;
