-- Version 16: a tenant's code (v3 `TenantDto.code`, `getTenantByCode`), in the `code` column
-- the tenants table always had but nothing wrote: generated at creation, unique per pool.
-- Tenants made before it take their id, unique already.
UPDATE tenants SET code = id WHERE code IS NULL;
CREATE UNIQUE INDEX tenants_code_uq ON tenants (pool_id, code);
