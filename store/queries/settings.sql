-- name: GetSettings :one
SELECT * FROM service_settings;

-- name: ListOpeningHours :many
SELECT * FROM opening_hours ORDER BY weekday;
