//! The Italian codice fiscale (CF), as CONVENTIONS.md describes it: 16-character personal codes
//! (with omocodia and check letter), 11-digit numeric codes (partita-IVA check digit) and
//! STP/ENI codes for foreigners without registration.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CodiceFiscale(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CfError {
    #[error("codice fiscale must be 16 characters, 11 digits, or STP/ENI followed by 13 digits")]
    Shape,
    #[error("codice fiscale has a wrong check character (expected '{expected}')")]
    CheckCharacter { expected: char },
}

/// Month letters of a 16-character CF.
const MONTHS: &[u8] = b"ABCDEHLMPRST";
/// Letters that replace digits in omocodic codes: L=0, M=1, …, V=9.
const OMOCODIA: &[u8] = b"LMNPQRSTUV";
/// Check-letter values of characters in odd positions (1-based), for 0-9 and A-Z.
const ODD_DIGITS: [u32; 10] = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21];
const ODD_LETTERS: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

impl CodiceFiscale {
    /// Accepts upper- or lower-case input with surrounding spaces; stores the upper-case form.
    pub fn parse(input: &str) -> Result<CodiceFiscale, CfError> {
        let cf = input.trim().to_ascii_uppercase();
        let bytes = cf.as_bytes();
        match bytes.len() {
            16 if is_personal_shape(bytes) => {
                let expected = check_letter(&bytes[..15]);
                if bytes[15] as char == expected {
                    Ok(CodiceFiscale(cf))
                } else {
                    Err(CfError::CheckCharacter { expected })
                }
            }
            16 if (cf.starts_with("STP") || cf.starts_with("ENI"))
                && bytes[3..].iter().all(u8::is_ascii_digit) =>
            {
                Ok(CodiceFiscale(cf))
            }
            11 if bytes.iter().all(u8::is_ascii_digit) => {
                let expected = numeric_check_digit(&bytes[..10]);
                if bytes[10] as char == expected {
                    Ok(CodiceFiscale(cf))
                } else {
                    Err(CfError::CheckCharacter { expected })
                }
            }
            _ => Err(CfError::Shape),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Letters where letters belong; digits (or their omocodia letters) where digits belong;
/// a real month letter; a place code of letter + 3 digits.
fn is_personal_shape(b: &[u8]) -> bool {
    let digit_like = |c: u8| c.is_ascii_digit() || OMOCODIA.contains(&c);
    b[..6].iter().all(u8::is_ascii_uppercase)
        && digit_like(b[6])
        && digit_like(b[7])
        && MONTHS.contains(&b[8])
        && digit_like(b[9])
        && digit_like(b[10])
        && b[11].is_ascii_uppercase()
        && b[12..15].iter().all(|&c| digit_like(c))
        && b[15].is_ascii_uppercase()
}

/// Check letter over the first 15 characters, as written (omocodic letters count as letters).
fn check_letter(first15: &[u8]) -> char {
    char::from(b'A' + (weighted_sum(first15) % 26) as u8)
}

/// The codice-fiscale check sum over upper-case ASCII letters and digits: a character in an odd
/// (1-based) position scores its odd-table value, one in an even position its even value (a
/// digit itself, a letter its 0-based place in A–Z). The Immuni OTP's check character uses the
/// same sum, mod 25. Other bytes score 0; callers check the alphabet first.
pub(crate) fn weighted_sum(chars: &[u8]) -> u32 {
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let odd_position = i % 2 == 0; // 1-based odd
            match (odd_position, c) {
                (true, b'0'..=b'9') => ODD_DIGITS[usize::from(c - b'0')],
                (true, b'A'..=b'Z') => ODD_LETTERS[usize::from(c - b'A')],
                (false, b'0'..=b'9') => u32::from(c - b'0'),
                (false, b'A'..=b'Z') => u32::from(c - b'A'),
                _ => 0,
            }
        })
        .sum()
}

/// Partita-IVA check digit over the first 10 digits.
fn numeric_check_digit(first10: &[u8]) -> char {
    let sum: u32 = first10
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 0 {
                d
            } else if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

impl fmt::Display for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodiceFiscale({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_examples_from_conventions() {
        assert_eq!(
            CodiceFiscale::parse("RSSMRA80A01H501U").map(|c| c.0),
            Ok("RSSMRA80A01H501U".to_owned())
        );
        assert!(
            CodiceFiscale::parse("RSSMRA80A01H50MM").is_ok(),
            "omocodic variant"
        );
        assert_eq!(
            CodiceFiscale::parse("PRVSST76A10G942K"),
            Err(CfError::CheckCharacter { expected: 'L' })
        );
        assert!(CodiceFiscale::parse("00265910661").is_ok());
        assert!(CodiceFiscale::parse("12345678903").is_ok());
        assert!(CodiceFiscale::parse("12345678901").is_err());
        assert!(CodiceFiscale::parse("STP1234567890123").is_ok());
        assert!(CodiceFiscale::parse("ENI1234567890123").is_ok());
    }

    #[test]
    fn lower_case_and_spaces_are_normalised() {
        assert_eq!(
            CodiceFiscale::parse("  rssmra80a01h501u ").map(|c| c.to_string()),
            Ok("RSSMRA80A01H501U".to_owned())
        );
    }

    #[test]
    fn wrong_shapes_are_refused() {
        for bad in [
            "",
            "RSSMRA80A01H501",
            "RSSMRA80Z01H501U",
            "RSSMRA80A01H5O1U",
            "1SSMRA80A01H501U",
            "STP12345678901X3",
            "RSSMRA80A01H501UX",
        ] {
            assert_eq!(CodiceFiscale::parse(bad), Err(CfError::Shape), "{bad}");
        }
    }

    #[test]
    fn every_single_character_change_of_the_check_letter_is_caught() {
        for c in b'A'..=b'Z' {
            let cf = format!("RSSMRA80A01H501{}", c as char);
            assert_eq!(CodiceFiscale::parse(&cf).is_ok(), c == b'U', "{cf}");
        }
    }
}
