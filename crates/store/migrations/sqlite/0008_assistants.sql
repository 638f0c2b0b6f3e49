-- Assistants of the staff chat: saved system prompts for recurring tasks
-- that the project team shares. The shipped ones are added by the portal
-- when the table is empty, so a municipality can change or remove them.
CREATE TABLE assistants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    system_prompt TEXT NOT NULL,
    data_class TEXT,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
