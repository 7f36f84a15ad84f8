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

/// A day as French pages and messages write it: `30/11/2026` (the UTC date).
pub fn day_fr(t: OffsetDateTime) -> String {
    let d = t.to_offset(time::UtcOffset::UTC).date();
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}
