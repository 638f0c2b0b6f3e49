-- The KI-Gateway: per-key settings, usage metered as metadata only (never
-- prompt or answer text), and token quotas.
ALTER TABLE api_keys ADD COLUMN data_class TEXT;
ALTER TABLE api_keys ADD COLUMN team TEXT;
ALTER TABLE api_keys ADD COLUMN requests_per_minute BIGINT;

CREATE TABLE usage_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    department TEXT,
    team TEXT,
    api_key_id BIGINT,
    model TEXT NOT NULL,
    backend TEXT NOT NULL,
    data_class TEXT NOT NULL,
    tokens_in BIGINT NOT NULL,
    tokens_out BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX usage_records_at ON usage_records (at);
CREATE INDEX usage_records_user_at ON usage_records (user_id, at);
CREATE INDEX usage_records_department_at ON usage_records (department, at);
CREATE INDEX usage_records_team_at ON usage_records (team, at);

CREATE TABLE token_quotas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    period TEXT NOT NULL,
    max_tokens BIGINT NOT NULL,
    UNIQUE (scope, subject, period)
);
