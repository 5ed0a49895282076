DROP TABLE reevaluation_jobs;
