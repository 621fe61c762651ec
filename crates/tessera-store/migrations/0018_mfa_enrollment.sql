-- Version 18: MFA factors a user enrolls for themselves.

-- Where an SMS or EMAIL factor's codes go (`+cc number` or the address).
ALTER TABLE mfa_factors ADD COLUMN target TEXT;
-- SHA-256 of the recovery code shown once at enrollment; cleared when the code is used.
ALTER TABLE mfa_factors ADD COLUMN recovery_hash TEXT;
-- The newest TOTP step accepted: a step's code is accepted once.
ALTER TABLE mfa_factors ADD COLUMN last_step BIGINT;

-- A factor asked for and not yet proved. The token the user holds is stored only as its
-- SHA-256; a row is used once (deleted when the factor is stored) or expires. One pending
-- enrollment per user and kind: a new request replaces the old one.
CREATE TABLE mfa_enrollments (
    token_hash     TEXT PRIMARY KEY,
    pool_id        TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type           TEXT NOT NULL,   -- OTP | SMS | EMAIL
    secret         TEXT,
    target         TEXT,
    recovery_hash  TEXT,
    expires_at     BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX mfa_enrollments_user_type_uq ON mfa_enrollments (pool_id, user_id, type);
CREATE INDEX mfa_enrollments_expiry_idx ON mfa_enrollments (expires_at);
