-- Version 28: invitations to join a tenant (`generateInviteTenantUserLink`,
-- `sendInviteTenantUserEmail`, service/tenant_invitations.rs). One row per invited address:
-- the token of its link is kept only as its SHA-256 digest, bound to the pool, the tenant and
-- the application the invitee is sent to; it expires, and accepting it (one user, once) stamps
-- `accepted_at` in the unit of work that makes the user a member. `record_id` is the pool's
-- own counter (the SDK's `recordId: number`), assigned under the pool's write lock. Rows go
-- with their pool and tenant; expired, unaccepted ones are purged 30 days after expiry.
CREATE TABLE tenant_invitations (
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    record_id    BIGINT NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    app_id       TEXT NOT NULL,
    email        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    expires_at   BIGINT NOT NULL,  -- ms
    created_at   BIGINT NOT NULL,  -- ms
    accepted_at  BIGINT,           -- ms
    accepted_by  TEXT,             -- the user who accepted it
    PRIMARY KEY (pool_id, record_id)
);
CREATE INDEX tenant_invitations_expiry_idx ON tenant_invitations (expires_at);
