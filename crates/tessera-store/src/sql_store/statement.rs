//! The one dynamic-statement builder of the SQL store: text and parameters built together,
//! so placeholder numbering cannot drift. Caller values are only ever bound, never spliced
//! into the text. Two styles share it: `bind`/`bind_list` return placeholders to format into
//! the text; `push`/`text_arg`/`int_arg`/`list` append in place.

use sqlx::any::AnyRow;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::directory::Order;
use tessera_core::Result;

use super::db_err;
use crate::rows::col;

/// A parameter in placeholder order.
#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    /// A text that may be NULL.
    OptText(Option<String>),
    Int(i64),
}

pub(super) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

#[derive(Default)]
pub(super) struct Sql {
    pub(super) text: String,
    args: Vec<Arg>,
}

impl Sql {
    /// A statement whose first parameters are `binds` (`$1`, `$2`, …).
    pub(super) fn new(binds: Vec<String>) -> Sql {
        Sql {
            text: String::new(),
            args: binds.into_iter().map(Arg::Text).collect(),
        }
    }

    /// Adds a text parameter and returns its placeholder.
    pub(super) fn bind(&mut self, value: &str) -> String {
        self.args.push(Arg::Text(value.to_owned()));
        format!("${}", self.args.len())
    }

    /// Adds a text parameter that may be NULL and returns its placeholder.
    pub(super) fn bind_opt(&mut self, value: Option<&str>) -> String {
        self.args.push(Arg::OptText(value.map(str::to_owned)));
        format!("${}", self.args.len())
    }

    /// Adds an integer parameter and returns its placeholder.
    pub(super) fn bind_int(&mut self, value: i64) -> String {
        self.args.push(Arg::Int(value));
        format!("${}", self.args.len())
    }

    /// Placeholders of several text parameters, comma-separated.
    pub(super) fn bind_list(&mut self, values: &[String]) -> String {
        values
            .iter()
            .map(|v| self.bind(v))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(super) fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    pub(super) fn text_arg(&mut self, v: &str) -> &mut Self {
        let p = self.bind(v);
        self.push(&p)
    }

    pub(super) fn int_arg(&mut self, v: i64) -> &mut Self {
        self.args.push(Arg::Int(v));
        let p = format!("${}", self.args.len());
        self.push(&p)
    }

    /// `($a, $b, …)` for a non-empty list.
    pub(super) fn list(&mut self, values: &[String]) -> &mut Self {
        let list = self.bind_list(values);
        self.push(&format!("({list})"))
    }

    pub(super) fn query(&self) -> AnyQuery<'_> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.as_str()),
                Arg::OptText(s) => q.bind(s.as_deref()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }

    pub(super) async fn fetch_all(&self, pool: &sqlx::AnyPool) -> Result<Vec<AnyRow>> {
        self.query().fetch_all(pool).await.map_err(db_err)
    }
}

/// ` LIMIT n OFFSET m` of a validated page (numbers, never caller text).
pub(super) fn page_sql(p: Page) -> String {
    format!(" LIMIT {} OFFSET {}", p.limit, p.offset())
}

pub(super) fn direction(o: Order) -> &'static str {
    match o {
        Order::Oldest => "",
        Order::Newest => " DESC",
    }
}
/// `AND (…)`: a user (aliased `u`) whose username, email, phone, nickname or name contains
/// the pattern bound as `p` ([`contains_pattern`]), case-insensitively but for the phone.
pub(super) fn user_keyword_match(p: &str) -> String {
    format!(
        " AND (LOWER(COALESCE(u.username, '')) LIKE {p} ESCAPE '\\' \
         OR LOWER(COALESCE(u.email, '')) LIKE {p} ESCAPE '\\' \
         OR COALESCE(u.phone, '') LIKE {p} ESCAPE '\\' \
         OR LOWER(COALESCE(u.nickname, '')) LIKE {p} ESCAPE '\\' \
         OR LOWER(COALESCE(u.name, '')) LIKE {p} ESCAPE '\\')"
    )
}

/// A case-insensitive "contains" pattern for `LOWER(col) LIKE … ESCAPE '\'`.
pub(super) fn contains_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A `LIKE … ESCAPE '\'` pattern matching every string that starts with `prefix`.
pub(super) fn prefix_pattern(prefix: &str) -> String {
    let mut out = String::new();
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub(super) async fn count(conn: &sqlx::AnyPool, sql: &Sql) -> Result<i64> {
    let row = sql.query().fetch_one(conn).await.map_err(db_err)?;
    col::<i64>(&row, "n")
}

/// One page of the rows `filter` (`FROM … WHERE …`, its values bound in `sql`) selects, in
/// `order_by` order, and how many it selects in all: the count and the page are read with
/// the same bound values, so they describe the same rows.
pub(super) async fn fetch_page<T>(
    conn: &sqlx::AnyPool,
    sql: &mut Sql,
    columns: &str,
    filter: &str,
    order_by: &str,
    page: Page,
    map: impl Fn(&AnyRow) -> Result<T>,
) -> Result<Paged<T>> {
    sql.text = format!("SELECT COUNT(*) AS n {filter}");
    let total_count = count(conn, sql).await?;
    sql.text = format!(
        "SELECT {columns} {filter} ORDER BY {order_by}{}",
        page_sql(page)
    );
    let list = sql
        .query()
        .fetch_all(conn)
        .await
        .map_err(db_err)?
        .iter()
        .map(map)
        .collect::<Result<_>>()?;
    Ok(Paged { total_count, list })
}

/// A value a targeted update writes into one column.
pub(super) enum SetValue {
    Text(String),
    OptText(Option<String>),
    Int(i64),
}

/// `UPDATE table SET <named columns>, updated_at = … WHERE pool_id = … AND id = … RETURNING
/// <returning>`: a write of exactly the columns a change names, never a whole row read
/// earlier, so two edits of different columns of one row both survive. `table`, the column
/// names and `returning` are the caller's constants; values are bound. `updated_at` is always
/// set, so the statement is never empty.
pub(super) fn targeted_update(
    table: &str,
    sets: Vec<(&'static str, SetValue)>,
    at: i64,
    pool_id: &str,
    id: &str,
    returning: &str,
) -> Sql {
    let mut sql = Sql::default();
    let mut parts = Vec::with_capacity(sets.len() + 1);
    for (column, value) in sets {
        let p = match value {
            SetValue::Text(v) => sql.bind(&v),
            SetValue::OptText(v) => sql.bind_opt(v.as_deref()),
            SetValue::Int(v) => sql.bind_int(v),
        };
        parts.push(format!("{column} = {p}"));
    }
    parts.push(format!("updated_at = {}", sql.bind_int(at)));
    let pool = sql.bind(pool_id);
    let row = sql.bind(id);
    sql.text = format!(
        "UPDATE {table} SET {} WHERE pool_id = {pool} AND id = {row} RETURNING {returning}",
        parts.join(", ")
    );
    sql
}
