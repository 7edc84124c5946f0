-- Times a rule reads come from the service's clock, passed with each write,
-- never from the database's: a plan's "set at" (the planner catches up only
-- the slots after it), a person's enrolment, a case's opening (reports count
-- cases by it) and a note's writing (the case's timeline is ordered by it).
-- Without a default, a statement that forgets to pass one fails instead of
-- silently reading another clock.
ALTER TABLE persons ALTER COLUMN plan_updated_at DROP DEFAULT;
ALTER TABLE persons ALTER COLUMN created_at DROP DEFAULT;
ALTER TABLE cases ALTER COLUMN opened_at DROP DEFAULT;
ALTER TABLE notes ALTER COLUMN created_at DROP DEFAULT;
-- Already passed by every statement; now required: when a call started
-- (recovery, reports) and when a number was found not to work.
ALTER TABLE attempts ALTER COLUMN started_at DROP DEFAULT;
ALTER TABLE data_issues ALTER COLUMN opened_at DROP DEFAULT;
ALTER TABLE data_issues ALTER COLUMN last_seen_at DROP DEFAULT;
