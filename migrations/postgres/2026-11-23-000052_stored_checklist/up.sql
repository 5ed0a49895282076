-- The checklist as evaluated in the transaction of the last write, served while it is current.
ALTER TABLE worklist_summaries ADD COLUMN checklist TEXT;
