-- Version 7 (PostgreSQL): users per pool and state, kept by triggers so that an unfiltered
-- list's totalCount is a sum of a few rows instead of a count over the pool. Each change
-- lands on one of 16 random slots, so concurrent registrations in one pool do not queue
-- on a single counter row.
CREATE TABLE user_counts (
    pool_id     TEXT NOT NULL,
    is_deleted  BIGINT NOT NULL,
    slot        BIGINT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (pool_id, is_deleted, slot)
);
INSERT INTO user_counts (pool_id, is_deleted, slot, n)
    SELECT pool_id, is_deleted, 0, COUNT(*) FROM users GROUP BY pool_id, is_deleted;

CREATE FUNCTION tessera_user_count_bump(pool TEXT, deleted BIGINT, delta BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO user_counts (pool_id, is_deleted, slot, n)
    VALUES (pool, deleted, floor(random() * 16)::bigint, delta)
    ON CONFLICT (pool_id, is_deleted, slot) DO UPDATE SET n = user_counts.n + excluded.n;
$$;

CREATE FUNCTION tessera_user_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM tessera_user_count_bump(NEW.pool_id, NEW.is_deleted, 1);
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM tessera_user_count_bump(OLD.pool_id, OLD.is_deleted, -1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_count_insert_delete AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION tessera_user_count();
CREATE TRIGGER users_count_archive AFTER UPDATE OF is_deleted ON users
    FOR EACH ROW WHEN (OLD.is_deleted IS DISTINCT FROM NEW.is_deleted)
    EXECUTE FUNCTION tessera_user_count();
