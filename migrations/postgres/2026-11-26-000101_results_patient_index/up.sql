-- results_patient_id (patient_id, id) serves every look-up by patient (and the foreign key);
-- the narrower index only cost every insert of a result one more index entry.
DROP INDEX IF EXISTS results_patient;
