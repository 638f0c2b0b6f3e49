-- Qualifizierung: the training catalogue (offers, partners, learning paths),
-- evaluations, role-profile overrides, planner input, trainings with
-- enrolment, completions and issued Open Badges. Catalogue items are stored
-- as their JSON documents (the exchange format of journey::qualification)
-- with the columns lists and constraints need beside them. The instance's
-- badge signing key lives in `settings` (qualification.signing_key).
CREATE TABLE qualification_offers (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    url TEXT UNIQUE,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

CREATE TABLE qualification_partners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

CREATE TABLE qualification_paths (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    role TEXT,
    data TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

CREATE TABLE qualification_evaluations (
    offer_id TEXT PRIMARY KEY REFERENCES qualification_offers(id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    total DOUBLE PRECISION NOT NULL,
    decision TEXT NOT NULL,
    evaluated_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

-- Role profiles changed in the browser; the shipped model fills the rest.
CREATE TABLE qualification_role_profiles (
    role_id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Planner input entered by hand: people of one role in one department.
CREATE TABLE qualification_cohorts (
    department TEXT NOT NULL,
    role TEXT NOT NULL,
    headcount BIGINT NOT NULL,
    levels TEXT NOT NULL,
    PRIMARY KEY (department, role)
);

-- Each account's role profile and levels before recorded trainings.
CREATE TABLE qualification_people (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    role_profile TEXT NOT NULL,
    start_levels TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE qualification_sessions (
    id TEXT PRIMARY KEY,
    offer_id TEXT NOT NULL REFERENCES qualification_offers(id),
    starts_at TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX qualification_sessions_starts ON qualification_sessions (starts_at);

CREATE TABLE qualification_enrolments (
    session_id TEXT NOT NULL REFERENCES qualification_sessions(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    enrolled_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    enrolled_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX qualification_enrolments_user ON qualification_enrolments (user_id);

CREATE TABLE qualification_completions (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    offer_id TEXT NOT NULL REFERENCES qualification_offers(id),
    completed_on TEXT NOT NULL,
    session_id TEXT REFERENCES qualification_sessions(id) ON DELETE SET NULL,
    recorded_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, offer_id)
);

CREATE TABLE qualification_credentials (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path_id TEXT NOT NULL,
    title TEXT NOT NULL,
    document TEXT NOT NULL,
    issued_at BIGINT NOT NULL
);
CREATE INDEX qualification_credentials_user ON qualification_credentials (user_id);
