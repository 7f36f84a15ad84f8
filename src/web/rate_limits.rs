//! What one client address may do anonymously: file requests, upload files, look requests
//! up. Each limit is a GCRA bucket per address (`governor`): a burst of the configured
//! amount, refilled evenly over the period. The counts live in this process's memory, so
//! with several instances behind a load balancer each one counts on its own.
//!
//! The address is the one [`super::client`] worked out: behind a reverse proxy, it is the
//! client's only if the proxy is in `--trusted-proxies`; otherwise every citizen shares the
//! proxy's address and its limits.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::AppState;
use super::client::ClientInfo;
use super::error::{AppError, retry_after_secs};
use crate::config::{Rate, RateLimitConfig};

/// Addresses tracked before the buckets that are full again are dropped.
const SWEEP_ABOVE: usize = 10_000;

pub struct RateLimits {
    pub submissions: Limiter,
    /// Counted in KiB of form posts with files.
    pub uploads: Limiter,
    pub lookups: Limiter,
}

impl RateLimits {
    /// `max_upload_bytes`: one post of that size always fits in the upload budget, or the
    /// largest allowed post could never be sent.
    pub fn new(config: &RateLimitConfig, max_upload_bytes: usize) -> RateLimits {
        let uploads = config.limit_uploads.0.map(|(bytes, period)| {
            let budget = bytes.max(max_upload_bytes as u64);
            (budget.div_ceil(KIB), period)
        });
        RateLimits {
            submissions: Limiter::new(config.limit_submissions),
            uploads: Limiter::new(Rate(uploads)),
            lookups: Limiter::new(config.limit_lookups),
        }
    }

    /// Counts a post of `bytes` with files; `Err(wait)` when over the budget.
    pub fn upload(&self, client: IpAddr, bytes: u64) -> Result<(), Duration> {
        self.uploads.check_n(client, bytes.div_ceil(KIB))
    }
}

const KIB: u64 = 1024;

/// One limit, or none (`off`).
pub struct Limiter(Option<Bucket>);

struct Bucket {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    burst: u32,
}

impl Limiter {
    pub fn new(rate: Rate) -> Limiter {
        Limiter(rate.0.map(|(amount, period)| {
            let burst = u32::try_from(amount).unwrap_or(u32::MAX).max(1);
            let every = (period / burst).max(Duration::from_nanos(1));
            let quota = Quota::with_period(every)
                .expect("a period of at least 1 ns")
                .allow_burst(NonZeroU32::new(burst).expect("at least 1"));
            Bucket {
                limiter: DefaultKeyedRateLimiter::hashmap(quota),
                clock: DefaultClock::default(),
                burst,
            }
        }))
    }

    /// Counts one event from `client`; `Err(wait)` when over the limit.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.check_n(client, 1)
    }

    /// Counts `amount` units (at most a whole burst) from `client`.
    pub fn check_n(&self, client: IpAddr, amount: u64) -> Result<(), Duration> {
        let Some(bucket) = &self.0 else {
            return Ok(());
        };
        if bucket.limiter.len() > SWEEP_ABOVE {
            bucket.limiter.retain_recent();
        }
        let cells = u32::try_from(amount)
            .unwrap_or(u32::MAX)
            .clamp(1, bucket.burst);
        let cells = NonZeroU32::new(cells).expect("clamped to at least 1");
        match bucket.limiter.check_key_n(&client, cells) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(not_until.wait_time_from(bucket.clock.now())),
            // Not reachable: cells never exceed the burst.
            Err(_) => Err(Duration::from_secs(1)),
        }
    }
}

/// "45 secondes", "3 minutes", "2 heures": the wait, rounded up, in words.
/// A wait in words, in `lang`: « 2 minutes », "1 hour".
pub fn wait_in(wait: Duration, lang: crate::i18n::Lang) -> String {
    let secs = retry_after_secs(wait);
    let (n, key) = if secs < 60 {
        (secs, "wait-seconds")
    } else if secs < 3600 {
        (secs.div_ceil(60), "wait-minutes")
    } else {
        (secs.div_ceil(3600), "wait-hours")
    };
    lang.text_with(key, &[("n", n.into())])
}

pub fn wait_fr(wait: Duration) -> String {
    let secs = retry_after_secs(wait);
    let (n, unit) = if secs < 60 {
        (secs, "seconde")
    } else if secs < 3600 {
        (secs.div_ceil(60), "minute")
    } else {
        (secs.div_ceil(3600), "heure")
    };
    format!("{n} {unit}{}", if n > 1 { "s" } else { "" })
}

/// Limits tracking look-ups, by link and by reference, in pages and in the API: a person
/// follows their own request at a human pace, a script guessing references does not. The
/// lookup page without a reference costs nothing and is not counted.
pub async fn limit_lookups(
    State(state): State<AppState>,
    client: ClientInfo,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Inside the API's nested router the path has lost its `/api/v1` prefix.
    let path = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| request.uri().path().to_owned(), |o| o.path().to_owned());
    let asks_something = path != "/suivi"
        || url::form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
            .any(|(name, value)| name == "reference" && !value.trim().is_empty());
    if asks_something && let Err(wait) = state.rate_limits.lookups.check(client.address) {
        let lang = super::language::current();
        let error = AppError::TooManyRequests(
            lang.text_with(
                "error-too-many-lookups",
                &[("wait", wait_in(wait, lang).into())],
            ),
            wait,
        );
        return super::error::for_path(&path, error);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_a_wait() {
        let limiter = Limiter::new("2/h".parse().unwrap());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_ok());
        let wait = limiter.check(a).unwrap_err();
        // One more every half hour.
        assert!(wait > Duration::from_secs(29 * 60) && wait <= Duration::from_secs(30 * 60));
        assert!(limiter.check(b).is_ok());
    }

    #[test]
    fn off_never_limits() {
        let limiter = Limiter::new("off".parse().unwrap());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert!((0..1000).all(|_| limiter.check(a).is_ok()));
    }

    #[test]
    fn uploads_count_kibibytes_and_fit_the_largest_post() {
        let config = RateLimitConfig {
            limit_uploads: "1MiB/h".parse().unwrap(),
            ..RateLimitConfig::default()
        };
        let limits = RateLimits::new(&config, 2 << 20);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        // The budget is raised to one 2 MiB post.
        assert!(limits.upload(a, 2 << 20).is_ok());
        assert!(limits.upload(a, 1).is_err());
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limits.upload(b, 1 << 20).is_ok());
        assert!(limits.upload(b, 1 << 20).is_ok());
        assert!(limits.upload(b, 1024).is_err());
    }

    #[test]
    fn waits_in_words() {
        assert_eq!(wait_fr(Duration::from_millis(300)), "1 seconde");
        assert_eq!(wait_fr(Duration::from_secs(45)), "45 secondes");
        assert_eq!(wait_fr(Duration::from_secs(61)), "2 minutes");
        assert_eq!(wait_fr(Duration::from_secs(3600)), "1 heure");
        for secs in [1, 45, 61, 3600, 7200] {
            let wait = Duration::from_secs(secs);
            assert_eq!(wait_in(wait, crate::i18n::Lang::Fr), wait_fr(wait));
        }
        assert_eq!(
            wait_in(Duration::from_secs(61), crate::i18n::Lang::En),
            "2 minutes"
        );
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
    }
}
