-- Version 38: an application's resources associated with tenants (v3
-- `associateTenantResource`): one row per (tenant, resource) while the association holds. A
-- row goes with its tenant, its resource or its pool through the foreign keys, so no delete
-- elsewhere has to know about it. `linkedToTenant` of a resource reads "any row".
CREATE TABLE tenant_resources (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    resource_id  TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, resource_id)
);
-- "Is this resource linked to a tenant?" for a page of resources.
CREATE INDEX tenant_resources_resource_idx ON tenant_resources (resource_id);
