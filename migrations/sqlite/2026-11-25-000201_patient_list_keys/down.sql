DROP INDEX IF EXISTS pregnancies_patient_id;
DROP INDEX IF EXISTS results_patient_id;
