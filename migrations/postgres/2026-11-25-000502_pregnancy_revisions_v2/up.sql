-- Pregnancy revisions keep the Rules v2 facts too (clinical-rules.md §6), so the checklist "as of"
-- a day sees the complications, due date, gestational age at demise and partner as they were then.
-- Revisions written before this carry NULL: the facts were not recorded then.
ALTER TABLE pregnancy_revisions ADD COLUMN complications TEXT;
ALTER TABLE pregnancy_revisions ADD COLUMN edd DATE;
ALTER TABLE pregnancy_revisions ADD COLUMN gestational_age_at_demise_weeks INTEGER;
ALTER TABLE pregnancy_revisions ADD COLUMN gestational_age_at_demise_days INTEGER;
ALTER TABLE pregnancy_revisions ADD COLUMN partner_mrn TEXT;
