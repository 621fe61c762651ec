-- Tessera schema, version 1. One dialect for SQLite and PostgreSQL: TEXT and BIGINT only
-- (flags are 0/1: sqlx's Any driver cannot read SQLite booleans); times are milliseconds
-- since the epoch; JSON documents are TEXT. Uniqueness rules are
-- indexes, so the database, not a check-then-insert in code, decides a race.

CREATE TABLE deployment_secrets (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    private_pem  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    retire_at    BIGINT
);

CREATE TABLE user_pools (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    domain       TEXT NOT NULL,
    description  TEXT,
    logo         TEXT,
    secret       TEXT NOT NULL,
    settings     TEXT NOT NULL,           -- JSON: PoolSettings
    env          TEXT NOT NULL DEFAULT '{}', -- JSON: pool environment variables
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX user_pools_domain_uq ON user_pools (domain);

CREATE TABLE applications (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    identifier   TEXT NOT NULL,
    description  TEXT,
    logo         TEXT,
    secret       TEXT NOT NULL,
    oidc         TEXT NOT NULL,           -- JSON: OidcSettings
    config       TEXT NOT NULL DEFAULT '{}', -- JSON: login UI, access-policy default, agreements
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX applications_identifier_uq ON applications (identifier);
CREATE INDEX applications_pool_idx ON applications (pool_id, created_at);

-- Programmatic access: v3 accessKeyId/accessKeySecret and the v2 "programmatic access
-- accounts" of an application.
CREATE TABLE access_keys (
    id              TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    app_id          TEXT REFERENCES applications (id) ON DELETE CASCADE,
    user_id         TEXT,
    secret          TEXT NOT NULL,
    enabled         BIGINT NOT NULL DEFAULT 1,
    remarks         TEXT,
    token_lifetime  BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX access_keys_pool_idx ON access_keys (pool_id, app_id);

CREATE TABLE users (
    id                            TEXT PRIMARY KEY,
    pool_id                       TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    username                      TEXT,
    email                         TEXT,
    email_key                     TEXT,   -- lower-cased email: the uniqueness key
    email_verified                BIGINT NOT NULL DEFAULT 0,
    phone                         TEXT,
    phone_country_code            TEXT,
    phone_verified                BIGINT NOT NULL DEFAULT 0,
    unionid                       TEXT,
    openid                        TEXT,
    external_id                   TEXT,
    status                        TEXT NOT NULL DEFAULT 'Activated',
    blocked                       BIGINT NOT NULL DEFAULT 0,
    is_deleted                    BIGINT NOT NULL DEFAULT 0,
    register_source               TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    password_hash                 TEXT,
    password_updated_at           BIGINT,
    reset_password_on_next_login  BIGINT NOT NULL DEFAULT 0,
    primary_user_id               TEXT REFERENCES users (id) ON DELETE CASCADE,
    nickname                      TEXT,
    photo                         TEXT,
    company                       TEXT,
    name                          TEXT,
    given_name                    TEXT,
    family_name                   TEXT,
    middle_name                   TEXT,
    profile                       TEXT,
    preferred_username            TEXT,
    website                       TEXT,
    gender                        TEXT,
    birthdate                     TEXT,
    zoneinfo                      TEXT,
    locale                        TEXT,
    address                       TEXT,
    formatted                     TEXT,
    street_address                TEXT,
    locality                      TEXT,
    region                        TEXT,
    postal_code                   TEXT,
    city                          TEXT,
    province                      TEXT,
    country                       TEXT,
    oauth                         TEXT,
    logins_count                  BIGINT NOT NULL DEFAULT 0,
    last_login                    BIGINT,
    last_ip                       TEXT,
    device                        TEXT,
    browser                       TEXT,
    tokens_valid_after            BIGINT NOT NULL DEFAULT 0,  -- "log out everywhere"
    signed_up                     BIGINT NOT NULL,
    created_at                    BIGINT NOT NULL,
    updated_at                    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email_uq ON users (pool_id, email_key);
CREATE UNIQUE INDEX users_username_uq ON users (pool_id, username);
CREATE UNIQUE INDEX users_phone_uq ON users (pool_id, phone_country_code, phone);
CREATE UNIQUE INDEX users_external_id_uq ON users (pool_id, external_id);
CREATE INDEX users_list_idx ON users (pool_id, created_at, id);
CREATE INDEX users_phone_number_idx ON users (pool_id, phone);
CREATE INDEX users_primary_idx ON users (primary_user_id);
CREATE INDEX users_nickname_idx ON users (pool_id, nickname);

CREATE TABLE external_identities (
    id                TEXT PRIMARY KEY,
    pool_id           TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider          TEXT NOT NULL,
    connection_id     TEXT NOT NULL DEFAULT '',
    user_id_in_idp    TEXT NOT NULL,
    openid            TEXT,
    is_social         BIGINT NOT NULL DEFAULT 0,
    user_info_in_idp  TEXT,
    access_token      TEXT,
    refresh_token     TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX external_identities_uq
    ON external_identities (pool_id, provider, connection_id, user_id_in_idp);
CREATE INDEX external_identities_user_idx ON external_identities (user_id);

CREATE TABLE roles (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    namespace    TEXT NOT NULL DEFAULT 'default',
    code         TEXT NOT NULL,
    name         TEXT,
    description  TEXT,
    parent_id    TEXT REFERENCES roles (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX roles_code_uq ON roles (pool_id, namespace, code);
CREATE INDEX roles_parent_idx ON roles (parent_id);

CREATE TABLE user_groups (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX user_groups_code_uq ON user_groups (pool_id, code);

CREATE TABLE group_members (
    group_id    TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pool_id     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user_idx ON group_members (user_id);

CREATE TABLE orgs (
    id            TEXT PRIMARY KEY,
    pool_id       TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    root_node_id  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX orgs_pool_idx ON orgs (pool_id, created_at);

CREATE TABLE org_nodes (
    id                TEXT PRIMARY KEY,
    pool_id           TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    org_id            TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    parent_id         TEXT REFERENCES org_nodes (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    name_i18n         TEXT,
    description       TEXT,
    description_i18n  TEXT,
    code              TEXT,
    sort_order        BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX org_nodes_tree_idx ON org_nodes (org_id, parent_id, sort_order);
CREATE UNIQUE INDEX org_nodes_code_uq ON org_nodes (org_id, code);

CREATE TABLE node_members (
    node_id     TEXT NOT NULL REFERENCES org_nodes (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pool_id     TEXT NOT NULL,
    is_main     BIGINT NOT NULL DEFAULT 0,
    joined_at   BIGINT NOT NULL,
    PRIMARY KEY (node_id, user_id)
);
CREATE INDEX node_members_user_idx ON node_members (user_id);

-- A role held by a user, a group or an organisation node.
CREATE TABLE role_assignments (
    role_id      TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    target_type  TEXT NOT NULL,   -- USER | GROUP | ORG_NODE
    target_id    TEXT NOT NULL,
    pool_id      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (role_id, target_type, target_id)
);
CREATE INDEX role_assignments_target_idx ON role_assignments (pool_id, target_type, target_id);

CREATE TABLE resource_namespaces (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    code         TEXT NOT NULL,
    name         TEXT,
    description  TEXT,
    app_id       TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX resource_namespaces_code_uq ON resource_namespaces (pool_id, code);

CREATE TABLE resources (
    id              TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    namespace       TEXT NOT NULL,
    code            TEXT NOT NULL,
    type            TEXT NOT NULL DEFAULT 'DATA',   -- DATA | API | MENU | UI | BUTTON
    description     TEXT,
    actions         TEXT NOT NULL DEFAULT '[]',     -- JSON [{name, description}]
    api_identifier  TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX resources_code_uq ON resources (pool_id, namespace, code);

-- A grant of actions on a resource (or `code:*` pattern) to a USER, ROLE, GROUP or ORG node.
CREATE TABLE resource_grants (
    id             TEXT PRIMARY KEY,
    pool_id        TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    namespace      TEXT NOT NULL,
    resource       TEXT NOT NULL,
    resource_type  TEXT,
    target_type    TEXT NOT NULL,
    target_id      TEXT NOT NULL,
    actions        TEXT NOT NULL,   -- JSON array of action strings
    effect         TEXT NOT NULL DEFAULT 'ALLOW',
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX resource_grants_uq
    ON resource_grants (pool_id, namespace, resource, target_type, target_id);
CREATE INDEX resource_grants_target_idx ON resource_grants (pool_id, target_type, target_id);

CREATE TABLE policies (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    namespace    TEXT NOT NULL DEFAULT 'default',
    code         TEXT NOT NULL,
    description  TEXT,
    statements   TEXT NOT NULL,   -- JSON [{resource, actions, effect, condition}]
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX policies_code_uq ON policies (pool_id, namespace, code);

CREATE TABLE policy_assignments (
    policy_id    TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    pool_id      TEXT NOT NULL,
    enabled      BIGINT NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (policy_id, target_type, target_id)
);
CREATE INDEX policy_assignments_target_idx ON policy_assignments (pool_id, target_type, target_id);

-- Who may use an application (allow/deny by user, role, group, org node).
CREATE TABLE app_access_policies (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    app_id       TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    effect       TEXT NOT NULL,   -- ALLOW | DENY
    enabled      BIGINT NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX app_access_policies_uq ON app_access_policies (app_id, target_type, target_id);

CREATE TABLE udf_definitions (
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    target_type  TEXT NOT NULL,   -- USER | ROLE | GROUP | NODE | ORG | APPLICATION
    key          TEXT NOT NULL,
    data_type    TEXT NOT NULL,   -- STRING | NUMBER | DATETIME | BOOLEAN | OBJECT | SELECT
    label        TEXT,
    options      TEXT,            -- JSON, for SELECT
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (pool_id, target_type, key)
);

CREATE TABLE udf_values (
    pool_id      TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (pool_id, target_type, target_id, key),
    FOREIGN KEY (pool_id, target_type, key)
        REFERENCES udf_definitions (pool_id, target_type, key) ON DELETE CASCADE
);
CREATE INDEX udf_values_target_idx ON udf_values (target_id);

CREATE TABLE whitelist_entries (
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,   -- USERNAME | EMAIL | PHONE
    value       TEXT NOT NULL,
    value_key   TEXT NOT NULL,   -- normalised form used for matching
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, type, value_key)
);

CREATE TABLE tenants (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    code         TEXT,
    description  TEXT,
    logo         TEXT,
    app_ids      TEXT NOT NULL DEFAULT '[]',   -- JSON array
    config       TEXT NOT NULL DEFAULT '{}',   -- JSON: login UI, external IdP records
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX tenants_pool_idx ON tenants (pool_id, created_at);

CREATE TABLE tenant_members (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pool_id     TEXT NOT NULL,
    is_admin    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX tenant_members_user_idx ON tenant_members (user_id);

-- SMS/email codes, stored as hashes; shared by every server process.
CREATE TABLE verification_codes (
    id            TEXT PRIMARY KEY,
    pool_id       TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    channel       TEXT NOT NULL,   -- sms | email
    target        TEXT NOT NULL,   -- normalised phone (+cc number) or email key
    scene         TEXT NOT NULL,
    code_hash     TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    max_attempts  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    consumed_at   BIGINT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX verification_codes_lookup_idx
    ON verification_codes (pool_id, channel, target, scene, created_at);
CREATE INDEX verification_codes_expiry_idx ON verification_codes (expires_at);

-- Timestamped events counted in sliding windows (login failures per account or IP,
-- registrations per IP), shared by every server process.
CREATE TABLE rate_events (
    pool_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,   -- login-fail | register
    key         TEXT NOT NULL,   -- e.g. "user:<id>" or "ip:<addr>"
    at          BIGINT NOT NULL
);
CREATE INDEX rate_events_idx ON rate_events (pool_id, kind, key, at);

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    pool_id       TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app_id        TEXT,
    ip            TEXT,
    user_agent    TEXT,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX sessions_user_idx ON sessions (pool_id, user_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

CREATE TABLE revoked_tokens (
    jti         TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry_idx ON revoked_tokens (expires_at);

CREATE TABLE login_history (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id      TEXT,
    app_id       TEXT,
    success      BIGINT NOT NULL,
    method       TEXT,
    code         BIGINT,   -- the error code of a failed attempt
    ip           TEXT,
    user_agent   TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX login_history_user_idx ON login_history (pool_id, user_id, created_at);
CREATE INDEX login_history_pool_idx ON login_history (pool_id, created_at);

CREATE TABLE mfa_factors (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,   -- OTP | SMS | EMAIL
    secret      TEXT,
    recovery    TEXT,
    enabled     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL
);
CREATE INDEX mfa_factors_user_idx ON mfa_factors (pool_id, user_id);
