CREATE INDEX results_patient ON results (patient_id);
