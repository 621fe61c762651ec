-- The pool's tenant and login-page configuration (`userpollTenantConfig`,
-- `updateUserPoolTenantConfig`, `updateLoginPageConfig`, `updateTenantQrCodeState`): one row
-- per pool, its documents written whole under a version check on `updated_at`, which only
-- grows, so two administrators' patches never lose each other's keys. No row: defaults.
CREATE TABLE pool_tenant_configs (
    pool_id              TEXT PRIMARY KEY REFERENCES user_pools (id) ON DELETE CASCADE,
    tenant_login         TEXT NOT NULL,
    login_page           TEXT NOT NULL,
    tenant_qrcode_enabled BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

-- Whether a connection of the pool is offered to the pool's tenants
-- (`changeUserpoolTenanExtIdpConnState`). No row: offered.
CREATE TABLE pool_tenant_ext_idp_conns (
    pool_id    TEXT NOT NULL,
    conn_id    TEXT NOT NULL REFERENCES ext_idp_conns (id) ON DELETE CASCADE,
    enabled    BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, conn_id)
);

-- Whether one tenant uses a connection (`changeExtIdpConnAssociationState`). No row: it
-- follows the pool's offer above.
CREATE TABLE tenant_ext_idp_conn_links (
    pool_id    TEXT NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conn_id    TEXT NOT NULL REFERENCES ext_idp_conns (id) ON DELETE CASCADE,
    associated BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, tenant_id, conn_id)
);
CREATE INDEX tenant_ext_idp_conn_links_conn_idx ON tenant_ext_idp_conn_links (conn_id);
