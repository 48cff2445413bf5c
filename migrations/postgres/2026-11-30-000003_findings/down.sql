DROP TABLE idempotency_keys;
DROP TABLE finding_attachments;
DROP TABLE attachments;
DROP TABLE finding_events;
DROP TABLE findings;
