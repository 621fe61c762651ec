-- Version 27: an administrator's per-user MFA rules (`setUsersMfaStatus`, service/mfa_login.rs):
-- a JSON array of {kind, enabled, sort}, NULL when the user has none. A column of the user
-- row, so a login reads it with the user it already reads and pays no extra query.
ALTER TABLE users ADD COLUMN mfa_rules TEXT;
