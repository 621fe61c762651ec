-- Version 9: nonces of signed v3 management requests (`x-authing-signature-nonce`), kept
-- for the signature's validity window so that a captured request replayed to any server
-- process of the deployment is refused.
CREATE TABLE signature_nonces (
    key_id      TEXT NOT NULL,
    nonce       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,   -- ms
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX signature_nonces_expiry_idx ON signature_nonces (expires_at);
