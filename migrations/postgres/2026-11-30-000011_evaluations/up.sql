-- The monthly evaluation of alliances and streets (postgres): the weights and warning threshold
-- the district set (one row; none: the defaults), and each month's evaluations as computed and,
-- once published, frozen.
CREATE TABLE evaluation_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    weights TEXT NOT NULL,
    warn_below DOUBLE PRECISION NOT NULL CHECK (warn_below >= 0 AND warn_below <= 100),
    updated_by BIGINT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE evaluations (
    month DATE NOT NULL,
    subject TEXT NOT NULL CHECK (subject IN ('alliance', 'street')),
    subject_id BIGINT NOT NULL,
    -- JSON: the metrics measured, and the weights they were scored with.
    metrics TEXT NOT NULL,
    weights TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    rank INTEGER NOT NULL,
    -- As published: last month's score and rank beside it, and the warning threshold.
    previous_score DOUBLE PRECISION,
    previous_rank INTEGER,
    warn_below DOUBLE PRECISION NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    computed_by BIGINT REFERENCES users (id),
    published_at TIMESTAMP NOT NULL,
    PRIMARY KEY (month, subject, subject_id)
);
