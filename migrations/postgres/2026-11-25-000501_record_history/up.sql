-- Append-only history for the checklist "as of" a date: every state a pregnancy was written in
-- (insert, PATCH, delete), and every change of profile choice (a patient's override, or the
-- clinic default when patient_id is NULL) with the value it replaced.
CREATE TABLE pregnancy_revisions (
    pregnancy_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    patient_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    ended_on DATE,
    gestational_age_weeks INTEGER,
    gestational_age_days INTEGER,
    conception TEXT,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (pregnancy_id, revision)
);
CREATE INDEX pregnancy_revisions_patient ON pregnancy_revisions (patient_id);

CREATE TABLE profile_choices (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL,
    patient_id TEXT,
    previous TEXT,
    chosen TEXT,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX profile_choices_clinic_patient ON profile_choices (clinic_id, patient_id);
