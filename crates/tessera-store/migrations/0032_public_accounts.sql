-- Version 32: public (shared) accounts (公共账号, v3 `createPublicAccount`, `switchLoginByUser`,
-- service/public_accounts.rs). A public account is a user row with `public_account` set — it
-- keeps every rule of a user (uniqueness, login states, sessions, directory memberships) —
-- and the personal users who may switch their login into it are its bindings. A binding goes
-- with either user through the foreign keys, as memberships do.
ALTER TABLE users ADD COLUMN public_account BIGINT NOT NULL DEFAULT 0;

CREATE TABLE public_account_users (
    pool_id            TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    public_account_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at         BIGINT NOT NULL,
    PRIMARY KEY (public_account_id, user_id)
);
-- A user's public accounts (the switch list, `getPublicAccountsOfUser`), oldest binding first;
-- the account's users come from the primary key's order.
CREATE INDEX public_account_users_user_idx ON public_account_users (user_id, created_at);
