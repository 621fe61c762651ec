-- Version 7 (SQLite): users per pool and state, kept by triggers so that an unfiltered list's
-- totalCount is one indexed read instead of a count over the pool. Triggers also fire for
-- rows removed by foreign-key cascades (sub-accounts, a deleted pool).
CREATE TABLE user_counts (
    pool_id     TEXT NOT NULL,
    is_deleted  BIGINT NOT NULL,
    slot        BIGINT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (pool_id, is_deleted, slot)
);
INSERT INTO user_counts (pool_id, is_deleted, slot, n)
    SELECT pool_id, is_deleted, 0, COUNT(*) FROM users GROUP BY pool_id, is_deleted;

CREATE TRIGGER users_count_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_counts (pool_id, is_deleted, slot, n) VALUES (NEW.pool_id, NEW.is_deleted, 0, 1)
    ON CONFLICT (pool_id, is_deleted, slot) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER users_count_delete AFTER DELETE ON users BEGIN
    INSERT INTO user_counts (pool_id, is_deleted, slot, n) VALUES (OLD.pool_id, OLD.is_deleted, 0, -1)
    ON CONFLICT (pool_id, is_deleted, slot) DO UPDATE SET n = n - 1;
END;
CREATE TRIGGER users_count_archive AFTER UPDATE OF is_deleted ON users
WHEN OLD.is_deleted <> NEW.is_deleted BEGIN
    INSERT INTO user_counts (pool_id, is_deleted, slot, n) VALUES (OLD.pool_id, OLD.is_deleted, 0, -1)
    ON CONFLICT (pool_id, is_deleted, slot) DO UPDATE SET n = n - 1;
    INSERT INTO user_counts (pool_id, is_deleted, slot, n) VALUES (NEW.pool_id, NEW.is_deleted, 0, 1)
    ON CONFLICT (pool_id, is_deleted, slot) DO UPDATE SET n = n + 1;
END;
