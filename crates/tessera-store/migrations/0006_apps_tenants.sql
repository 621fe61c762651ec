-- Version 6: what applications, tenants and MFA management need beyond version 4.

-- The profile fields an external connection matches an incoming identity against.
ALTER TABLE ext_idp_conns ADD COLUMN user_match_fields TEXT NOT NULL DEFAULT '[]';

-- A user has at most one factor of each kind; importing a TOTP secret replaces the old one.
CREATE UNIQUE INDEX mfa_factors_user_type_uq ON mfa_factors (pool_id, user_id, type);

-- A tenant's members page by page, in the order they joined.
CREATE INDEX tenant_members_tenant_idx ON tenant_members (tenant_id, created_at, user_id);
