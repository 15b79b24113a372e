//! The single writer of the access log, committing in batches (group commit).
//!
//! Chaining needs one writer: each entry's hash depends on the previous one. Rather than have
//! every request wait for its own commit (one fsync each), requests queue their entries; the
//! writer task takes everything queued at once, chains it, commits it in one transaction, and
//! only then acknowledges each request, which sends its reply after that. Under load many
//! requests share one commit; idle, an entry is committed as soon as it arrives.
//!
//! Between the two, at a moderate rate, a commit finishes before the next entry arrives, so
//! each commit (its fsync and the thread wake-ups around it) would be paid by one or two
//! requests. With a [`BatchDelay`] the writer waits a bounded time for more entries before
//! committing a small batch while entries are arriving; never when the batch is already
//! large, never beyond the bound, and nothing is acknowledged before its commit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::access_log::truncate_to_millis;
use super::{
    AccessLogEntry, Appender, ChainedEntry, PendingWrite, Store, StoreError, TransactionWrite,
};

/// Queue length: past this, `record` waits (back-pressure) instead of piling up memory.
const QUEUE_CAPACITY: usize = 8192;

/// How long the writer may hold a small batch open for more entries, and when it does not.
///
/// The writer waits only when the batch it took is smaller than [`BatchDelay::enough`] and the
/// previous entry arrived no longer than `bound` before the batch's first (entries are
/// arriving: idle, an entry is committed at once). It then waits until `bound` after it took
/// the batch's first entry, until the batch holds `enough` entries, or until shutdown, whichever
/// comes first. A wait that gathered nothing (a caller that sends its next request only after
/// this reply, say) turns waiting off for the next [`SKIPPED_AFTER_FRUITLESS`] batches, so such
/// a caller pays it once in that many requests, not on every one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchDelay {
    /// The longest a batch is held open, from when its first entry was taken. Zero: never.
    /// tokio's timer counts whole milliseconds: a wait ends within one more millisecond.
    pub bound: Duration,
    /// A batch of this many entries is committed at once: the queue is already large.
    pub enough: usize,
}

impl BatchDelay {
    /// No waiting: every batch is committed as soon as it is taken.
    pub const NONE: BatchDelay = BatchDelay {
        bound: Duration::ZERO,
        enough: 1,
    };

    /// Waits up to `bound` for small batches, committing at once from [`DEFAULT_ENOUGH`]
    /// entries.
    pub fn up_to(bound: Duration) -> BatchDelay {
        BatchDelay {
            bound,
            enough: DEFAULT_ENOUGH,
        }
    }
}

/// Entries from which a batch is committed without waiting: at this size the fixed cost of a
/// commit is already shared thin, and waiting would only add latency.
pub const DEFAULT_ENOUGH: usize = 16;

/// Batches committed without waiting after a wait that gathered nothing.
pub const SKIPPED_AFTER_FRUITLESS: u32 = 16;

/// Why an entry was not recorded. The request that produced it must not be answered as if it
/// had been: the gateway replies with an error instead.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RecordError {
    /// The batch holding the entry failed to commit; nothing of it was stored.
    #[error("the access-log entry was not committed")]
    CommitFailed(#[source] Arc<StoreError>),
    /// The writer has shut down (or stopped) and takes no more entries.
    #[error("the access-log writer is not running")]
    Stopped,
}

/// Counters of the writer's work, for metrics and for tests of the grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriterStats {
    /// Transactions committed.
    pub batches: u64,
    /// Entries committed.
    pub entries: u64,
    /// Batches whose commit failed (their entries were refused).
    pub failed_batches: u64,
    /// Batches that lost the race for the head to another writer (another gateway on the same
    /// database, or the command line) and were appended again under the chain's lock.
    pub lost_races: u64,
}

#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    entries: AtomicU64,
    failed_batches: AtomicU64,
    lost_races: AtomicU64,
}

// Entries travel by value: boxing them would cost an allocation per request to shrink a
// variant (Shutdown) sent once.
#[allow(clippy::large_enum_variant)]
enum Message {
    Record {
        entry: AccessLogEntry,
        /// What the transaction writes besides its entry, committed with it.
        write: Option<TransactionWrite>,
        ack: oneshot::Sender<Result<i64, RecordError>>,
    },
    Shutdown,
}

/// A handle to queue entries; cheap to clone, one per request handler if need be.
#[derive(Clone)]
pub struct AccessLogWriter {
    tx: mpsc::Sender<Message>,
    counters: Arc<Counters>,
}

/// Owns the writer task; [`WriterHandle::shutdown`] drains and stops it.
pub struct WriterHandle {
    tx: mpsc::Sender<Message>,
    task: JoinHandle<()>,
}

impl AccessLogWriter {
    /// Starts the single writer task. Reads the chain head from the store at start, so the
    /// chain continues across restarts. `max_batch` caps the entries of one transaction. Every
    /// batch is committed as soon as it is taken ([`BatchDelay::NONE`]).
    pub async fn start(
        store: Arc<dyn Store>,
        max_batch: usize,
    ) -> Result<(AccessLogWriter, WriterHandle), StoreError> {
        AccessLogWriter::start_with(store, max_batch, BatchDelay::NONE).await
    }

    /// [`AccessLogWriter::start`], holding small batches open as `delay` says.
    pub async fn start_with(
        store: Arc<dyn Store>,
        max_batch: usize,
        delay: BatchDelay,
    ) -> Result<(AccessLogWriter, WriterHandle), StoreError> {
        let head = store.access_log().head().await?.unwrap_or((0, [0; 32]));
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let counters = Arc::new(Counters::default());
        let task = Task {
            store,
            rx,
            max_batch: max_batch.max(1),
            delay,
            last_arrival: None,
            skip_delays: 0,
            head: Some(head),
            appender: None,
            contended_until: None,
            counters: counters.clone(),
        };
        let task = tokio::spawn(task.run());
        Ok((
            AccessLogWriter {
                tx: tx.clone(),
                counters,
            },
            WriterHandle { tx, task },
        ))
    }

    /// Queues `entry` and resolves only after it is committed, with its seq (or with an error
    /// if the commit failed): the gateway sends its reply after this.
    pub async fn record(&self, entry: AccessLogEntry) -> Result<i64, RecordError> {
        self.record_with(entry, None).await
    }

    /// Like [`AccessLogWriter::record`], and `write` (the data the transaction produced: a test
    /// sent, a daily count) is committed in the same transaction as the entry, keyed by the
    /// entry's transaction id and time.
    pub async fn record_with(
        &self,
        entry: AccessLogEntry,
        write: Option<TransactionWrite>,
    ) -> Result<i64, RecordError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Message::Record { entry, write, ack })
            .await
            .map_err(|_| RecordError::Stopped)?;
        done.await.map_err(|_| RecordError::Stopped)?
    }

    /// Entries waiting in the queue (not yet taken into a batch): a gauge for metrics.
    pub fn queued(&self) -> usize {
        QUEUE_CAPACITY.saturating_sub(self.tx.capacity())
    }

    /// What the writer has done so far.
    pub fn stats(&self) -> WriterStats {
        WriterStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            entries: self.counters.entries.load(Ordering::Relaxed),
            failed_batches: self.counters.failed_batches.load(Ordering::Relaxed),
            lost_races: self.counters.lost_races.load(Ordering::Relaxed),
        }
    }
}

impl WriterHandle {
    /// Stops taking entries, commits everything already queued, and waits for the task to end.
    pub async fn shutdown(self) {
        // Queued behind pending entries, so everything sent before it is still committed. If
        // the task is already gone there is nothing left to drain.
        let _ = self.tx.send(Message::Shutdown).await;
        drop(self.tx);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the access-log writer task ended abnormally");
        }
    }
}

struct Task {
    store: Arc<dyn Store>,
    rx: mpsc::Receiver<Message>,
    max_batch: usize,
    delay: BatchDelay,
    /// When the last entry was taken from the queue: entries are arriving if it was lately.
    last_arrival: Option<Instant>,
    /// Batches still to commit without waiting, after a wait that gathered nothing.
    skip_delays: u32,
    /// Seq and hash of the last committed entry; `None` after a failure to re-read it.
    head: Option<(i64, [u8; 32])>,
    /// The store connection this writer keeps for its commits (see [`super::AccessLog::appender`]);
    /// `None` until taken, after a failure, or when the store has none to give.
    appender: Option<Box<dyn Appender>>,
    /// Until when this writer appends under the chain's lock straight away: another writer
    /// took the head from it lately (see [`CONTENDED_FOR`]).
    contended_until: Option<Instant>,
    counters: Arc<Counters>,
}

/// How long after losing the race for the head a writer appends under the chain's lock without
/// trying the head it knows first: while several gateways append at once, the head it knows is
/// usually stale, and each try lost is a statement that fails.
const CONTENDED_FOR: Duration = Duration::from_secs(1);

type Ack = oneshot::Sender<Result<i64, RecordError>>;

/// What one transaction will commit: entries, the data some of them write, and who waits.
struct Batch {
    entries: Vec<AccessLogEntry>,
    writes: Vec<PendingWrite>,
    acks: Vec<Ack>,
}

impl Task {
    async fn run(mut self) {
        let mut batch = Batch {
            entries: Vec::with_capacity(self.max_batch),
            writes: Vec::new(),
            acks: Vec::with_capacity(self.max_batch),
        };
        // Ends once the channel is closed (shutdown) and drained, or every sender is gone.
        while let Some(first) = self.rx.recv().await {
            let taken_at = Instant::now();
            let arriving = self
                .last_arrival
                .is_some_and(|last| taken_at.duration_since(last) <= self.delay.bound);
            self.take(first, &mut batch);
            self.take_queued(&mut batch);
            if batch.entries.is_empty() {
                continue;
            }
            if self.skip_delays > 0 {
                self.skip_delays -= 1;
            } else if arriving && self.is_small(&batch) && !self.rx.is_closed() {
                let taken = batch.entries.len();
                self.wait_for_more(&mut batch, taken_at + self.delay.bound)
                    .await;
                if batch.entries.len() == taken {
                    self.skip_delays = SKIPPED_AFTER_FRUITLESS;
                }
            }
            self.commit(&mut batch).await;
        }
    }

    /// Takes whatever is queued, up to the batch's bound, without waiting.
    fn take_queued(&mut self, batch: &mut Batch) {
        while batch.entries.len() < self.max_batch {
            match self.rx.try_recv() {
                Ok(message) => self.take(message, batch),
                Err(_) => break,
            }
        }
    }

    /// Whether `batch` is small enough to hold open for more entries.
    fn is_small(&self, batch: &Batch) -> bool {
        !self.delay.bound.is_zero() && batch.entries.len() < self.delay.enough.min(self.max_batch)
    }

    /// Takes entries as they arrive until `deadline`, until the batch is no longer small, or
    /// until shutdown (the queue closed: what is in it is taken, and nothing more comes).
    async fn wait_for_more(&mut self, batch: &mut Batch, deadline: Instant) {
        let deadline = tokio::time::Instant::from_std(deadline);
        while self.is_small(batch) && !self.rx.is_closed() {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(message)) => {
                    self.take(message, batch);
                    self.take_queued(batch);
                }
                // Every sender is gone, or the bound is reached.
                Ok(None) | Err(_) => break,
            }
        }
        // A shutdown during the wait: what was queued before it joins this batch.
        self.take_queued(batch);
    }

    fn take(&mut self, message: Message, batch: &mut Batch) {
        match message {
            Message::Record { entry, write, ack } => {
                self.last_arrival = Some(Instant::now());
                if let Some(write) = write {
                    batch.writes.push(PendingWrite {
                        transaction_id: entry.transaction_id.clone(),
                        at: truncate_to_millis(entry.at),
                        write,
                    });
                }
                batch.entries.push(entry);
                batch.acks.push(ack);
            }
            // Refuse new entries; those already queued are still received and committed.
            Message::Shutdown => self.rx.close(),
        }
    }

    /// Chains and commits one batch, then answers each of its callers.
    async fn commit(&mut self, batch: &mut Batch) {
        let entries = std::mem::take(&mut batch.entries);
        if self.appender.is_none() {
            match self.store.access_log().appender().await {
                Ok(appender) => self.appender = appender,
                Err(error) => {
                    tracing::warn!(%error, "the access-log writer commits through the pool for now");
                }
            }
        }
        let result = append_at_head_on(
            self.store.as_ref(),
            &mut self.appender,
            &mut self.head,
            entries,
            &batch.writes,
            &mut self.contended_until,
            &self.counters.lost_races,
        )
        .await;
        if result.is_err() {
            // Whatever failed, the next batch starts on a connection the pool has checked.
            self.appender = None;
        }
        batch.writes.clear();
        let acks = &mut batch.acks;

        match result {
            Ok(first_seq) => {
                self.counters.batches.fetch_add(1, Ordering::Relaxed);
                self.counters
                    .entries
                    .fetch_add(acks.len() as u64, Ordering::Relaxed);
                for (ack, seq) in acks.drain(..).zip(first_seq..) {
                    // A caller that went away still had its entry committed; nothing to do.
                    let _ = ack.send(Ok(seq));
                }
            }
            Err(error) => {
                tracing::error!(%error, entries = acks.len(), "committing access-log entries failed");
                self.counters.failed_batches.fetch_add(1, Ordering::Relaxed);
                let error = Arc::new(error);
                for ack in acks.drain(..) {
                    let _ = ack.send(Err(RecordError::CommitFailed(error.clone())));
                }
            }
        }
    }
}

/// How many times [`append_at_head`] chains a batch again after another writer took its seqs,
/// when the store offers no serialized append (see [`Appender::append_serialized`]): each loss
/// means another writer's batch went in, so this bounds a contention, not a failure.
const CHAIN_ATTEMPTS: u64 = 64;

/// Chains `entries` onto the head of the log and appends them, with `writes`, in one
/// transaction; returns the first entry's seq. `head` caches the head between calls (`None`:
/// read it from the store) and is kept current.
///
/// A gateway's writer is the only writer of its process, but the command line appends from its
/// own (an administrative action while the gateway runs), and several gateways share one
/// PostgreSQL database. Each chains onto the head it knows, and the database refuses a seq
/// already taken. The batch that lost the race is then appended with the head read under the
/// chain's lock ([`Appender::append_serialized`]), which cannot lose: retried optimistically,
/// a writer could lose to another that kept winning, over and over (measured through two
/// gateways at 11,000 requests/s, 64 times in a row). The chain stays one line. A conflict while
/// the head did not move is another key (a transaction's data) and fails the batch.
pub async fn append_at_head(
    store: &dyn Store,
    head: &mut Option<(i64, [u8; 32])>,
    entries: Vec<AccessLogEntry>,
    writes: &[PendingWrite],
) -> Result<i64, StoreError> {
    let lost_races = AtomicU64::new(0);
    append_at_head_on(
        store,
        &mut None,
        head,
        entries,
        writes,
        &mut None,
        &lost_races,
    )
    .await
}

/// [`append_at_head`], committing on `appender` when there is one (the writer's own
/// connection), else through the store's pool; until `contended_until`, straight away under the
/// chain's lock. A race lost is counted in `lost_races` and moves `contended_until`.
async fn append_at_head_on(
    store: &dyn Store,
    appender: &mut Option<Box<dyn Appender>>,
    head: &mut Option<(i64, [u8; 32])>,
    mut entries: Vec<AccessLogEntry>,
    writes: &[PendingWrite],
    contended_until: &mut Option<Instant>,
    lost_races: &AtomicU64,
) -> Result<i64, StoreError> {
    if contended_until.is_some_and(|until| Instant::now() < until) {
        if let Some(first) = append_under_lock(store, appender, head, &entries, writes).await? {
            return Ok(first);
        }
    }
    let mut attempt = 1;
    loop {
        let known = match *head {
            Some(known) => known,
            None => {
                let read = store.access_log().head().await?.unwrap_or((0, [0; 32]));
                *head = Some(read);
                read
            }
        };
        let chained = ChainedEntry::chain_onto(known, entries.drain(..));
        let appended = match appender.as_deref_mut() {
            Some(appender) => appender.append_with(&chained, writes).await,
            None => store.access_log().append_with(&chained, writes).await,
        };
        match appended {
            Ok(()) => {
                *head = Some(ChainedEntry::head_after(known, &chained));
                return Ok(known.0 + 1);
            }
            Err(error) => {
                // The transaction rolled back as a whole; re-read what the store holds rather
                // than trust our copy.
                *head = None;
                if !matches!(error, StoreError::Conflict { .. }) || attempt >= CHAIN_ATTEMPTS {
                    return Err(error);
                }
                entries = chained.into_iter().map(|linked| linked.entry).collect();
                match store.access_log().head().await {
                    Ok(Some(moved)) if moved.0 != known.0 => {}
                    _ => return Err(error),
                }
                lost_races.fetch_add(1, Ordering::Relaxed);
                *contended_until = Some(Instant::now() + CONTENDED_FOR);
                tracing::debug!(
                    attempt,
                    "another writer appended to the access log first; appending under the chain's lock"
                );
                if let Some(first) =
                    append_under_lock(store, appender, head, &entries, writes).await?
                {
                    return Ok(first);
                }
                if attempt > 2 {
                    // Several writers keep colliding: spread their next tries apart.
                    let pause = rand::random_range(0..attempt.min(10));
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                }
                attempt += 1;
            }
        }
    }
}

/// Appends `entries` with the head read under the chain's lock
/// ([`Appender::append_serialized`]), on `appender` or on a connection taken for it; `None`
/// when the store offers no such append.
async fn append_under_lock(
    store: &dyn Store,
    appender: &mut Option<Box<dyn Appender>>,
    head: &mut Option<(i64, [u8; 32])>,
    entries: &[AccessLogEntry],
    writes: &[PendingWrite],
) -> Result<Option<i64>, StoreError> {
    let appended = match appender.as_deref_mut() {
        Some(appender) => appender.append_serialized(entries, writes).await,
        None => match store.access_log().appender().await? {
            Some(mut own) => own.append_serialized(entries, writes).await,
            None => return Ok(None),
        },
    };
    let (first, last) = appended?;
    *head = Some(last);
    Ok(Some(first))
}
