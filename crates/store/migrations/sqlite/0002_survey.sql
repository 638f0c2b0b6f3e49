-- The Bestandsaufnahme. Anonymity rests on the shape of these tables:
-- participation tokens (hashes only) live in `survey_tokens` and are deleted
-- when used; answers live in `survey_responses` with a random id, no person,
-- no token and no time. Nothing joins the two. `survey_invitations` says who
-- was sent a personal link (for the reminder list) and is written when the
-- link is made, never when someone answers.
CREATE TABLE surveys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    -- The questionnaire as JSON; once opened, the copy resolved against the
    -- profile, so answers stay readable when the profile changes later.
    questionnaire TEXT NOT NULL,
    -- The import report (JSON), empty for the default questionnaire.
    import_report TEXT NOT NULL,
    status TEXT NOT NULL,
    min_group_size BIGINT NOT NULL,
    codes_issued BIGINT NOT NULL,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    opened_at BIGINT,
    closed_at BIGINT,
    version BIGINT NOT NULL
);

CREATE TABLE survey_tokens (
    token_hash TEXT PRIMARY KEY,
    survey_id BIGINT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    -- The person a personal link was made for; NULL for a printed code.
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX survey_tokens_survey ON survey_tokens (survey_id, user_id);

CREATE TABLE survey_invitations (
    survey_id BIGINT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (survey_id, user_id)
);

CREATE TABLE survey_responses (
    id TEXT PRIMARY KEY,
    survey_id BIGINT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    answers TEXT NOT NULL
);
CREATE INDEX survey_responses_survey ON survey_responses (survey_id);
