-- Version 40: separation of duties between roles (角色互斥) and administrator roles
-- (v3 `checkMutualExclusion`, `createAdminRole`, `deleteAdminRolesBatch`; the
-- `mutuallyExclusiveRoles` extension of `createRole`/`updateRole`; service/sod.rs).

-- A symmetric rule "no user may hold both roles", stored once per pair with the smaller id
-- first. The two roles may be of different namespaces of the same pool. A rule goes with its
-- pool and with either role (a deleted role's rules go with it).
-- (The order of the pair is the store's, byte order; the database only refuses a role paired
-- with itself, so no collation can disagree with it.)
CREATE TABLE role_exclusions (
    pool_id    TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    role_a     TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    role_b     TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, role_a, role_b),
    CHECK (role_a <> role_b)
);
CREATE INDEX role_exclusions_a_idx ON role_exclusions (role_a);
CREATE INDEX role_exclusions_role_b_idx ON role_exclusions (role_b);

-- A named administrator role of the pool (console administrators): its code unique in the
-- pool.
CREATE TABLE admin_roles (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (pool_id, code)
);

-- The policies an administrator role bundles (policy codes of the default namespace given
-- at creation), in the order given. A tenant cooperator grant naming the administrator
-- role's code gets these policies (service/sod.rs, service/tenant_admins.rs). They go with
-- the administrator role and with the policy.
CREATE TABLE admin_role_policies (
    admin_role_id TEXT NOT NULL REFERENCES admin_roles (id) ON DELETE CASCADE,
    policy_id     TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    position      BIGINT NOT NULL,
    PRIMARY KEY (admin_role_id, policy_id)
);
CREATE INDEX admin_role_policies_policy_idx ON admin_role_policies (policy_id);
