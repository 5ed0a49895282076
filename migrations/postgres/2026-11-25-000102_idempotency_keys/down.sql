-- Only replay records: the resources the requests created stay.
DROP TABLE idempotency_keys;
