//! Sesso, as the profile page shows it and a personal codice fiscale encodes it (day + 40 for
//! women).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sex must be M or F")]
pub struct SexError;

impl Sex {
    /// `M` or `F`, either case, surrounding spaces ignored.
    pub fn parse(input: &str) -> Result<Sex, SexError> {
        match input.trim() {
            "M" | "m" => Ok(Sex::Male),
            "F" | "f" => Ok(Sex::Female),
            _ => Err(SexError),
        }
    }

    /// `M` or `F`: the stored and printed form.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "M",
            Sex::Female => "F",
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m_and_f_only() {
        assert_eq!(Sex::parse(" f "), Ok(Sex::Female));
        assert_eq!(Sex::parse("M").map(Sex::as_str), Ok("M"));
        assert_eq!(Sex::parse("X"), Err(SexError));
        assert_eq!(Sex::parse(""), Err(SexError));
    }
}
