//! How the end user authenticated, from the assertion's `AuthnContextClassRef`, in the terms
//! of `tipoAutenticazione` (README "SAML assertions from regions" has the table).

use crate::services::DeclaredAuth;

/// The class references tsgate accepts, and what each one declares.
pub const MAPPING: &[(&str, DeclaredAuth)] = &[
    ("https://www.spid.gov.it/SpidL1", DeclaredAuth::Spid),
    ("https://www.spid.gov.it/SpidL2", DeclaredAuth::Spid),
    ("https://www.spid.gov.it/SpidL3", DeclaredAuth::Spid),
    // The CIE's own identity provider names SPID levels; a region that knows the user came
    // with a CIE says so with this tsgate-defined class.
    ("urn:tsgate:ac:classes:CIE", DeclaredAuth::Cie),
    (
        "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard",
        DeclaredAuth::Cns,
    ),
    (
        "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI",
        DeclaredAuth::Cns,
    ),
    (
        "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken",
        DeclaredAuth::TwoFactor,
    ),
    (
        "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
        DeclaredAuth::TwoFactor,
    ),
    (
        "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered",
        DeclaredAuth::TwoFactor,
    ),
    ("https://refeds.org/profile/mfa", DeclaredAuth::TwoFactor),
];

/// The authentication `class_ref` names; `None` for a class tsgate does not know (refused, as
/// an unknown `tipoAutenticazione` is).
pub fn declared_auth(class_ref: &str) -> Option<DeclaredAuth> {
    MAPPING
        .iter()
        .find(|(known, _)| *known == class_ref)
        .map(|(_, auth)| *auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_classes_map_and_others_do_not() {
        assert_eq!(
            declared_auth("https://www.spid.gov.it/SpidL2"),
            Some(DeclaredAuth::Spid)
        );
        assert_eq!(
            declared_auth("urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI"),
            Some(DeclaredAuth::Cns)
        );
        assert_eq!(
            declared_auth("urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken"),
            Some(DeclaredAuth::TwoFactor)
        );
        assert_eq!(
            declared_auth("urn:tsgate:ac:classes:CIE"),
            Some(DeclaredAuth::Cie)
        );
        assert_eq!(
            declared_auth("urn:oasis:names:tc:SAML:2.0:ac:classes:Password"),
            None
        );
        assert_eq!(declared_auth("https://www.spid.gov.it/SpidL4"), None);
    }
}
