//! `guichet export` and `guichet import`: move every request, event, form version and staff
//! account from one store to another through the portable archive (see [`crate::store::archive`]).
//!
//! Both stream in batches, so a territory's whole history never sits in memory, and report
//! progress on standard error.

use std::io::{BufRead, Write};

use anyhow::Context;
use time::OffsetDateTime;

use crate::store::Store;
use crate::store::archive::{self, Record};

/// Requests read or written per batch (and per import transaction).
const BATCH: u32 = 500;

/// Writes the whole store as JSON lines; returns the number of requests written.
pub async fn export(
    store: &dyn Store,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> anyhow::Result<u64> {
    let total = store.count_requests().await?;
    let header = Record::Header {
        format: archive::FORMAT.into(),
        version: archive::VERSION,
        exported_at: OffsetDateTime::now_utc(),
    };
    writeln!(out, "{}", serde_json::to_string(&header)?)?;
    for version in store.export_form_versions().await? {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&Record::FormVersion(version))?
        )?;
    }
    for user in store.list_users().await? {
        let account = archive::ArchivedStaffAccount {
            id: user.id,
            email: user.email,
            name: user.name,
            role: user.role.as_str().to_owned(),
            services: user.services,
            communes: user.communes,
            password_hash: user.password_hash,
            disabled: user.disabled,
            created_at: user.created_at,
        };
        writeln!(
            out,
            "{}",
            serde_json::to_string(&Record::StaffAccount(account))?
        )?;
    }
    let mut written = 0;
    let mut after: Option<String> = None;
    loop {
        let batch = store.export_requests(after.as_deref(), BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id.clone());
        for request in batch {
            writeln!(
                out,
                "{}",
                serde_json::to_string(&Record::Request(Box::new(request)))?
            )?;
            written += 1;
        }
        progress(written, total);
    }
    out.flush()?;
    Ok(written)
}

/// Reads an archive into the store; returns (requests read, requests new to this store).
/// Form versions come before the requests that use them, as `export` writes them.
pub async fn import(
    store: &dyn Store,
    input: &mut dyn BufRead,
    progress: &mut dyn FnMut(u64, u64),
) -> anyhow::Result<(u64, u64)> {
    let (mut read, mut imported) = (0u64, 0u64);
    let (mut versions, mut requests) = (Vec::new(), Vec::new());
    let mut saw_header = false;
    for (number, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read line {}", number + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = serde_json::from_str(&line)
            .with_context(|| format!("line {} is not an archive record", number + 1))?;
        match record {
            Record::Header {
                format, version, ..
            } => {
                anyhow::ensure!(
                    format == archive::FORMAT && version == archive::VERSION,
                    "unsupported archive {format} v{version} (this build reads {} v{})",
                    archive::FORMAT,
                    archive::VERSION
                );
                saw_header = true;
            }
            _ if !saw_header => anyhow::bail!(
                "line {}: the archive does not start with a guichet-archive header",
                number + 1
            ),
            Record::FormVersion(version) => versions.push(version),
            Record::StaffAccount(account) => {
                account
                    .check()
                    .map_err(|why| anyhow::anyhow!("line {}: {why}", number + 1))?;
                store.import_staff_account(&account).await?;
            }
            Record::Request(request) => {
                request
                    .check()
                    .map_err(|why| anyhow::anyhow!("line {}: {why}", number + 1))?;
                requests.push(*request);
                read += 1;
                if requests.len() as u32 >= BATCH {
                    imported += store
                        .import(
                            &std::mem::take(&mut versions),
                            &std::mem::take(&mut requests),
                        )
                        .await?;
                    progress(read, imported);
                }
            }
        }
    }
    anyhow::ensure!(saw_header, "the archive is empty");
    imported += store.import(&versions, &requests).await?;
    progress(read, imported);
    Ok((read, imported))
}
