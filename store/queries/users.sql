-- name: CreateUser :one
INSERT INTO users (email, full_name, roles, languages, capacity)
VALUES (@email, @full_name, @roles::text[], @languages::text[], @capacity)
RETURNING *;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE lower(email) = lower(@email);

-- name: GetUser :one
SELECT * FROM users WHERE id = @id;

-- name: ListActiveListeners :many
SELECT id, email FROM users WHERE 'listener' = ANY(roles) AND disabled_at IS NULL;

-- name: SetPresent :execrows
UPDATE users SET present = @present, updated_at = now() WHERE id = @id;

-- name: DeleteShifts :exec
DELETE FROM shifts WHERE user_id = @user_id;

-- name: AddShifts :exec
INSERT INTO shifts (user_id, weekday, starts, ends)
SELECT @user_id, unnest(@weekdays::smallint[]), unnest(@starts::time[]), unnest(@ends::time[]);
