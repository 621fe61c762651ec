-- Version 35: the event center (service/events.rs). A pool's event applications
-- (`createEventApp`), the custom event types defined under them (`defineEvent`, the type is
-- `<app identifier>.<name>`), and the events published (`pub-event`, `pub-userEvent`), which
-- subscribers of any process read by polling `events` after the sequence they started at.
CREATE TABLE event_apps (
    pool_id    TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    name       TEXT NOT NULL,
    logo       TEXT NOT NULL,
    created_at BIGINT NOT NULL,  -- ms
    PRIMARY KEY (pool_id, identifier)
);
CREATE TABLE event_types (
    pool_id        TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    id             TEXT NOT NULL,
    app_identifier TEXT NOT NULL,
    description    TEXT NOT NULL,
    created_at     BIGINT NOT NULL,  -- ms
    PRIMARY KEY (pool_id, event_type),
    FOREIGN KEY (pool_id, app_identifier) REFERENCES event_apps (pool_id, identifier)
        ON DELETE CASCADE
);
CREATE INDEX event_types_app_idx ON event_types (pool_id, app_identifier, created_at);
-- The pool's last event number. Publishing takes it with `last_seq + 1` in the transaction
-- that inserts the event, so the row lock orders commits by number: a subscriber that has
-- seen number n never later finds a smaller one committed.
CREATE TABLE event_sequences (
    pool_id  TEXT PRIMARY KEY REFERENCES user_pools (id) ON DELETE CASCADE,
    last_seq BIGINT NOT NULL
);
-- Published events: short-lived (purged an hour after publication), read by subscribers by
-- pool, type and number. `user_id` is the publishing user, NULL for an administrator.
CREATE TABLE events (
    pool_id    TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    data       TEXT NOT NULL,
    user_id    TEXT,
    created_at BIGINT NOT NULL,  -- ms
    PRIMARY KEY (pool_id, seq)
);
CREATE INDEX events_type_seq_idx ON events (pool_id, event_type, seq);
CREATE INDEX events_created_idx ON events (created_at);
