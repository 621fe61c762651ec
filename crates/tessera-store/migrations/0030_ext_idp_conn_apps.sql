-- A connection's state in one application (`changeExtIdpConnState` names the application):
-- a login through the connection by that application needs the connection on pool-wide
-- (`ext_idp_conns.enabled`) and not switched off here. No row: the pool-wide state.
CREATE TABLE ext_idp_conn_apps (
    pool_id    TEXT NOT NULL,
    conn_id    TEXT NOT NULL REFERENCES ext_idp_conns (id) ON DELETE CASCADE,
    app_id     TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    enabled    BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, conn_id, app_id)
);
CREATE INDEX ext_idp_conn_apps_app_idx ON ext_idp_conn_apps (pool_id, app_id);
