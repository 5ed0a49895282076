-- Per-clinic settings beyond the clinics row: local lab codes and clinic-derived profiles.
CREATE TABLE code_maps (
    clinic_id TEXT NOT NULL REFERENCES clinics(id),
    system TEXT NOT NULL,
    code TEXT NOT NULL,
    test TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (clinic_id, system, code)
);

CREATE TABLE clinic_profiles (
    clinic_id TEXT NOT NULL REFERENCES clinics(id),
    id TEXT NOT NULL,
    based_on TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (clinic_id, id)
);
