-- Organizations, users, sessions and the audit log (SQLite).
CREATE TABLE regions (
    id INTEGER PRIMARY KEY,
    parent_id BIGINT REFERENCES regions (id),
    level TEXT NOT NULL CHECK (level IN ('district', 'street', 'zone')),
    name TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE
);
CREATE INDEX regions_parent ON regions (parent_id);

CREATE TABLE industries (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    department TEXT NOT NULL
);

CREATE TABLE enterprises (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    credit_code TEXT NOT NULL UNIQUE,
    region_id BIGINT NOT NULL REFERENCES regions (id),
    industry_id BIGINT NOT NULL REFERENCES industries (id),
    scale TEXT NOT NULL CHECK (scale IN ('above_scale', 'small_micro')),
    address TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX enterprises_region ON enterprises (region_id);
CREATE INDEX enterprises_industry ON enterprises (industry_id);

CREATE TABLE alliances (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    level TEXT NOT NULL CHECK (level IN ('district', 'street', 'zone')),
    region_id BIGINT NOT NULL REFERENCES regions (id),
    industry_id BIGINT REFERENCES industries (id),
    lead_enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    founded_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX alliances_region ON alliances (region_id);

CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    alliance_id BIGINT NOT NULL REFERENCES alliances (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    role TEXT NOT NULL CHECK (role IN ('lead', 'member')),
    joined_on DATE NOT NULL,
    left_on DATE
);
CREATE UNIQUE INDEX memberships_current ON memberships (alliance_id, enterprise_id) WHERE left_on IS NULL;
CREATE INDEX memberships_enterprise ON memberships (enterprise_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'regulator', 'enterprise', 'expert')),
    region_id BIGINT REFERENCES regions (id),
    industry_id BIGINT REFERENCES industries (id),
    enterprise_id BIGINT REFERENCES enterprises (id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_enterprise ON users (enterprise_id);

CREATE TABLE expert_assignments (
    user_id BIGINT NOT NULL REFERENCES users (id),
    alliance_id BIGINT NOT NULL REFERENCES alliances (id),
    PRIMARY KEY (user_id, alliance_id)
);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    refresh_hash TEXT NOT NULL UNIQUE,
    previous_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_previous ON sessions (previous_hash);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT,
    changes TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
