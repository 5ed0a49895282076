-- A patient's results and pregnancies are paged in id order: a keyset range scan, not a sort.
CREATE INDEX results_patient_id ON results (patient_id, id);
CREATE INDEX pregnancies_patient_id ON pregnancies (patient_id, id);
