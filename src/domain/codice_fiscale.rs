//! The Italian codice fiscale (CF), as docs/conventions.md describes it: 16-character personal
//! codes (with omocodia and check letter), 11-digit numeric codes (partita-IVA check digit) and
//! STP/ENI codes for foreigners without registration.
//!
//! A 16-character code's birth date must exist: day 01–31 (41–71 for women, who add 40) and
//! within its month. The 2-digit year may be 19xx or 20xx, so 29 February stands when either is
//! a leap year. The date is judged before the check letter: a code with an impossible date is
//! malformed whatever its check letter, so for an operator's own CF, where a wrong check letter
//! is only a warning, an impossible date still refuses the request.

use std::fmt;

use super::Sex;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CodiceFiscale(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CfError {
    #[error("codice fiscale must be 16 characters, 11 digits, or STP/ENI followed by 13 digits")]
    Shape,
    #[error(
        "codice fiscale has a birth date that cannot exist (day and month of characters 9–11)"
    )]
    BirthDate,
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
                if !has_possible_birth_date(bytes) {
                    return Err(CfError::BirthDate);
                }
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

    /// What a personal (16-character) code says of its holder's birth; `None` for numeric and
    /// STP/ENI codes, which say nothing.
    pub fn birth(&self) -> Option<CfBirth> {
        let b = self.0.as_bytes();
        if b.len() != 16 || !is_personal_shape(b) {
            return None;
        }
        let month = MONTHS.iter().position(|&m| m == b[8])? as u32 + 1;
        let (day, sex) = match digit_value(b[9]) * 10 + digit_value(b[10]) {
            d @ 41..=71 => (d - 40, Sex::Female),
            d => (d, Sex::Male),
        };
        Some(CfBirth {
            year_of_century: digit_value(b[6]) * 10 + digit_value(b[7]),
            month,
            day,
            sex,
        })
    }
}

/// The birth data a personal codice fiscale encodes: the year without its century.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CfBirth {
    pub year_of_century: u32,
    pub month: u32,
    pub day: u32,
    pub sex: Sex,
}

impl CfBirth {
    /// Whether `date` is the day the code encodes (in either century).
    pub fn is_on(&self, date: chrono::NaiveDate) -> bool {
        use chrono::Datelike as _;
        date.year().rem_euclid(100) as u32 == self.year_of_century
            && date.month() == self.month
            && date.day() == self.day
    }

    /// The birth date, taking the latest century that makes the holder at least `min_age`
    /// years old on `today`.
    pub fn date(&self, today: chrono::NaiveDate, min_age: i32) -> Option<chrono::NaiveDate> {
        use chrono::Datelike as _;
        let latest_year = today.year() - min_age;
        let cutoff = today
            .with_year(latest_year)
            .or_else(|| today.pred_opt()?.with_year(latest_year))?;
        let year = latest_year - (latest_year - self.year_of_century as i32).rem_euclid(100);
        chrono::NaiveDate::from_ymd_opt(year, self.month, self.day)
            .filter(|date| *date <= cutoff)
            .or_else(|| chrono::NaiveDate::from_ymd_opt(year - 100, self.month, self.day))
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

/// The value of a digit position, reading an omocodic letter as the digit it replaces.
fn digit_value(c: u8) -> u32 {
    match OMOCODIA.iter().position(|&l| l == c) {
        Some(digit) => digit as u32,
        None => u32::from(c.wrapping_sub(b'0')),
    }
}

/// Year (positions 7–8), month letter (9) and day (10–11, women +40) of a personal-shaped code
/// name a day that exists in 19xx or in 20xx.
fn has_possible_birth_date(b: &[u8]) -> bool {
    let year = digit_value(b[6]) * 10 + digit_value(b[7]);
    let Some(month) = MONTHS.iter().position(|&m| m == b[8]) else {
        return false;
    };
    let day = match digit_value(b[9]) * 10 + digit_value(b[10]) {
        d @ 1..=31 => d,
        d @ 41..=71 => d - 40,
        _ => return false,
    };
    // 1900 is not a leap year but 2000 is: year % 4 == 0 is a leap year in one of the two.
    let days_in_month = match month + 1 {
        2 if year.is_multiple_of(4) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day <= days_in_month
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

    fn with_check_letter(first15: &str) -> String {
        format!("{first15}{}", check_letter(first15.as_bytes()))
    }

    #[test]
    fn a_personal_code_tells_birth_day_and_sex() -> Result<(), CfError> {
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        let today = day(2026, 11, 30);
        let mario = CodiceFiscale::parse("RSSMRA80A01H501U")?.birth();
        assert_eq!(
            mario,
            Some(CfBirth {
                year_of_century: 80,
                month: 1,
                day: 1,
                sex: Sex::Male
            })
        );
        assert_eq!(mario.and_then(|b| b.date(today, 16)), Some(day(1980, 1, 1)));
        assert!(mario.is_some_and(|b| b.is_on(day(1980, 1, 1)) && !b.is_on(day(1980, 1, 2))));
        let omocodic = CodiceFiscale::parse("RSSMRA80A01H50MM")?.birth();
        assert_eq!(omocodic.map(|b| b.day), Some(1));
        let anna = CodiceFiscale::parse(&with_check_letter("VRDNNA15M52F205"))?.birth();
        let anna = anna.ok_or(CfError::Shape)?;
        assert_eq!((anna.sex, anna.day, anna.month), (Sex::Female, 12, 8));
        assert_eq!(
            anna.date(today, 16),
            Some(day(1915, 8, 12)),
            "not 16 if born in 2015"
        );
        assert_eq!(anna.date(today, 0), Some(day(2015, 8, 12)));
        assert_eq!(CodiceFiscale::parse("00265910661")?.birth(), None);
        Ok(())
    }

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

    /// `RSSMRA` + the given year, month letter and day characters + `H501` + its check letter.
    fn code(year: &str, month: char, day: &str) -> String {
        let first15 = format!("RSSMRA{year}{month}{day}H501");
        format!("{first15}{}", check_letter(first15.as_bytes()))
    }

    /// The omocodic letter of a digit.
    fn omocodic(digits: &str) -> String {
        digits
            .bytes()
            .map(|d| char::from(OMOCODIA[usize::from(d - b'0')]))
            .collect()
    }

    #[test]
    fn impossible_days_are_refused_in_digit_and_omocodic_form() {
        for day in ["00", "32", "35", "40", "72", "80", "99"] {
            for written in [day.to_owned(), omocodic(day)] {
                let cf = code("80", 'A', &written);
                assert_eq!(CodiceFiscale::parse(&cf), Err(CfError::BirthDate), "{cf}");
            }
        }
        for day in ["01", "31", "41", "71"] {
            for written in [day.to_owned(), omocodic(day)] {
                let cf = code("80", 'A', &written);
                assert!(CodiceFiscale::parse(&cf).is_ok(), "{cf}");
            }
        }
    }

    #[test]
    fn days_absent_from_their_month_are_refused_for_men_and_women() {
        // B = February, D = April, H = June, P = September, S = November.
        for (year, month, day) in [
            ("81", 'B', "29"),
            ("81", 'B', "69"),
            ("80", 'B', "30"),
            ("80", 'B', "70"),
            ("80", 'D', "31"),
            ("80", 'D', "71"),
            ("80", 'H', "31"),
            ("80", 'P', "31"),
            ("80", 'S', "71"),
        ] {
            let cf = code(year, month, day);
            assert_eq!(CodiceFiscale::parse(&cf), Err(CfError::BirthDate), "{cf}");
        }
    }

    #[test]
    fn the_29th_of_february_stands_when_either_century_is_a_leap_year() {
        // 00: 1900 is not a leap year, 2000 is. 80, 04: both are.
        for year in ["00", "04", "80", "96"] {
            for day in ["29", "69"] {
                let cf = code(year, 'B', day);
                assert!(CodiceFiscale::parse(&cf).is_ok(), "{cf}");
                let omocodic_year = code(&omocodic(year), 'B', day);
                assert!(
                    CodiceFiscale::parse(&omocodic_year).is_ok(),
                    "{omocodic_year}"
                );
            }
        }
    }

    /// Every year, month and 2-digit day, as digits and as omocodic letters, judged against the
    /// calendar: the code is accepted exactly when the day exists in 19xx or 20xx.
    #[test]
    fn every_birth_date_agrees_with_the_calendar() {
        let mut accepted = 0;
        for year in 0..100u32 {
            for (m, &month) in MONTHS.iter().enumerate() {
                for day in 0..100u32 {
                    let real_day = match day {
                        1..=31 => Some(day),
                        41..=71 => Some(day - 40),
                        _ => None,
                    };
                    let exists = real_day.is_some_and(|d| {
                        [1900, 2000].iter().any(|century| {
                            chrono::NaiveDate::from_ymd_opt(century + year as i32, m as u32 + 1, d)
                                .is_some()
                        })
                    });
                    let (y, d) = (format!("{year:02}"), format!("{day:02}"));
                    for (y, d) in [(y.clone(), d.clone()), (omocodic(&y), omocodic(&d))] {
                        let cf = code(&y, char::from(month), &d);
                        let verdict = CodiceFiscale::parse(&cf);
                        if exists {
                            assert!(verdict.is_ok(), "{cf}: {verdict:?}");
                            accepted += 1;
                        } else {
                            assert_eq!(verdict, Err(CfError::BirthDate), "{cf}");
                        }
                    }
                }
            }
        }
        // 366 days for men and for women, in 100 years, digits and letters: 25 leap years
        // of 19xx/20xx give every 29 February; the other 75 years lack it.
        assert_eq!(accepted, 2 * 2 * (100 * 365 + 25));
    }

    #[test]
    fn an_impossible_date_outranks_a_wrong_check_letter() {
        let good = code("80", 'B', "30");
        let wrong_letter = if good.ends_with('A') { 'B' } else { 'A' };
        let cf = format!("{}{wrong_letter}", &good[..15]);
        assert_eq!(CodiceFiscale::parse(&cf), Err(CfError::BirthDate));
    }
}
