ALTER TABLE worklist_summaries DROP COLUMN checklist;
