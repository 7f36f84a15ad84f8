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
            // As a mail client shows it: folded lines joined, encoded words decoded.
            let header = |name: &str| {
                let mut lines = raw
                    .lines()
                    .skip_while(|l| !l.starts_with(&format!("{name}: ")));
                let Some(first) = lines.next() else {
                    return String::new();
                };
                let mut value = first[name.len() + 2..].to_owned();
                for more in lines.take_while(|l| l.starts_with([' ', '\t'])) {
                    value.push_str(more);
                }
                decode_encoded_words(&value)
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

/// RFC 2047's encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) decoded; the blanks between
/// two of them dropped, as the RFC says.
fn decode_encoded_words(value: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, word) = rest.split_at(start);
        if !(after_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let mut parts = word[2..].splitn(3, '?');
        let (Some(_charset), Some(encoding), Some(tail)) =
            (parts.next(), parts.next(), parts.next())
        else {
            out.push_str(word);
            return out;
        };
        let Some(end) = tail.find("?=") else {
            out.push_str(word);
            return out;
        };
        let text = &tail[..end];
        let bytes = if encoding.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap_or_default()
        } else {
            decode_quoted_printable(&text.replace('_', " ")).into_bytes()
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        rest = &tail[end + 2..];
        after_word = true;
    }
    out.push_str(rest);
    out
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
