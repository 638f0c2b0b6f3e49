-- Sign-in with OpenID Connect. `oidc_subject` is the provider's `sub`
-- claim: stable, never reassigned, and case-sensitive, so it is kept as the
-- provider wrote it (unlike the LDAP login, which is compared lower case).
ALTER TABLE users ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX users_oidc_subject ON users (oidc_subject);

-- A sign-in on its way through the provider: the hash of `state` (the
-- browser holds the value), the nonce the ID token must carry, the PKCE
-- verifier and where to go afterwards. Taken (deleted) by the first return,
-- so a replayed `state` finds nothing; kept in the database so that the
-- return may reach any instance.
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_logins_expires ON oidc_logins (expires_at);

-- The provider's session (`sid` claim) a portal session came from, so that
-- a back-channel logout ends it on every instance.
ALTER TABLE sessions ADD COLUMN oidc_sid TEXT;
CREATE INDEX sessions_oidc_sid ON sessions (oidc_sid);
