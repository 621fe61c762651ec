-- A resource's display name (v3 `ResourceDto.name`), distinct from its code.
ALTER TABLE resources ADD COLUMN name TEXT;
