-- Version 24: the devices a user signed in from ("my devices", v3 `list`, `unbind`,
-- `revoke`). A device is named by an id the core derives from the pool, the user and the
-- normalised user agent (service/devices.rs), so the same browser signing in again is the same
-- device; what it is (type, name, OS, model) was parsed coarsely from that user agent.
-- Every OIDC grant issued to a sign-in remembers its device (`oidc_grants.device_id`), so
-- signing a device out revokes exactly its grants; whether a device is online is read from
-- them (an unrevoked, unexpired grant), never stored. Rows go with their user and pool.
CREATE TABLE user_devices (
    pool_id        TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id      TEXT NOT NULL,
    device_type    TEXT NOT NULL,   -- browser | mobile | desktop
    name           TEXT,
    os             TEXT,
    os_version     TEXT,
    model          TEXT,
    user_agent     TEXT,
    first_seen_at  BIGINT NOT NULL,  -- ms
    last_login_at  BIGINT NOT NULL,  -- ms
    last_ip        TEXT,
    signed_out_at  BIGINT,           -- ms: the last time the user signed it out
    PRIMARY KEY (pool_id, user_id, device_id)
);
-- The user's list, newest first.
CREATE INDEX user_devices_recent_idx ON user_devices (pool_id, user_id, last_login_at);

ALTER TABLE oidc_grants ADD COLUMN device_id TEXT;
CREATE INDEX oidc_grants_device_idx ON oidc_grants (pool_id, user_id, device_id);
