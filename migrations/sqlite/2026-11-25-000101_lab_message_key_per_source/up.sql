-- A message key (Idempotency-Key, or HL7 MSH-3|MSH-4|MSH-10) belongs to the lab that sent it (the
-- token's `sub`, kept as `received_by`): one lab can neither replay nor block another's keys.
DROP INDEX lab_messages_key;
CREATE UNIQUE INDEX lab_messages_key ON lab_messages (clinic_id, feed, received_by, message_key)
    WHERE message_key IS NOT NULL;
