//! Group commit: concurrent writes share one transaction and one durable commit.
//!
//! A durable commit costs an fsync, and the disk does a few thousand of those a second
//! whatever they carry. So writes that arrive together are written together: a committer
//! task takes every write waiting (up to a bound), opens one transaction, runs the writes
//! one after the other, commits once, and only then answers each caller.
//!
//! A group is first written optimistically, without savepoints: most writes succeed, and a
//! savepoint costs two statements (two round trips on PostgreSQL, where more than 64 in one
//! transaction also overflow each backend's subtransaction cache and slow every snapshot).
//! When one write fails (a duplicate submission, a spoilt value), that transaction is
//! rolled back whole and the group is written again, guarded: each write inside a savepoint
//! of its own, so the failing one is rolled back to its savepoint and answered with its
//! error at once, and its neighbours are not touched. When the commit itself fails, nothing
//! of the group is durable and every caller gets the error.
//!
//! No write waits for others to arrive: a group is whatever queued while the previous
//! group was being committed, so one lone write is committed at once, and under load the
//! groups grow by themselves.
//!
//! The committer runs in a task of its own: a caller that goes away (a client that hangs
//! up, a handler's timeout) cannot leave its write half-done.
//!
//! SQLite has one writer, so it runs one committer; PostgreSQL runs a few, each with its
//! own connection, and folds their commits into shared WAL flushes itself.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::future::BoxFuture;
use tokio::sync::{Mutex, mpsc, oneshot};
use tracing::Instrument;

use super::{RequestTransaction, StoreError};

/// The savepoints a write transaction may set. Names are fixed so that no text ever
/// reaches the SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Savepoint {
    /// One write of a guarded group.
    Write,
}

impl Savepoint {
    pub(in crate::store) fn set(self) -> &'static str {
        match self {
            Savepoint::Write => "SAVEPOINT group_write",
        }
    }

    pub(in crate::store) fn release(self) -> &'static str {
        match self {
            Savepoint::Write => "RELEASE SAVEPOINT group_write",
        }
    }

    pub(in crate::store) fn roll_back(self) -> &'static str {
        match self {
            Savepoint::Write => "ROLLBACK TO SAVEPOINT group_write",
        }
    }
}

/// A write that can share a group's transaction.
#[async_trait]
pub trait Batched: Send + 'static {
    type Output: Send + 'static;

    /// Writes in `tx`, which it must neither commit nor abandon, nor set savepoints in.
    /// Once it returns `Ok`, what it wrote becomes durable with the group, and the output
    /// reaches the caller only then. It may be run more than once (its group written again,
    /// guarded, after a neighbour failed; or in a later group): only its last run counts.
    async fn write(&mut self, tx: &mut dyn RequestTransaction) -> Result<Self::Output, StoreError>;
}

/// How a committer opens its group's transaction.
pub type Begin = Arc<
    dyn Fn() -> BoxFuture<'static, Result<Box<dyn RequestTransaction>, StoreError>> + Send + Sync,
>;

/// The queue of writes and the committers that drain it.
pub struct GroupCommit {
    begin: Begin,
    committers: usize,
    max_group: usize,
    /// Started on first use, in the runtime of the caller (a store may be opened before the
    /// runtime that serves it), and again if its committers ended with their runtime.
    queue: std::sync::Mutex<Option<mpsc::Sender<Box<dyn Pending>>>>,
    stats: Arc<std::sync::Mutex<GroupStats>>,
}

/// What the groups have been so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupStats {
    /// Transactions committed (or attempted).
    pub groups: u64,
    /// Writes they held.
    pub writes: u64,
    /// The most writes one group held.
    pub largest: usize,
    /// Groups written again, guarded, because a write failed in the optimistic pass.
    pub guarded: u64,
}

/// How many times a write undone for crossing another transaction is tried again, each
/// time in a later group.
const CROSSED_ATTEMPTS: u32 = 5;

/// Writes waiting for a committer; past this, callers wait to queue theirs.
const QUEUE_BOUND: usize = 4096;

impl GroupCommit {
    /// `committers` tasks (1 for SQLite's single writer), each committing up to `max_group`
    /// writes at a time, in transactions `begin` opens.
    pub fn new(begin: Begin, committers: usize, max_group: usize) -> GroupCommit {
        GroupCommit {
            begin,
            committers: committers.max(1),
            max_group: max_group.max(1),
            queue: std::sync::Mutex::new(None),
            stats: Arc::default(),
        }
    }

    /// Writes `write` with whatever else is waiting, and returns its output once the group
    /// is durable.
    pub async fn run<B: Batched>(&self, write: B) -> Result<B::Output, StoreError> {
        let (reply, answer) = oneshot::channel();
        let mut job: Box<dyn Pending> = Box::new(Job {
            write,
            crossings: 0,
            output: None,
            reply: Some(reply),
            span: tracing::Span::current(),
        });
        // At most twice: the second time after starting committers afresh, when the ones
        // there were ended with the runtime that spawned them.
        for _ in 0..2 {
            let sender = self.sender();
            match sender.send(job).await {
                Ok(()) => {
                    return answer.await.unwrap_or_else(|_| {
                        Err(StoreError::Unavailable(
                            "the write was abandoned: its committer stopped".into(),
                        ))
                    });
                }
                Err(mpsc::error::SendError(returned)) => {
                    job = returned;
                    self.queue.lock().expect("group commit queue").take();
                }
            }
        }
        Err(StoreError::Unavailable(
            "no committer could be started for this write".into(),
        ))
    }

    /// The groups so far.
    pub fn stats(&self) -> GroupStats {
        *self.stats.lock().expect("group commit stats")
    }

    fn sender(&self) -> mpsc::Sender<Box<dyn Pending>> {
        let mut queue = self.queue.lock().expect("group commit queue");
        if let Some(sender) = queue.as_ref().filter(|s| !s.is_closed()) {
            return sender.clone();
        }
        let (sender, receiver) = mpsc::channel(QUEUE_BOUND);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..self.committers {
            tokio::spawn(committer(
                Arc::clone(&self.begin),
                Arc::clone(&receiver),
                sender.downgrade(),
                self.max_group,
                Arc::clone(&self.stats),
            ));
        }
        *queue = Some(sender.clone());
        sender
    }
}

/// Takes the writes waiting, commits them as one group, and again, until the queue closes.
async fn committer(
    begin: Begin,
    receiver: Arc<Mutex<mpsc::Receiver<Box<dyn Pending>>>>,
    requeue: mpsc::WeakSender<Box<dyn Pending>>,
    max_group: usize,
    stats: Arc<std::sync::Mutex<GroupStats>>,
) {
    loop {
        let mut group = Vec::new();
        {
            let mut receiver = receiver.lock().await;
            match receiver.recv().await {
                Some(first) => group.push(first),
                None => return,
            }
            while group.len() < max_group {
                match receiver.try_recv() {
                    Ok(next) => group.push(next),
                    Err(_) => break,
                }
            }
        }
        {
            let mut stats = stats.lock().expect("group commit stats");
            stats.groups += 1;
            stats.writes += group.len() as u64;
            stats.largest = stats.largest.max(group.len());
        }
        metrics::histogram!("guichet_group_commit_writes").record(group.len() as f64);
        commit_group(&begin, group, &requeue, &stats).await;
    }
}

/// One group: written optimistically, and again guarded if a write failed; one commit, then
/// the answers.
async fn commit_group(
    begin: &Begin,
    mut group: Vec<Box<dyn Pending>>,
    queue: &mpsc::WeakSender<Box<dyn Pending>>,
    stats: &std::sync::Mutex<GroupStats>,
) {
    let mut tx = match begin().await {
        Ok(tx) => tx,
        Err(err) => return fail_all(group, &err),
    };
    let mut spoilt = false;
    for pending in &mut group {
        if !pending.try_write(tx.as_mut()).await {
            spoilt = true;
            break;
        }
    }
    if !spoilt {
        let committed = tx.commit().await;
        for pending in group {
            pending.answer(committed.as_ref().map(|_| ()).map_err(shared));
        }
        return;
    }
    // A write failed, and took what the others wrote with it (on PostgreSQL the whole
    // transaction refuses every statement after a failure): start again, guarded.
    if let Err(err) = tx.roll_back().await {
        return fail_all(group, &err);
    }
    stats.lock().expect("group commit stats").guarded += 1;
    commit_guarded(begin, group, queue).await;
}

/// A group written again, each write in its savepoint.
async fn commit_guarded(
    begin: &Begin,
    group: Vec<Box<dyn Pending>>,
    queue: &mpsc::WeakSender<Box<dyn Pending>>,
) {
    let mut tx = match begin().await {
        Ok(tx) => tx,
        Err(err) => return fail_all(group, &err),
    };
    let mut written = Vec::with_capacity(group.len());
    let mut crossed = Vec::new();
    let mut waiting = group.into_iter();
    while let Some(mut pending) = waiting.next() {
        match pending.write_guarded(tx.as_mut()).await {
            Ok(Written::Done) => written.push(pending),
            Ok(Written::Crossed) => crossed.push(pending),
            Err(err) => {
                // The transaction itself broke (the connection was lost): nothing of the
                // group can be committed.
                written.push(pending);
                written.extend(crossed);
                written.extend(waiting);
                return fail_all(written, &err);
            }
        }
    }
    let committed = tx.commit().await;
    for pending in written {
        pending.answer(committed.as_ref().map(|_| ()).map_err(shared));
    }
    // A write undone for crossing another group's transaction waits for a later group:
    // by then the other has committed and released what they both wanted.
    for pending in crossed {
        let requeued = match (pending.crossings() < CROSSED_ATTEMPTS, queue.upgrade()) {
            (true, Some(queue)) => queue.try_send(pending).map_err(|e| e.into_inner()),
            _ => Err(pending),
        };
        if let Err(pending) = requeued {
            pending.answer(Err(StoreError::Crossed(
                "the write crossed other transactions too many times".into(),
            )));
        }
    }
}

fn fail_all(group: Vec<Box<dyn Pending>>, err: &StoreError) {
    tracing::warn!(writes = group.len(), "a group of writes failed: {err}");
    for pending in group {
        pending.answer(Err(shared(err)));
    }
}

/// The same failure for each caller of a group (a `StoreError` is not `Clone`).
fn shared(err: &StoreError) -> StoreError {
    match err {
        StoreError::Unavailable(why) => StoreError::Unavailable(why.clone()),
        StoreError::AlreadyFiled => StoreError::AlreadyFiled,
        StoreError::Refused(why) => StoreError::Refused(why.clone()),
        StoreError::Invalid(why) => StoreError::Invalid(why.clone()),
        StoreError::Crossed(why) => StoreError::Crossed(why.clone()),
        StoreError::Other(err) => StoreError::Other(anyhow::anyhow!("{err:#}")),
    }
}

/// A write in a group, whatever its output.
#[async_trait]
trait Pending: Send {
    /// Runs the write with no savepoint; `false` when it failed, and with it the
    /// transaction (nothing is answered: the group is written again, guarded).
    async fn try_write(&mut self, tx: &mut dyn RequestTransaction) -> bool;

    /// Runs the write in its savepoint. A failure of the write itself is rolled back and
    /// answered at once; `Err` only when the transaction can no longer be used.
    async fn write_guarded(
        &mut self,
        tx: &mut dyn RequestTransaction,
    ) -> Result<Written, StoreError>;

    /// How many times the write was undone for crossing another transaction.
    fn crossings(&self) -> u32;

    /// Answers the caller with the group's commit, unless answered already.
    fn answer(self: Box<Self>, committed: Result<(), StoreError>);
}

/// What became of a write in its group.
enum Written {
    /// Written, or failed and answered: it goes with the group.
    Done,
    /// Undone for crossing another transaction: to be run again in a later group.
    Crossed,
}

struct Job<B: Batched> {
    write: B,
    crossings: u32,
    output: Option<B::Output>,
    reply: Option<oneshot::Sender<Result<B::Output, StoreError>>>,
    /// The caller's span, so that what the write logs names the request it came from.
    span: tracing::Span,
}

#[async_trait]
impl<B: Batched> Pending for Job<B> {
    async fn try_write(&mut self, tx: &mut dyn RequestTransaction) -> bool {
        let span = self.span.clone();
        match self.write.write(tx).instrument(span).await {
            Ok(output) => {
                self.output = Some(output);
                true
            }
            Err(_) => false,
        }
    }

    async fn write_guarded(
        &mut self,
        tx: &mut dyn RequestTransaction,
    ) -> Result<Written, StoreError> {
        self.output = None;
        tx.set_savepoint(Savepoint::Write).await?;
        let span = self.span.clone();
        let written = self.write.write(tx).instrument(span).await;
        if written.is_ok() {
            tx.release_savepoint(Savepoint::Write).await?;
        } else {
            tx.roll_back_to(Savepoint::Write).await?;
            tx.release_savepoint(Savepoint::Write).await?;
        }
        match written {
            Ok(output) => self.output = Some(output),
            // Undone by the database for crossing another transaction (on PostgreSQL, two
            // groups each waiting for a row the other wrote): the rollback released what
            // this write held, so the other group can commit.
            Err(StoreError::Crossed(_)) => {
                self.crossings += 1;
                return Ok(Written::Crossed);
            }
            Err(err) => {
                if let Some(reply) = self.reply.take() {
                    let _ = reply.send(Err(err));
                }
            }
        }
        Ok(Written::Done)
    }

    fn crossings(&self) -> u32 {
        self.crossings
    }

    fn answer(mut self: Box<Self>, committed: Result<(), StoreError>) {
        let Some(reply) = self.reply.take() else {
            return;
        };
        let answer = match (committed, self.output.take()) {
            (Ok(()), Some(output)) => Ok(output),
            (Err(err), _) => Err(err),
            // Not written: the group failed before reaching it.
            (Ok(()), None) => Err(StoreError::Unavailable(
                "the write was not reached in its group".into(),
            )),
        };
        // The caller may have gone away; the write stands all the same.
        let _ = reply.send(answer);
    }
}
