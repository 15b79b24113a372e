//! What a new password must be (`[auth]`: length, character classes, not one of the last
//! `password_history`) and how long one stays valid (`password_max_age_days`). An initial
//! password (registration, an administrator's reset) and an expired one must be changed before
//! the gateway accepts them; the rules apply to the password the user chooses.

use chrono::{DateTime, Utc};

use crate::config::AuthConfig;
use crate::store::PasswordState;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub min_classes: usize,
    /// `None`: passwords never expire.
    pub max_age: Option<chrono::Duration>,
    /// How many of the last passwords (the current one included) a new one may not repeat.
    pub history: u32,
}

/// Why a chosen password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRuleError {
    #[error("the new password is too short: at least {min} characters, it has {has}")]
    TooShort { min: usize, has: usize },
    #[error(
        "the new password needs characters of at least {min} of the classes lower-case letters, \
         upper-case letters, digits and others; it has {has}"
    )]
    TooFewClasses { min: usize, has: usize },
    #[error(
        "the new password is one of the last {history} passwords of this user: choose another"
    )]
    Reused { history: u32 },
    #[error("the new password contains the user id")]
    ContainsUserId,
}

impl PasswordPolicy {
    pub fn from_config(auth: &AuthConfig) -> PasswordPolicy {
        let millis = auth.password_max_age_days * 86_400_000.0;
        PasswordPolicy {
            min_length: auth.password_min_length,
            min_classes: auth.password_min_classes,
            max_age: (millis > 0.0)
                .then(|| chrono::Duration::milliseconds(millis.clamp(1.0, 1e15) as i64)),
            history: auth.password_history,
        }
    }

    /// Whether `password`, chosen by `user_id`, follows the rules (the history apart).
    pub fn check(&self, user_id: &str, password: &str) -> Result<(), PasswordRuleError> {
        let length = password.chars().count();
        if length < self.min_length {
            return Err(PasswordRuleError::TooShort {
                min: self.min_length,
                has: length,
            });
        }
        let classes = [
            password.chars().any(|c| c.is_lowercase()),
            password.chars().any(|c| c.is_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password
                .chars()
                .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit()),
        ]
        .into_iter()
        .filter(|&present| present)
        .count();
        if classes < self.min_classes {
            return Err(PasswordRuleError::TooFewClasses {
                min: self.min_classes,
                has: classes,
            });
        }
        if !user_id.is_empty() && password.to_lowercase().contains(&user_id.to_lowercase()) {
            return Err(PasswordRuleError::ContainsUserId);
        }
        Ok(())
    }

    /// Whether a password in `state` must be changed at `now`: an initial or reset one, or one
    /// older than the maximum age.
    pub fn must_change(&self, state: &PasswordState, now: DateTime<Utc>) -> bool {
        state.must_change
            || self
                .max_age
                .is_some_and(|max_age| now - state.changed_at >= max_age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy::from_config(&AuthConfig::default())
    }

    #[test]
    fn rules_name_what_is_missing() {
        let p = policy();
        assert_eq!(
            p.check("OP1", "Corta1"),
            Err(PasswordRuleError::TooShort { min: 12, has: 6 })
        );
        assert_eq!(
            p.check("OP1", "tuttominuscole"),
            Err(PasswordRuleError::TooFewClasses { min: 3, has: 1 })
        );
        assert_eq!(
            p.check("mrossi", "Mrossi-2026-bis"),
            Err(PasswordRuleError::ContainsUserId)
        );
        assert_eq!(p.check("OP1", "Nuova-Parola-2026"), Ok(()));
        assert_eq!(
            p.check("OP1", "àèìòù-ÀÈÌ-123"),
            Ok(()),
            "non-ASCII letters count"
        );
    }

    #[test]
    fn an_initial_or_old_password_must_change() {
        let p = policy();
        let now = Utc::now();
        let fresh = PasswordState {
            must_change: false,
            changed_at: now,
        };
        assert!(!p.must_change(&fresh, now));
        assert!(p.must_change(
            &PasswordState {
                must_change: true,
                ..fresh
            },
            now
        ));
        assert!(p.must_change(&fresh, now + chrono::Duration::days(90)));
        let never = PasswordPolicy { max_age: None, ..p };
        assert!(!never.must_change(&fresh, now + chrono::Duration::days(9000)));
    }
}
