//! Schema migrations, safe when several processes start at once.
//!
//! PostgreSQL: one transaction holding a transaction-scoped advisory lock; DDL is
//! transactional there, so a failed migration leaves nothing behind. SQLite: one
//! `BEGIN IMMEDIATE` transaction, which takes the database's write lock before reading the
//! applied versions, so a second process waits and then finds the work done.

use sqlx::Row;

use crate::connect::{Backend, Pool};

/// A migration's SQL: one text for both backends, or one each where the dialects differ
/// (triggers).
#[derive(Clone, Copy)]
enum Sql {
    Both(&'static str),
    PerBackend {
        sqlite: &'static str,
        postgres: &'static str,
    },
}

impl Sql {
    fn for_backend(self, backend: Backend) -> &'static str {
        match (self, backend) {
            (Sql::Both(s), _) => s,
            (Sql::PerBackend { sqlite, .. }, Backend::Sqlite) => sqlite,
            (Sql::PerBackend { postgres, .. }, Backend::Postgres) => postgres,
        }
    }
}

/// (version, SQL) in order. Append only: never edit a released migration.
const MIGRATIONS: &[(i64, Sql)] = &[
    (1, Sql::Both(include_str!("../migrations/0001_initial.sql"))),
    (
        3,
        Sql::Both(include_str!("../migrations/0003_accounts.sql")),
    ),
    (
        4,
        Sql::Both(include_str!("../migrations/0004_management.sql")),
    ),
    (
        5,
        Sql::Both(include_str!("../migrations/0005_directory_admin.sql")),
    ),
    (
        6,
        Sql::Both(include_str!("../migrations/0006_apps_tenants.sql")),
    ),
    (
        7,
        Sql::PerBackend {
            sqlite: include_str!("../migrations/0007_user_counts.sqlite.sql"),
            postgres: include_str!("../migrations/0007_user_counts.postgres.sql"),
        },
    ),
    (8, Sql::Both(include_str!("../migrations/0008_oidc.sql"))),
    (
        9,
        Sql::Both(include_str!("../migrations/0009_signature_nonces.sql")),
    ),
    // Versions increase but need not be consecutive (there is no 2): each is applied if it
    // is not recorded as applied.
    (10, Sql::Both(include_str!("../migrations/0010_risk.sql"))),
    (11, Sql::Both(include_str!("../migrations/0011_audit.sql"))),
    (12, Sql::Both(include_str!("../migrations/0012_posts.sql"))),
    (
        13,
        Sql::Both(include_str!("../migrations/0013_resource_names.sql")),
    ),
    (
        14,
        Sql::Both(include_str!("../migrations/0014_email_templates.sql")),
    ),
    (
        15,
        Sql::Both(include_str!("../migrations/0015_app_whitelist.sql")),
    ),
    (
        16,
        Sql::Both(include_str!("../migrations/0016_tenant_codes.sql")),
    ),
    (
        17,
        Sql::Both(include_str!("../migrations/0017_node_status.sql")),
    ),
    (
        18,
        Sql::Both(include_str!("../migrations/0018_mfa_enrollment.sql")),
    ),
    (
        20,
        Sql::Both(include_str!("../migrations/0020_qr_logins.sql")),
    ),
    (
        21,
        Sql::Both(include_str!("../migrations/0021_mfa_tickets.sql")),
    ),
    (
        22,
        Sql::Both(include_str!("../migrations/0022_webauthn.sql")),
    ),
    (
        23,
        Sql::Both(include_str!("../migrations/0023_asa_accounts.sql")),
    ),
    (
        24,
        Sql::Both(include_str!("../migrations/0024_user_devices.sql")),
    ),
    (
        25,
        Sql::Both(include_str!("../migrations/0025_link_tickets.sql")),
    ),
    (
        27,
        Sql::Both(include_str!("../migrations/0027_user_mfa_rules.sql")),
    ),
    (
        28,
        Sql::Both(include_str!("../migrations/0028_tenant_invitations.sql")),
    ),
    (
        29,
        Sql::Both(include_str!("../migrations/0029_push_logins.sql")),
    ),
    (
        30,
        Sql::Both(include_str!("../migrations/0030_ext_idp_conn_apps.sql")),
    ),
    (
        32,
        Sql::Both(include_str!("../migrations/0032_public_accounts.sql")),
    ),
    (
        33,
        Sql::Both(include_str!("../migrations/0033_ext_oidc_flows.sql")),
    ),
    (
        34,
        Sql::Both(include_str!("../migrations/0034_tenant_config.sql")),
    ),
    (35, Sql::Both(include_str!("../migrations/0035_events.sql"))),
    (
        36,
        Sql::Both(include_str!("../migrations/0036_tenant_imports.sql")),
    ),
    (
        37,
        Sql::Both(include_str!("../migrations/0037_tenant_admins.sql")),
    ),
    (
        38,
        Sql::Both(include_str!("../migrations/0038_tenant_resources.sql")),
    ),
    (
        39,
        Sql::Both(include_str!(
            "../migrations/0039_principal_authentications.sql"
        )),
    ),
    (
        40,
        Sql::Both(include_str!("../migrations/0040_role_exclusions.sql")),
    ),
    (
        41,
        Sql::Both(include_str!("../migrations/0041_provisioning.sql")),
    ),
];

/// An arbitrary constant identifying Tessera's migration lock among advisory locks.
const PG_LOCK_KEY: i64 = 0x7e55_e7a0_0001;

pub(crate) async fn run(pool: &Pool, backend: Backend) -> Result<(), sqlx::Error> {
    // Every start but the first finds the schema current: one read, without the write lock or
    // advisory lock, so a restart does not queue behind another process's writes.
    if is_current(pool).await {
        return Ok(());
    }
    let mut conn = pool.acquire().await?;
    let begin = match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    sqlx::raw_sql(begin).execute(&mut *conn).await?;
    let result = apply_pending(&mut conn, backend).await;
    match result {
        Ok(()) => {
            sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
            // Closed, not returned to the pool: on SQLite the connection keeps every page the
            // migrations wrote in its page cache (on a first start, the whole new schema) for
            // as long as it stays open; the next query opens a fresh one. The work is committed,
            // so a failure to close leaves nothing to undo.
            let _ = conn.close().await;
            Ok(())
        }
        Err(e) => {
            // Best effort: the connection is dropped with the error anyway.
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
            Err(e)
        }
    }
}

/// Whether the applied versions are exactly the known ones. Migrations are applied in order,
/// each recorded in the transaction that applies it, so a committed set equal to the known
/// one cannot be half-done; a reader that runs while another process migrates sees the old
/// set and takes the locked path, which waits for that process. Any error (on a fresh
/// database the table does not exist yet) only means "not known to be current": the locked
/// path decides, and reports real errors.
async fn is_current(pool: &Pool) -> bool {
    let Ok(rows) = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(pool)
        .await
    else {
        return false;
    };
    let mut applied: Vec<i64> = Vec::with_capacity(rows.len());
    for row in &rows {
        match row.try_get::<i64, _>(0) {
            Ok(v) => applied.push(v),
            Err(_) => return false,
        }
    }
    applied.sort_unstable();
    applied
        .iter()
        .eq(MIGRATIONS.iter().map(|(version, _)| version))
}

async fn apply_pending(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
) -> Result<(), sqlx::Error> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PG_LOCK_KEY)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?;
    let newest_known = MIGRATIONS.last().map_or(0, |m| m.0);
    if let Some(v) = applied.iter().find(|v| **v > newest_known) {
        return Err(sqlx::Error::Protocol(format!(
            "the database has schema version {v}, newer than this binary knows ({newest_known}); upgrade tessera"
        )));
    }
    for (version, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        tracing::info!(version, "applying schema migration");
        sqlx::raw_sql(sql.for_backend(backend))
            .execute(&mut *conn)
            .await?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(*version)
            .bind(tessera_core::clock::now_ms())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
