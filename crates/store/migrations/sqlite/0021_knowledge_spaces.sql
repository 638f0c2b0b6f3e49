-- Knowledge spaces (Wissensräume): documents a group of readers may search.
-- Only the text of a document is kept, cut into passages with the terms
-- the lexical search ranks by (folded and stemmed, space-separated); the
-- uploaded file itself is not stored. Removing a document removes its
-- passages in the same transaction.
CREATE TABLE knowledge_spaces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    -- everyone | departments | roles, and the names as a JSON list.
    readers TEXT NOT NULL,
    reader_names TEXT NOT NULL,
    -- The data class of the contents (public … special_categories).
    data_class TEXT NOT NULL,
    created_by BIGINT,
    created_by_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE space_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id BIGINT NOT NULL REFERENCES knowledge_spaces(id),
    title TEXT NOT NULL,
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    pages BIGINT,
    sha256 TEXT NOT NULL,
    added_by BIGINT,
    added_by_name TEXT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE INDEX space_documents_space ON space_documents(space_id);

CREATE TABLE space_passages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id BIGINT NOT NULL,
    document_id BIGINT NOT NULL REFERENCES space_documents(id),
    position BIGINT NOT NULL,
    page BIGINT,
    section TEXT NOT NULL,
    text TEXT NOT NULL,
    terms TEXT NOT NULL
);
CREATE INDEX space_passages_space ON space_passages(space_id);
CREATE INDEX space_passages_document ON space_passages(document_id);
