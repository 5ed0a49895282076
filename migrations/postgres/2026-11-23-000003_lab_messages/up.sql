-- Every message a lab sends is kept with its outcome, in the same transaction as the results it
-- produced. `message_key` (HL7 MSH-3|MSH-4|MSH-10, or an Idempotency-Key) makes a retry replay
-- the first response instead of being processed twice.
CREATE TABLE lab_messages (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL,
    feed TEXT NOT NULL,
    message_key TEXT,
    request_hash TEXT NOT NULL,
    received_by TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    content_type TEXT NOT NULL,
    body TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    response_status INTEGER,
    response_content_type TEXT,
    response_body TEXT
);
CREATE UNIQUE INDEX lab_messages_key ON lab_messages (clinic_id, feed, message_key)
    WHERE message_key IS NOT NULL;
CREATE INDEX lab_messages_clinic ON lab_messages (clinic_id, received_at);
