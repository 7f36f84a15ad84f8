//! What the suite waits for and reads back: the e-mails the file transport writes (the test
//! servers send e-mail to files in their data folder), and a condition polled until true.

use std::time::{Duration, Instant};

use super::TestApp;

/// Polls `done` every 50 ms until it holds; fails after `limit`.
pub async fn wait_for(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An e-mail the file transport wrote: its recipient, its subject and its decoded text.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

pub fn mails(app: &TestApp) -> Vec<Mail> {
    mails_in(&app.data_dir.path().join("mail"))
}

/// The e-mails a file transport wrote into `dir` (a server started as a process).
pub fn mails_in(dir: &std::path::Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        // A file being written may not be whole UTF-8 yet: it is read at the next look.
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .map(|raw| {
            let header = |name: &str| {
                raw.lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                    .unwrap_or_default()
                    .to_owned()
            };
            let text_part = raw
                .split("Content-Type: text/plain")
                .nth(1)
                .unwrap_or_default();
            let text_part = text_part.split("\n--").next().unwrap_or_default();
            Mail {
                to: header("To"),
                subject: header("Subject"),
                text: decode_quoted_printable(text_part),
            }
        })
        .collect()
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
