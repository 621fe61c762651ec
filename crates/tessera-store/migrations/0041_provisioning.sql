-- Version 41: inbound provisioning (SCIM 2.0, RFC 7643/7644) and sync relations (上下游同步;
-- v3 `getUserSyncRelations`, `getDepartmentSyncRelations` and their deletes;
-- service/provisioning.rs).

-- A connection an upstream directory provisions the pool through. Only the SHA-256 digest
-- of its bearer token is kept (the token is 256 random bits, shown once). `org_id` is the
-- organization whose departments the upstream's groups become; a deleted organization
-- leaves the connection without one (its groups are then refused).
CREATE TABLE provisioning_connections (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    org_id       TEXT REFERENCES orgs (id) ON DELETE SET NULL,
    token_digest TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL
);
CREATE INDEX provisioning_connections_pool_idx ON provisioning_connections (pool_id, created_at);

-- One upstream object linked to one user or department of the pool, unique both ways per
-- pool, kind and provider. `target_id` names a user or an org node by kind, so no foreign
-- key: the core deletes a target's relations with it (service/cascade.rs).
CREATE TABLE sync_relations (
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('user', 'department')),
    provider    TEXT NOT NULL,
    external_id TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, kind, provider, external_id)
);
CREATE UNIQUE INDEX sync_relations_target_uq ON sync_relations (pool_id, kind, provider, target_id);
CREATE INDEX sync_relations_target_idx ON sync_relations (pool_id, kind, target_id);

-- SCIM looks users up by `userName` ignoring case (RFC 7643 §4.1.1, caseExact false).
CREATE INDEX users_username_ci_idx ON users (pool_id, LOWER(username));
