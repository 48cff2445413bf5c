-- Hazard findings, their timeline, attachments and idempotency keys (SQLite).
CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    alliance_id BIGINT REFERENCES alliances (id),
    inspector_enterprise_id BIGINT REFERENCES enterprises (id),
    inspection_id BIGINT,
    source TEXT NOT NULL CHECK (source IN ('mutual_inspection', 'self_check', 'expert', 'regulator')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    cause TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('safety_management', 'process', 'electrical', 'instrument', 'fire', 'layout', 'equipment', 'other')),
    grade TEXT NOT NULL CHECK (grade IN ('general', 'major')),
    treatment TEXT NOT NULL CHECK (treatment IN ('on_the_spot', 'deadline')),
    deadline DATE,
    location TEXT NOT NULL,
    measures TEXT NOT NULL,
    cost_cents BIGINT,
    responsible_person TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('reported', 'rectifying', 'awaiting_review', 'closed', 'voided')),
    shared BOOLEAN NOT NULL DEFAULT FALSE,
    extension_requested_until DATE,
    reported_by BIGINT NOT NULL REFERENCES users (id),
    reported_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);
CREATE INDEX findings_enterprise ON findings (enterprise_id, reported_at);
CREATE INDEX findings_alliance ON findings (alliance_id, reported_at);
CREATE INDEX findings_state_deadline ON findings (state, deadline);
CREATE INDEX findings_reported_at ON findings (reported_at);

CREATE TABLE finding_events (
    id INTEGER PRIMARY KEY,
    finding_id BIGINT NOT NULL REFERENCES findings (id),
    action TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    at TIMESTAMP NOT NULL,
    note TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    deadline DATE
);
CREATE INDEX finding_events_finding ON finding_events (finding_id, id);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL
);

CREATE TABLE finding_attachments (
    event_id BIGINT NOT NULL REFERENCES finding_events (id),
    attachment_id BIGINT NOT NULL REFERENCES attachments (id),
    finding_id BIGINT NOT NULL REFERENCES findings (id),
    PRIMARY KEY (event_id, attachment_id)
);
CREATE INDEX finding_attachments_attachment ON finding_attachments (attachment_id);
CREATE INDEX finding_attachments_finding ON finding_attachments (finding_id);

CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL REFERENCES users (id),
    key TEXT NOT NULL,
    finding_id BIGINT NOT NULL REFERENCES findings (id),
    request_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
