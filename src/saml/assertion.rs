//! The Assertion's checks, in order: it is a SAML 2.0 Assertion with an `ID` no other element
//! repeats; its signature is the region's ([`signature`]); then, read from that same verified
//! element, its `Issuer` (the region's entity id), `Conditions` (validity, with the configured
//! skew, and the gateway among the audiences), `Subject/NameID` (the end user's codice
//! fiscale) and `AuthnStatement/AuthnContext/AuthnContextClassRef` (how they authenticated).

use chrono::{DateTime, TimeDelta, Utc};

use super::authn_context;
use super::signature;
use super::tree::Tree;
use super::trust::VerifyingKey;
use super::{AssertionError, SAML2_NS};
use crate::services::DeclaredAuth;

/// Who the region says acts, and how they authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertedUser {
    /// The `NameID`, trimmed and upper-case: a codice fiscale's shape (1–16 letters and
    /// digits, as the schema's `cfOperatore`), judged by the service as `cfOperatore` is.
    pub name_id: String,
    pub auth: DeclaredAuth,
}

/// What an assertion is checked against.
pub struct Expected<'a> {
    pub key: &'a VerifyingKey,
    pub issuer: &'a str,
    pub audience: &'a str,
    pub skew: TimeDelta,
    pub now: DateTime<Utc>,
}

pub fn verify(tree: &Tree, expected: &Expected<'_>) -> Result<AssertedUser, AssertionError> {
    let root = tree.root();
    if !root.is(SAML2_NS, "Assertion") || root.attribute("Version") != Some("2.0") {
        return Err(AssertionError::NotAnAssertion);
    }
    let id = root
        .attribute("ID")
        .filter(|id| !id.is_empty())
        .ok_or(AssertionError::NotAnAssertion)?;
    let repeated = tree.elements.iter().skip(1).any(|e| {
        e.attributes
            .iter()
            .any(|a| a.local.eq_ignore_ascii_case("id") && a.value == id)
    });
    if repeated {
        return Err(AssertionError::DuplicateId);
    }
    signature::verify_enveloped(tree, id, expected.key)?;

    let issuer = only_child(tree, 0, "Issuer").ok_or(AssertionError::Issuer)?;
    if tree.text(issuer).trim() != expected.issuer {
        return Err(AssertionError::Issuer);
    }
    check_conditions(tree, expected)?;

    let subject = only_child(tree, 0, "Subject").ok_or(AssertionError::Subject)?;
    let name_id = only_child(tree, subject, "NameID").ok_or(AssertionError::Subject)?;
    let name_id = tree.text(name_id).trim().to_ascii_uppercase();
    if name_id.is_empty()
        || name_id.len() > 16
        || !name_id.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(AssertionError::NameIdShape);
    }

    let statement = only_child(tree, 0, "AuthnStatement").ok_or(AssertionError::AuthnContext)?;
    let context =
        only_child(tree, statement, "AuthnContext").ok_or(AssertionError::AuthnContext)?;
    let class_ref =
        only_child(tree, context, "AuthnContextClassRef").ok_or(AssertionError::AuthnContext)?;
    let auth = authn_context::declared_auth(tree.text(class_ref).trim())
        .ok_or(AssertionError::UnknownAuthnContext)?;
    Ok(AssertedUser { name_id, auth })
}

/// `NotBefore` ≤ now + skew, now − skew < `NotOnOrAfter` (which is required), and every
/// `AudienceRestriction` (at least one) names the gateway.
fn check_conditions(tree: &Tree, expected: &Expected<'_>) -> Result<(), AssertionError> {
    let conditions = only_child(tree, 0, "Conditions").ok_or(AssertionError::NoConditions)?;
    let element = tree.element(conditions);
    let not_on_or_after = element
        .attribute("NotOnOrAfter")
        .ok_or(AssertionError::NoConditions)?;
    let not_on_or_after = instant(not_on_or_after, "NotOnOrAfter")?;
    if expected.now - expected.skew >= not_on_or_after {
        return Err(AssertionError::Expired);
    }
    if let Some(not_before) = element.attribute("NotBefore") {
        if instant(not_before, "NotBefore")? > expected.now + expected.skew {
            return Err(AssertionError::NotYetValid);
        }
    }
    let mut restrictions = tree
        .child_elements(conditions)
        .filter(|&i| tree.element(i).is(SAML2_NS, "AudienceRestriction"))
        .peekable();
    if restrictions.peek().is_none() {
        return Err(AssertionError::Audience);
    }
    for restriction in restrictions {
        let names_us = tree.child_elements(restriction).any(|i| {
            tree.element(i).is(SAML2_NS, "Audience") && tree.text(i).trim() == expected.audience
        });
        if !names_us {
            return Err(AssertionError::Audience);
        }
    }
    Ok(())
}

/// The one child `saml2:<local>` of `parent`; `None` when there is none or more than one.
fn only_child(tree: &Tree, parent: usize, local: &str) -> Option<usize> {
    let mut found = tree
        .child_elements(parent)
        .filter(|&i| tree.element(i).is(SAML2_NS, local));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// An `xs:dateTime` with its zone (SAML requires UTC).
fn instant(text: &str, what: &'static str) -> Result<DateTime<Utc>, AssertionError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| AssertionError::BadInstant(what))
}
