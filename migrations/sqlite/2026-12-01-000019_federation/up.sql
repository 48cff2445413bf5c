-- Federation: a district publishes counts to a city as signed bundles; the city verifies them
-- against keys enrolled out of band and keeps each (district, dataset, period) as its latest
-- bundle set it, whole.

-- District side: every bundle published, as signed (the compact JWS), by revision, and how its
-- delivery to the city went. The city may also pull them (`GET /api/v1/federation/bundles`).
CREATE TABLE federation_outgoing (
    id INTEGER PRIMARY KEY,
    dataset TEXT NOT NULL,
    -- YYYY-MM or YYYY
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    -- Why a revision corrects the one before (empty for the first).
    reason TEXT NOT NULL,
    -- SHA-256 (hex) of the signed payload.
    hash TEXT NOT NULL,
    kid TEXT NOT NULL,
    bundle TEXT NOT NULL,
    cells INTEGER NOT NULL,
    suppressed INTEGER NOT NULL,
    published_by BIGINT REFERENCES users (id),
    published_at TIMESTAMP NOT NULL,
    -- pending | delivered | refused (the city answered 4xx: not retried)
    delivery TEXT NOT NULL,
    delivery_note TEXT NOT NULL DEFAULT '',
    delivered_at TIMESTAMP,
    UNIQUE (dataset, period, revision)
);

-- City side: the districts that may send, with the streets and industries each may name.
CREATE TABLE federation_districts (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- JSON: {"streets": [{"code", "name"}], "industries": [{"code", "name"}]}
    code_list TEXT NOT NULL,
    code_list_version TEXT NOT NULL,
    enrolled_by BIGINT REFERENCES users (id),
    enrolled_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- City side: the districts' public keys. A key signs only inside its window and while active;
-- a retired or revoked key stays, to re-verify the bundles it signed.
CREATE TABLE federation_keys (
    id INTEGER PRIMARY KEY,
    district_code TEXT NOT NULL REFERENCES federation_districts (code),
    kid TEXT NOT NULL,
    public_key TEXT NOT NULL,
    not_before TIMESTAMP NOT NULL,
    not_after TIMESTAMP NOT NULL,
    -- active | retired | revoked
    status TEXT NOT NULL,
    enrolled_by BIGINT REFERENCES users (id),
    enrolled_at TIMESTAMP NOT NULL,
    status_changed_at TIMESTAMP,
    UNIQUE (district_code, kid)
);

-- City side: every bundle accepted, its signed bytes as received.
CREATE TABLE federation_bundles (
    id INTEGER PRIMARY KEY,
    district_code TEXT NOT NULL REFERENCES federation_districts (code),
    dataset TEXT NOT NULL,
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    reason TEXT NOT NULL,
    hash TEXT NOT NULL,
    kid TEXT NOT NULL,
    code_list_version TEXT NOT NULL,
    bundle TEXT NOT NULL,
    -- push | pull
    via TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    UNIQUE (district_code, dataset, period, revision)
);

-- City side: each (district, dataset, period) as its latest bundle left it.
CREATE TABLE federation_scopes (
    district_code TEXT NOT NULL REFERENCES federation_districts (code),
    dataset TEXT NOT NULL,
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    hash TEXT NOT NULL,
    bundle_id BIGINT NOT NULL REFERENCES federation_bundles (id),
    -- submitted | approved (locked: only a correction, with its reason, changes it)
    state TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    first_received_at TIMESTAMP NOT NULL,
    approved_by BIGINT REFERENCES users (id),
    approved_at TIMESTAMP,
    PRIMARY KEY (district_code, dataset, period)
);

-- City side: the figures of each scope, per street and industry, as its bundle gave them.
CREATE TABLE federation_cells (
    district_code TEXT NOT NULL,
    dataset TEXT NOT NULL,
    period TEXT NOT NULL,
    street_code TEXT NOT NULL,
    industry_code TEXT NOT NULL,
    bundle_id BIGINT NOT NULL REFERENCES federation_bundles (id),
    -- A cell describing fewer than 3 enterprises comes without figures.
    suppressed BOOLEAN NOT NULL,
    enterprises BIGINT NOT NULL,
    found BIGINT NOT NULL,
    rectified BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    overdue BIGINT NOT NULL,
    major_open BIGINT NOT NULL,
    inspection_batches BIGINT NOT NULL,
    enterprises_inspected BIGINT NOT NULL,
    inspections_planned BIGINT NOT NULL,
    trainings BIGINT NOT NULL,
    warning_educations BIGINT NOT NULL,
    exchanges BIGINT NOT NULL,
    attendances BIGINT NOT NULL,
    PRIMARY KEY (district_code, dataset, period, street_code, industry_code)
);
CREATE INDEX federation_cells_period ON federation_cells (dataset, period);
