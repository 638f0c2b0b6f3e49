-- API keys for the Vergleichstest's targets, entered in the portal. A key
-- is sent only to the base URL it was stored with and is never shown again.
CREATE TABLE bench_target_keys (
    target TEXT PRIMARY KEY,
    base_url TEXT NOT NULL,
    api_key TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
