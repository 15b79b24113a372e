//! The Immuni app's one-time code (docs/immuni-upstream.md "The OTP"): ten characters of a
//! 25-character alphabet, the last a check character. Operators type it as the app shows it
//! (`KJ2-3IWY-5UJ`), often in lower case; parsing normalises before checking.
//!
//! The value is confidential: `Debug` never shows it, there is no `Display`, and a parse error
//! never carries it. Only [`Otp::as_upstream_str`] hands it out, for the upload.

use std::fmt;

use super::codice_fiscale::weighted_sum;

/// The alphabet, in the order the check character indexes it.
const ALPHABET: &[u8; 25] = b"AEFHIJKLQRSUWXYZ123456789";
const LENGTH: usize = 10;

/// A well-formed OTP with a correct check character, upper case, no separators.
#[derive(Clone, PartialEq, Eq)]
pub struct Otp([u8; LENGTH]);

/// Why a typed code is not an OTP. Carries no part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpError {
    /// Not ten characters once separators and spaces are removed.
    Length,
    /// A character outside the alphabet (e.g. `0`, `O`, `B`).
    Alphabet,
    /// The tenth character is not the check character of the first nine.
    CheckCharacter,
}

impl Otp {
    /// Strips spaces and the separators operators type (`-`, `.`, `_`, `/`), upper-cases, then
    /// checks length, alphabet and check character, in that order.
    pub fn parse(typed: &str) -> Result<Otp, OtpError> {
        let mut code = [0u8; LENGTH];
        let mut len = 0;
        for c in typed.chars() {
            if c.is_whitespace() || matches!(c, '-' | '.' | '_' | '/') {
                continue;
            }
            if len == LENGTH {
                return Err(OtpError::Length);
            }
            // Non-ASCII can never be in the alphabet; keep counting it toward the length.
            code[len] = if c.is_ascii() {
                c.to_ascii_uppercase() as u8
            } else {
                b'?'
            };
            len += 1;
        }
        if len != LENGTH {
            return Err(OtpError::Length);
        }
        if !code.iter().all(|b| ALPHABET.contains(b)) {
            return Err(OtpError::Alphabet);
        }
        if check_character(&code[..LENGTH - 1]) != code[LENGTH - 1] {
            return Err(OtpError::CheckCharacter);
        }
        Ok(Otp(code))
    }

    /// A random valid code, as the Immuni app would show: for the demo's samples, the
    /// conformance kit and load tests, never for a real citizen.
    pub fn generate() -> Otp {
        use rand::Rng;
        let mut rng = rand::rng();
        let mut code = [0u8; LENGTH];
        for slot in code.iter_mut().take(LENGTH - 1) {
            *slot = ALPHABET[rng.random_range(0..ALPHABET.len())];
        }
        code[LENGTH - 1] = check_character(&code[..LENGTH - 1]);
        Otp(code)
    }

    /// The bare ten characters, for the upstream request body and nothing else.
    pub fn as_upstream_str(&self) -> &str {
        // Only alphabet bytes (ASCII) are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for Otp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Otp(<redacted>)")
    }
}

/// The codice-fiscale weighted sum of the first nine characters, mod 25, indexes [`ALPHABET`].
fn check_character(body: &[u8]) -> u8 {
    ALPHABET[(weighted_sum(body) % 25) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_examples_of_the_contract_hold() {
        for (body, check) in [
            ("KJ23IWY5U", b'J'),
            ("9K2RAY8UU", b'Q'),
            ("AAAAAAAAA", b'J'),
            ("111111111", b'I'),
            ("ZZZZZZZZZ", b'Z'),
        ] {
            assert_eq!(check_character(body.as_bytes()), check, "{body}");
        }
        assert!(Otp::parse("KJ23IWY5UJ").is_ok());
        assert_eq!(Otp::parse("KJ23IWY5UA"), Err(OtpError::CheckCharacter));
    }

    #[test]
    fn the_typed_form_is_normalised() {
        for typed in [
            "KJ2-3IWY-5UJ",
            "kj2-3iwy-5uj",
            " KJ2 3IWY 5UJ ",
            "kj23iwy5uj\n",
        ] {
            let otp = Otp::parse(typed).map_err(|e| format!("{typed:?}: {e:?}"));
            assert_eq!(
                otp.map(|o| o.as_upstream_str().to_owned()).as_deref(),
                Ok("KJ23IWY5UJ")
            );
        }
    }

    #[test]
    fn each_way_of_being_wrong_has_its_own_error() {
        assert_eq!(Otp::parse(""), Err(OtpError::Length));
        assert_eq!(Otp::parse("KJ23IWY5U"), Err(OtpError::Length));
        assert_eq!(Otp::parse("KJ23IWY5UJJ"), Err(OtpError::Length));
        // 0, O, B are not in the alphabet.
        assert_eq!(Otp::parse("KJ23IWY50J"), Err(OtpError::Alphabet));
        assert_eq!(Otp::parse("OJ23IWY5UJ"), Err(OtpError::Alphabet));
        assert_eq!(Otp::parse("KJ23IWY5UÉ"), Err(OtpError::Alphabet));
        assert_eq!(Otp::parse("9K2RAY8UUA"), Err(OtpError::CheckCharacter));
    }

    #[test]
    fn generated_codes_are_valid() {
        for _ in 0..100 {
            let otp = Otp::generate();
            assert_eq!(Otp::parse(otp.as_upstream_str()), Ok(otp));
        }
    }

    #[test]
    fn debug_never_shows_the_code() {
        let otp = Otp::parse("KJ23IWY5UJ").map_err(|e| format!("{e:?}"));
        assert_eq!(format!("{otp:?}"), "Ok(Otp(<redacted>))");
    }

    /// Any nine alphabet characters followed by their check character parse, and the same nine
    /// followed by any other character do not.
    #[test]
    fn every_body_has_exactly_one_check_character() {
        let mut seed = 0x2545_f491_u32;
        for _ in 0..500 {
            let mut code = [0u8; LENGTH];
            for slot in code.iter_mut().take(LENGTH - 1) {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                *slot = ALPHABET[(seed >> 16) as usize % ALPHABET.len()];
            }
            let accepted: Vec<u8> = ALPHABET
                .iter()
                .copied()
                .filter(|&last| {
                    code[LENGTH - 1] = last;
                    Otp::parse(std::str::from_utf8(&code).unwrap_or_default()).is_ok()
                })
                .collect();
            assert_eq!(accepted, vec![check_character(&code[..LENGTH - 1])]);
        }
    }
}
