//! How instants are written down: one text form for the stores, the API and event bodies,
//! and the French forms people read, in Paris time.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime};

/// RFC 3339 text with a fixed width, so text order is time order.
pub fn format_time(t: OffsetDateTime) -> String {
    Rfc3339Micros::of(t).as_str().to_owned()
}

/// An instant as RFC 3339 text in UTC to the microsecond, always 27 characters
/// (`2026-12-07T20:36:01.123456Z`; years outside 0–9999 are clamped to them, as a fixed
/// width needs). Written digit by digit: a filing stores about ten of them and every log
/// line starts with one, and `format!` with seven padded numbers cost about 3,000
/// instructions each.
pub struct Rfc3339Micros([u8; 27]);

impl Rfc3339Micros {
    pub fn of(t: OffsetDateTime) -> Rfc3339Micros {
        let t = t.to_offset(time::UtcOffset::UTC);
        let (hour, minute, second, micro) = t.to_hms_micro();
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |start: usize, width: usize, mut value: u32| {
            for digit in text[start..start + width].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, t.year().clamp(0, 9999) as u32);
        put(5, 2, u8::from(t.month()).into());
        put(8, 2, t.day().into());
        put(11, 2, hour.into());
        put(14, 2, minute.into());
        put(17, 2, second.into());
        put(20, 6, micro);
        Rfc3339Micros(text)
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits and separators")
    }
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
    fn times_are_rfc_3339_in_utc_to_the_microsecond_at_a_fixed_width() {
        use time::format_description::well_known::Rfc3339;
        let mut previous = String::new();
        // In time order, so the texts must sort the same way.
        for text in [
            "1999-12-31T23:59:59.999999+02:00",
            "2024-02-29T00:00:00.000001Z",
            "2026-01-02T03:04:05Z",
            "2026-12-07T20:36:01.123456789Z",
        ] {
            let at = OffsetDateTime::parse(text, &Rfc3339).unwrap();
            let written = format_time(at);
            assert_eq!(written.len(), 27, "{written}");
            assert!(written.ends_with('Z'), "{written}");
            let read = OffsetDateTime::parse(&written, &Rfc3339).unwrap();
            let truncated = at.replace_nanosecond(at.microsecond() * 1000).unwrap();
            assert_eq!(read, truncated, "{text} written as {written}");
            assert!(previous < written, "{previous} sorts after {written}");
            previous = written;
        }
        assert_eq!(
            format_time(datetime!(2026-12-07 20:36:01.5 +01:00)),
            "2026-12-07T19:36:01.500000Z"
        );
    }

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
