-- The first response to a POST sent with an `Idempotency-Key` (clinician and admin routes; the
-- lab feeds keep theirs in lab_messages), replayed to a retry with the same request. A key belongs
-- to one caller of one clinic.
CREATE TABLE idempotency_keys (
    clinic_id TEXT NOT NULL,
    caller TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_location TEXT,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (clinic_id, caller, idempotency_key)
);
