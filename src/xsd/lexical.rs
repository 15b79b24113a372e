//! Lexical spaces of the built-in types we support, as XSD 1.0 defines them, with libxml2's
//! limits where libxml2 (our oracle) is stricter than the spec (for example: at most 24
//! significant digits in a decimal). Every function takes an already whitespace-normalized
//! value and allocates nothing.

use std::cmp::Ordering;

/// A decimal number in a comparable form: sign, integer digits without leading zeros,
/// fraction digits without trailing zeros. Zero has empty digit strings and is never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal<'a> {
    pub negative: bool,
    pub int: &'a str,
    pub frac: &'a str,
}

/// libxml2 keeps at most 24 significant digits of a decimal or integer; longer values fail.
const MAX_DIGITS: usize = 24;

impl<'a> Decimal<'a> {
    /// `xs:decimal`: optional sign, digits with at most one `.`, at least one digit.
    pub fn parse(s: &'a str) -> Option<Decimal<'a>> {
        let (negative, body) = split_sign(s);
        let (int, frac) = match body.find('.') {
            Some(dot) => (&body[..dot], &body[dot + 1..]),
            None => (body, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !all_digits(int) || !all_digits(frac) {
            return None;
        }
        let int = int.trim_start_matches('0');
        if int.len() + frac.len() > MAX_DIGITS {
            return None;
        }
        let frac = frac.trim_end_matches('0');
        Some(Decimal::normalized(negative, int, frac))
    }

    /// `xs:integer`: optional sign and digits, no fraction.
    pub fn parse_integer(s: &'a str) -> Option<Decimal<'a>> {
        let (negative, digits) = split_sign(s);
        if digits.is_empty() || !all_digits(digits) {
            return None;
        }
        let int = digits.trim_start_matches('0');
        if int.len() > MAX_DIGITS {
            return None;
        }
        Some(Decimal::normalized(negative, int, ""))
    }

    fn normalized(negative: bool, int: &'a str, frac: &'a str) -> Decimal<'a> {
        let zero = int.is_empty() && frac.is_empty();
        Decimal {
            negative: negative && !zero,
            int,
            frac,
        }
    }

    /// Digits that count for `totalDigits` (leading and trailing zeros do not).
    pub fn total_digits(&self) -> usize {
        self.int.len() + self.frac.len()
    }

    pub fn fraction_digits(&self) -> usize {
        self.frac.len()
    }

    fn cmp_magnitude(&self, other: &Decimal<'_>) -> Ordering {
        self.int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(other.int))
            .then_with(|| self.frac.cmp(other.frac))
    }
}

impl Ord for Decimal<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Decimal<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// `xs:boolean`: `true`, `false`, `1`, `0` (case-sensitive).
pub fn parse_boolean(s: &str) -> Option<bool> {
    match s {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// A date/time value with the fields the type has; absent fields stay at their defaults, so
/// two values of the same type compare field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateTime<'a> {
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Fraction digits of the seconds without trailing zeros.
    pub fraction: &'a str,
    /// Offset from UTC in minutes, if the value has a timezone.
    pub timezone: Option<i16>,
}

/// `xs:date`: `-?YYYY-MM-DD` plus an optional timezone; the day must exist in that month.
pub fn parse_date(s: &str) -> Option<DateTime<'_>> {
    let (mut value, rest) = date_part(s)?;
    value.timezone = timezone(rest)?;
    Some(value)
}

/// `xs:dateTime`: a date, `T`, a time, an optional timezone.
pub fn parse_date_time(s: &str) -> Option<DateTime<'_>> {
    let (date, rest) = date_part(s)?;
    let rest = rest.strip_prefix('T')?;
    let (time, rest) = time_part(rest)?;
    Some(DateTime {
        hour: time.hour,
        minute: time.minute,
        second: time.second,
        fraction: time.fraction,
        timezone: timezone(rest)?,
        ..date
    })
}

/// `xs:time`: `hh:mm:ss(.s+)?` plus an optional timezone; `24:00:00` is the end of the day.
pub fn parse_time(s: &str) -> Option<DateTime<'_>> {
    let (mut value, rest) = time_part(s)?;
    value.timezone = timezone(rest)?;
    Some(value)
}

/// `xs:gYear`: `-?YYYY` plus an optional timezone.
pub fn parse_g_year(s: &str) -> Option<DateTime<'_>> {
    let (year, rest) = year_part(s)?;
    Some(DateTime {
        year,
        timezone: timezone(rest)?,
        ..DateTime::default()
    })
}

/// At least four digits, no leading zero beyond four, year zero does not exist (XSD 1.0);
/// like libxml2, the year must fit a signed 64-bit integer.
fn year_part(s: &str) -> Option<(i64, &str)> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, s),
    };
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits < 4 || (digits > 4 && body.starts_with('0')) {
        return None;
    }
    let year: i64 = body[..digits].parse().ok()?;
    if year == 0 {
        return None;
    }
    Some((if negative { -year } else { year }, &body[digits..]))
}

fn date_part(s: &str) -> Option<(DateTime<'_>, &str)> {
    let (year, rest) = year_part(s)?;
    let rest = rest.strip_prefix('-')?;
    let (month, rest) = two_digits(rest)?;
    let rest = rest.strip_prefix('-')?;
    let (day, rest) = two_digits(rest)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some((
        DateTime {
            year,
            month,
            day,
            ..DateTime::default()
        },
        rest,
    ))
}

fn time_part(s: &str) -> Option<(DateTime<'_>, &str)> {
    let (hour, rest) = two_digits(s)?;
    let rest = rest.strip_prefix(':')?;
    let (minute, rest) = two_digits(rest)?;
    let rest = rest.strip_prefix(':')?;
    let (second, mut rest) = two_digits(rest)?;
    let mut fraction = "";
    if let Some(after_dot) = rest.strip_prefix('.') {
        let n = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        fraction = after_dot[..n].trim_end_matches('0');
        rest = &after_dot[n..];
    }
    let end_of_day = hour == 24 && minute == 0 && second == 0 && fraction.is_empty();
    if (hour > 23 && !end_of_day) || minute > 59 || second > 59 {
        return None;
    }
    Some((
        DateTime {
            hour,
            minute,
            second,
            fraction,
            ..DateTime::default()
        },
        rest,
    ))
}

/// Nothing, `Z`, or `±hh:mm` within ±14:00; anything else left over is an error.
fn timezone(s: &str) -> Option<Option<i16>> {
    if s.is_empty() {
        return Some(None);
    }
    if s == "Z" {
        return Some(Some(0));
    }
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1i16, &s[1..]),
        Some(b'-') => (-1i16, &s[1..]),
        _ => return None,
    };
    let (hours, rest) = two_digits(rest)?;
    let rest = rest.strip_prefix(':')?;
    let (minutes, rest) = two_digits(rest)?;
    if !rest.is_empty() || minutes > 59 || hours > 14 || (hours == 14 && minutes > 0) {
        return None;
    }
    Some(Some(sign * (i16::from(hours) * 60 + i16::from(minutes))))
}

fn two_digits(s: &str) -> Option<(u8, &str)> {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit() {
        Some(((b[0] - b'0') * 10 + (b[1] - b'0'), &s[2..]))
    } else {
        None
    }
}

fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// `xs:hexBinary`: pairs of hex digits; returns the number of octets.
pub fn hex_binary_octets(s: &str) -> Option<usize> {
    (s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())).then_some(s.len() / 2)
}

/// `xs:base64Binary` as libxml2 reads it (RFC 2045 decoding): characters outside the base64
/// alphabet are ignored wherever they are; after the first `=` only `=` may follow; the
/// unused low bits before the padding must be zero. Returns the number of octets.
pub fn base64_binary_octets(s: &str) -> Option<usize> {
    fn sextet(b: u8) -> Option<u8> {
        match b {
            b'A'..=b'Z' => Some(b - b'A'),
            b'a'..=b'z' => Some(b - b'a' + 26),
            b'0'..=b'9' => Some(b - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let mut count = 0usize;
    let mut padding = 0usize;
    let mut last = 0u8;
    for b in s.bytes() {
        if b == b'=' {
            padding += 1;
        } else if let Some(value) = sextet(b) {
            if padding > 0 {
                return None;
            }
            count += 1;
            last = value;
        }
    }
    let octets = count / 4 * 3;
    match (padding, count % 4) {
        (0, 0) => Some(octets),
        (1, 3) if last & 0x03 == 0 => Some(octets + 2),
        (2, 2) if last & 0x0f == 0 => Some(octets + 1),
        _ => None,
    }
}

/// `xs:anyURI`, judged the way libxml2 does: characters that are not allowed in a URI
/// (spaces, non-ASCII, `<>"{}|\^`'`) are first replaced by a harmless one, then the value
/// must be an RFC 3986 URI-reference.
pub fn is_any_uri(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let bytes: Vec<u8> = s
        .bytes()
        .map(|b| match b {
            0..=32
            | 127..=255
            | b'<'
            | b'>'
            | b'"'
            | b'{'
            | b'}'
            | b'|'
            | b'\\'
            | b'^'
            | b'`'
            | b'\'' => b'_',
            b => b,
        })
        .collect();
    uri::is_uri_reference(&bytes)
}

/// RFC 3986 URI-reference grammar.
mod uri {
    pub fn is_uri_reference(s: &[u8]) -> bool {
        is_absolute_uri(s) || is_relative_ref(s)
    }

    fn is_absolute_uri(s: &[u8]) -> bool {
        let Some(colon) = s.iter().position(|&b| b == b':') else {
            return false;
        };
        let scheme = &s[..colon];
        let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
            && scheme
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        scheme_ok && hier_part_with_tail(&s[colon + 1..], false)
    }

    fn is_relative_ref(s: &[u8]) -> bool {
        hier_part_with_tail(s, true)
    }

    /// hier-part (or relative-part) followed by optional `?query` and `#fragment`.
    fn hier_part_with_tail(s: &[u8], relative: bool) -> bool {
        let (rest, fragment) = split_at_byte(s, b'#');
        if let Some(fragment) = fragment {
            if !fragment
                .iter()
                .enumerate()
                .all(|(i, _)| query_char(fragment, i))
            {
                return false;
            }
        }
        let (path_part, query) = split_at_byte(rest, b'?');
        if let Some(query) = query {
            if !query.iter().enumerate().all(|(i, _)| query_char(query, i)) {
                return false;
            }
        }
        if let Some(after) = path_part.strip_prefix(b"//") {
            let end = after.iter().position(|&b| b == b'/').unwrap_or(after.len());
            authority(&after[..end]) && path_chars(&after[end..])
        } else {
            if relative {
                // path-noscheme: the first segment may not contain ':'.
                let first_end = path_part
                    .iter()
                    .position(|&b| b == b'/')
                    .unwrap_or(path_part.len());
                if path_part[..first_end].contains(&b':') {
                    return false;
                }
            }
            path_chars(path_part)
        }
    }

    fn split_at_byte(s: &[u8], sep: u8) -> (&[u8], Option<&[u8]>) {
        match s.iter().position(|&b| b == sep) {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        }
    }

    fn authority(s: &[u8]) -> bool {
        let (userinfo, hostport) = match s.iter().rposition(|&b| b == b'@') {
            Some(i) => (Some(&s[..i]), &s[i + 1..]),
            None => (None, s),
        };
        if let Some(userinfo) = userinfo {
            let ok = (0..userinfo.len()).all(|i| {
                let b = userinfo[i];
                unreserved(b) || sub_delim(b) || b == b':' || pct_at(userinfo, i)
            });
            if !ok {
                return false;
            }
        }
        let (host, port) = if hostport.first() == Some(&b'[') {
            match hostport.iter().position(|&b| b == b']') {
                Some(close) => {
                    let literal = &hostport[1..close];
                    if literal.is_empty()
                        || !literal
                            .iter()
                            .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
                    {
                        return false;
                    }
                    match hostport.get(close + 1) {
                        None => (&hostport[..0], None),
                        Some(b':') => (&hostport[..0], Some(&hostport[close + 2..])),
                        Some(_) => return false,
                    }
                }
                None => return false,
            }
        } else {
            match hostport.iter().rposition(|&b| b == b':') {
                Some(i) => (&hostport[..i], Some(&hostport[i + 1..])),
                None => (hostport, None),
            }
        };
        let host_ok = (0..host.len()).all(|i| {
            let b = host[i];
            unreserved(b) || sub_delim(b) || pct_at(host, i)
        });
        host_ok && port.is_none_or(|p| p.iter().all(u8::is_ascii_digit))
    }

    fn path_chars(s: &[u8]) -> bool {
        (0..s.len()).all(|i| s[i] == b'/' || pchar(s, i))
    }

    fn query_char(s: &[u8], i: usize) -> bool {
        pchar(s, i) || matches!(s[i], b'/' | b'?')
    }

    /// pchar at index i; a `%` must start a valid escape, the two hex digits after it are
    /// accepted as part of that escape.
    fn pchar(s: &[u8], i: usize) -> bool {
        let b = s[i];
        unreserved(b) || sub_delim(b) || matches!(b, b':' | b'@') || pct_at(s, i)
    }

    fn pct_at(s: &[u8], i: usize) -> bool {
        let hex = |j: usize| s.get(j).is_some_and(u8::is_ascii_hexdigit);
        match s[i] {
            b'%' => hex(i + 1) && hex(i + 2),
            b if b.is_ascii_hexdigit() => {
                (i >= 1 && s[i - 1] == b'%' && hex(i)) || (i >= 2 && s[i - 2] == b'%' && hex(i - 1))
            }
            _ => false,
        }
    }

    fn unreserved(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
    }

    fn sub_delim(b: u8) -> bool {
        matches!(
            b,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_and_compare_by_value() {
        let d = |s| Decimal::parse(s).unwrap_or_else(|| panic!("{s}"));
        assert_eq!(d("1.50"), d("+01.5"));
        assert_eq!(d("-0"), d("0.000"));
        assert!(d("-1") < d("0") && d("0.5") < d("1") && d("-2") < d("-1.5"));
        assert!(d("10") > d("9.99"));
        for ok in ["5.", ".5", "+.5", "-0.0", "007"] {
            assert!(Decimal::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", ".", "-", "+", "1e3", "1.2.3", " 1", "1,5", "0x1F"] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn decimals_count_significant_digits_like_libxml2() {
        let d = |s| Decimal::parse(s).unwrap_or_else(|| panic!("{s}"));
        assert_eq!(
            (d("0.50").total_digits(), d("0.50").fraction_digits()),
            (1, 1)
        );
        assert_eq!(d("100").total_digits(), 3);
        assert_eq!(d("0.05").total_digits(), 2);
        assert!(Decimal::parse(&"1".repeat(24)).is_some());
        assert!(Decimal::parse(&"1".repeat(25)).is_none());
        assert!(Decimal::parse(&format!("0000{}", "1".repeat(24))).is_some());
    }

    #[test]
    fn integers_have_no_fraction() {
        assert!(Decimal::parse_integer("-0").is_some());
        assert!(Decimal::parse_integer("+12").is_some());
        for bad in ["1.0", "", "+", "1 2"] {
            assert!(Decimal::parse_integer(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn booleans_are_case_sensitive() {
        assert_eq!(parse_boolean("1"), Some(true));
        assert_eq!(parse_boolean("false"), Some(false));
        assert_eq!(parse_boolean("TRUE"), None);
    }

    #[test]
    fn dates_follow_the_real_calendar() {
        for ok in [
            "2020-02-29",
            "2000-02-29",
            "2021-12-31Z",
            "2021-01-01+14:00",
            "-0001-01-01",
            "10000-01-01",
            "2021-01-01-05:30",
        ] {
            assert!(parse_date(ok).is_some(), "{ok}");
        }
        for bad in [
            "2021-02-29",
            "1900-02-29",
            "2020-13-01",
            "2020-00-10",
            "2020-04-31",
            "0000-01-01",
            "01000-01-01",
            "2020-1-01",
            "21-01-01",
            "2021-01-01+14:01",
            "2021-01-01+01",
            "2021-01-01 ",
            "2021/01/01",
            "",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn times_and_date_times() {
        for ok in ["00:00:00", "23:59:59.999", "24:00:00", "12:00:00Z"] {
            assert!(parse_time(ok).is_some(), "{ok}");
        }
        for bad in [
            "24:00:01",
            "23:59:60",
            "12:60:00",
            "1:00:00",
            "12:00:00.",
            "12:00",
        ] {
            assert!(parse_time(bad).is_none(), "{bad}");
        }
        assert!(parse_date_time("2021-03-01T10:15:00.123+01:00").is_some());
        assert!(parse_date_time("2021-03-01 10:15:00").is_none());
        assert!(parse_date_time("2021-03-01T10:15").is_none());
        assert_eq!(
            parse_date_time("2021-03-01T10:15:00.50"),
            parse_date_time("2021-03-01T10:15:00.5")
        );
    }

    #[test]
    fn years() {
        assert!(parse_g_year("2020").is_some() && parse_g_year("2020Z").is_some());
        assert!(parse_g_year("20").is_none() && parse_g_year("+2020").is_none());
        assert!(parse_g_year("-0000").is_none());
        assert!(parse_g_year("9223372036854775807").is_some());
        assert!(parse_g_year("9223372036854775808").is_none());
    }

    #[test]
    fn binary_types_count_octets() {
        assert_eq!(hex_binary_octets("0aFF"), Some(2));
        assert_eq!(hex_binary_octets(""), Some(0));
        assert_eq!(hex_binary_octets("abc"), None);
        assert_eq!(hex_binary_octets("zz"), None);
        assert_eq!(base64_binary_octets("YWJj"), Some(3));
        assert_eq!(base64_binary_octets("YWI="), Some(2));
        assert_eq!(base64_binary_octets("YQ=="), Some(1));
        assert_eq!(base64_binary_octets("YW Jj"), Some(3));
        assert_eq!(base64_binary_octets(""), Some(0));
        // libxml2 skips characters outside the alphabet, like RFC 2045 decoders.
        assert_eq!(base64_binary_octets("éYW?J-j"), Some(3));
        assert_eq!(base64_binary_octets("YQ==-"), Some(1));
        for bad in ["YR==", "YWJ=", "Y===", "YWJ", "YW=j", "YQ=A="] {
            assert_eq!(base64_binary_octets(bad), None, "{bad}");
        }
    }

    #[test]
    fn uris_follow_rfc_3986_after_libxml2_escaping() {
        for ok in [
            "http://x/y",
            "a b",
            "é",
            "#frag",
            "",
            "urn:isbn:123",
            "../a?b=c",
            "http://[::1]:80/",
            "mailto:a@b.it",
            "http://u@h:8080/p%20q",
        ] {
            assert!(is_any_uri(ok), "{ok}");
        }
        for bad in [
            "::",
            "http://x/%zz",
            "a:b:c/%",
            "1http:x:y",
            "http://h:port/",
        ] {
            assert!(!is_any_uri(bad), "{bad}");
        }
    }
}
