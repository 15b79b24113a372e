//! The 3-digit code of a region (or autonomous province), e.g. `120` for Lazio.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("region code must be exactly 3 digits")]
pub struct RegionCodeError;

impl RegionCode {
    pub fn parse(input: &str) -> Result<RegionCode, RegionCodeError> {
        match input.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_digit) => Ok(RegionCode([a, b, c])),
            _ => Err(RegionCodeError),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_digits_only() {
        assert_eq!(
            RegionCode::parse("120").map(|r| r.to_string()),
            Ok("120".into())
        );
        for bad in ["", "12", "1200", "12a", " 120", "１２０"] {
            assert_eq!(RegionCode::parse(bad), Err(RegionCodeError), "{bad}");
        }
    }
}
