-- Qualifizierung edited in the browser: offers can be archived (kept for
-- the evidence of those who completed them, hidden from the catalogue,
-- planner and new sessions), and the evaluation rubric can be changed.
ALTER TABLE qualification_offers ADD COLUMN archived_at BIGINT;

-- The rubric in force when it differs from the shipped one: one row,
-- versioned so two editors cannot overwrite each other unseen.
CREATE TABLE qualification_rubric (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
