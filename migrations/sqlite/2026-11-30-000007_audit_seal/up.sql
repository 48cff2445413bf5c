-- Each entry's hash sealed with the platform's secret (HMAC-SHA256): entries written by anyone
-- without the secret (straight into the database) are told apart. Empty for entries from before.
ALTER TABLE audit_log ADD COLUMN mac TEXT;
