-- Alliance events (trainings, warning education, experience exchanges), the enterprises that
-- must attend, their materials, and registrations (sqlite).
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    alliance_id BIGINT NOT NULL REFERENCES alliances (id),
    kind TEXT NOT NULL CHECK (kind IN ('training', 'warning_education', 'experience_exchange')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL CHECK (ends_at > starts_at),
    place TEXT NOT NULL,
    speaker TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity >= 1),
    -- People each enterprise may register (unless its requirement says otherwise).
    quota INTEGER NOT NULL CHECK (quota >= 1),
    -- Every current member must attend (else the enterprises of event_requirements).
    required_all BOOLEAN NOT NULL,
    case_study TEXT NOT NULL,
    -- JSON: the finding categories a warning education concerns; links to materials.
    hazard_categories TEXT NOT NULL,
    links TEXT NOT NULL,
    summary TEXT NOT NULL,
    -- The shared lesson (a finding) a warning education was made from.
    lesson_id BIGINT REFERENCES findings (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX events_alliance ON events (alliance_id, starts_at);

CREATE TABLE event_requirements (
    event_id BIGINT NOT NULL REFERENCES events (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    people INTEGER NOT NULL CHECK (people >= 1),
    PRIMARY KEY (event_id, enterprise_id)
);

-- Files of an event: materials before it, photos after it.
CREATE TABLE event_materials (
    event_id BIGINT NOT NULL REFERENCES events (id),
    attachment_id BIGINT NOT NULL REFERENCES attachments (id),
    role TEXT NOT NULL CHECK (role IN ('material', 'photo')),
    PRIMARY KEY (event_id, attachment_id)
);

CREATE TABLE registrations (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    registered_by BIGINT NOT NULL REFERENCES users (id),
    registered_at TIMESTAMP NOT NULL,
    UNIQUE (event_id, user_id)
);
CREATE INDEX registrations_enterprise ON registrations (event_id, enterprise_id);

-- Who attended: a registered person checking in with the event's code, or anyone of a member
-- enterprise checked in by the organizer (a walk-in may have no account: then only a name).
CREATE TABLE attendances (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    user_id BIGINT REFERENCES users (id),
    name TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('code', 'organizer')),
    checked_in_at TIMESTAMP NOT NULL,
    checked_in_by BIGINT NOT NULL REFERENCES users (id),
    UNIQUE (event_id, user_id)
);
CREATE INDEX attendances_event ON attendances (event_id, enterprise_id);
CREATE INDEX attendances_enterprise ON attendances (enterprise_id, checked_in_at);
