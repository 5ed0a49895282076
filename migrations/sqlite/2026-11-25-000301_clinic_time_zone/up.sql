-- The clinic's IANA time zone: "today" and "not in the future" are judged in it.
ALTER TABLE clinics ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
