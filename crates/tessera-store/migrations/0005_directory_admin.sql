-- Version 5: what the ManagementClient's roles, ACL, groups, org and policies modules need.
-- Every management list pages in (created_at, id) order (or (joined_at, user_id) for
-- memberships), so each gets an index that serves its filter and its order, and a page is an
-- index range instead of a sort of the whole pool.

CREATE INDEX roles_list_idx ON roles (pool_id, created_at, id);
CREATE INDEX roles_ns_list_idx ON roles (pool_id, namespace, created_at, id);
-- The users holding a role, in the order they got it.
CREATE INDEX role_assignments_role_idx
    ON role_assignments (role_id, target_type, created_at, target_id);

CREATE INDEX user_groups_list_idx ON user_groups (pool_id, created_at, id);
CREATE INDEX group_members_list_idx ON group_members (group_id, created_at, user_id);

-- An organization may belong to a tenant (`createOrg(tenantId)`, `orgs/by-tenant`).
ALTER TABLE orgs ADD COLUMN tenant_id TEXT;
CREATE INDEX orgs_list_idx ON orgs (pool_id, created_at, id);
CREATE INDEX orgs_tenant_idx ON orgs (pool_id, tenant_id);
CREATE INDEX node_members_list_idx ON node_members (node_id, joined_at, user_id);
-- `searchNodes` reads only the pool's node names, never the nodes' other columns.
CREATE INDEX org_nodes_pool_name_idx ON org_nodes (pool_id, name);
-- `assignRole(nodeCodes)` names nodes by code alone.
CREATE INDEX org_nodes_pool_code_idx ON org_nodes (pool_id, code);

CREATE INDEX resource_namespaces_list_idx ON resource_namespaces (pool_id, created_at, id);
CREATE INDEX resources_list_idx ON resources (pool_id, namespace, created_at, id);
CREATE INDEX resources_pool_list_idx ON resources (pool_id, created_at, id);

CREATE INDEX policies_list_idx ON policies (pool_id, namespace, created_at, id);
CREATE INDEX policy_assignments_list_idx
    ON policy_assignments (policy_id, created_at, target_type, target_id);

CREATE INDEX app_access_policies_list_idx ON app_access_policies (app_id, created_at, id);
-- Deleting a role, group or node removes the access rules naming it.
CREATE INDEX app_access_policies_target_idx
    ON app_access_policies (pool_id, target_type, target_id);

-- Programmatic access accounts change (secret refresh, enable/disable).
ALTER TABLE access_keys ADD COLUMN updated_at BIGINT;
CREATE INDEX access_keys_app_list_idx ON access_keys (app_id, created_at, id);
