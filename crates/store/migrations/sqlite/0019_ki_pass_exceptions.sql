-- Documented exceptions from the KI-Pass rule of the adopted KI-Richtlinie:
-- the person may use the AI tools without the training until `valid_until`
-- (an ISO date, inclusive). One per person; granting again replaces it, and
-- the audit log keeps every grant.
CREATE TABLE ki_pass_exceptions (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    valid_until TEXT NOT NULL,
    reason TEXT NOT NULL,
    granted_by BIGINT,
    granted_by_name TEXT NOT NULL,
    granted_at BIGINT NOT NULL
);
