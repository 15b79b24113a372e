//! Signed SAML 2.0 assertions from regional systems (seed 004 §2.3): the end user a region
//! acts for, and how they authenticated, in place of the bare `cfOperatore` +
//! `tipoAutenticazione`. The envelope reader captures the `saml2:Assertion` of the
//! `wsse:Security` header (WS-Security SAML Token Profile 1.1); here it is read again as a tree
//! ([`tree`]), its enveloped XML signature checked over the exclusive canonical form
//! ([`exc_c14n`], [`signature`]) with the key of the region's configured certificate
//! ([`trust`]), then its claims ([`assertion`], [`authn_context`]).

pub mod assertion;
pub mod authn_context;
pub mod exc_c14n;
pub mod signature;
pub mod tree;
pub mod trust;

pub use assertion::AssertedUser;
pub use tree::{CapturedAssertion, MAX_ASSERTION_BYTES};
pub use trust::{RegionTrust, SamlTrust, SamlTrustError};

/// The SAML 2.0 assertion namespace.
pub const SAML2_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// Why an assertion is not accepted. Every reason names what is wrong, never what the
/// assertion says: the text goes to the caller and to the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("l'asserzione supera i {} byte", MAX_ASSERTION_BYTES)]
    TooLarge,
    #[error("più di un'asserzione nell'intestazione wsse:Security")]
    Several,
    #[error("XML dell'asserzione non valido: {0}")]
    Malformed(String),
    #[error("commenti non ammessi nell'asserzione")]
    Comment,
    #[error("l'elemento non è un saml2:Assertion versione 2.0 con un ID")]
    NotAnAssertion,
    #[error("ID ripetuto nell'asserzione")]
    DuplicateId,
    #[error("asserzione non firmata: manca la ds:Signature figlia dell'asserzione")]
    Unsigned,
    #[error("più di una ds:Signature nell'asserzione")]
    SeveralSignatures,
    #[error("firma XML non conforme: {0}")]
    SignatureShape(&'static str),
    #[error("la Reference firmata non è l'asserzione (URI diverso da '#' + ID)")]
    ReferenceElsewhere,
    #[error("algoritmo non ammesso in {0}")]
    Algorithm(&'static str),
    #[error("il digest non corrisponde: l'asserzione è stata modificata dopo la firma")]
    DigestMismatch,
    #[error("firma non verificata con il certificato configurato per la regione")]
    BadSignature,
    #[error("Issuer diverso dall'entity id configurato per la regione")]
    Issuer,
    #[error("Conditions mancanti o senza NotOnOrAfter")]
    NoConditions,
    #[error("data e ora non valide in {0}")]
    BadInstant(&'static str),
    #[error("asserzione non ancora valida (NotBefore)")]
    NotYetValid,
    #[error("asserzione scaduta (NotOnOrAfter)")]
    Expired,
    #[error("AudienceRestriction mancante o senza il gateway tra i destinatari")]
    Audience,
    #[error("Subject/NameID mancante o ripetuto")]
    Subject,
    #[error("il NameID non ha la forma di un codice fiscale")]
    NameIdShape,
    #[error("AuthnStatement/AuthnContext/AuthnContextClassRef mancante o ripetuto")]
    AuthnContext,
    #[error("classe di autenticazione (AuthnContextClassRef) non riconosciuta")]
    UnknownAuthnContext,
    #[error("la regione non è configurata per le asserzioni SAML (modalità declared)")]
    RegionNotConfigured,
    #[error("asserzione SAML obbligatoria per questa regione (modalità assertion)")]
    Missing,
    #[error("le asserzioni SAML sono ammesse solo dai sistemi regionali")]
    NotFromRegion,
    #[error("{0} diverso da quanto dice l'asserzione")]
    Disagrees(&'static str),
}
