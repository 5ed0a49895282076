-- Back to one key per (clinic, feed): where two labs used the same key, the later message keeps
-- its row and content but gives the key up (it only served replay).
UPDATE lab_messages SET message_key = NULL
WHERE message_key IS NOT NULL
  AND id NOT IN (
    SELECT MIN(id) FROM lab_messages WHERE message_key IS NOT NULL
    GROUP BY clinic_id, feed, message_key
  );
DROP INDEX lab_messages_key;
CREATE UNIQUE INDEX lab_messages_key ON lab_messages (clinic_id, feed, message_key)
    WHERE message_key IS NOT NULL;
