-- Mutual inspection (互查): checklist templates and their versions, batches, pairings,
-- inspections with their item results, and personal calendar feeds (sqlite).
CREATE TABLE checklists (
    id INTEGER PRIMARY KEY,
    -- The first version's id: every version of one template shares it.
    family_id BIGINT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    name TEXT NOT NULL,
    note TEXT NOT NULL,
    -- NULL: a district-wide template (kept by regulators); else the alliance's own.
    alliance_id BIGINT REFERENCES alliances (id),
    industry_id BIGINT REFERENCES industries (id),
    current BOOLEAN NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (family_id, version)
);
CREATE INDEX checklists_alliance ON checklists (alliance_id, current);

CREATE TABLE checklist_items (
    id INTEGER PRIMARY KEY,
    checklist_id BIGINT NOT NULL REFERENCES checklists (id),
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('safety_management', 'process', 'electrical', 'instrument', 'fire', 'layout', 'equipment', 'other')),
    clause TEXT NOT NULL,
    grade TEXT NOT NULL CHECK (grade IN ('general', 'major')),
    caution TEXT NOT NULL,
    UNIQUE (checklist_id, position)
);

CREATE TABLE inspection_batches (
    id INTEGER PRIMARY KEY,
    alliance_id BIGINT NOT NULL REFERENCES alliances (id),
    name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL CHECK (ends_on >= starts_on),
    checklist_id BIGINT NOT NULL REFERENCES checklists (id),
    state TEXT NOT NULL CHECK (state IN ('draft', 'scheduled', 'in_progress', 'closed')),
    per_target INTEGER NOT NULL CHECK (per_target >= 1),
    recent_batches INTEGER NOT NULL CHECK (recent_batches >= 0),
    seed BIGINT NOT NULL,
    -- JSON: [[a, b], …] enterprises that must not inspect each other.
    conflicts TEXT NOT NULL,
    -- JSON: the rules the last pairing could not keep, pair by pair.
    relaxed TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    closed_at TIMESTAMP
);
CREATE INDEX inspection_batches_alliance ON inspection_batches (alliance_id, starts_on);

CREATE TABLE batch_participants (
    batch_id BIGINT NOT NULL REFERENCES inspection_batches (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    PRIMARY KEY (batch_id, enterprise_id)
);

CREATE TABLE inspections (
    id INTEGER PRIMARY KEY,
    batch_id BIGINT NOT NULL REFERENCES inspection_batches (id),
    inspector_enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    target_enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    scheduled_on DATE,
    state TEXT NOT NULL CHECK (state IN ('planned', 'scheduled', 'in_progress', 'submitted')),
    inspectors TEXT NOT NULL,
    submitted_at TIMESTAMP,
    submitted_by BIGINT REFERENCES users (id),
    submit_key TEXT,
    submit_hash TEXT,
    updated_at TIMESTAMP NOT NULL,
    CHECK (inspector_enterprise_id <> target_enterprise_id),
    UNIQUE (batch_id, inspector_enterprise_id, target_enterprise_id)
);
CREATE INDEX inspections_inspector ON inspections (inspector_enterprise_id, scheduled_on);
CREATE INDEX inspections_target ON inspections (target_enterprise_id, scheduled_on);

CREATE TABLE inspection_results (
    inspection_id BIGINT NOT NULL REFERENCES inspections (id),
    item_id BIGINT NOT NULL REFERENCES checklist_items (id),
    result TEXT NOT NULL CHECK (result IN ('pass', 'fail', 'na')),
    note TEXT NOT NULL,
    grade TEXT CHECK (grade IN ('general', 'major')),
    -- JSON: the photos of a failed item (they become the finding's before-photos).
    attachment_ids TEXT NOT NULL,
    finding_id BIGINT REFERENCES findings (id),
    deadline DATE,
    PRIMARY KEY (inspection_id, item_id)
);

CREATE TABLE calendar_feeds (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
