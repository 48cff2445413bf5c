-- The access epoch: one number that changes whenever anything a caller's access is resolved from
-- changes (users, sessions ended, memberships, alliance leads, expert assignments, regions). The
-- server keeps resolved callers while the epoch stands still, so a request costs one read of this
-- row instead of reloading the user, the session and the scope. Triggers keep it, so every
-- writer (the server, the command line, an import) moves it in the same transaction as the change.
CREATE TABLE access_epoch (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO access_epoch (id, value) VALUES (1, 0);

CREATE TRIGGER users_access_epoch_insert AFTER INSERT ON users
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER users_access_epoch_update AFTER UPDATE ON users
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER users_access_epoch_delete AFTER DELETE ON users
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER sessions_access_epoch_update AFTER UPDATE OF user_id, revoked_at, expires_at ON sessions
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER sessions_access_epoch_delete AFTER DELETE ON sessions
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER memberships_access_epoch_insert AFTER INSERT ON memberships
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER memberships_access_epoch_update AFTER UPDATE ON memberships
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER memberships_access_epoch_delete AFTER DELETE ON memberships
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER alliances_access_epoch_insert AFTER INSERT ON alliances
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER alliances_access_epoch_update AFTER UPDATE OF id, lead_enterprise_id ON alliances
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER alliances_access_epoch_delete AFTER DELETE ON alliances
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER expert_assignments_access_epoch_insert AFTER INSERT ON expert_assignments
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER expert_assignments_access_epoch_update AFTER UPDATE ON expert_assignments
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER expert_assignments_access_epoch_delete AFTER DELETE ON expert_assignments
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER regions_access_epoch_insert AFTER INSERT ON regions
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER regions_access_epoch_update AFTER UPDATE ON regions
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER regions_access_epoch_delete AFTER DELETE ON regions
BEGIN UPDATE access_epoch SET value = value + 1 WHERE id = 1; END;
