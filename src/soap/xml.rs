//! Writing XML text: escaping and the millisecond timestamp format of the house style.

use chrono::{DateTime, Utc};
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
    fn leaf_escapes() {
        let mut s = String::new();
        leaf(&mut s, "r", "x", "a<b&c>'\"");
        assert_eq!(s, "<r:x>a&lt;b&amp;c&gt;'\"</r:x>");
    }
}
