-- Version 37: multi-tenant administrators, tenant cooperators and tenant enterprise
-- certification (v3 "Tenants": `createMultipleTenantAdmin`, `createTenantCooperator`,
-- `createTenantEnterpriseCertification` …, service/tenant_admins.rs and
-- service/tenant_certification.rs). Every row goes with its pool, and with the user, tenant
-- or policy it names, through the foreign keys, as memberships do.

-- A user of the pool made administrator of several tenants at once. The tenants it
-- administers are its `tenant_members` rows with `is_admin`; this row records the grant
-- itself (and whether the administrator may use the API).
CREATE TABLE multi_tenant_admins (
    pool_id        TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_authorized BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (pool_id, user_id)
);
CREATE INDEX multi_tenant_admins_user_idx ON multi_tenant_admins (user_id);
CREATE INDEX multi_tenant_admins_list_idx ON multi_tenant_admins (pool_id, created_at);

-- A user of the pool given administrative policies (协作管理员).
CREATE TABLE tenant_cooperators (
    pool_id        TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_authorized BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (pool_id, user_id)
);
CREATE INDEX tenant_cooperators_user_idx ON tenant_cooperators (user_id);
CREATE INDEX tenant_cooperators_list_idx ON tenant_cooperators (pool_id, created_at);

-- The policies a cooperator holds, in the order given; a deleted policy is no longer held.
CREATE TABLE tenant_cooperator_policies (
    pool_id   TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    policy_id TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    position  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, user_id, policy_id),
    FOREIGN KEY (pool_id, user_id) REFERENCES tenant_cooperators (pool_id, user_id)
        ON DELETE CASCADE
);
CREATE INDEX tenant_cooperator_policies_policy_idx ON tenant_cooperator_policies (policy_id);

-- A tenant's enterprise certification: one per tenant. The legal representative's national
-- ID number, bank card number and the bank's reserved phone are one AES-256-GCM sealed value
-- (`crypto::sealing`, bound to pool and tenant); the store never sees them in the clear.
-- `status`: reviewing | pass | -1 (refused); no row is `not_submit`.
CREATE TABLE tenant_certifications (
    pool_id                    TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    tenant_id                  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    business_name              TEXT NOT NULL,
    business_license           TEXT NOT NULL,
    business_registration_name TEXT NOT NULL,
    unified_social_credit      TEXT NOT NULL,
    legal_representative_name  TEXT NOT NULL,
    sealed_personal            TEXT NOT NULL,
    status                     TEXT NOT NULL,
    review_reason              TEXT,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL,
    PRIMARY KEY (pool_id, tenant_id)
);
CREATE INDEX tenant_certifications_tenant_idx ON tenant_certifications (tenant_id);
