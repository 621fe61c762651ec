-- Version 11: the pool's logs. Append-only records read newest first a page at a time, so
-- each table is indexed by (pool_id, created_at, id), the order of its pages. Neither
-- names the users or objects it is about by foreign key: a record outlives what it names
-- (the deletion of a user stays in the audit log). Both go with their pool.

-- What administrators did: one row per change made or refused. Never a password, code,
-- secret or token: `params` holds identifiers and the names of changed fields only.
CREATE TABLE admin_audit_log (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    proof       TEXT NOT NULL,     -- how the administrator proved itself
    client_ip   TEXT,
    user_agent  TEXT,
    operation   TEXT NOT NULL,     -- create | update | delete | disable | enable | refresh
    resource    TEXT NOT NULL,     -- user | userpool | role | group | application
    target_ids  TEXT NOT NULL,     -- JSON array of ids
    params      TEXT NOT NULL,     -- JSON object of strings
    success     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX admin_audit_log_pool_time_idx ON admin_audit_log (pool_id, created_at, id);

-- What users did to their own accounts, besides logging in (logins are the login history's
-- rows, written with the user's counters): registrations, logouts, password changes.
CREATE TABLE user_actions (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    app_id      TEXT,
    event       TEXT NOT NULL,     -- register | logout | password-change
    success     BIGINT NOT NULL,
    ip          TEXT,
    user_agent  TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX user_actions_pool_time_idx ON user_actions (pool_id, created_at, id);
CREATE INDEX user_actions_user_idx ON user_actions (pool_id, user_id, created_at);
