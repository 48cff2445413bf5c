-- One-time links with which a person sets their own password: an invitation to a new account,
-- or a password reset. The link is `<id>.<mac>`, the mac an HMAC of the id and nonce under the
-- platform's secret, so that the database alone never holds a usable link.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- invite | reset
    purpose TEXT NOT NULL,
    nonce TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    -- The import that created the account, for printing its letters.
    import_id BIGINT REFERENCES imports (id)
);
CREATE INDEX invitations_user ON invitations (user_id, created_at);
CREATE INDEX invitations_import ON invitations (import_id);
