-- WebAuthn (passkeys, v3 `initRegisterOptions` … `verifyAuthentication`).
--
-- A ceremony under way: the options were handed out with a ticket, stored here only as its
-- SHA-256 digest, with the challenge it must answer. Taken (deleted) by its first use, so a
-- ticket is single-use; rows are short-lived and purged once expired. Any server process
-- can finish a ceremony another one began.
CREATE TABLE webauthn_ceremonies (
    ticket_digest  TEXT PRIMARY KEY,
    pool_id        TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    app_id         TEXT,
    user_id        TEXT REFERENCES users (id) ON DELETE CASCADE,
    purpose        TEXT NOT NULL,   -- register | authenticate
    challenge      TEXT NOT NULL,   -- base64url
    user_handle    TEXT,            -- base64url, registration only
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX webauthn_ceremonies_expiry ON webauthn_ceremonies (expires_at);

-- A user's registered credentials: the public key (DER SubjectPublicKeyInfo, base64url) and
-- the signature counter, which only moves forward (clone detection).
CREATE TABLE webauthn_credentials (
    pool_id             TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    credential_id       TEXT NOT NULL,  -- base64url
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_handle         TEXT NOT NULL,  -- base64url
    algorithm           BIGINT NOT NULL, -- COSE: -7 ES256, -257 RS256
    public_key          TEXT NOT NULL,
    sign_count          BIGINT NOT NULL,
    authenticator_code  TEXT NOT NULL,  -- fingerprint | face | other
    transports          TEXT NOT NULL,  -- JSON array
    aaguid              TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    last_used_at        BIGINT,
    PRIMARY KEY (pool_id, credential_id)
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (pool_id, user_id);
