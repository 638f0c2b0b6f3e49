-- The AI Act duties of a use case as tracked tasks (journey::usecase::duties):
-- one row per duty the classification lists or once listed. A duty the
-- classification drops is kept with `current` false, never deleted, so no
-- evidence and no decision is lost. `articles` is a JSON list; the evidence
-- file lies in the data folder under `evidence_stored`, a name the server
-- made (32 hex digits and the kind's extension).
CREATE TABLE usecase_duties (
    use_case_id TEXT NOT NULL REFERENCES use_cases(id),
    duty TEXT NOT NULL,
    position BIGINT NOT NULL,
    title TEXT NOT NULL,
    articles TEXT NOT NULL,
    duty_of TEXT,
    applies_from TEXT NOT NULL,
    owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    due TEXT NOT NULL,
    due_set BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    evidence_stored TEXT,
    evidence_name TEXT,
    evidence_kind TEXT,
    evidence_size BIGINT,
    evidence_link TEXT,
    review_on TEXT,
    current BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (use_case_id, duty)
);
CREATE INDEX usecase_duties_owner ON usecase_duties (owner_id);
CREATE INDEX usecase_duties_due ON usecase_duties (due);
