//! A code of exactly three ASCII digits: the shape of region and ASL codes (docs/registry.md).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ThreeDigits([u8; 3]);

impl ThreeDigits {
    /// `None` unless `input` is exactly three ASCII digits (no spaces, no other digits).
    pub(crate) fn parse(input: &str) -> Option<ThreeDigits> {
        match input.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_digit) => Some(ThreeDigits([a, b, c])),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for ThreeDigits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_ascii_digits_only() {
        assert_eq!(
            ThreeDigits::parse("120").map(|c| c.to_string()),
            Some("120".into())
        );
        for bad in ["", "12", "1200", "12a", " 120", "120 ", "１２０", "-12"] {
            assert_eq!(ThreeDigits::parse(bad), None, "{bad:?}");
        }
    }
}
