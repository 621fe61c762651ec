-- Version 33: browser flows to an external OpenID Provider (`service::ext_oidc`).

-- `generateLinkExtIdpUrl` records a flow bound to pool, application, connection and the
-- user whose ID token asked (a login from the hosted page instead names its parked
-- authorization request, `interaction_id`, and no user); the browser opens Tessera's start link once (its ticket kept
-- as `start_hash`), which writes the state, nonce and PKCE verifier of the one
-- authorization request sent upstream and the digest of the cookie that binds the browser.
-- The callback finds the flow by the state's digest and deletes it before anything else, so
-- a state is spent once across processes. Rows expire after 10 minutes.
CREATE TABLE ext_oidc_flows (
    start_hash      TEXT PRIMARY KEY,
    state_hash      TEXT,
    pool_id         TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    app_id          TEXT NOT NULL,
    conn_id         TEXT NOT NULL,
    user_id         TEXT,
    interaction_id  TEXT,
    target_url      TEXT,
    nonce           TEXT,
    code_verifier   TEXT,
    browser_hash    TEXT,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX ext_oidc_flows_state_uq ON ext_oidc_flows (state_hash);
CREATE INDEX ext_oidc_flows_expiry_idx ON ext_oidc_flows (expires_at);
