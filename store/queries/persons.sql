-- name: GetPerson :one
SELECT * FROM persons WHERE id = @id;

-- name: FindEnrolledByPhones :many
-- Persons currently enrolled (not withdrawn) under any of the given numbers. A
-- join on unnest, not "phone = ANY(array)": with stale statistics (a bulk load in
-- progress) the latter can become a scan testing every row against every number.
SELECT p.id, p.full_name, p.phone
FROM unnest(@phones::text[]) AS wanted(phone)
JOIN persons p ON p.phone = wanted.phone
WHERE p.status <> 'withdrawn';

-- name: ListEmergencyContacts :many
SELECT * FROM emergency_contacts WHERE person_id = @person_id ORDER BY position;

-- name: GetLatestReferral :one
SELECT * FROM referrals WHERE person_id = @person_id ORDER BY referred_at DESC, id DESC LIMIT 1;

-- name: GetLatestConsent :one
SELECT * FROM consents WHERE person_id = @person_id ORDER BY given_at DESC, id DESC LIMIT 1;

-- name: ListNotes :many
-- The note about a person, what a listener reads before calling: the notes
-- on no case (written at enrolment, or corrected on the person's file).
SELECT * FROM notes WHERE person_id = @person_id AND case_id IS NULL ORDER BY created_at, id;

-- name: CountPersons :one
SELECT count(*) FROM persons;

-- Enrolment, one person or a register: ids are reserved first so every table is
-- loaded with one COPY.

-- name: ReservePersonIDs :many
SELECT nextval(pg_get_serial_sequence('persons', 'id'))::bigint AS id
FROM generate_series(1, @n::integer);

-- name: CopyPersons :copyfrom
INSERT INTO persons (id, full_name, phone, language, time_zone, address, postcode, city, risk_level, referent_id,
                     cron_spec, window_start, window_end, max_attempts, retry_minutes, created_by, created_at, plan_updated_at)
VALUES (@id, @full_name, @phone, @language, @time_zone, @address, @postcode, @city, @risk_level, @referent_id,
        @cron_spec, @window_start, @window_end, @max_attempts, @retry_minutes, @created_by, @created_at, @plan_updated_at);

-- name: CopyReferrals :copyfrom
INSERT INTO referrals (person_id, source, referrer_name, referrer_phone, concern, referred_at, taken_by)
VALUES (@person_id, @source, @referrer_name, @referrer_phone, @concern, @referred_at, @taken_by);

-- name: CopyConsents :copyfrom
INSERT INTO consents (person_id, given_by, representative_name, given_at, method, recorded_by)
VALUES (@person_id, @given_by, @representative_name, @given_at, @method, @recorded_by);

-- name: CopyEmergencyContacts :copyfrom
INSERT INTO emergency_contacts (person_id, position, full_name, relation, phone, language, consent_at)
VALUES (@person_id, @position, @full_name, @relation, @phone, @language, @consent_at);

-- name: CopyNotes :copyfrom
INSERT INTO notes (person_id, author_id, body, created_at) VALUES (@person_id, @author_id, @body, @created_at);

-- Changes to an enrolment. Each returns no row when the person is unknown or in
-- a status the change does not apply to; the caller tells which.

-- name: UpdatePersonPlan :one
UPDATE persons
SET time_zone = @time_zone, cron_spec = @cron_spec, window_start = @window_start, window_end = @window_end,
    max_attempts = @max_attempts, retry_minutes = @retry_minutes,
    plan_updated_at = @at, updated_at = now()
WHERE id = @id AND status <> 'withdrawn'
RETURNING id;

-- name: PausePerson :one
UPDATE persons SET status = 'paused', paused_until = @until, updated_at = now()
WHERE id = @id AND status <> 'withdrawn'
RETURNING id;

-- name: ResumePerson :one
UPDATE persons SET status = 'active', paused_until = NULL, updated_at = now()
WHERE id = @id AND status = 'paused'
RETURNING id;

-- name: WithdrawPerson :one
-- Consent withdrawn: the person is never called again.
WITH person AS (
    UPDATE persons SET status = 'withdrawn', withdrawn_at = @at, paused_until = NULL, updated_at = now()
    WHERE persons.id = @person_id AND status <> 'withdrawn'
    RETURNING persons.id
), consent AS (
    UPDATE consents SET withdrawn_at = @at, withdrawal_recorded_by = @recorded_by
    WHERE consents.person_id IN (SELECT person.id FROM person) AND consents.withdrawn_at IS NULL
)
SELECT person.id FROM person;

-- name: GetPersonStatus :one
SELECT status FROM persons WHERE id = @id;

-- name: UpdatePersonDetails :one
-- Corrects who a person is and how they are reached; not a withdrawn person.
UPDATE persons
SET full_name = @full_name, phone = @phone, language = @language, address = @address, postcode = @postcode,
    city = @city, risk_level = @risk_level, referent_id = sqlc.narg('referent_id'), updated_at = now()
WHERE id = @id AND status <> 'withdrawn'
RETURNING id;

-- name: UpsertEmergencyContact :exec
-- A contact in its place: the row at that position keeps its id, so the
-- escalation calls already made to it keep their contact.
INSERT INTO emergency_contacts (person_id, position, full_name, relation, phone, language, consent_at)
VALUES (@person_id, @position, @full_name, @relation, @phone, @language, @consent_at)
ON CONFLICT (person_id, position) DO UPDATE
SET full_name = EXCLUDED.full_name, relation = EXCLUDED.relation, phone = EXCLUDED.phone,
    language = EXCLUDED.language, consent_at = EXCLUDED.consent_at;

-- name: DeleteEmergencyContactsAfter :exec
DELETE FROM emergency_contacts WHERE person_id = @person_id AND position > @position;

-- name: DeletePersonNotes :exec
-- The note about a person goes, to be replaced; case notes stay.
DELETE FROM notes WHERE person_id = @person_id AND case_id IS NULL;

-- name: ResolvePersonDataIssues :execrows
-- A corrected number settles the person's open issues with their number.
UPDATE data_issues SET resolved_at = @at, resolved_by = @by WHERE person_id = @person_id AND resolved_at IS NULL;
