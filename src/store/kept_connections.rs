//! The request path's reads, on connections the store keeps checked out of sqlx's pool.
//!
//! sqlx's pool pings every connection on its way back (the `PoolConnection` drop spawns a task
//! that sends a ping, then releases it): on SQLite a second hand-off to the connection's worker
//! thread and back after every query, on PostgreSQL a second round trip to the server. For the
//! reads every SOAP request makes (the sign-in state, a serology operation's read with its
//! titolare) that was half of what the store cost a request. [`KeptConnections`] lends
//! connections it keeps out of the pool (at most `keep` of them, taken from the pool as
//! needed, as the access-log writer keeps its own) and takes each back without a ping when its
//! statement ran to its end without an error. One whose statement failed or was abandoned (a
//! request cancelled half-way) goes back to the pool, which pings it (and closes it if the ping
//! fails) as before; so does any connection beyond `keep`, or kept longer than
//! [`KEEP_AT_MOST`] (the pool then closes one past its own `max_lifetime`).
//!
//! Only single statements run here, never a transaction: each executor call leases a
//! connection for the one statement and returns it, so nothing of a statement outlives it on
//! the connection. [`KeptConnections::close`] gives every kept connection back, so that the
//! pool can close.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_core::future::BoxFuture;
use futures_core::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::pool::PoolConnection;
use sqlx::Describe;
use sqlx::{Database, Either, Error, Execute, Executor, Pool};

/// How long a connection stays kept before it goes back to the pool (sqlx's default
/// `max_lifetime` is 30 minutes; the pool then closes it and opens another when needed).
pub const KEEP_AT_MOST: Duration = Duration::from_secs(30 * 60);

/// A kept connection, with when it was taken from the pool.
type Kept<DB> = (Instant, PoolConnection<DB>);

/// One result of a statement, as sqlx's executors stream them.
type Step<DB> = Result<Either<<DB as Database>::QueryResult, <DB as Database>::Row>, Error>;

/// The pool, and the connections kept out of it for the request path's reads.
pub struct KeptConnections<DB: Database> {
    inner: Arc<Inner<DB>>,
}

struct Inner<DB: Database> {
    pool: Pool<DB>,
    keep: usize,
    /// Idle kept connections, each with when it was taken from the pool; `None` once closed
    /// (nothing is kept any more, so that the pool can close).
    idle: Mutex<Option<Vec<Kept<DB>>>>,
}

impl<DB: Database> Clone for KeptConnections<DB> {
    fn clone(&self) -> Self {
        KeptConnections {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<DB: Database> fmt::Debug for KeptConnections<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeptConnections")
            .field("keep", &self.inner.keep)
            .finish_non_exhaustive()
    }
}

impl<DB: Database> KeptConnections<DB> {
    /// Keeps at most `keep` connections of `pool` for reads.
    pub fn new(pool: Pool<DB>, keep: usize) -> KeptConnections<DB> {
        KeptConnections {
            inner: Arc::new(Inner {
                pool,
                keep,
                idle: Mutex::new(Some(Vec::with_capacity(keep))),
            }),
        }
    }

    /// The pool, for what does not run here (writes, transactions).
    pub fn pool(&self) -> &Pool<DB> {
        &self.inner.pool
    }

    /// How many connections are kept idle now (tests look at it).
    pub fn idle(&self) -> usize {
        self.inner
            .idle
            .lock()
            .map_or(0, |idle| idle.as_ref().map_or(0, Vec::len))
    }

    /// Gives every kept connection back to the pool and keeps none from now on (the pool can
    /// then close: it waits for every connection to come back).
    pub fn close(&self) {
        let idle = match self.inner.idle.lock() {
            Ok(mut idle) => idle.take(),
            Err(_) => return,
        };
        drop(idle);
    }

    /// A kept connection, or one from the pool; with when it was taken from the pool. Dropped
    /// rather than given to [`KeptConnections::take_back`], it goes back to the pool.
    async fn lease(&self) -> Result<Kept<DB>, Error> {
        let kept = self
            .inner
            .idle
            .lock()
            .ok()
            .and_then(|mut idle| idle.as_mut()?.pop());
        match kept {
            Some(kept) => Ok(kept),
            None => Ok((Instant::now(), self.inner.pool.acquire().await?)),
        }
    }

    /// Keeps `conn`, whose statement ran to its end without error, if there is room and it may
    /// stay; otherwise it goes back to the pool.
    fn take_back(&self, since: Instant, conn: PoolConnection<DB>) {
        if since.elapsed() >= KEEP_AT_MOST {
            return;
        }
        let Ok(mut idle) = self.inner.idle.lock() else {
            return;
        };
        if let Some(idle) = idle.as_mut().filter(|idle| idle.len() < self.inner.keep) {
            idle.push((since, conn));
        }
    }
}

impl<'p, DB: Database> Executor<'p> for &'_ KeptConnections<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    type Database = DB;

    /// Runs the statement to its end and hands its results over (the reads here are a few
    /// rows, or the short lists of one titolare).
    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Step<DB>>
    where
        E: 'q + Execute<'q, DB>,
    {
        let kept = self.clone();
        Box::pin(
            futures_util::stream::once(async move {
                let (since, mut conn) = kept.lease().await?;
                let results: Vec<Step<DB>> = (&mut *conn).fetch_many(query).collect().await;
                if results.iter().all(Result::is_ok) {
                    kept.take_back(since, conn);
                }
                Ok::<_, Error>(futures_util::stream::iter(results))
            })
            .try_flatten(),
        )
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<DB::Row>, Error>>
    where
        E: 'q + Execute<'q, DB>,
    {
        let kept = self.clone();
        Box::pin(async move {
            let (since, mut conn) = kept.lease().await?;
            let row = (&mut *conn).fetch_optional(query).await?;
            kept.take_back(since, conn);
            Ok(row)
        })
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [DB::TypeInfo],
    ) -> BoxFuture<'e, Result<DB::Statement<'q>, Error>> {
        let pool = self.inner.pool.clone();
        Box::pin(async move { pool.acquire().await?.prepare_with(sql, parameters).await })
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<DB>, Error>> {
        let pool = self.inner.pool.clone();
        Box::pin(async move { pool.acquire().await?.describe(sql).await })
    }
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqlitePoolOptions;
    use sqlx::Sqlite;

    use super::*;

    async fn kept(keep: usize) -> KeptConnections<Sqlite> {
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect("sqlite::memory:")
            .await
            .expect("pool");
        KeptConnections::new(pool, keep)
    }

    #[tokio::test]
    async fn a_statement_that_ran_to_its_end_leaves_its_connection_kept() {
        let kept = kept(2).await;
        assert_eq!(kept.idle(), 0);
        let one: i64 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&kept)
            .await
            .expect("one");
        assert_eq!((one, kept.idle()), (1, 1));
        // The kept connection serves the next statement: still one, for any kind of read.
        let rows: Vec<i64> = sqlx::query_scalar("SELECT 1 UNION ALL SELECT 2")
            .fetch_all(&kept)
            .await
            .expect("rows");
        assert_eq!((rows, kept.idle()), (vec![1, 2], 1));
        assert_eq!(kept.pool().size(), 1, "one connection opened in all");
    }

    #[tokio::test]
    async fn a_failed_statement_gives_its_connection_back_to_the_pool() {
        let kept = kept(2).await;
        assert!(sqlx::query("SELECT * FROM no_such_table")
            .fetch_optional(&kept)
            .await
            .is_err());
        assert!(sqlx::query("SELECT * FROM no_such_table")
            .fetch_all(&kept)
            .await
            .is_err());
        assert_eq!(kept.idle(), 0);
    }

    #[tokio::test]
    async fn no_more_than_keep_are_kept() {
        let kept = kept(2).await;
        let reads = (0..4).map(|_| {
            let kept = kept.clone();
            async move {
                // Each holds its connection until all four have one.
                sqlx::query_scalar::<_, i64>(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
                     WHERE i < 20000) SELECT COUNT(*) FROM n",
                )
                .fetch_one(&kept)
                .await
            }
        });
        for read in futures_util::future::join_all(reads).await {
            assert_eq!(read.expect("read"), 20000);
        }
        let opened = usize::try_from(kept.pool().size()).expect("a few");
        assert_eq!(kept.idle(), opened.min(2), "{opened} opened");
    }

    #[tokio::test]
    async fn closing_gives_every_kept_connection_back_so_the_pool_closes() {
        let kept = kept(2).await;
        sqlx::query("SELECT 1")
            .execute(&kept)
            .await
            .expect("select");
        assert_eq!(kept.idle(), 1);
        kept.close();
        assert_eq!(kept.idle(), 0);
        // Nothing is kept after the close either.
        sqlx::query("SELECT 1")
            .execute(&kept)
            .await
            .expect("select");
        assert_eq!(kept.idle(), 0);
        // Would wait for ever for a connection still kept.
        kept.pool().close().await;
        assert!(kept.pool().is_closed());
    }
}
