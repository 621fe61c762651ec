//! The statements of the reads every request makes (an application with its pool, a
//! session's user with its token's revocation, a user, identities, custom-field definitions),
//! shared by both read paths: sqlx's pool and, on SQLite, `sqlite_reads`.

use tessera_core::model::User;
use tessera_core::store::{SessionValidity, UserLookup};
use tessera_core::Result;

use crate::rows::{self, Cols};

/// The session read's row: the revocation count, then the user's columns (all NULL when
/// the user is not in the pool).
pub(crate) fn session_user_row<C: Cols + ?Sized>(row: &C) -> Result<(Option<User>, bool)> {
    session_user_at(row, 0)
}

/// [`session_user_row`] from column `at` on.
pub(crate) fn session_user_at<C: Cols + ?Sized>(
    row: &C,
    at: usize,
) -> Result<(Option<User>, bool)> {
    let revoked = row.int(at)? > 0;
    let user = match row.opt_text(at + 1)? {
        Some(_) => Some(rows::user_at(row, at + 1)?),
        None => None,
    };
    Ok((user, revoked))
}

/// The validity read's row: the revocation count, then the user's id, block and deletion
/// flags and sessions-ended instant (all NULL when the user is not in the pool).
pub(crate) fn session_validity_row<C: Cols + ?Sized>(
    row: &C,
) -> Result<(Option<SessionValidity>, bool)> {
    session_validity_at(row, 0)
}

/// [`session_validity_row`] from column `at` on.
pub(crate) fn session_validity_at<C: Cols + ?Sized>(
    row: &C,
    at: usize,
) -> Result<(Option<SessionValidity>, bool)> {
    let revoked = row.int(at)? > 0;
    let validity = match row.opt_text(at + 1)? {
        Some(_) => Some(SessionValidity {
            blocked: row.flag(at + 2)?,
            is_deleted: row.flag(at + 3)?,
            tokens_valid_after: row.int(at + 4)?,
        }),
        None => None,
    };
    Ok((validity, revoked))
}

/// [`SESSION_USER_SQL`] with only the columns that decide a session's validity.
pub(crate) const SESSION_VALIDITY_SQL: &str =
    "SELECT (SELECT COUNT(*) FROM revoked_tokens WHERE jti = $3) AS revoked_count, u.id, \
     u.blocked, u.is_deleted, u.tokens_valid_after \
     FROM (SELECT 1 AS one) AS one LEFT JOIN users u ON u.pool_id = $1 AND u.id = $2";

/// The application and its pool in one statement (`rows::APP_AND_POOL_COLUMNS`).
pub(crate) static APP_AND_POOL_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {} FROM applications a LEFT JOIN user_pools p ON p.id = a.pool_id \
             WHERE a.id = $1",
        rows::APP_AND_POOL_COLUMNS
    )
});

/// A session's user and its token's revocation in one statement that returns one row
/// whether or not the user exists: the revocation is always answered.
pub(crate) static SESSION_USER_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT (SELECT COUNT(*) FROM revoked_tokens WHERE jti = $3) AS revoked_count, {} \
             FROM (SELECT 1 AS one) AS one LEFT JOIN users u ON u.pool_id = $1 AND u.id = $2",
        prefixed(rows::USER_COLUMNS, "u")
    )
});

/// [`APP_AND_POOL_SQL`] and [`SESSION_VALIDITY_SQL`] as one statement, whose one row always
/// comes (the application's and pool's columns NULL when the application is missing): the
/// SQLite read path's request read without `BEGIN` and `COMMIT` around two statements. One
/// statement reads one snapshot, so the answer is the same; parameters `$1`–`$3` as in the
/// session read, `$4` the application.
pub(crate) static APP_POOL_SESSION_VALIDITY_SQL: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| {
        format!(
            "SELECT {}, (SELECT COUNT(*) FROM revoked_tokens WHERE jti = $3) AS revoked_count, \
                 u.id, u.blocked, u.is_deleted, u.tokens_valid_after {APP_POOL_SESSION_FROM}",
            rows::APP_AND_POOL_COLUMNS
        )
    });

/// [`APP_AND_POOL_SQL`] and [`SESSION_USER_SQL`] as one statement, like
/// [`APP_POOL_SESSION_VALIDITY_SQL`].
pub(crate) static APP_POOL_SESSION_USER_SQL: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| {
        format!(
            "SELECT {}, (SELECT COUNT(*) FROM revoked_tokens WHERE jti = $3) AS revoked_count, \
                 {} {APP_POOL_SESSION_FROM}",
            rows::APP_AND_POOL_COLUMNS,
            prefixed(rows::USER_COLUMNS, "u")
        )
    });

/// The joins of the one-statement request reads: every join is a primary-key lookup.
const APP_POOL_SESSION_FROM: &str = "FROM (SELECT 1 AS one) AS one \
     LEFT JOIN applications a ON a.id = $4 LEFT JOIN user_pools p ON p.id = a.pool_id \
     LEFT JOIN users u ON u.pool_id = $1 AND u.id = $2";

pub(crate) const REVOKED_SQL: &str = "SELECT 1 FROM revoked_tokens WHERE jti = $1";

pub(crate) static IDENTITIES_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {} FROM external_identities WHERE pool_id = $1 AND user_id = $2 \
         ORDER BY created_at, id",
        rows::IDENTITY_COLUMNS
    )
});

pub(crate) const UDF_DEFINITIONS_SQL: &str =
    "SELECT pool_id, target_type, key, data_type, label, options \
    FROM udf_definitions WHERE pool_id = $1 AND target_type = $2 ORDER BY created_at, key";

/// The columns of `list` qualified with `alias.`.
fn prefixed(list: &str, alias: &str) -> String {
    list.split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) enum LookupKey<'a> {
    One(&'a str),
    Two(&'a str, &'a str),
}

/// `find_user`'s statements, one per kind of lookup (in [`find_user_sql`]'s order).
pub(crate) static FIND_USER_SQL: std::sync::LazyLock<[String; 5]> =
    std::sync::LazyLock::new(|| {
        [
            "id = $2",
            "email_key = $2",
            "username = $2",
            "external_id = $2",
            "phone_country_code = $2 AND phone = $3",
        ]
        .map(|condition| {
            format!(
                "SELECT {} FROM users WHERE pool_id = $1 AND {condition}",
                rows::USER_COLUMNS
            )
        })
    });

/// Which of [`FIND_USER_SQL`] a lookup runs, and the values it binds after the pool id.
pub(crate) fn find_user_sql(by: UserLookup<'_>) -> (usize, LookupKey<'_>) {
    let (i, key) = match by {
        UserLookup::Id(id) => (0, LookupKey::One(id)),
        UserLookup::Email(key) => (1, LookupKey::One(key)),
        UserLookup::Username(u) => (2, LookupKey::One(u)),
        UserLookup::ExternalId(x) => (3, LookupKey::One(x)),
        UserLookup::Phone {
            country_code,
            number,
        } => (4, LookupKey::Two(country_code, number)),
    };
    (i, key)
}
