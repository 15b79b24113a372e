//! A request field read at the edge: its parsed value, or why it is not one together with the
//! text as sent. The rules refuse a malformed field at their own point in the order of checks
//! (the codes a caller sees depend on that order), and the access log keeps what was sent.

use std::fmt::Display;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<T, E> {
    Valid(T),
    Malformed {
        /// The text as sent, upper-case.
        text: String,
        error: E,
    },
}

impl<T, E> Field<T, E> {
    /// Reads `text` (trimmed, upper-case) with `parse`.
    pub fn read(text: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Field<T, E> {
        let text = text.trim().to_ascii_uppercase();
        match parse(&text) {
            Ok(value) => Field::Valid(value),
            Err(error) => Field::Malformed { text, error },
        }
    }
}

impl<T: Display, E> Field<T, E> {
    /// The text the access log keeps: the value's own spelling, or what was sent.
    pub fn text(&self) -> String {
        match self {
            Field::Valid(value) => value.to_string(),
            Field::Malformed { text, .. } => text.clone(),
        }
    }
}
