-- The access epoch: one number that changes whenever anything a caller's access is resolved from
-- changes (users, sessions ended, memberships, alliance leads, expert assignments, regions). The
-- server keeps resolved callers while the epoch stands still, so a request costs one read of this
-- row instead of reloading the user, the session and the scope. Triggers keep it, so every
-- writer (the server, the command line, an import) moves it in the same transaction as the change.
--
-- On PostgreSQL the triggers are deferred to the commit and move the epoch once per transaction
-- (`tx`): the one row is locked only at the very end, after every row lock the transaction takes,
-- so two transactions never wait for each other through it (no deadlock), and a bulk load moves
-- it once.
CREATE TABLE access_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL,
    tx BIGINT
);
INSERT INTO access_epoch (id, value) VALUES (1, 0);

CREATE FUNCTION access_epoch_advance() RETURNS trigger AS $$
BEGIN
    UPDATE access_epoch SET value = value + 1, tx = txid_current()
        WHERE id = 1 AND tx IS DISTINCT FROM txid_current();
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER users_access_epoch AFTER INSERT OR UPDATE OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION access_epoch_advance();
CREATE CONSTRAINT TRIGGER sessions_access_epoch
    AFTER UPDATE OF user_id, revoked_at, expires_at OR DELETE ON sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION access_epoch_advance();
CREATE CONSTRAINT TRIGGER memberships_access_epoch AFTER INSERT OR UPDATE OR DELETE ON memberships
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION access_epoch_advance();
CREATE CONSTRAINT TRIGGER alliances_access_epoch
    AFTER INSERT OR UPDATE OF id, lead_enterprise_id OR DELETE ON alliances
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION access_epoch_advance();
CREATE CONSTRAINT TRIGGER expert_assignments_access_epoch
    AFTER INSERT OR UPDATE OR DELETE ON expert_assignments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION access_epoch_advance();
CREATE CONSTRAINT TRIGGER regions_access_epoch AFTER INSERT OR UPDATE OR DELETE ON regions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION access_epoch_advance();
