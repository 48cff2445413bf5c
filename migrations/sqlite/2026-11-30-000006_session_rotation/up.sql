-- When the refresh token was last rotated: a racing duplicate refresh just after it is a lost
-- race (refused, session kept), a replay later is theft (session ended).
ALTER TABLE sessions ADD COLUMN rotated_at TIMESTAMP;
