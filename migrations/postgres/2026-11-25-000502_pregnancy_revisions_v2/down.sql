ALTER TABLE pregnancy_revisions DROP COLUMN partner_mrn;
ALTER TABLE pregnancy_revisions DROP COLUMN gestational_age_at_demise_days;
ALTER TABLE pregnancy_revisions DROP COLUMN gestational_age_at_demise_weeks;
ALTER TABLE pregnancy_revisions DROP COLUMN edd;
ALTER TABLE pregnancy_revisions DROP COLUMN complications;
