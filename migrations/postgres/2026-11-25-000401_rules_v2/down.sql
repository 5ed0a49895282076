-- Back to the previous schema without losing clinical data: the v2 facts move to archive columns
-- the previous release does not read (nothing is dropped; re-applying `up` starts new columns).
ALTER TABLE result_versions RENAME COLUMN partner_mrn TO archived_v2_partner_mrn;
ALTER TABLE result_versions RENAME COLUMN days_before_menses TO archived_v2_days_before_menses;
ALTER TABLE result_versions RENAME COLUMN cycle_day TO archived_v2_cycle_day;
ALTER TABLE pregnancies RENAME COLUMN partner_mrn TO archived_v2_partner_mrn;
ALTER TABLE pregnancies RENAME COLUMN gestational_age_at_demise_days TO archived_v2_demise_days;
ALTER TABLE pregnancies RENAME COLUMN gestational_age_at_demise_weeks TO archived_v2_demise_weeks;
ALTER TABLE pregnancies RENAME COLUMN edd TO archived_v2_edd;
ALTER TABLE pregnancies RENAME COLUMN complications TO archived_v2_complications;
