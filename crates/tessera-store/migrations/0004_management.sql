-- Version 4: what the management API needs beyond version 3.

-- Live and archived users listed newest first; COUNT(*) is answered from this index alone.
CREATE INDEX users_live_idx ON users (pool_id, is_deleted, created_at, id);
-- Keyword search is a prefix match on indexed columns.
CREATE INDEX users_name_idx ON users (pool_id, name);
CREATE INDEX users_email_key_idx ON users (email_key);
-- Filters on a custom field's value.
CREATE INDEX udf_values_key_idx ON udf_values (pool_id, target_type, key, value);
-- Logins per application (active users, login counts).
CREATE INDEX login_history_app_idx ON login_history (pool_id, app_id, user_id);

ALTER TABLE tenant_members ADD COLUMN enabled BIGINT NOT NULL DEFAULT 1;

-- Terms a user accepts when signing in to an application.
CREATE TABLE app_agreements (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    lang        TEXT NOT NULL,
    required    BIGINT NOT NULL,
    sort_order  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX app_agreements_app_idx ON app_agreements (app_id, sort_order, created_at);

-- A pool's environment variables (read by pipelines and templates).
CREATE TABLE pool_env (
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,   -- JSON
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, key)
);

-- External identity providers of a tenant (or of the pool) and their connections.
CREATE TABLE ext_idps (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    tenant_id   TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX ext_idps_pool_idx ON ext_idps (pool_id, tenant_id, created_at);

CREATE TABLE ext_idp_conns (
    id            TEXT PRIMARY KEY,
    pool_id       TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    ext_idp_id    TEXT NOT NULL REFERENCES ext_idps (id) ON DELETE CASCADE,
    type          TEXT NOT NULL,
    identifier    TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    fields        TEXT NOT NULL DEFAULT '{}',   -- JSON
    logo          TEXT,
    enabled       BIGINT NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX ext_idp_conns_identifier_uq ON ext_idp_conns (pool_id, identifier);
CREATE INDEX ext_idp_conns_idp_idx ON ext_idp_conns (ext_idp_id, created_at);
