-- Unfinished answers, saved to continue later. The key is a hash of the
-- participation token made differently from the token's own hash
-- (`survey_tokens.token_hash`), so no row here can be joined to a token, and
-- so to a person, without the token itself, which the server never stores.
-- No time is kept. A draft is deleted in the transaction that stores the
-- finished answer, and with all others when the survey closes.
CREATE TABLE survey_drafts (
    draft_key TEXT PRIMARY KEY,
    survey_id BIGINT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    answers TEXT NOT NULL
);
CREATE INDEX survey_drafts_survey ON survey_drafts (survey_id);

-- The planned answering period as dates (YYYY-MM-DD, both inclusive);
-- NULL means no limit on that side.
ALTER TABLE surveys ADD COLUMN answer_from TEXT;
ALTER TABLE surveys ADD COLUMN answer_until TEXT;
