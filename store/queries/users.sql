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
