-- The access epoch: one number that changes whenever anything a caller's access is resolved from
-- changes (users, sessions ended, memberships, alliance leads, expert assignments, regions). The
-- server keeps resolved callers while the epoch stands still, so a request costs one read of this
-- row instead of reloading the user, the session and the scope. Triggers keep it, so every
-- writer (the server, the command line, an import) moves it in the same transaction as the change.
CREATE TABLE access_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO access_epoch (id, value) VALUES (1, 0);

CREATE FUNCTION access_epoch_advance() RETURNS trigger AS $$
BEGIN
    UPDATE access_epoch SET value = value + 1 WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_access_epoch AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION access_epoch_advance();
CREATE TRIGGER sessions_access_epoch AFTER UPDATE OF user_id, revoked_at, expires_at OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION access_epoch_advance();
CREATE TRIGGER memberships_access_epoch AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION access_epoch_advance();
CREATE TRIGGER alliances_access_epoch AFTER INSERT OR UPDATE OF id, lead_enterprise_id OR DELETE ON alliances
    FOR EACH ROW EXECUTE FUNCTION access_epoch_advance();
CREATE TRIGGER expert_assignments_access_epoch AFTER INSERT OR UPDATE OR DELETE ON expert_assignments
    FOR EACH ROW EXECUTE FUNCTION access_epoch_advance();
CREATE TRIGGER regions_access_epoch AFTER INSERT OR UPDATE OR DELETE ON regions
    FOR EACH ROW EXECUTE FUNCTION access_epoch_advance();
