DROP TABLE worklist_items;
DROP TABLE worklist_summaries;
