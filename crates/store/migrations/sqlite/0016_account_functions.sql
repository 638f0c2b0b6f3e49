-- Functions an account holds besides its role: the bodies that give their
-- statement on a document before adoption (Datenschutz,
-- Informationssicherheit, Personalrat, Gleichstellung) and the one who adopts
-- (Bürgermeister/in). A function has at most one holder; an account may hold
-- several.
CREATE TABLE account_functions (
    function TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    assigned_at BIGINT NOT NULL
);
CREATE INDEX account_functions_user ON account_functions (user_id);

-- A statement is signed by the holder of the area's function: the function
-- is kept beside the name, as it was when the statement was given.
ALTER TABLE document_reviews ADD COLUMN reviewer_function TEXT NOT NULL DEFAULT '';
