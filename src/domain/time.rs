//! How instants are written down: one text form for the stores, the API and event bodies.

use time::OffsetDateTime;

/// RFC 3339 text with a fixed width, so text order is time order.
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// A day as French pages and messages write it: `30/11/2026`.
pub fn day_fr(day: time::Date) -> String {
    format!(
        "{:02}/{:02}/{}",
        day.day(),
        u8::from(day.month()),
        day.year()
    )
}

/// The UTC day of an instant, as [`day_fr`] writes it.
pub fn utc_day_fr(t: OffsetDateTime) -> String {
    day_fr(t.to_offset(time::UtcOffset::UTC).date())
}
