DROP TABLE audit_log;
DROP TABLE reviews;
DROP TABLE result_versions;
DROP TABLE results;
DROP TABLE pregnancies;
DROP TABLE patients;
DROP TABLE clinics;
