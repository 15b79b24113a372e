//! How typed values are stored, and read back: dates as `yyyy-mm-dd` text, codici fiscali and
//! region/ASL codes as their text. A stored value that does not parse as what its column holds
//! is [`StoreError::CorruptRow`], naming the table, the row, the column and the value: only a
//! foreign writer or tampering stores one, since every write path parses first.

use chrono::NaiveDate;

use super::StoreError;
use crate::domain::{AslCode, CodiceFiscale, OperatorCf, PhoneNumber, Profile, RegionCode};

/// `yyyy-mm-dd`, the stored form of a date.
pub(crate) fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// `yyyy-mm-dd` exactly as [`day`] writes it, read by hand: chrono's `parse_from_str` walks its
/// format string for every value (about 30 times as long), and a list reads two dates a row.
/// Anything else is left to chrono.
fn iso_day(value: &str) -> Option<NaiveDate> {
    let bytes = value.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, digit| {
            digit
                .is_ascii_digit()
                .then(|| n * 10 + u32::from(digit - b'0'))
        })
    };
    let year = i32::try_from(number(&bytes[..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, number(&bytes[5..7])?, number(&bytes[8..])?)
}

/// The row a value is read from, to name it when the value does not parse.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredRow<'k> {
    pub table: &'static str,
    /// What identifies the row: its key, as the table holds it.
    pub key: &'k str,
}

impl<'k> StoredRow<'k> {
    pub(crate) fn new(table: &'static str, key: &'k str) -> StoredRow<'k> {
        StoredRow { table, key }
    }

    /// The error for `value` of `column`, which is not `expected`.
    pub(crate) fn corrupt(
        &self,
        column: &'static str,
        value: &str,
        expected: &'static str,
    ) -> StoreError {
        StoreError::CorruptRow {
            table: self.table,
            key: self.key.chars().take(64).collect(),
            column,
            value: value.chars().take(64).collect(),
            expected,
        }
    }

    pub(crate) fn day(&self, column: &'static str, value: &str) -> Result<NaiveDate, StoreError> {
        iso_day(value)
            .map_or_else(|| NaiveDate::parse_from_str(value, "%Y-%m-%d"), Ok)
            .map_err(|_| self.corrupt(column, value, "a yyyy-mm-dd date"))
    }

    /// A codice fiscale written only after a strict check (a patient's, a titolare's, an MMG's).
    pub(crate) fn cf(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<CodiceFiscale, StoreError> {
        CodiceFiscale::parse(value)
            .map_err(|_| self.corrupt(column, value, "a valid codice fiscale"))
    }

    /// A doctor's or operator's own CF, whose check letter may be wrong (docs/conventions.md).
    pub(crate) fn operator_cf(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<OperatorCf, StoreError> {
        OperatorCf::parse(value)
            .map_err(|_| self.corrupt(column, value, "an operator's codice fiscale"))
    }

    pub(crate) fn region(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<RegionCode, StoreError> {
        RegionCode::parse(value).map_err(|_| self.corrupt(column, value, "a 3-digit region code"))
    }

    pub(crate) fn asl(&self, column: &'static str, value: &str) -> Result<AslCode, StoreError> {
        AslCode::parse(value).map_err(|_| self.corrupt(column, value, "a 3-digit ASL code"))
    }

    pub(crate) fn phone(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<PhoneNumber, StoreError> {
        PhoneNumber::parse(value).map_err(|_| self.corrupt(column, value, "a phone number"))
    }

    pub(crate) fn profile(&self, column: &'static str, value: &str) -> Result<Profile, StoreError> {
        Profile::parse(value).map_err(|_| self.corrupt(column, value, "a known profile name"))
    }

    /// `None` stays `None`; a value must parse with `parse`.
    pub(crate) fn optional<T>(
        &self,
        column: &'static str,
        value: Option<&str>,
        parse: impl Fn(&Self, &'static str, &str) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        value.map(|v| parse(self, column, v)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_day_reads_back_as_chrono_reads_it() {
        let row = StoredRow::new("t", "k");
        for day_text in [
            "2026-11-30",
            "2024-02-29",
            "0999-01-01",
            "9999-12-31",
            "2020-9-1",
            "+12020-09-01",
        ] {
            assert_eq!(
                row.day("d", day_text).ok(),
                NaiveDate::parse_from_str(day_text, "%Y-%m-%d").ok(),
                "{day_text}"
            );
        }
        for wrong in [
            "2023-02-29",
            "2026-13-01",
            "2026-11-3x",
            "20261130",
            "",
            "2026-11-300",
        ] {
            assert!(row.day("d", wrong).is_err(), "{wrong}");
        }
        let date = NaiveDate::from_ymd_opt(2021, 3, 1).expect("date");
        assert_eq!(row.day("d", &day(date)).ok(), Some(date));
    }
}
