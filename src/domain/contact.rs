//! An operator's work contacts as the profile page shows them: e-mail, office phone and fax.
//! Parsed for shape only (one `@` with something either side; a phone number of digits with
//! the usual separators), since nothing is sent to them here.

use std::fmt;

/// An e-mail address: `local@domain`, no spaces, at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an e-mail address must be local@domain, without spaces, at most 254 characters")]
pub struct EmailError;

impl Email {
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let email = input.trim();
        let shaped = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
        if shaped && email.len() <= 254 && !email.chars().any(char::is_whitespace) {
            Ok(Email(email.to_owned()))
        } else {
            Err(EmailError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone or fax number: an optional leading `+`, then 5 to 15 digits, which spaces, `-`,
/// `.`, `/` and parentheses may separate (kept as typed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a phone number is 5 to 15 digits, optionally after a leading +, separated only by \
     spaces, - . / ( )"
)]
pub struct PhoneNumberError;

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<PhoneNumber, PhoneNumberError> {
        let phone = input.trim();
        let digits_part = phone.strip_prefix('+').unwrap_or(phone);
        let separators_only = digits_part
            .chars()
            .all(|c| c.is_ascii_digit() || " -./()".contains(c));
        let digits = digits_part.chars().filter(char::is_ascii_digit).count();
        if separators_only && (5..=15).contains(&digits) {
            Ok(PhoneNumber(phone.to_owned()))
        } else {
            Err(PhoneNumberError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_needs_a_local_part_and_a_dotted_domain() {
        assert_eq!(
            Email::parse(" m.rossi@asl201.it ").map(|e| e.0),
            Ok("m.rossi@asl201.it".to_owned())
        );
        for bad in [
            "",
            "rossi",
            "@asl.it",
            "rossi@",
            "rossi@asl",
            "a b@asl.it",
            "a@b@c.it",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError), "{bad}");
        }
    }

    #[test]
    fn a_phone_is_digits_with_separators() {
        assert!(PhoneNumber::parse("+39 06 1234 5678").is_ok());
        assert!(PhoneNumber::parse("(06) 123-4567").is_ok());
        for bad in [
            "",
            "1234",
            "06 1234 abc",
            "+39 06 1234 5678 9999 1",
            "++3906123456",
        ] {
            assert_eq!(PhoneNumber::parse(bad), Err(PhoneNumberError), "{bad}");
        }
    }
}
