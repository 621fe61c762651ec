-- Version 36: tenant imports from a spreadsheet (`importTenant`, service/tenant_import.rs).
-- One row per import that succeeded (a refused file writes nothing, this row included):
-- `import_id` is the pool's own counter (the SDK's `importId: number`), assigned under the
-- pool's write lock in the unit of work that creates the file's tenants and users. Its users
-- are the users the import created (`importTenantNotifyUser`), one row per spreadsheet row
-- naming such a user (`row_no`, the row's number in the file; a user created by one row and
-- named again for another tenant has two), with the tenant it joined and when it was last
-- notified by email and by SMS (`sendEmailBatch`, `sendSmsBatch`). Rows go with their pool,
-- and a user row with its user or tenant.
CREATE TABLE tenant_imports (
    pool_id            TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    import_id          BIGINT NOT NULL,
    file_name          TEXT NOT NULL,
    tenant_count       BIGINT NOT NULL,
    member_count       BIGINT NOT NULL,
    created_user_count BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,  -- ms
    PRIMARY KEY (pool_id, import_id)
);
CREATE TABLE tenant_import_users (
    pool_id           TEXT NOT NULL,
    import_id         BIGINT NOT NULL,
    row_no            BIGINT NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    is_admin          BIGINT NOT NULL,
    email_notified_at BIGINT,           -- ms
    sms_notified_at   BIGINT,           -- ms
    PRIMARY KEY (pool_id, import_id, row_no),
    FOREIGN KEY (pool_id, import_id) REFERENCES tenant_imports (pool_id, import_id)
        ON DELETE CASCADE
);
CREATE INDEX tenant_import_users_user_idx ON tenant_import_users (user_id);
CREATE INDEX tenant_import_users_tenant_idx ON tenant_import_users (tenant_id);
