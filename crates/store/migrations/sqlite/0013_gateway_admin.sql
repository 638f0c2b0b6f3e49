-- Remote backends of the KI-Gateway kept in the portal (besides those in
-- the config file), and the staff chat's conversations. Conversations are
-- stored only while an administrator has turned that on with a retention
-- period (settings key chat_retention_days); older turns are deleted.
CREATE TABLE gateway_backends (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    -- One base URL (with /v1) per line, one per replica.
    urls TEXT NOT NULL,
    api_key TEXT,
    -- One model name per line.
    models TEXT NOT NULL,
    timeout_secs BIGINT NOT NULL,
    reach TEXT NOT NULL,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE chat_conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX chat_conversations_user ON chat_conversations (user_id, updated_at);

CREATE TABLE chat_turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL REFERENCES chat_conversations(id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    model TEXT NOT NULL,
    data_class TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX chat_turns_conversation ON chat_turns (conversation_id, id);
CREATE INDEX chat_turns_at ON chat_turns (at);
