-- Task sets for the Vergleichstest uploaded in the portal. A spec written in
-- the portal names one by its id (`task:`), never by a file path; the text is
-- kept here, checked by the task-file parser before it was stored.
CREATE TABLE bench_task_sets (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    items BIGINT NOT NULL,
    yaml TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL
);
