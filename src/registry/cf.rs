//! Building personal codici fiscali (docs/conventions.md "Codice fiscale"), with omocodia for
//! people whose data would give the same code.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};

use crate::domain::codice_fiscale::weighted_sum;

const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";
const OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";
/// Digit positions replaced by omocodia, rightmost first.
const OMOCODIA_POSITIONS: [usize; 7] = [14, 13, 12, 10, 9, 7, 6];

fn letters(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.bytes()
        .map(|b| b.to_ascii_uppercase())
        .filter(u8::is_ascii_uppercase)
}

fn is_vowel(b: u8) -> bool {
    b"AEIOU".contains(&b)
}

fn code(consonants: Vec<u8>, text: &str) -> [u8; 3] {
    let mut out: Vec<u8> = consonants;
    out.extend(letters(text).filter(|&b| is_vowel(b)));
    out.extend(b"XXX");
    [out[0], out[1], out[2]]
}

/// Surname part: consonants, then vowels, then X.
pub fn surname_code(surname: &str) -> [u8; 3] {
    code(
        letters(surname).filter(|&b| !is_vowel(b)).collect(),
        surname,
    )
}

/// Name part: with four or more consonants, the 1st, 3rd and 4th; otherwise as the surname.
pub fn name_code(name: &str) -> [u8; 3] {
    let consonants: Vec<u8> = letters(name).filter(|&b| !is_vowel(b)).collect();
    if consonants.len() >= 4 {
        [consonants[0], consonants[2], consonants[3]]
    } else {
        code(consonants, name)
    }
}

/// The first 15 characters (no omocodia).
pub fn base(surname: &str, name: &str, female: bool, birth: NaiveDate, place: &str) -> [u8; 15] {
    let mut out = [b'0'; 15];
    out[..3].copy_from_slice(&surname_code(surname));
    out[3..6].copy_from_slice(&name_code(name));
    let year = birth.year().rem_euclid(100) as u8;
    out[6] = b'0' + year / 10;
    out[7] = b'0' + year % 10;
    out[8] = MONTHS[birth.month0() as usize];
    let day = birth.day() as u8 + if female { 40 } else { 0 };
    out[9] = b'0' + day / 10;
    out[10] = b'0' + day % 10;
    let place = place.as_bytes();
    if place.len() == 4 {
        out[11..15].copy_from_slice(place);
    }
    out
}

/// The full 16-character code: the 15 characters and their check letter.
pub fn with_check(first15: &[u8; 15]) -> String {
    let mut cf = String::with_capacity(16);
    cf.extend(first15.iter().map(|&b| b as char));
    cf.push(char::from(b'A' + (weighted_sum(first15) % 26) as u8));
    cf
}

/// The `k`-th omocodic variant (k = 1..=7): the `k` rightmost digits replaced by letters.
pub fn omocode(first15: &[u8; 15], k: usize) -> [u8; 15] {
    let mut out = *first15;
    for &pos in OMOCODIA_POSITIONS.iter().take(k) {
        if out[pos].is_ascii_digit() {
            out[pos] = OMOCODIA[usize::from(out[pos] - b'0')];
        }
    }
    out
}

/// Issues unique codes: a code already issued gets its next omocodic variant, as the tax
/// office does. `None` when all eight variants are taken.
#[derive(Default)]
pub struct Issuer {
    issued: HashSet<[u8; 15]>,
    pub omocodic: u64,
}

impl Issuer {
    pub fn issue(&mut self, first15: [u8; 15]) -> Option<String> {
        for k in 0..=OMOCODIA_POSITIONS.len() {
            let candidate = omocode(&first15, k);
            if self.issued.insert(candidate) {
                if k > 0 {
                    self.omocodic += 1;
                }
                return Some(with_check(&candidate));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CodiceFiscale;

    #[test]
    fn builds_the_conventions_example() {
        let birth = NaiveDate::from_ymd_opt(1980, 1, 1).unwrap_or_default();
        let first = base("Rossi", "Mario", false, birth, "H501");
        assert_eq!(with_check(&first), "RSSMRA80A01H501U");
        assert_eq!(with_check(&omocode(&first, 1)), "RSSMRA80A01H50MM");
    }

    #[test]
    fn name_codes_follow_the_rules() {
        assert_eq!(&name_code("GIANFRANCO"), b"GFR");
        assert_eq!(&surname_code("XU"), b"XUX");
        assert_eq!(&surname_code("D'ANGELO"), b"DNG");
    }

    #[test]
    fn issuer_falls_back_to_valid_omocodic_codes() {
        let birth = NaiveDate::from_ymd_opt(1975, 4, 12).unwrap_or_default();
        let first = base("Verdi", "Lucia", true, birth, "H501");
        let mut issuer = Issuer::default();
        let codes: Vec<String> = (0..8).filter_map(|_| issuer.issue(first)).collect();
        assert_eq!(codes.len(), 8);
        assert_eq!(issuer.omocodic, 7);
        for cf in &codes {
            assert!(CodiceFiscale::parse(cf).is_ok(), "{cf}");
        }
        assert!(issuer.issue(first).is_none());
    }
}
