-- Use cases (Anwendungsfälle). The whole use case is one JSON document in
-- `data` (the exchange format of journey::usecase without its envelope); the
-- other columns repeat what lists and filters need. `register` holds the
-- AI register entry once the project team has drafted one.
CREATE TABLE use_cases (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    department TEXT,
    data TEXT NOT NULL,
    register TEXT,
    published BOOLEAN NOT NULL,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX use_cases_status ON use_cases (status);
CREATE INDEX use_cases_published ON use_cases (published);
