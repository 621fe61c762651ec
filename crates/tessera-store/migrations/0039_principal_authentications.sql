-- Version 39: real-name (principal) authentication of a user (v2 `principal`, v3
-- `getUserPrincipalAuthenticationInfo` / `resetUserPrincipalAuthenticationInfo`,
-- service/principal.rs). One row per user, written only once the configured provider
-- verified the person ('P') or enterprise ('E'). The resident ID number or unified social
-- credit code is an AES-256-GCM sealed value (`crypto::sealing`, bound to pool and user):
-- the store never sees it in the clear. The row goes with its pool and its user.
CREATE TABLE principal_authentications (
    pool_id          TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    principal_type   TEXT NOT NULL,
    principal_name   TEXT NOT NULL,
    sealed_code      TEXT NOT NULL,
    authenticated_at BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (pool_id, user_id)
);
CREATE INDEX principal_authentications_user_idx ON principal_authentications (user_id);
