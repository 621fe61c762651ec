-- Version 12: posts (job positions) of a pool, and their links to departments (org nodes)
-- and users. Which links go with a deleted post, user or node is decided by the core
-- (service/cascade.rs); the foreign keys' ON DELETE CASCADE is the schema's own guarantee
-- for deletes that do not pass through it (a pool, a user merged into another on linking).

CREATE TABLE posts (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
-- A code names one post of a pool: the index, not a check in code, decides a race.
CREATE UNIQUE INDEX posts_code_uq ON posts (pool_id, code);
-- Lists page in (created_at, id) order.
CREATE INDEX posts_list_idx ON posts (pool_id, created_at, id);

-- The primary keys serve "the links of a post" (listing and counting); the second indexes
-- serve "the posts of a user / department" and the cascades of a deleted user or node.
CREATE TABLE post_departments (
    post_id     TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    node_id     TEXT NOT NULL REFERENCES org_nodes (id) ON DELETE CASCADE,
    pool_id     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (post_id, node_id)
);
CREATE INDEX post_departments_node_idx ON post_departments (node_id);

CREATE TABLE post_users (
    post_id     TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pool_id     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_users_user_idx ON post_users (user_id);
