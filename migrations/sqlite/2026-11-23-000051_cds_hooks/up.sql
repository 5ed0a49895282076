-- CDS Hooks: every JWT id accepted once per issuer (the unique key refuses a replay), and the
-- cards and suggestions issued, so feedback on a card uuid is recorded against its patient/item.
CREATE TABLE cds_jti (
    issuer TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX cds_jti_expires ON cds_jti (expires_at);

CREATE TABLE cds_issued (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    card_id TEXT NOT NULL,
    clinic_id TEXT NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    item TEXT,
    hook_instance TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL
);
CREATE INDEX cds_issued_card ON cds_issued (card_id);
