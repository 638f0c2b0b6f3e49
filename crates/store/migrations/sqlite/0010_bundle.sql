-- Nachnutzung: where each imported item came from. An item of a bundle has
-- an identifier that stays the same across instances (`item_id`); the row
-- maps it to the local record (`local_id`, the numeric id for surveys and
-- documents, else the same identifier), so a second import of the same bundle
-- finds what the first one created and changes nothing, and a re-export
-- names the item as the bundle did. `snapshot` keeps what an import brings
-- that has no table of its own here (the aggregated results of another
-- municipality's survey), so it travels on in the next bundle.
CREATE TABLE bundle_provenance (
    kind TEXT NOT NULL,
    item_id TEXT NOT NULL,
    local_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    bundle_sha256 TEXT NOT NULL,
    snapshot TEXT,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (kind, item_id)
);
CREATE INDEX bundle_provenance_local ON bundle_provenance (kind, local_id);
