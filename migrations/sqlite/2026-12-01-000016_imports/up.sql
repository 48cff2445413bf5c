-- Files brought in by onboarding, kept between their preview and their commit: the rows as read
-- (JSON of the onboarding::sheet::Table) and, once committed, what the commit did.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    -- enterprises (more kinds to come)
    kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    committed_at TIMESTAMP,
    -- JSON of the ImportSummary of the commit
    result TEXT
);
CREATE INDEX imports_actor ON imports (actor_id, created_at);
