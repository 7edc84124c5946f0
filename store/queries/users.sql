-- name: CreateUser :one
INSERT INTO users (email, full_name, roles, languages, capacity)
VALUES (@email, @full_name, @roles::text[], @languages::text[], @capacity)
RETURNING *;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE lower(email) = lower(@email);

-- name: GetUser :one
SELECT * FROM users WHERE id = @id;

-- name: ListUsersByID :many
SELECT * FROM users WHERE id = ANY(@ids::bigint[]);

-- name: ListActiveListeners :many
SELECT id, email FROM users WHERE 'listener' = ANY(roles) AND disabled_at IS NULL;

-- name: SetPresent :execrows
UPDATE users SET present = @present, updated_at = now() WHERE id = @id;

-- name: DeleteShifts :exec
DELETE FROM shifts WHERE user_id = @user_id;

-- name: AddShifts :exec
INSERT INTO shifts (user_id, weekday, starts, ends)
SELECT @user_id, unnest(@weekdays::smallint[]), unnest(@starts::time[]), unnest(@ends::time[]);

-- name: GetListener :one
SELECT u.*, (SELECT count(*) FROM follow_ups f WHERE f.assignee_id = u.id AND f.state = 'pending')::int AS pending
FROM users u WHERE u.id = @id AND 'listener' = ANY (u.roles);

-- name: ListUserShifts :many
SELECT weekday, starts, ends FROM shifts WHERE user_id = @user_id ORDER BY weekday, starts;

-- name: UpdateListenerProfile :execrows
UPDATE users SET languages = @languages::text[], skills = @skills::text[], capacity = @capacity, updated_at = now()
WHERE id = @id AND 'listener' = ANY (roles);

-- name: ListUsers :many
SELECT * FROM users ORDER BY disabled_at IS NOT NULL, lower(full_name), id;

-- name: UpdateUserAccount :execrows
UPDATE users SET full_name = @full_name, roles = @roles::text[],
    disabled_at = CASE WHEN @disabled::bool THEN coalesce(disabled_at, @at::timestamptz) END,
    present = present AND NOT @disabled::bool, updated_at = now()
WHERE id = @id;
