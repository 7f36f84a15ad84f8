//! Queue listing latency with a large queue: the back office's keyset pages, filters and
//! counts, against SQLite (and PostgreSQL when `BENCH_POSTGRES_URL` names a database).
//!
//! Run with `cargo bench --bench queues`. `BENCH_QUEUE_ROWS` sets the queue's size
//! (default 1,000,000). The rows are generated inside the database (a recursive CTE on
//! SQLite, `generate_series` on PostgreSQL), all in one queue, with ten communes, the five
//! statuses and due dates spread over a year; then each listing runs 30 times and its
//! median and worst times are printed.

use std::time::{Duration, Instant};

use guichet::config::DatabaseConfig;
use guichet::domain::{CommuneSlug, QueueId, ServiceId, Status};
use guichet::store::{self, AssigneeFilter, Cursor, RequestQuery, Scope, SortOrder};
use time::OffsetDateTime;

#[path = "support/fill.rs"]
mod fill;

const RUNS: usize = 30;
use fill::QUEUE;

fn main() {
    let rows = fill::rows("BENCH_QUEUE_ROWS", 1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    for (name, url) in fill::backends(dir.path(), "queues.db") {
        runtime.block_on(bench(name, &url, rows));
    }
}

async fn bench(name: &str, url: &str, rows: u64) {
    let store = store::open(&DatabaseConfig {
        url: url.to_owned(),
        max_connections: 4,
    })
    .await
    .unwrap();
    println!("\n{name}: one queue of {rows} requests");
    let started = Instant::now();
    fill::fill(&store, url, rows, "{}").await;
    println!("  generated in {:.1} s", started.elapsed().as_secs_f64());

    let now = OffsetDateTime::now_utc();
    let scope = Scope::Services(vec![ServiceId::parse("environnement").unwrap()]);
    let base = || {
        let mut q = RequestQuery::new(scope.clone(), now);
        q.queue = Some(QueueId::parse(QUEUE).unwrap());
        q.limit = 50;
        q
    };
    // A cursor in the middle of the queue, in each order.
    let middle = |sort: SortOrder| {
        let store = store.clone();
        let mut q = base();
        q.sort = sort;
        async move {
            let mut q2 = q.clone();
            q2.limit = 1;
            // Walk half the queue in pages of 500 to find a real cursor.
            let mut after = None;
            let mut seen = 0;
            q.limit = 500;
            while seen < rows / 2 {
                q.after = after.clone();
                let page = store.list_requests(&q).await.unwrap();
                let Some(last) = page.last() else { break };
                after = Some(Cursor::parse(sort, &last.cursor).unwrap());
                seen += page.len() as u64;
                if seen >= 5_000 {
                    break;
                }
            }
            after
        }
    };
    let deep_age = middle(SortOrder::Oldest).await;
    let deep_due = middle(SortOrder::DueDate).await;

    let cases: Vec<(&str, RequestQuery)> = vec![
        ("first page, oldest first", base()),
        (
            "page after 5,000, oldest first",
            RequestQuery {
                after: deep_age,
                ..base()
            },
        ),
        (
            "first page, by due date",
            RequestQuery {
                sort: SortOrder::DueDate,
                ..base()
            },
        ),
        (
            "page after 5,000, by due date",
            RequestQuery {
                sort: SortOrder::DueDate,
                after: deep_due,
                ..base()
            },
        ),
        (
            "status = in progress",
            RequestQuery {
                status: Some(Status::InProgress),
                ..base()
            },
        ),
        (
            "commune + status",
            RequestQuery {
                commune: Some(CommuneSlug::parse("marmande").unwrap()),
                status: Some(Status::Received),
                ..base()
            },
        ),
        (
            "commune",
            RequestQuery {
                commune: Some(CommuneSlug::parse("tonneins").unwrap()),
                ..base()
            },
        ),
        (
            "overdue",
            RequestQuery {
                overdue: true,
                ..base()
            },
        ),
        (
            "unassigned, by due date",
            RequestQuery {
                assignee: Some(AssigneeFilter::Nobody),
                sort: SortOrder::DueDate,
                ..base()
            },
        ),
    ];
    for (what, query) in cases {
        let mut times = Vec::with_capacity(RUNS);
        let mut count = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            count = store.list_requests(&query).await.unwrap().len();
            times.push(started.elapsed());
        }
        print_times(what, &mut times, &format!("{count} rows"));
    }
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..5 {
        let started = Instant::now();
        std::hint::black_box(
            store
                .count_by_status(&scope, Some(QUEUE), now)
                .await
                .unwrap(),
        );
        times.push(started.elapsed());
    }
    print_times("counts per status + overdue", &mut times, "whole queue");
}

fn print_times(what: &str, times: &mut [Duration], note: &str) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  {what:<34} median {:>8.2} ms   worst {:>8.2} ms   ({note})",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
}
