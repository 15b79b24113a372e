//! The symptom-onset date sent with an OTP (docs/immuni-upstream.md "The symptom-onset date"):
//! `yyyy-MM-dd`, not after today, not more than the window (default 180 days) before it.
//!
//! Two calendars judge it. The operator dates symptoms in Europe/Rome, so a date after Rome's
//! today is in the future. The Immuni backend applies its window against its own today (its
//! time zone, UTC in the published image), which can differ from Rome's for an hour or two
//! around midnight. So:
//! - after Rome's today: the future, refused;
//! - not after Rome's today but after the backend's: a real date the backend would still refuse
//!   as tomorrow — refused with its own reason, to be sent again once the backend's day begins;
//! - more than the window before the *backend's* today: too old. The window is the backend's
//!   rule, so it is measured as the backend measures it; the gateway never refuses a date the
//!   backend would accept for being old (one that will only get older).
//!
//! Like the OTP, the date is confidential: `Debug` hides it and errors never carry it.

use std::fmt;

use chrono::{NaiveDate, TimeDelta};

#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SymptomOnsetDate(NaiveDate);

/// Today in the two calendars that judge a symptom date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Today {
    /// Europe/Rome: the operators' calendar.
    pub rome: NaiveDate,
    /// The Immuni backend's calendar (its own time zone).
    pub backend: NaiveDate,
}

impl Today {
    /// One calendar for both: the backend judging by itself (the demo's simulator).
    pub fn same(day: NaiveDate) -> Today {
        Today {
            rome: day,
            backend: day,
        }
    }
}

/// Why a date is refused. Carries no part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymptomDateError {
    /// Not a real calendar date written `yyyy-MM-dd`.
    Format,
    /// After Rome's today.
    Future,
    /// Not after Rome's today, but after the backend's: refused upstream until its day begins.
    NotYetUpstream,
    /// More than the window before the backend's today.
    TooOld,
}

impl SymptomOnsetDate {
    /// Parses `yyyy-MM-dd` (exactly: four-digit year, two-digit month and day) and checks it
    /// against `today` and the window of `window_days`.
    pub fn parse(
        text: &str,
        today: Today,
        window_days: u32,
    ) -> Result<SymptomOnsetDate, SymptomDateError> {
        SymptomOnsetDate::judge(SymptomOnsetDate::read(text)?, today, window_days)
    }

    /// The calendar day `text` names (`yyyy-MM-dd` exactly), not yet judged: a request reads
    /// it at the edge, the use case judges it against its today.
    pub fn read(text: &str) -> Result<NaiveDate, SymptomDateError> {
        let text = text.trim();
        let shape_ok = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !shape_ok {
            return Err(SymptomDateError::Format);
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| SymptomDateError::Format)
    }

    /// `date` checked against `today` and the window of `window_days`.
    pub fn judge(
        date: NaiveDate,
        today: Today,
        window_days: u32,
    ) -> Result<SymptomOnsetDate, SymptomDateError> {
        if date > today.rome {
            return Err(SymptomDateError::Future);
        }
        if date > today.backend {
            return Err(SymptomDateError::NotYetUpstream);
        }
        if today.backend - date > TimeDelta::days(i64::from(window_days)) {
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

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn today() -> Today {
        Today::same(day(2026, 11, 22))
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

    /// Rome already on the 22nd, the backend still on the 21st (00:30 in Rome, UTC backend).
    fn rome_ahead() -> Today {
        Today {
            rome: day(2026, 11, 22),
            backend: day(2026, 11, 21),
        }
    }

    #[test]
    fn romes_today_not_yet_begun_upstream_has_its_own_error() {
        assert_eq!(
            SymptomOnsetDate::parse("2026-11-22", rome_ahead(), 180),
            Err(SymptomDateError::NotYetUpstream)
        );
        assert_eq!(
            SymptomOnsetDate::parse("2026-11-23", rome_ahead(), 180),
            Err(SymptomDateError::Future)
        );
        assert!(SymptomOnsetDate::parse("2026-11-21", rome_ahead(), 180).is_ok());
    }

    #[test]
    fn the_far_end_of_the_window_is_measured_from_the_backends_today() {
        // 180 days before the backend's 21st is 25 May: 181 days before Rome's 22nd, accepted
        // because the backend accepts it; 24 May is too old for both.
        assert!(SymptomOnsetDate::parse("2026-05-25", rome_ahead(), 180).is_ok());
        assert_eq!(
            SymptomOnsetDate::parse("2026-05-24", rome_ahead(), 180),
            Err(SymptomDateError::TooOld)
        );
        // A backend ahead of Rome (a zone east of it) ends its window a day later too.
        let backend_ahead = Today {
            rome: day(2026, 11, 22),
            backend: day(2026, 11, 23),
        };
        assert_eq!(
            SymptomOnsetDate::parse("2026-05-26", backend_ahead, 180),
            Err(SymptomDateError::TooOld)
        );
        assert_eq!(
            SymptomOnsetDate::parse("2026-11-23", backend_ahead, 180),
            Err(SymptomDateError::Future),
            "the future is the operator's"
        );
    }
}
