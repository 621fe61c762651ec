-- Version 23: ASA (form-filling SSO) accounts of an application (v3 `createAsaAccount`, …)
-- and the targets each is assigned to.
--
-- An account's information is never stored in the clear: `sealed_info` is the AES-256-GCM
-- sealed JSON object (`crypto::sealing`, "v1." + base64url), bound to its pool, application
-- and id. Accounts and assignments go with their application, and assignments with their
-- account and target, through the core's cascade (service/cascade.rs), so the application
-- and account keys have no ON DELETE action: a delete that skipped the cascade is refused
-- rather than leave rows behind. Everything goes with its pool.
CREATE TABLE asa_accounts (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    app_id       TEXT NOT NULL REFERENCES applications (id),
    sealed_info  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
-- The application's list, oldest first.
CREATE INDEX asa_accounts_app_idx ON asa_accounts (pool_id, app_id, created_at, id);

-- A target (user, role, group, org node, by id) holds at most one account per application.
CREATE TABLE asa_assignments (
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    app_id       TEXT NOT NULL REFERENCES applications (id),
    account_id   TEXT NOT NULL REFERENCES asa_accounts (id),
    target_type  TEXT NOT NULL,   -- USER | ROLE | GROUP | ORG_NODE
    target_id    TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (pool_id, app_id, target_type, target_id)
);
-- An account's targets, oldest first; and the cascade of a deleted target.
CREATE INDEX asa_assignments_account_idx ON asa_assignments (account_id, created_at);
CREATE INDEX asa_assignments_target_idx ON asa_assignments (pool_id, target_type, target_id);
