//! The 3-digit code of a region (or autonomous province), e.g. `120` for Lazio.

use std::fmt;

use super::three_digits::ThreeDigits;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(ThreeDigits);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("region code must be exactly 3 digits")]
pub struct RegionCodeError;

impl RegionCode {
    pub fn parse(input: &str) -> Result<RegionCode, RegionCodeError> {
        ThreeDigits::parse(input)
            .map(RegionCode)
            .ok_or(RegionCodeError)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
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
