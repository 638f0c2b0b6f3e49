-- Mail to staff goes through this outbox: a request only queues, a
-- background job sends in rate-limited batches and retries with backoff.
-- `id` is also the message's Message-ID. A row is marked 'sendet' (with
-- `sending_since`) before the SMTP transaction and 'gesendet' after it, so a
-- second worker never takes it; a row left in 'sendet' by a process that
-- died is never sent again by itself (see portal::mail::outbox).
-- Survey mails keep no link here: `ref_id` names the survey and the
-- personal link is made at the moment of sending. `ref_key` names a
-- subject that has a text id (a training session, whose calendar file is
-- attached). `body` is removed once the message is sent or became
-- pointless (kept while it may still be queued again), so the log keeps
-- no content.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    template TEXT NOT NULL,
    ref_id BIGINT,
    ref_key TEXT,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    recipient_name TEXT NOT NULL,
    recipient_email TEXT NOT NULL,
    subject TEXT,
    body TEXT,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    sending_since BIGINT,
    finished_at BIGINT,
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_ref ON mail_outbox (kind, ref_id);

-- German templates the municipality edited, per kind; a kind without a row
-- uses the built-in default.
CREATE TABLE mail_templates (
    kind TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by_name TEXT NOT NULL
);
