-- Documents built from templates (KI-Strategie, KI-Richtlinie, …). A document
-- is a line of versions; each saved text is a new version, so any two can be
-- compared. The status belongs to the document: draft → review → adopted →
-- superseded. An adopted version is never changed again; editing after
-- adoption starts a new draft while the adopted version stays in force.
CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    template_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    latest_version BIGINT NOT NULL,
    adopted_version BIGINT,
    adopted_on TEXT,
    adopted_by TEXT,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX documents_kind ON documents (kind, status);

-- `answers` is the JSON of the interview answers the text was rendered from;
-- a version saved in the editor inherits its predecessor's answers.
CREATE TABLE document_versions (
    document_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    markdown TEXT NOT NULL,
    answers TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_by_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (document_id, number)
);

-- Comments per section (anchor) of one version.
CREATE TABLE document_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    version_number BIGINT NOT NULL,
    anchor TEXT NOT NULL,
    body TEXT NOT NULL,
    author_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    author_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX document_comments_doc ON document_comments (document_id, version_number);

-- Statements of the reviewing bodies (data protection, IT security, staff
-- council) on one version.
CREATE TABLE document_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    version_number BIGINT NOT NULL,
    area TEXT NOT NULL,
    decision TEXT NOT NULL,
    comment TEXT NOT NULL,
    reviewer_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    reviewer_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX document_reviews_doc ON document_reviews (document_id, version_number);

-- Templates imported from another municipality's Musterversionen. They take
-- precedence over a built-in template with the same id.
CREATE TABLE document_templates (
    id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    imported_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    imported_at BIGINT NOT NULL
);
