//! The audit log, written off the request path: [`Store::audit`] queues an entry and returns; a
//! writer task inserts what has queued up in one transaction (group commit), so under load many
//! entries share one commit and no request waits for one.
//!
//! Nothing queued is lost on a clean stop: [`Store::close`] and [`Store::flush_audit`] wait
//! until the writer has committed everything queued before them, and reading the log flushes
//! first (a reader sees its own entries). A crash (the process killed, the machine losing
//! power) loses the entries still queued: those of the calls answered in the last
//! [`LINGER`] (10 ms) before it, and of a batch being written. A batch that fails is retried; after the last try its entries
//! are reported in the server's log as lost.

use std::time::Duration;

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use crate::{AuditEntry, AuditFilter, Backend, Error, Page, PageRequest, Result, Store, now};

/// Entries written in one statement at most (6 parameters each, far below any backend's limit).
const ROWS_PER_STATEMENT: usize = 100;
/// Entries taken from the queue for one transaction at most.
const BATCH: usize = 1_000;
/// How long the writer waits for more entries before it commits a batch (nobody waits for it:
/// the calls are answered already).
const LINGER: std::time::Duration = std::time::Duration::from_millis(10);
/// Tries of a batch before its entries are reported lost.
const TRIES: u32 = 4;

/// One audit entry waiting to be written.
struct Pending {
    at: i64,
    organization: Option<String>,
    user: Option<String>,
    action: String,
    target: String,
    detail: String,
}

enum Message {
    Entry(Pending),
    /// Answered once everything queued before it is committed (or reported lost).
    Flush(oneshot::Sender<()>),
}

/// The queue to the writer task.
#[derive(Debug, Clone)]
pub(crate) struct AuditWriter {
    queue: mpsc::UnboundedSender<Message>,
}

impl AuditWriter {
    /// Starts the writer task on the current tokio runtime.
    pub(crate) fn start(pool: AnyPool, backend: Backend) -> AuditWriter {
        let (queue, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(pool, backend, receiver));
        AuditWriter { queue }
    }

    fn send(&self, message: Message) -> Result<()> {
        self.queue
            .send(message)
            .map_err(|_| Error::Invalid("the audit log writer has stopped".into()))
    }

    /// Waits until everything queued so far is written.
    pub(crate) async fn flush(&self) -> Result<()> {
        let (done, wait) = oneshot::channel();
        self.send(Message::Flush(done))?;
        wait.await
            .map_err(|_| Error::Invalid("the audit log writer has stopped".into()))
    }
}

/// The writer task: takes what has queued up, writes it in one transaction, answers the flushes
/// that were queued behind it; ends when every sender is gone and the queue is empty.
async fn write_batches(
    pool: AnyPool,
    backend: Backend,
    mut receiver: mpsc::UnboundedReceiver<Message>,
) {
    let mut messages = Vec::with_capacity(BATCH);
    while receiver.recv_many(&mut messages, BATCH).await > 0 {
        // Group commit: the calls in flight get a moment to join this transaction, unless
        // someone waits for it (a flush).
        let deadline = tokio::time::Instant::now() + LINGER;
        while messages.len() < BATCH && !messages.iter().any(|m| matches!(m, Message::Flush(_))) {
            let room = BATCH - messages.len();
            match tokio::time::timeout_at(deadline, receiver.recv_many(&mut messages, room)).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let mut entries = Vec::with_capacity(messages.len());
        let mut flushes = Vec::new();
        for message in messages.drain(..) {
            match message {
                Message::Entry(entry) => entries.push(entry),
                Message::Flush(done) => flushes.push(done),
            }
        }
        if !entries.is_empty() {
            write_with_retries(&pool, backend, &entries).await;
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

async fn write_with_retries(pool: &AnyPool, backend: Backend, entries: &[Pending]) {
    let mut delay = Duration::from_millis(50);
    for attempt in 1..=TRIES {
        match write(pool, backend, entries).await {
            Ok(()) => {
                metrics::counter!("plugboard_audit_entries_written_total")
                    .increment(entries.len() as u64);
                return;
            }
            Err(error) if attempt < TRIES => {
                tracing::warn!(%error, entries = entries.len(), attempt, "writing audit entries failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 4;
            }
            Err(error) => {
                metrics::counter!("plugboard_audit_entries_lost_total")
                    .increment(entries.len() as u64);
                tracing::error!(%error, entries = entries.len(), "audit entries lost: writing them failed {TRIES} times");
            }
        }
    }
}

async fn write(pool: &AnyPool, backend: Backend, entries: &[Pending]) -> Result<()> {
    let mut tx = pool.begin().await?;
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| match backend {
                // Anonymous parameters: binding numbered ones makes SQLite look each name up in
                // a list (sqlite3_bind_parameter_name), quadratic in a 600-parameter statement,
                // which measured 2% of the server's CPU under load.
                Backend::Sqlite => "(?, ?, ?, ?, ?, ?)".to_string(),
                Backend::Postgres => {
                    let n = i * 6;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${})",
                        n + 1,
                        n + 2,
                        n + 3,
                        n + 4,
                        n + 5,
                        n + 6
                    )
                }
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_log (at, organization_id, user_id, action, target, detail) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for entry in chunk {
            query = query
                .bind(entry.at)
                .bind(entry.organization.as_deref())
                .bind(entry.user.as_deref())
                .bind(entry.action.as_str())
                .bind(entry.target.as_str())
                .bind(entry.detail.as_str());
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

impl Store {
    /// Records an admin action or an invocation (never secrets): queued for the writer task,
    /// which commits it shortly (see the module's notes on what a crash can lose).
    pub async fn audit(
        &self,
        organization: Option<&str>,
        user: Option<&str>,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<()> {
        self.audit.send(Message::Entry(Pending {
            at: now(),
            organization: organization.map(str::to_string),
            user: user.map(str::to_string),
            action: action.to_string(),
            target: target.to_string(),
            detail: detail.to_string(),
        }))
    }

    /// Waits until every audit entry queued so far is in the database.
    pub async fn flush_audit(&self) -> Result<()> {
        self.audit.flush().await
    }

    /// A page of an organization's audit entries that `filter` keeps, newest first (keyset:
    /// the entry's id). Entries queued before the call are written first.
    pub async fn audit_log(
        &self,
        organization: &str,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>> {
        self.flush_audit().await?;
        let after: Option<(i64,)> = page.after("audit")?;
        // Each condition takes the next parameter number (`$n`, used twice where it says so);
        // values are bound in the same order. No LIKE: names hold `_`, a LIKE wildcard.
        let mut conditions = vec!["organization_id = $1".to_string()];
        let mut texts: Vec<String> = Vec::new();
        let text_filters = [
            // `invoke` also finds `invoke.dry_run`: the exact name or a dotted prefix.
            (
                "(action = $n OR substr(action, 1, length($n) + 1) = $n || '.')",
                &filter.action,
            ),
            ("user_id = $n", &filter.user_id),
            ("substr(target, 1, length($n)) = $n", &filter.target),
        ];
        for (sql, value) in text_filters {
            if let Some(value) = value {
                texts.push(value.clone());
                conditions.push(sql.replace("$n", &format!("${}", 2 + texts.len())));
            }
        }
        let mut numbers: Vec<i64> = Vec::new();
        let number_filters = [
            ("at >= $n", filter.since),
            ("at < $n", filter.until),
            ("id < $n", after.map(|(id,)| id)),
        ];
        for (sql, value) in number_filters {
            if let Some(value) = value {
                numbers.push(value);
                let n = 2 + texts.len() + numbers.len();
                conditions.push(sql.replace("$n", &format!("${n}")));
            }
        }
        let sql = format!(
            "SELECT id, at, organization_id, user_id, action, target, detail FROM audit_log \
             WHERE {} ORDER BY id DESC LIMIT $2",
            conditions.join(" AND ")
        );
        let mut query = sqlx::query_as::<_, AuditEntry>(&sql)
            .bind(organization)
            .bind(page.fetch());
        for text in texts {
            query = query.bind(text);
        }
        for number in numbers {
            query = query.bind(number);
        }
        let rows = query.fetch_all(&self.pool).await?;
        page.page(rows, "audit", |e| (e.id,))
    }
}
