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
