-- Version 14: a pool's own email templates, one row per kind of email (`type`, the v3 wire's
-- name) that the administrator customized; a kind without a row keeps the built-in text.
-- `customize_enabled` is 0/1 like every flag; `expires_in` is seconds.
CREATE TABLE email_templates (
    pool_id            TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    type               TEXT NOT NULL,
    customize_enabled  BIGINT NOT NULL,
    name               TEXT NOT NULL,
    subject            TEXT NOT NULL,
    sender             TEXT NOT NULL,
    content            TEXT NOT NULL,
    expires_in         BIGINT,
    redirect_to        TEXT,
    tpl_engine         TEXT NOT NULL,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (pool_id, type)
);
