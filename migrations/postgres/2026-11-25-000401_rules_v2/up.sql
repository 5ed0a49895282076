-- Rules v2 (clinical-rules.md §6): facts the checklist reads beyond the count of losses. Every
-- column is nullable and added in place: existing rows keep their data and read as "not recorded".
ALTER TABLE pregnancies ADD COLUMN complications TEXT;
ALTER TABLE pregnancies ADD COLUMN edd DATE;
ALTER TABLE pregnancies ADD COLUMN gestational_age_at_demise_weeks INTEGER;
ALTER TABLE pregnancies ADD COLUMN gestational_age_at_demise_days INTEGER;
ALTER TABLE pregnancies ADD COLUMN partner_mrn TEXT;
ALTER TABLE result_versions ADD COLUMN cycle_day INTEGER;
ALTER TABLE result_versions ADD COLUMN days_before_menses INTEGER;
ALTER TABLE result_versions ADD COLUMN partner_mrn TEXT;
