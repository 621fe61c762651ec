-- Version 12: posts (job positions) of a pool, and their links to departments (org nodes)
-- and users. Which links go with a deleted post, user or node is decided by the core
-- (service/cascade.rs). The foreign keys keep links to rows that exist: posts and nodes are
-- deleted only through the core's cascade, so their keys have no ON DELETE action, and a
-- delete that left links behind would be refused rather than leave them dangling. A user is
-- also deleted past the cascade, when merged into another on account linking, so its links
-- go with it by the schema; and everything goes with its pool.

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
    post_id     TEXT NOT NULL REFERENCES posts (id),
    node_id     TEXT NOT NULL REFERENCES org_nodes (id),
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (post_id, node_id)
);
CREATE INDEX post_departments_node_idx ON post_departments (node_id);

CREATE TABLE post_users (
    post_id     TEXT NOT NULL REFERENCES posts (id),
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_users_user_idx ON post_users (user_id);
