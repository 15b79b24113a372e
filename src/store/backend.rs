//! What the query code shared by both backends needs from one: the sqlx traits for the value
//! types it binds and reads, and how a write transaction begins. Each concern implements its
//! trait once, for `Pool<DB>` with `DB: Backend`, and the same code serves SQLite and
//! PostgreSQL (the SQL is written with `$n` parameters, which SQLite also reads; the generated
//! multi-row INSERTs use each backend's own, [`Backend::push_parameter`]).
//!
//! Rust does not carry a trait's `where` clauses to its users, so each of those impls repeats
//! the bounds of [`Backend`]'s documentation; the compiler checks them once per backend.

use sqlx::postgres::PgQueryResult;
use sqlx::query::Query;
use sqlx::sqlite::SqliteQueryResult;
use sqlx::{Database, Executor, IntoArguments, Pool, Postgres, Sqlite, Transaction};

use super::StoreError;

/// A database the store runs on. The shared implementations also require, for `DB: Backend`:
///
/// ```text
/// for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
/// for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
/// for<'q> &'q str / String / i64 / bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
/// usize: ColumnIndex<DB::Row>,
/// ```
pub trait Backend: Database {
    /// How a write transaction begins: SQLite takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so a transaction waits for it instead of failing half-way.
    const BEGIN_WRITE: &'static str;

    /// How many rows a statement changed (sqlx has no backend-neutral accessor).
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// What follows the columns of a table keyed by its primary key: SQLite's `WITHOUT
    /// ROWID` makes the key's B-tree the table itself, instead of an index beside a rowid
    /// table that every row is written to twice.
    const KEYED_TABLE: &'static str;

    /// Whether `GROUP BY` sorts the rows to group them (SQLite has no hash aggregate): a
    /// million rows in a few groups are then better summed some other way.
    const GROUP_BY_SORTS: bool;

    /// What a connection taken for a bulk job (a MIUR file's staging) runs first. SQLite: small
    /// page caches, as the job reads each page once in key order (the connection's usual 64 MiB
    /// would fill with pages never read again, and grow the job's memory with its file); its
    /// temporary tables' pages beyond 8 MiB go to a temporary file the OS caches. These bound
    /// the job's memory only because each connection's page cache is its own: SQLite is built
    /// without `SQLITE_ENABLE_MEMORY_MANAGEMENT` (`.cargo/config.toml`), which would pool every
    /// connection's cache up to the sum of their sizes.
    const BULK_CONNECTION: &'static [&'static str];

    /// Appends the `n`th (from 1) parameter of a generated statement.
    fn push_parameter(sql: &mut String, n: usize);
}

impl Backend for Sqlite {
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const KEYED_TABLE: &'static str = " WITHOUT ROWID";
    const GROUP_BY_SORTS: bool = true;
    const BULK_CONNECTION: &'static [&'static str] = &[
        "PRAGMA main.cache_size = -16384",
        "PRAGMA temp.cache_size = -8192",
    ];

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    /// `?`, not `$n`: sqlx binds each named parameter by asking SQLite its name, which SQLite
    /// finds by a linear scan of all the statement's names; with thousands of `$n` in a
    /// multi-row INSERT that made binding quadratic (a million-row registry import took 165 s,
    /// 94% of it in `sqlite3_bind_parameter_name`). Anonymous `?` are bound in order.
    fn push_parameter(sql: &mut String, _n: usize) {
        sql.push('?');
    }
}

impl Backend for Postgres {
    const BEGIN_WRITE: &'static str = "BEGIN";
    const KEYED_TABLE: &'static str = "";
    const GROUP_BY_SORTS: bool = false;
    const BULK_CONNECTION: &'static [&'static str] = &[];

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    fn push_parameter(sql: &mut String, n: usize) {
        sql.push('$');
        sql.push_str(&n.to_string());
    }
}

/// Rows per multi-row INSERT: at most 10 binds a row, under both backends' limits.
const CHUNK: usize = 1000;

/// Begins a write transaction.
pub(crate) async fn begin<DB: Backend>(
    pool: &Pool<DB>,
    context: &'static str,
) -> Result<Transaction<'static, DB>, StoreError> {
    pool.begin_with(DB::BEGIN_WRITE)
        .await
        .map_err(StoreError::query(context))
}

/// A query whose arguments live as long as its SQL text.
pub(crate) type Statement<'q, DB> = Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// A multi-row INSERT: the statement up to `VALUES`, how many values a row has, and what
/// follows the rows (e.g. `ON CONFLICT …`, or nothing).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Insert {
    pub into: &'static str,
    pub columns: usize,
    pub suffix: &'static str,
}

/// Inserts `rows` with `insert` in one transaction, [`CHUNK`] rows a statement; `bind` binds
/// one row's values.
pub(crate) async fn insert_chunked<DB, T>(
    pool: &Pool<DB>,
    context: &'static str,
    rows: &[T],
    insert: Insert,
    bind: impl for<'q> Fn(Statement<'q, DB>, &'q T) -> Statement<'q, DB>,
) -> Result<(), StoreError>
where
    DB: Backend,
    T: Sync,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let mut tx = begin(pool, context).await?;
    insert_rows(&mut tx, context, rows, insert, bind).await?;
    tx.commit().await.map_err(StoreError::query(context))
}

/// Inserts `rows` with `insert` on `conn`, [`CHUNK`] rows a statement; `bind` binds one row's
/// values.
///
/// The statement text is built here rather than with sqlx's `QueryBuilder`, whose arguments
/// cannot outlive the builder in code generic over the backend.
pub(crate) async fn insert_rows<DB, T>(
    conn: &mut DB::Connection,
    context: &'static str,
    rows: &[T],
    insert: Insert,
    bind: impl for<'q> Fn(Statement<'q, DB>, &'q T) -> Statement<'q, DB>,
) -> Result<(), StoreError>
where
    DB: Backend,
    T: Sync,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    for chunk in rows.chunks(CHUNK) {
        let sql = values_statement::<DB>(insert, chunk.len());
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = bind(query, row);
        }
        query
            .execute(&mut *conn)
            .await
            .map_err(StoreError::query(context))?;
    }
    Ok(())
}

/// `into VALUES ($1, $2), ($3, $4) suffix` for `rows` rows (`(?, ?), (?, ?)` on SQLite).
fn values_statement<DB: Backend>(insert: Insert, rows: usize) -> String {
    let Insert {
        into,
        columns,
        suffix,
    } = insert;
    let mut sql = String::with_capacity(into.len() + suffix.len() + rows * columns * 7);
    sql.push_str(into);
    sql.push_str(" VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            DB::push_parameter(&mut sql, row * columns + column + 1);
        }
        sql.push(')');
    }
    sql.push_str(suffix);
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSERT: Insert = Insert {
        into: "INSERT INTO t (a, b)",
        columns: 2,
        suffix: " ON CONFLICT DO NOTHING",
    };

    #[test]
    fn values_are_numbered_row_after_row_on_postgres() {
        assert_eq!(
            values_statement::<Postgres>(INSERT, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING"
        );
    }

    #[test]
    fn values_are_anonymous_on_sqlite() {
        assert_eq!(
            values_statement::<Sqlite>(INSERT, 2),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) ON CONFLICT DO NOTHING"
        );
    }
}
