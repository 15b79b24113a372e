//! An operator's record as typed (command-line flags, a form): personal data and work contacts,
//! each parsed into its type, and the birth date and sex held against what the CF encodes.
//!
//! Birth date and sex, when the CF is a personal one, must agree with it (a mismatch is a typo
//! in one or the other, and the CF is what identifies the person); when not given they are what
//! the CF implies, the century chosen so that the operator is at least 16.

use chrono::NaiveDate;

use crate::domain::{CodiceFiscale, Email, PhoneNumber, Sex};
use crate::store::OperatorDetails;

/// The youngest an operator can be, to choose the century of a CF's 2-digit year.
const MIN_OPERATOR_AGE: i32 = 16;

/// The fields as typed; `None`: not given (left as it is), `Some("")`: cleared.
#[derive(Debug, Clone, Copy, Default)]
pub struct DetailsForm<'a> {
    pub surname: Option<&'a str>,
    pub given_name: Option<&'a str>,
    pub birth_date: Option<&'a str>,
    pub sex: Option<&'a str>,
    pub birth_place: Option<&'a str>,
    pub work_address: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub fax: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// Checked changes: `None` leaves a field, `Some(None)` clears it, `Some(Some(v))` sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailsChange {
    pub surname: Option<Option<String>>,
    pub given_name: Option<Option<String>>,
    pub birth_date: Option<Option<NaiveDate>>,
    pub sex: Option<Option<Sex>>,
    pub birth_place: Option<Option<String>>,
    pub work_address: Option<Option<String>>,
    pub phone: Option<Option<PhoneNumber>>,
    pub fax: Option<Option<PhoneNumber>>,
    pub email: Option<Option<Email>>,
}

/// Which field is wrong, named as the command line's flag (without `--`), and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct InvalidDetail {
    pub field: &'static str,
    pub reason: String,
}

fn invalid(field: &'static str, reason: impl ToString) -> InvalidDetail {
    InvalidDetail {
        field,
        reason: reason.to_string(),
    }
}

/// Empty (after trimming) clears; anything else is parsed with `parse`.
fn field<T>(
    input: Option<&str>,
    name: &'static str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<Option<T>>, InvalidDetail> {
    match input.map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(text) => parse(text)
            .map(|v| Some(Some(v)))
            .map_err(|reason| invalid(name, reason)),
    }
}

/// Free text: at most 200 characters, no control characters.
fn text(name: &'static str) -> impl Fn(&str) -> Result<String, String> {
    move |value| {
        if value.chars().count() > 200 || value.chars().any(char::is_control) {
            Err(format!(
                "{name} must be at most 200 characters, without control characters"
            ))
        } else {
            Ok(value.to_owned())
        }
    }
}

impl DetailsForm<'_> {
    pub fn parse(&self) -> Result<DetailsChange, InvalidDetail> {
        Ok(DetailsChange {
            surname: field(self.surname, "surname", text("the surname"))?,
            given_name: field(self.given_name, "given-name", text("the given name"))?,
            birth_date: field(self.birth_date, "birth-date", |v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| "the birth date must be a yyyy-mm-dd date that exists".into())
            })?,
            sex: field(self.sex, "sex", |v| {
                Sex::parse(v).map_err(|e| e.to_string())
            })?,
            birth_place: field(self.birth_place, "birth-place", text("the birth place"))?,
            work_address: field(self.work_address, "work-address", text("the work address"))?,
            phone: field(self.phone, "phone", |v| {
                PhoneNumber::parse(v).map_err(|e| e.to_string())
            })?,
            fax: field(self.fax, "fax", |v| {
                PhoneNumber::parse(v).map_err(|e| e.to_string())
            })?,
            email: field(self.email, "email", |v| {
                Email::parse(v).map_err(|e| e.to_string())
            })?,
        })
    }
}

impl DetailsChange {
    /// `details` with the changes made.
    pub fn apply(self, details: OperatorDetails) -> OperatorDetails {
        OperatorDetails {
            surname: self.surname.unwrap_or(details.surname),
            given_name: self.given_name.unwrap_or(details.given_name),
            birth_date: self.birth_date.unwrap_or(details.birth_date),
            sex: self.sex.unwrap_or(details.sex),
            birth_place: self.birth_place.unwrap_or(details.birth_place),
            work_address: self.work_address.unwrap_or(details.work_address),
            phone: self.phone.unwrap_or(details.phone),
            fax: self.fax.unwrap_or(details.fax),
            email: self.email.unwrap_or(details.email),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == DetailsChange::default()
    }
}

/// Refuses a birth date or sex that a personal `cf` contradicts.
pub fn agrees_with_cf(cf: &CodiceFiscale, details: &OperatorDetails) -> Result<(), InvalidDetail> {
    let Some(birth) = cf.birth() else {
        return Ok(());
    };
    if let Some(date) = details.birth_date {
        if !birth.is_on(date) {
            return Err(invalid(
                "birth-date",
                format!("the birth date {date} is not the one codice fiscale {cf} encodes"),
            ));
        }
    }
    if let Some(sex) = details.sex {
        if sex != birth.sex {
            return Err(invalid(
                "sex",
                format!(
                    "sex {sex} is not the one codice fiscale {cf} encodes ({})",
                    birth.sex
                ),
            ));
        }
    }
    Ok(())
}

/// `details` with a missing birth date and sex taken from a personal `cf`.
pub fn implied_by_cf(
    cf: &CodiceFiscale,
    mut details: OperatorDetails,
    today: NaiveDate,
) -> OperatorDetails {
    if let Some(birth) = cf.birth() {
        details.sex = details.sex.or(Some(birth.sex));
        details.birth_date = details
            .birth_date
            .or_else(|| birth.date(today, MIN_OPERATOR_AGE));
    }
    details
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_malformed_field_is_named_and_empty_clears() {
        let wrong = |form: DetailsForm<'_>| form.parse().err().map(|e| e.field);
        assert_eq!(
            wrong(DetailsForm {
                birth_date: Some("1980-02-30"),
                ..Default::default()
            }),
            Some("birth-date")
        );
        assert_eq!(
            wrong(DetailsForm {
                sex: Some("X"),
                ..Default::default()
            }),
            Some("sex")
        );
        assert_eq!(
            wrong(DetailsForm {
                phone: Some("abc"),
                ..Default::default()
            }),
            Some("phone")
        );
        assert_eq!(
            wrong(DetailsForm {
                fax: Some("12"),
                ..Default::default()
            }),
            Some("fax")
        );
        assert_eq!(
            wrong(DetailsForm {
                email: Some("rossi"),
                ..Default::default()
            }),
            Some("email")
        );
        assert_eq!(
            wrong(DetailsForm {
                surname: Some("a\nb"),
                ..Default::default()
            }),
            Some("surname")
        );
        let change = DetailsForm {
            fax: Some(" "),
            email: Some("m@asl.it"),
            ..Default::default()
        };
        let before = OperatorDetails {
            fax: PhoneNumber::parse("06 123456").ok(),
            surname: Some("Rossi".into()),
            ..Default::default()
        };
        let after = change.parse().map(|c| c.apply(before));
        assert_eq!(
            after.map(|d| (d.fax, d.surname, d.email.map(|e| e.to_string()))),
            Ok((None, Some("Rossi".into()), Some("m@asl.it".into())))
        );
    }

    #[test]
    fn birth_date_and_sex_agree_with_the_cf_or_come_from_it(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let cf = CodiceFiscale::parse("RSSMRA80A01H501U")?;
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).ok_or("date")?;
        let implied = implied_by_cf(&cf, OperatorDetails::default(), today);
        assert_eq!(
            (implied.birth_date, implied.sex),
            (NaiveDate::from_ymd_opt(1980, 1, 1), Some(Sex::Male))
        );
        assert_eq!(agrees_with_cf(&cf, &implied), Ok(()));
        let female = OperatorDetails {
            sex: Some(Sex::Female),
            ..Default::default()
        };
        assert_eq!(
            agrees_with_cf(&cf, &female).map_err(|e| e.field),
            Err("sex")
        );
        let other_day = OperatorDetails {
            birth_date: NaiveDate::from_ymd_opt(1980, 1, 2),
            ..Default::default()
        };
        assert_eq!(
            agrees_with_cf(&cf, &other_day).map_err(|e| e.field),
            Err("birth-date")
        );
        let company = CodiceFiscale::parse("00265910661")?;
        assert_eq!(agrees_with_cf(&company, &female), Ok(()));
        Ok(())
    }
}
