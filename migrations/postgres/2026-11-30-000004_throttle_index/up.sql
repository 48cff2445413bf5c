CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at);
