-- Results a POST made for the page it redirects to (new participation codes
-- and links, invitation links of an import), shared by every instance behind
-- the load balancer. `payload` is sealed by the portal with a key derived
-- from the maker's session token, which this database holds only hashed;
-- `key_hash` is the hash of the random key in the page's address.
CREATE TABLE handovers (
    key_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX handovers_expires ON handovers (expires_at);
