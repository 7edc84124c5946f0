-- name: GetSettings :one
SELECT * FROM service_settings;

-- name: ListOpeningHours :many
SELECT * FROM opening_hours ORDER BY weekday;

-- name: ClearOpeningHours :exec
DELETE FROM opening_hours;

-- name: AddOpeningHours :exec
INSERT INTO opening_hours (weekday, opens, closes) VALUES (@weekday, @opens, @closes);
