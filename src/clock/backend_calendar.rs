//! The Immuni backend's calendar. The backend judges a symptom-onset date against *its* today,
//! taken in its own time zone (`immuni.backend_time_zone`, UTC in its published image), while
//! operators date symptoms in Europe/Rome. From Rome's midnight until the backend's (01:00 in
//! winter, 02:00 in summer, for UTC) a date equal to Rome's today is still tomorrow upstream:
//! the gateway answers that case itself, naming the Rome time after which to try again.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Europe::Rome;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::symptom_onset_date::Today;

/// An IANA time zone such as `UTC` or `Europe/Rome`, parsed when the configuration loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BackendTimeZone(Tz);

impl Default for BackendTimeZone {
    /// UTC, as the backend's published image runs.
    fn default() -> Self {
        BackendTimeZone(Tz::UTC)
    }
}

impl FromStr for BackendTimeZone {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse::<Tz>().map(BackendTimeZone).map_err(|_| {
            format!("{text:?} is not an IANA time zone name (such as \"UTC\" or \"Europe/Rome\")")
        })
    }
}

impl TryFrom<String> for BackendTimeZone {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<BackendTimeZone> for String {
    fn from(zone: BackendTimeZone) -> String {
        zone.0.name().to_owned()
    }
}

impl fmt::Display for BackendTimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl BackendTimeZone {
    /// Today for the operator (Europe/Rome) and for the backend, at `now`.
    pub fn today(self, now: DateTime<Utc>) -> Today {
        Today {
            rome: now.with_timezone(&Rome).date_naive(),
            backend: now.with_timezone(&self.0).date_naive(),
        }
    }

    /// The Rome wall-clock time at which the backend's next day begins, after `now`.
    pub fn next_backend_day_in_rome(self, now: DateTime<Utc>) -> NaiveTime {
        let tomorrow = now.with_timezone(&self.0).date_naive() + TimeDelta::days(1);
        // Where a time-zone change skips midnight, the day begins at the first instant that
        // exists: try each quarter hour of the first two.
        let start = (0..8)
            .filter_map(|quarter| {
                let local = tomorrow.and_time(NaiveTime::MIN) + TimeDelta::minutes(15 * quarter);
                self.0.from_local_datetime(&local).earliest()
            })
            .next();
        match start {
            Some(instant) => instant.with_timezone(&Rome).time(),
            None => (now + TimeDelta::days(1)).with_timezone(&Rome).time(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn rome(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Rome.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
    }

    #[test]
    fn the_backends_today_lags_romes_for_an_hour_in_winter_and_two_in_summer() {
        let utc = BackendTimeZone::default();
        for (now, backend, rome_day, next) in [
            (
                rome(2026, 1, 16, 0, 30),
                date(2026, 1, 15),
                date(2026, 1, 16),
                hm(1, 0),
            ),
            (
                rome(2026, 7, 16, 0, 30),
                date(2026, 7, 15),
                date(2026, 7, 16),
                hm(2, 0),
            ),
            (
                rome(2026, 7, 16, 1, 59),
                date(2026, 7, 15),
                date(2026, 7, 16),
                hm(2, 0),
            ),
        ] {
            assert_eq!(
                utc.today(now),
                Today {
                    rome: rome_day,
                    backend
                },
                "{now}"
            );
            assert_eq!(utc.next_backend_day_in_rome(now), next, "{now}");
        }
        for now in [rome(2026, 1, 16, 1, 0), rome(2026, 7, 16, 2, 0)] {
            let today = utc.today(now);
            assert_eq!(today.rome, today.backend, "{now}");
        }
    }

    #[test]
    fn a_backend_in_rome_never_lags() {
        let zone: BackendTimeZone = "Europe/Rome".parse().unwrap_or_default();
        let today = zone.today(rome(2026, 1, 16, 0, 0));
        assert_eq!(
            (today.rome, today.backend),
            (date(2026, 1, 16), date(2026, 1, 16))
        );
        assert_eq!(
            zone.next_backend_day_in_rome(rome(2026, 1, 16, 0, 0)),
            hm(0, 0)
        );
    }

    #[test]
    fn zones_are_parsed_by_their_iana_names() {
        assert_eq!(
            "UTC".parse::<BackendTimeZone>().map(String::from),
            Ok("UTC".to_owned())
        );
        let error = "Europe/Roma"
            .parse::<BackendTimeZone>()
            .err()
            .unwrap_or_default();
        assert!(
            error.contains("\"Europe/Roma\" is not an IANA time zone"),
            "{error}"
        );
    }
}
