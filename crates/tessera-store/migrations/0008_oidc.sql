-- Version 8: the OpenID Provider's state, shared by every server process. Secrets handed to
-- browsers and clients (session cookies, codes, refresh tokens, device codes) are stored
-- only as SHA-256 digests (hex): a copy of the database does not hold usable credentials.

-- A browser's single sign-on session with the provider (the cookie's digest is the id).
CREATE TABLE oidc_sessions (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The session's public id (`sid` claim), unlike `id` safe to put in tokens.
    sid         TEXT NOT NULL,
    auth_time   BIGINT NOT NULL,   -- ms
    amr         TEXT NOT NULL,     -- JSON array of RFC 8176 values
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    ended_at    BIGINT
);
CREATE UNIQUE INDEX oidc_sessions_sid_uq ON oidc_sessions (sid);
CREATE INDEX oidc_sessions_user_idx ON oidc_sessions (pool_id, user_id);
CREATE INDEX oidc_sessions_expiry_idx ON oidc_sessions (expires_at);

-- An authorization request waiting for the user (login, consent) in the hosted pages.
CREATE TABLE oidc_interactions (
    id          TEXT PRIMARY KEY,  -- random, also in the browser's cookie
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    request     TEXT NOT NULL,     -- JSON: the validated authorization request
    csrf        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX oidc_interactions_expiry_idx ON oidc_interactions (expires_at);

-- What a user (or, without one, a client) was granted: every token issued for one
-- authorization descends from one grant, and revoking the grant ends them all (a replayed
-- code or refresh token, revocation, logout of its session).
CREATE TABLE oidc_grants (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    sid         TEXT,              -- the SSO session it came from, if any
    scope       TEXT NOT NULL,
    auth_time   BIGINT NOT NULL,   -- ms
    amr         TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,   -- the longest life of anything issued under it
    revoked_at  BIGINT
);
CREATE INDEX oidc_grants_user_idx ON oidc_grants (pool_id, user_id);
CREATE INDEX oidc_grants_sid_idx ON oidc_grants (sid);
CREATE INDEX oidc_grants_expiry_idx ON oidc_grants (expires_at);

-- Authorization codes: single use, short-lived. A second use finds `used_at` set.
CREATE TABLE oidc_codes (
    id              TEXT PRIMARY KEY,  -- digest of the code
    grant_id        TEXT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    nonce           TEXT,
    code_challenge  TEXT,
    challenge_method TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);
CREATE INDEX oidc_codes_expiry_idx ON oidc_codes (expires_at);

-- Refresh tokens, rotated at each use: a used one presented again revokes its grant.
CREATE TABLE oidc_refresh_tokens (
    id          TEXT PRIMARY KEY,  -- digest of the token
    grant_id    TEXT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX oidc_refresh_grant_idx ON oidc_refresh_tokens (grant_id);
CREATE INDEX oidc_refresh_expiry_idx ON oidc_refresh_tokens (expires_at);

-- Scopes a user consented to for an application.
CREATE TABLE oidc_consents (
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    scope       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (pool_id, user_id, app_id)
);

-- Device authorization (RFC 8628): the device polls with its code; the user enters the
-- short user code in a browser.
CREATE TABLE oidc_device_codes (
    id            TEXT PRIMARY KEY,  -- digest of the device code
    user_code     TEXT NOT NULL,
    pool_id       TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    app_id        TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    scope         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    interval_s    BIGINT NOT NULL,
    last_poll_at  BIGINT,
    status        TEXT NOT NULL,     -- pending | approved | denied | used
    user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
    sid           TEXT,
    auth_time     BIGINT,
    amr           TEXT
);
CREATE UNIQUE INDEX oidc_device_user_code_uq ON oidc_device_codes (user_code);
CREATE INDEX oidc_device_expiry_idx ON oidc_device_codes (expires_at);
