//! Writing XML text: escaping and the millisecond timestamp format of the house style.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Europe::Rome;

/// Escapes text content (`<`, `>`, `&`); quotes stay readable.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::partial_escape(text)
}

/// Escapes an attribute value (also quotes).
pub fn escape_attribute(text: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(text)
}

/// `<prefix:name>escaped text</prefix:name>`. Pieces pushed one by one, not `write!`: a list
/// reply (`ElencoTest`, `ElencoAssistiti`) writes up to eight of these a row, and in a profile
/// of `ElencoTest` (callgrind) the formatting machinery was most of this function's cost.
pub fn leaf(out: &mut String, prefix: &str, name: &str, text: &str) {
    let text = escape(text);
    out.reserve(2 * (prefix.len() + name.len()) + text.len() + 5);
    for piece in [
        "<", prefix, ":", name, ">", &text, "</", prefix, ":", name, ">",
    ] {
        out.push_str(piece);
    }
}

/// [`leaf`] of a date, `yyyy-mm-dd` as `NaiveDate`'s `Display` writes it, with no formatter
/// and no allocation for the years 0 to 9999 (a list reply writes one or two a row).
pub fn date_leaf(out: &mut String, prefix: &str, name: &str, date: NaiveDate) {
    let year = match u32::try_from(date.year()) {
        Ok(year) if year <= 9999 => year,
        _ => return leaf(out, prefix, name, &date.to_string()),
    };
    let (month, day) = (date.month(), date.day());
    let mut text = [b'-'; 10];
    for (place, (value, digits)) in [(0, (year, 4)), (5, (month, 2)), (8, (day, 2))] {
        let mut value = value;
        for i in (0..digits).rev() {
            // A digit: `value % 10` is below 10.
            text[place + i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    // Only ASCII digits and hyphens were written.
    let text = std::str::from_utf8(&text).unwrap_or_default();
    leaf(out, prefix, name, text);
}

/// `yyyy-MM-dd HH:mm:ss.SSS` in Europe/Rome, as docs/conventions.md asks for timestamps with
/// milliseconds.
pub fn rome_millis(at: DateTime<Utc>) -> String {
    at.with_timezone(&Rome)
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_are_rome_local_with_millis() {
        let winter = Utc.timestamp_millis_opt(1_700_000_000_123).single();
        assert_eq!(
            winter.map(rome_millis).as_deref(),
            Some("2023-11-14 23:13:20.123")
        );
        let summer = Utc.timestamp_millis_opt(1_690_000_000_007).single();
        assert_eq!(
            summer.map(rome_millis).as_deref(),
            Some("2023-07-22 06:26:40.007")
        );
    }

    #[test]
    fn a_date_leaf_writes_the_date_as_display_does() {
        for (year, month, day) in [
            (2026, 11, 30),
            (2020, 1, 9),
            (999, 12, 31),
            (0, 1, 1),
            (9999, 12, 31),
            (10_000, 1, 1),
            (-1, 6, 15),
        ] {
            let date = NaiveDate::from_ymd_opt(year, month, day).expect("a date");
            let (mut fast, mut plain) = (String::new(), String::new());
            date_leaf(&mut fast, "r", "d", date);
            leaf(&mut plain, "r", "d", &date.to_string());
            assert_eq!(fast, plain);
        }
    }

    #[test]
    fn leaf_escapes() {
        let mut s = String::new();
        leaf(&mut s, "r", "x", "a<b&c>'\"");
        assert_eq!(s, "<r:x>a&lt;b&amp;c&gt;'\"</r:x>");
    }
}
