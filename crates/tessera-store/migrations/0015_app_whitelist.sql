-- Version 15: registration whitelists of one application (v3 `addWhitelistOfApp`, …),
-- beside the pool's own lists (`whitelist_entries`). The same columns plus the
-- application; a value is kept by its normalised key, once per (application, type).
-- An application's entries go with it through the core's cascade (service/cascade.rs), so
-- the application key has no ON DELETE action: a delete that skipped the cascade is refused
-- rather than leave entries behind. Everything goes with its pool.
CREATE TABLE app_whitelist_entries (
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL REFERENCES applications (id),
    type        TEXT NOT NULL,   -- USERNAME | EMAIL | PHONE
    value       TEXT NOT NULL,
    value_key   TEXT NOT NULL,   -- normalised form used for matching
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    -- Serves the registration check (one key) and the list (one prefix) alike.
    PRIMARY KEY (pool_id, app_id, type, value_key)
);
