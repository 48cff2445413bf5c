ALTER TABLE notifications DROP COLUMN mailed;
DROP TABLE platform_clock;
DROP TABLE webhooks;
DROP TABLE reminders;
DROP TABLE deadline_ladder;
DROP TABLE notification_prefs;
DROP TABLE outbox;
