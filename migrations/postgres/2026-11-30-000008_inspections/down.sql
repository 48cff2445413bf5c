DROP TABLE calendar_feeds;
DROP TABLE inspection_results;
DROP TABLE inspections;
DROP TABLE batch_participants;
DROP TABLE inspection_batches;
DROP TABLE checklist_items;
DROP TABLE checklists;
