-- Worklist: one summary per live patient, kept current in the same transaction as every write
-- that changes her checklist, and re-evaluated once `refresh_on` (the next date on which time
-- alone changes the checklist) has passed. Derived data: rebuilt from the record at any time.
CREATE TABLE worklist_summaries (
    patient_id TEXT PRIMARY KEY NOT NULL REFERENCES patients(id),
    clinic_id TEXT NOT NULL,
    profile TEXT NOT NULL,
    outstanding INTEGER NOT NULL,
    pending INTEGER NOT NULL,
    repeat_due INTEGER NOT NULL,
    abnormal INTEGER NOT NULL,
    needs_review INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    overdue INTEGER NOT NULL,
    next_due_on DATE,
    refresh_on DATE,
    open_work BOOLEAN NOT NULL,
    evaluated_on DATE NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- Keyset pages of the clinic's open work, with and without the profile filter.
CREATE INDEX worklist_clinic_open ON worklist_summaries (clinic_id, open_work, patient_id);
CREATE INDEX worklist_clinic_profile ON worklist_summaries (clinic_id, profile, open_work, patient_id);
-- Summaries due for re-evaluation.
CREATE INDEX worklist_clinic_refresh ON worklist_summaries (clinic_id, refresh_on);

-- The open items of each summarised patient (outstanding, pending, repeat_due, abnormal,
-- needs_review), for the status, item, overdue and due-date filters.
CREATE TABLE worklist_items (
    patient_id TEXT NOT NULL REFERENCES patients(id),
    item TEXT NOT NULL,
    clinic_id TEXT NOT NULL,
    status TEXT NOT NULL,
    due_on DATE,
    PRIMARY KEY (patient_id, item)
);
CREATE INDEX worklist_items_status ON worklist_items (clinic_id, status, patient_id, due_on);
CREATE INDEX worklist_items_item ON worklist_items (clinic_id, item, patient_id, status, due_on);
CREATE INDEX worklist_items_due ON worklist_items (clinic_id, due_on, patient_id);
