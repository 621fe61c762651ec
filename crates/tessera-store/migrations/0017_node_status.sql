-- Version 17: a department's (organization node's) enabled status (v3 `updateNodeStatus`,
-- `updateOrganizationStatus`, `DepartmentDto.status`). Every existing node stays enabled.
ALTER TABLE org_nodes ADD COLUMN enabled BIGINT NOT NULL DEFAULT 1;
