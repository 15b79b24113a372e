//! An operator's own codice fiscale, read leniently (docs/conventions.md): a wrong check letter is
//! only a warning — the operator is authenticated, so the letter adds nothing — but a code of the
//! wrong shape, or with a birth date that cannot exist, is refused as for any CF.

use std::fmt;

use super::codice_fiscale::{CfError, CodiceFiscale};

/// An upper-case CF of a valid shape and birth date, whose check letter may be wrong.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OperatorCf {
    cf: String,
    /// The check letter it should have had, when its own is wrong.
    expected_check: Option<char>,
}

/// Why a text is not even an operator's CF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OperatorCfError {
    #[error("codice fiscale must be 16 characters, 11 digits, or STP/ENI followed by 13 digits")]
    Shape,
    #[error(
        "codice fiscale has a birth date that cannot exist (day and month of characters 9–11)"
    )]
    BirthDate,
}

impl OperatorCf {
    /// Upper- or lower-case input with surrounding spaces; kept upper-case.
    pub fn parse(input: &str) -> Result<OperatorCf, OperatorCfError> {
        match CodiceFiscale::parse(input) {
            Ok(cf) => Ok(OperatorCf::from(cf)),
            Err(CfError::CheckCharacter { expected }) => Ok(OperatorCf {
                cf: input.trim().to_ascii_uppercase(),
                expected_check: Some(expected),
            }),
            Err(CfError::Shape) => Err(OperatorCfError::Shape),
            Err(CfError::BirthDate) => Err(OperatorCfError::BirthDate),
        }
    }

    /// The check letter the code should end with, when it does not (the warning to give).
    pub fn wrong_check_character(&self) -> Option<char> {
        self.expected_check
    }

    /// The same code as a strict [`CodiceFiscale`], when its check letter is right.
    pub fn strict(&self) -> Option<CodiceFiscale> {
        match self.expected_check {
            None => CodiceFiscale::parse(&self.cf).ok(),
            Some(_) => None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.cf
    }

    /// Whether this is `other`, the codes compared as the gateway stores them (upper-case).
    pub fn is(&self, other: &CodiceFiscale) -> bool {
        self.cf == other.as_str()
    }
}

impl From<CodiceFiscale> for OperatorCf {
    fn from(cf: CodiceFiscale) -> OperatorCf {
        OperatorCf {
            cf: cf.as_str().to_owned(),
            expected_check: None,
        }
    }
}

impl fmt::Display for OperatorCf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cf)
    }
}

impl fmt::Debug for OperatorCf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OperatorCf({})", self.cf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_check_letter_is_kept_and_told() {
        let right = OperatorCf::parse(" rssmra80a01h501u ");
        assert_eq!(
            right
                .as_ref()
                .map(|cf| (cf.as_str(), cf.wrong_check_character())),
            Ok(("RSSMRA80A01H501U", None))
        );
        assert!(right.is_ok_and(|cf| cf.strict().is_some()));
        let wrong = OperatorCf::parse("RSSMRA80A01H501X");
        assert_eq!(
            wrong
                .as_ref()
                .map(|cf| (cf.as_str(), cf.wrong_check_character())),
            Ok(("RSSMRA80A01H501X", Some('U')))
        );
        assert!(wrong.is_ok_and(|cf| cf.strict().is_none()));
    }

    #[test]
    fn shape_and_birth_date_are_refused_whatever_the_check_letter() {
        assert_eq!(
            OperatorCf::parse("RSSMRA80A01H50"),
            Err(OperatorCfError::Shape)
        );
        for letter in 'A'..='Z' {
            assert_eq!(
                OperatorCf::parse(&format!("RSSMRA80B30H501{letter}")),
                Err(OperatorCfError::BirthDate)
            );
        }
    }

    #[test]
    fn compares_with_a_strict_cf() -> Result<(), CfError> {
        let strict = CodiceFiscale::parse("RSSMRA80A01H501U")?;
        assert!(OperatorCf::from(strict.clone()).is(&strict));
        assert!(OperatorCf::parse("rssmra80a01h501u").is_ok_and(|cf| cf.is(&strict)));
        assert!(OperatorCf::parse("RSSMRA80A01H501X").is_ok_and(|cf| !cf.is(&strict)));
        Ok(())
    }
}
