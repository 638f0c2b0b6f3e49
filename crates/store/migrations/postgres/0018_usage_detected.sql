-- The personal-data detector raises a request's data class before routing;
-- data_class keeps the class the request was routed by, these the class the
-- caller declared and the categories found (slugs, comma-separated). Never
-- the text itself.
ALTER TABLE usage_records ADD COLUMN declared_class TEXT;
ALTER TABLE usage_records ADD COLUMN detected TEXT NOT NULL DEFAULT '';
