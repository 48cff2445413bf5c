-- The message centre: one row per person told about something, written in the same transaction
-- as the change that causes it.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- What happened (a `notify::Kind`), what it is about (its title, as written: escaped when
    -- shown) and the page it leads to.
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    link TEXT NOT NULL,
    -- By when the reader must act, if by a date; a reason given (a rejection's, a refusal's).
    due_on DATE,
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
-- A user's messages newest first, and the unread ones counted for the bell.
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
