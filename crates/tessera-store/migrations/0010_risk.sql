-- Version 10: risk lists, a pool's IP and user blacklists and whitelists, and the automatic
-- policies that add to the blacklists after repeated failed logins (`service/risk.rs`).
-- Enum columns hold the string forms of `tessera_core::model::risk`; `limits` is a JSON
-- array of them; times are ms since the epoch, `expire_at` 0 meaning never.

-- One address or CIDR range on one list. `network` is the canonical `address/prefix`
-- (`IpNet::key`): the login path looks up the keys of every network containing the client's
-- address, so the unique index answers it by (pool_id, network) in one indexed read.
CREATE TABLE risk_ip_entries (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    network      TEXT NOT NULL,
    list_type    TEXT NOT NULL,   -- BLACK | WHITE
    add_type     TEXT NOT NULL,   -- MANUAL | SCHEDULE (added by a policy)
    remove_type  TEXT NOT NULL,   -- MANUAL | SCHEDULE (leaves at expire_at)
    limits       TEXT NOT NULL,
    expire_at    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
-- An administrator's entry and a policy's entry for one network are separate rows, so
-- neither overwrites the other's limits or expiry.
CREATE UNIQUE INDEX risk_ip_entries_uq ON risk_ip_entries (pool_id, network, list_type, add_type);
CREATE INDEX risk_ip_entries_list_idx ON risk_ip_entries (pool_id, list_type, created_at, id);
CREATE INDEX risk_ip_entries_expiry_idx ON risk_ip_entries (expire_at);

-- One user on one list. No foreign key to users: like every row naming a user as a target,
-- it goes with the user by the core's cascade (`service/cascade.rs`).
CREATE TABLE risk_user_entries (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    list_type    TEXT NOT NULL,
    add_type     TEXT NOT NULL,
    remove_type  TEXT NOT NULL,
    limits       TEXT NOT NULL,
    expire_at    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX risk_user_entries_uq ON risk_user_entries (pool_id, user_id, list_type, add_type);
CREATE INDEX risk_user_entries_list_idx ON risk_user_entries (pool_id, list_type, created_at, id);
CREATE INDEX risk_user_entries_expiry_idx ON risk_user_entries (expire_at);

CREATE TABLE risk_policies (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    opt_object   TEXT NOT NULL,   -- IP | USER
    ip_range     TEXT NOT NULL,   -- ALL | NOT_IN_WHITE_LIST
    user_range   TEXT NOT NULL,
    ip_cond      TEXT NOT NULL,   -- NO_LIMIT | ONE
    user_cond    TEXT NOT NULL,
    time_range   BIGINT NOT NULL, -- minutes
    count_thr    BIGINT NOT NULL,
    event_state  TEXT NOT NULL,   -- password_wrong | account_wrong
    remove_type  TEXT NOT NULL,
    action       TEXT NOT NULL,   -- ADD_IP_BLACK_LIST | ADD_USER_BLACK_LIST
    limits       TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX risk_policies_idx ON risk_policies (pool_id, opt_object, created_at, id);
CREATE INDEX risk_policies_pool_idx ON risk_policies (pool_id, created_at, id);
