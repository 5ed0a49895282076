ALTER TABLE clinics DROP COLUMN time_zone;
