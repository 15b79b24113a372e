//! Cross-site request forgery: every form carries its session's token in a hidden field, and a
//! POST whose token is missing or different is refused before anything else is read.
//! `SameSite=Strict` already keeps the cookie off other sites' requests; the token is the
//! second, independent guard the issue asks for.

use aws_lc_rs::constant_time::verify_slices_are_equal;

use super::session::Session;

/// The hidden field's name in every form.
pub const FIELD: &str = "csrf";

/// Whether `sent` is `session`'s token, compared in constant time.
pub fn valid(session: &Session, sent: &str) -> bool {
    !sent.is_empty()
        && verify_slices_are_equal(session.csrf_token.as_bytes(), sent.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sessions_own_token_passes() {
        let session = Session {
            id_hash: "h".into(),
            user_id: None,
            admin_id: None,
            csrf_token: "token-1".into(),
            must_change_password: false,
            card_chain: None,
        };
        assert!(valid(&session, "token-1"));
        assert!(!valid(&session, "token-2"));
        assert!(!valid(&session, "token-"));
        assert!(!valid(&session, ""));
    }
}
