//! The symptom-onset date sent with an OTP (IMMUNI_OTP.md "The symptom-onset date"):
//! `yyyy-MM-dd`, not after today, not more than the window (default 180 days) before it, with
//! "today" taken in Europe/Rome, where the operators are.
//!
//! Upstream judges the same window against its own (UTC) date. Rome is ahead of UTC, so the
//! gateway is never more lenient at the old end; in the first hour or two of a Rome day, a date
//! equal to Rome's today is still "tomorrow" upstream and comes back as a rejection from Immuni.
//!
//! Like the OTP, the date is confidential: `Debug` hides it and errors never carry it.

use std::fmt;

use chrono::{NaiveDate, TimeDelta};

#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SymptomOnsetDate(NaiveDate);

/// Why a date is refused. Carries no part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymptomDateError {
    /// Not a real calendar date written `yyyy-MM-dd`.
    Format,
    /// After today.
    Future,
    /// More than the window before today.
    TooOld,
}

impl SymptomOnsetDate {
    /// Parses `yyyy-MM-dd` (exactly: four-digit year, two-digit month and day) and checks it
    /// against `today` and the window of `window_days`.
    pub fn parse(
        text: &str,
        today: NaiveDate,
        window_days: u32,
    ) -> Result<SymptomOnsetDate, SymptomDateError> {
        let text = text.trim();
        let shape_ok = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !shape_ok {
            return Err(SymptomDateError::Format);
        }
        let date =
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| SymptomDateError::Format)?;
        if date > today {
            return Err(SymptomDateError::Future);
        }
        if today - date > TimeDelta::days(i64::from(window_days)) {
            return Err(SymptomDateError::TooOld);
        }
        Ok(SymptomOnsetDate(date))
    }

    /// `yyyy-MM-dd`, for the upstream request body and nothing else.
    pub fn to_upstream_string(self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
}

impl fmt::Debug for SymptomOnsetDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SymptomOnsetDate(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default()
    }

    #[test]
    fn today_and_the_window_edges_are_accepted() {
        for text in ["2026-11-22", "2026-05-26", " 2026-11-01 "] {
            let date = SymptomOnsetDate::parse(text, today(), 180);
            assert!(date.is_ok(), "{text}");
        }
        let edge =
            SymptomOnsetDate::parse("2026-05-26", today(), 180).map(|d| d.to_upstream_string());
        assert_eq!(edge.as_deref(), Ok("2026-05-26"));
    }

    #[test]
    fn each_way_of_being_wrong_has_its_own_error() {
        use SymptomDateError::*;
        for (text, error) in [
            ("2026-11-23", Future),
            ("2026-05-25", TooOld),
            ("22/11/2026", Format),
            ("2026-2-01", Format),
            ("2026-02-30", Format),
            ("2026-11-22T00:00:00", Format),
            ("+2026-11-22", Format),
            ("", Format),
            ("२०२६-११-२२", Format),
        ] {
            assert_eq!(
                SymptomOnsetDate::parse(text, today(), 180),
                Err(error),
                "{text}"
            );
        }
    }

    #[test]
    fn the_window_is_configurable() {
        assert_eq!(
            SymptomOnsetDate::parse("2026-11-07", today(), 14),
            Err(SymptomDateError::TooOld)
        );
        assert!(SymptomOnsetDate::parse("2026-11-07", today(), 15).is_ok());
    }

    #[test]
    fn debug_never_shows_the_date() {
        let date = SymptomOnsetDate::parse("2026-11-20", today(), 180);
        assert_eq!(format!("{date:?}"), "Ok(SymptomOnsetDate(<redacted>))");
    }
}
