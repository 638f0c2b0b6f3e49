-- Back-channel logout tokens already acted on, by the hash of issuer and
-- `jti`, so a replayed token ends nothing and is refused (OpenID Connect
-- Back-Channel Logout 1.0 §2.6). Kept until the token would be refused
-- anyway for its age; in the database so a replay to another instance is
-- caught too.
CREATE TABLE oidc_logout_tokens (
    jti_hash TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_logout_tokens_expires ON oidc_logout_tokens (expires_at);
