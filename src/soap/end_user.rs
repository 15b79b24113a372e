//! Stage 3b — the end user a region acts for, when it names them in a signed SAML assertion
//! (`wsse:Security` header) rather than in `cfOperatore`/`cfMedico` + `tipoAutenticazione`
//! (README "SAML assertions from regions"). Which form a region must use is its `[saml]` mode.
//!
//! A verified assertion stands in for the two fields: the payload's field takes the `NameID`
//! and `tipoAutenticazione` the class's declared authentication, so the use cases judge and
//! log the end user exactly as for the declared form (a malformed CF gets the same code). A
//! field the region also sent must agree with the assertion.

use chrono::{DateTime, Utc};

use super::catalogue::OperationSpec;
use super::envelope::HeaderAssertion;
use super::Element;
use crate::config::SamlMode;
use crate::identity::Caller;
use crate::saml::{AssertedUser, AssertionError, SamlTrust};

/// The payload child a region declares its end user's authentication in.
pub const DECLARED_AUTH_FIELD: &str = "tipoAutenticazione";

/// Applies the caller's assertion (if any) to `payload`, or says why the request is refused.
pub fn settle(
    trust: &SamlTrust,
    caller: &Caller,
    spec: &OperationSpec,
    header: &HeaderAssertion,
    payload: &mut Element,
    now: DateTime<Utc>,
) -> Result<(), AssertionError> {
    let captured = match header {
        HeaderAssertion::Absent => None,
        HeaderAssertion::One(captured) => Some(captured),
        HeaderAssertion::TooLarge => return Err(AssertionError::TooLarge),
        HeaderAssertion::Several => return Err(AssertionError::Several),
    };
    let region = match caller {
        Caller::Region { code, .. } => *code,
        Caller::Operator { .. } if captured.is_some() => return Err(AssertionError::NotFromRegion),
        Caller::Operator { .. } => return Ok(()),
    };
    match captured {
        None if spec.end_user.is_some() && trust.mode(region) == SamlMode::Assertion => {
            Err(AssertionError::Missing)
        }
        None => Ok(()),
        // An operation that names no end user (the catalogue) still refuses a bad assertion.
        Some(captured) => {
            let user = trust.verify(region, captured, now)?;
            match spec.end_user {
                Some(field) => stand_in(payload, field, &user),
                None => Ok(()),
            }
        }
    }
}

/// The assertion's user in `field` and `tipoAutenticazione`, where the region sent none or
/// the same.
fn stand_in(
    payload: &mut Element,
    field: &'static str,
    user: &AssertedUser,
) -> Result<(), AssertionError> {
    if let Some(sent) = payload.child_text(field) {
        if !sent.eq_ignore_ascii_case(&user.name_id) {
            return Err(AssertionError::Disagrees(field));
        }
    }
    if let Some(sent) = payload.child_text(DECLARED_AUTH_FIELD) {
        if sent != user.auth.as_str() {
            return Err(AssertionError::Disagrees(DECLARED_AUTH_FIELD));
        }
    }
    set_child(payload, field, &user.name_id);
    set_child(payload, DECLARED_AUTH_FIELD, user.auth.as_str());
    Ok(())
}

fn set_child(payload: &mut Element, name: &str, text: &str) {
    match payload.children.iter_mut().find(|c| c.name == name) {
        Some(child) => text.clone_into(&mut child.text),
        None => {
            let mut child = Element::new(&payload.namespace, name);
            text.clone_into(&mut child.text);
            payload.children.push(child);
        }
    }
}
