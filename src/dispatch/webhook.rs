//! Webhook delivery: a signed JSON POST to a business application.
//!
//! Every delivery carries:
//! - `Idempotency-Key`: the same for every attempt of one message; apply it once;
//! - `X-Guichet-Event`: the event kind;
//! - `X-Guichet-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is the HMAC-SHA256, keyed
//!   with the webhook's secret, of `<t>.<body>` (the timestamp, a dot, the raw body bytes).
//!
//! A receiver recomputes the HMAC over the raw body, compares it in constant time, and
//! refuses a timestamp more than five minutes old (a replay). See docs/webhooks.md.
//!
//! Targets are checked before each delivery: http or https only, and the host must not
//! resolve to a loopback, link-local (cloud metadata lives there), unspecified or multicast
//! address, unless private targets are explicitly allowed. The connection then goes to the
//! address that was checked, so a DNS answer cannot change in between.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How a webhook delivery went.
#[derive(Debug)]
pub enum Delivery {
    Accepted,
    Failed(String),
}

pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a signature header against a body, as a receiver would (used by the tests, and a
/// reference for receivers written in Rust).
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> bool {
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signature = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(signature)) = (timestamp, signature) else {
        return false;
    };
    if (now - t).abs() > tolerance_secs {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key size");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

/// Addresses a webhook may not reach unless private targets are allowed.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link-local
                || v6.segments()[..4] == [0xfd00, 0x0ec2, 0, 0] // AWS metadata (IPv6)
        }
    }
}

/// Resolves the target and checks every address it resolves to.
pub async fn resolve_target(
    url: &reqwest::Url,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, String> {
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(80);
    let host_for_lookup = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host_for_lookup, port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    if addresses.is_empty() {
        return Err(format!("{host} resolves to no address"));
    }
    if !allow_private && let Some(bad) = addresses.iter().find(|a| is_forbidden(a.ip())) {
        return Err(format!(
            "{host} resolves to {}, a loopback, link-local or metadata address; refused (see --webhook-allow-private)",
            bad.ip()
        ));
    }
    Ok(addresses)
}

/// POSTs `body` to `url`, signed with `secret`, within `timeout`.
pub async fn deliver(
    url: &str,
    secret: &str,
    event: &str,
    idempotency_key: &str,
    body: &[u8],
    timeout: Duration,
    allow_private: bool,
) -> Delivery {
    let parsed = match crate::catalogue::territory::check_webhook_url(url) {
        Ok(parsed) => parsed,
        Err(why) => return Delivery::Failed(why),
    };
    let addresses = match resolve_target(&parsed, allow_private).await {
        Ok(addresses) => addresses,
        Err(why) => return Delivery::Failed(why),
    };
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .resolve_to_addrs(parsed.host_str().unwrap_or_default(), &addresses)
        .user_agent(concat!("Guichet/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(err) => return Delivery::Failed(format!("HTTP client: {err}")),
    };
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = format!("t={timestamp},v1={}", sign(secret, timestamp, body));
    let response = client
        .post(parsed)
        .header("content-type", "application/json")
        .header("idempotency-key", idempotency_key)
        .header("x-guichet-event", event)
        .header("x-guichet-signature", signature)
        .body(body.to_vec())
        .send()
        .await;
    match response {
        Ok(response) if response.status().is_success() => Delivery::Accepted,
        Ok(response) => Delivery::Failed(format!("the receiver answered {}", response.status())),
        Err(err) if err.is_timeout() => {
            Delivery::Failed(format!("no answer within {} s", timeout.as_secs()))
        }
        Err(err) => Delivery::Failed(format!("cannot reach the receiver: {}", root_cause(&err))),
    }
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_expire() {
        let body = br#"{"event":"submitted"}"#;
        let header = format!("t=1000,v1={}", sign("s3cret", 1000, body));
        assert!(verify("s3cret", &header, body, 1100, 300));
        assert!(!verify("s3cret", &header, body, 2000, 300), "too old");
        assert!(!verify("other", &header, body, 1100, 300));
        assert!(!verify("s3cret", &header, b"{}", 1100, 300));
    }

    #[test]
    fn loopback_link_local_and_metadata_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "fd00:ec2::254",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["192.0.2.10", "10.1.2.3", "2001:db8::1"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        assert!(crate::catalogue::territory::check_webhook_url("ftp://example.org/x").is_err());
        assert!(
            crate::catalogue::territory::check_webhook_url("https://user:pw@example.org/x")
                .is_err()
        );
        assert!(crate::catalogue::territory::check_webhook_url("https://example.org/hook").is_ok());
    }
}
