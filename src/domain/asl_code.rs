//! The 3-digit code of an ASL (local health authority), e.g. `201`. It is unique only within its
//! region (docs/registry.md): an ASL is named by the pair (region, ASL code).

use std::fmt;

use super::three_digits::ThreeDigits;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AslCode(ThreeDigits);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ASL code must be exactly 3 digits")]
pub struct AslCodeError;

impl AslCode {
    pub fn parse(input: &str) -> Result<AslCode, AslCodeError> {
        ThreeDigits::parse(input).map(AslCode).ok_or(AslCodeError)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for AslCode {
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
            AslCode::parse("201").map(|a| a.to_string()),
            Ok("201".into())
        );
        for bad in ["", "20", "2010", "2o1", " 201"] {
            assert_eq!(AslCode::parse(bad), Err(AslCodeError), "{bad}");
        }
    }
}
