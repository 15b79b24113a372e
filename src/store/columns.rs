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
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
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
