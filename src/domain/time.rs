//! How instants are written down: one text form for the stores, the API and event bodies,
//! and the French forms people read, in Paris time.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime};

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

/// "29/11/2026 à 14 h 05", in French legal time (the territories served are in
/// metropolitan France).
pub fn date_fr(t: OffsetDateTime) -> String {
    let t = paris_time(t);
    format!(
        "{:02}/{:02}/{} à {:02} h {:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute()
    )
}

/// [`date_fr`] in `lang`: "29/11/2026 at 14:05" in English (still Paris time: the
/// territory's).
pub fn date_in(t: OffsetDateTime, lang: crate::i18n::Lang) -> String {
    let t = paris_time(t);
    lang.text_with(
        "date-time",
        &[
            (
                "date",
                format!("{:02}/{:02}/{}", t.day(), u8::from(t.month()), t.year()).into(),
            ),
            ("hour", format!("{:02}", t.hour()).into()),
            ("minute", format!("{:02}", t.minute()).into()),
        ],
    )
}

/// The last Sunday of a month (March and October have 31 days).
fn last_sunday(year: i32, month: Month) -> Date {
    let last = Date::from_calendar_date(year, month, 31).expect("March and October have 31 days");
    let back = last.weekday().number_days_from_sunday();
    last - Duration::days(i64::from(back))
}

/// Paris time at a UTC instant. France follows the EU rule (directive 2000/84/EC): summer
/// time from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
/// October. Written here, in a few lines, rather than pulling a time-zone database for one
/// zone whose rule has not changed since 1996.
pub fn paris_time(at: OffsetDateTime) -> PrimitiveDateTime {
    let at = at.to_offset(time::UtcOffset::UTC);
    let year = at.year();
    let one = time::Time::from_hms(1, 0, 0).expect("01:00 is a time");
    let summer_starts = PrimitiveDateTime::new(last_sunday(year, Month::March), one).assume_utc();
    let summer_ends = PrimitiveDateTime::new(last_sunday(year, Month::October), one).assume_utc();
    let hours = if at >= summer_starts && at < summer_ends {
        2
    } else {
        1
    };
    let local = at + Duration::hours(hours);
    PrimitiveDateTime::new(local.date(), local.time())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn dates_are_in_french_legal_time() {
        assert_eq!(
            date_fr(datetime!(2026-11-29 13:05 UTC)),
            "29/11/2026 à 14 h 05"
        );
        assert_eq!(
            date_fr(datetime!(2026-07-14 08:00 UTC)),
            "14/07/2026 à 10 h 00"
        );
        // 2026's switches: 29 March and 25 October, at 01:00 UTC.
        assert_eq!(
            date_fr(datetime!(2026-03-29 00:59 UTC)),
            "29/03/2026 à 01 h 59"
        );
        assert_eq!(
            date_fr(datetime!(2026-03-29 01:00 UTC)),
            "29/03/2026 à 03 h 00"
        );
        assert_eq!(
            date_fr(datetime!(2026-10-25 00:59 UTC)),
            "25/10/2026 à 02 h 59"
        );
        assert_eq!(
            date_fr(datetime!(2026-10-25 01:00 UTC)),
            "25/10/2026 à 02 h 00"
        );
    }
}
