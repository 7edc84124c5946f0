-- Whom an escalation called, as they were then: a contact's row belongs to a
-- place in the person's list (1, 2, 3), so once a coordinator removes or
-- replaces a contact the row names someone else, and the case page would
-- say that the daughter will go and check when it was the son who said so.
-- Calls made before this migration take the name the place holds now.
ALTER TABLE escalation_calls ADD COLUMN contact_name text NOT NULL DEFAULT '';
ALTER TABLE escalation_calls ADD COLUMN contact_relation text NOT NULL DEFAULT '';
UPDATE escalation_calls k SET contact_name = ec.full_name, contact_relation = ec.relation
FROM emergency_contacts ec WHERE ec.id = k.emergency_contact_id;
