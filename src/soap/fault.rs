//! SOAP Faults: the answers for requests that cannot get a business reply. Each kind has its own
//! HTTP status, fault code and detail code, so clients and metrics can tell them apart.

use http::StatusCode;

use super::envelope::EnvelopeError;
use crate::domain::TransactionId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    /// SOAP 1.1 `Client` / SOAP 1.2 `Sender`.
    Client,
    /// SOAP 1.1 `Server` / SOAP 1.2 `Receiver`.
    Server,
    VersionMismatch,
    MustUnderstand,
}

#[derive(Debug, Clone)]
pub struct Fault {
    pub status: StatusCode,
    pub code: FaultCode,
    /// Stable machine-readable code in `<detail>`, also the metrics label.
    pub detail_code: &'static str,
    /// Italian text for the operator.
    pub reason: String,
    pub transaction_id: Option<TransactionId>,
    pub retry_after_seconds: Option<u64>,
}

impl Fault {
    fn new(
        status: StatusCode,
        code: FaultCode,
        detail_code: &'static str,
        reason: impl Into<String>,
    ) -> Fault {
        Fault {
            status,
            code,
            detail_code,
            reason: reason.into(),
            transaction_id: None,
            retry_after_seconds: None,
        }
    }

    pub fn with_transaction(mut self, id: TransactionId) -> Fault {
        self.transaction_id = Some(id);
        self
    }

    /// The same answer for every cause: unknown user, wrong password, wrong or undecryptable
    /// pincode, unusable certificate.
    pub fn credentials() -> Fault {
        Fault::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            FaultCode::Client,
            "CREDENZIALI_INVALIDE",
            "Credenziali invalide",
        )
    }

    /// The right password and pincode, but an initial password (registration, a reset) or one
    /// older than `auth.password_max_age_days`: it must be changed first. Only ever after the
    /// full check, so it says nothing about wrong credentials.
    pub fn password_must_change() -> Fault {
        Fault::new(
            StatusCode::FORBIDDEN,
            FaultCode::Client,
            "PASSWORD_DA_CAMBIARE",
            "Password da cambiare: la password è iniziale o scaduta e va cambiata prima di \
             usare il servizio",
        )
    }

    /// A region's SAML assertion is missing where its mode requires one, or is not accepted:
    /// `why` says which check failed (never what the assertion says).
    pub fn assertion(why: &crate::saml::AssertionError) -> Fault {
        Fault::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            FaultCode::Client,
            "ASSERZIONE_SAML_NON_VALIDA",
            format!("Asserzione SAML non valida: {why}"),
        )
    }

    /// The right password and pincode, but `auth.totp = "required"` and the operator has not
    /// enrolled a TOTP authenticator yet. Only ever after the full check, like
    /// [`Fault::password_must_change`].
    pub fn second_factor_to_enroll() -> Fault {
        Fault::new(
            StatusCode::FORBIDDEN,
            FaultCode::Client,
            "SECONDO_FATTORE_DA_ATTIVARE",
            SECOND_FACTOR_TO_ENROLL,
        )
    }

    pub fn content_type(why: &str) -> Fault {
        Fault::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            FaultCode::Client,
            "CONTENT_TYPE",
            why,
        )
    }

    pub fn too_large(max: usize) -> Fault {
        Fault::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            FaultCode::Client,
            "RICHIESTA_TROPPO_GRANDE",
            format!("Richiesta oltre la dimensione massima di {max} byte"),
        )
    }

    pub fn body_timeout() -> Fault {
        Fault::new(
            StatusCode::REQUEST_TIMEOUT,
            FaultCode::Client,
            "TEMPO_SCADUTO",
            "Il corpo della richiesta non è arrivato entro il tempo massimo",
        )
    }

    pub fn body_broken() -> Fault {
        Fault::new(
            StatusCode::BAD_REQUEST,
            FaultCode::Client,
            "CORPO_INTERROTTO",
            "Il corpo della richiesta è interrotto",
        )
    }

    pub fn unknown_service(name: &str) -> Fault {
        Fault::new(
            StatusCode::NOT_FOUND,
            FaultCode::Client,
            "SERVIZIO_SCONOSCIUTO",
            format!("Servizio '{}' sconosciuto", truncate(name)),
        )
    }

    /// The Body payload is not the request element of any operation of `service`.
    pub fn unknown_operation(service: &str, namespace: &str, element: &str) -> Fault {
        Fault::new(
            StatusCode::BAD_REQUEST,
            FaultCode::Client,
            "OPERAZIONE_SCONOSCIUTA",
            format!(
                "'{}' (namespace '{}') non è un'operazione del servizio {service}",
                truncate(element),
                truncate(namespace)
            ),
        )
    }

    pub fn throttled(retry_after_seconds: u64) -> Fault {
        let mut fault = Fault::new(
            StatusCode::TOO_MANY_REQUESTS,
            FaultCode::Client,
            "LIMITE_RICHIESTE",
            format!("Troppe richieste: riprovare tra {retry_after_seconds} secondi"),
        );
        fault.retry_after_seconds = Some(retry_after_seconds);
        fault
    }

    /// Too many failed credentials from the client's address: refused before any check. Its
    /// own detail code, so a client (and `tsgate_rejected_requests_total`) can tell it from the
    /// per-caller rate limit.
    pub fn credentials_throttled(retry_after_seconds: u64) -> Fault {
        let mut fault = Fault::new(
            StatusCode::TOO_MANY_REQUESTS,
            FaultCode::Client,
            "TENTATIVI_FALLITI",
            format!(
                "Troppi tentativi di autenticazione falliti: riprovare tra {retry_after_seconds} secondi"
            ),
        );
        fault.retry_after_seconds = Some(retry_after_seconds);
        fault
    }

    pub fn unavailable() -> Fault {
        Fault::new(
            StatusCode::SERVICE_UNAVAILABLE,
            FaultCode::Server,
            "SERVIZIO_NON_DISPONIBILE",
            "Servizio temporaneamente non disponibile: la richiesta non è stata eseguita",
        )
    }

    /// The answer to an envelope a service's endpoint could not read: its own payloads only, so
    /// another payload names the service. The server and `tsgate validate` both answer with it.
    pub fn from_request_envelope(service: &str, error: &EnvelopeError) -> Fault {
        match error {
            EnvelopeError::UnknownOperation { namespace, name } => {
                Fault::unknown_operation(service, namespace, name)
            }
            other => Fault::from_envelope(other),
        }
    }

    pub fn from_envelope(error: &EnvelopeError) -> Fault {
        let (status, code, detail) = match error {
            EnvelopeError::Malformed(_) => (
                StatusCode::BAD_REQUEST,
                FaultCode::Client,
                "XML_NON_BEN_FORMATO",
            ),
            EnvelopeError::Doctype => (
                StatusCode::BAD_REQUEST,
                FaultCode::Client,
                "DTD_NON_AMMESSA",
            ),
            EnvelopeError::TooDeep(_) => (
                StatusCode::BAD_REQUEST,
                FaultCode::Client,
                "ANNIDAMENTO_ECCESSIVO",
            ),
            EnvelopeError::TooManyAttributes(_) => (
                StatusCode::BAD_REQUEST,
                FaultCode::Client,
                "TROPPI_ATTRIBUTI",
            ),
            EnvelopeError::TooManyNamespaces(_) => (
                StatusCode::BAD_REQUEST,
                FaultCode::Client,
                "TROPPI_NAMESPACE",
            ),
            EnvelopeError::NameTooLong(_) => (
                StatusCode::BAD_REQUEST,
                FaultCode::Client,
                "NOME_TROPPO_LUNGO",
            ),
            EnvelopeError::UnknownOperation { .. } => (
                StatusCode::BAD_REQUEST,
                FaultCode::Client,
                "OPERAZIONE_SCONOSCIUTA",
            ),
            EnvelopeError::Encoding => (
                StatusCode::BAD_REQUEST,
                FaultCode::Client,
                "CODIFICA_NON_AMMESSA",
            ),
            EnvelopeError::NotSoap(_) => (StatusCode::BAD_REQUEST, FaultCode::Client, "NON_SOAP"),
            EnvelopeError::VersionMismatch => (
                StatusCode::BAD_REQUEST,
                FaultCode::VersionMismatch,
                "VERSIONE_SOAP",
            ),
            EnvelopeError::MustUnderstand(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                FaultCode::MustUnderstand,
                "MUST_UNDERSTAND",
            ),
            EnvelopeError::Schema { .. } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                FaultCode::Client,
                "SCHEMA",
            ),
        };
        Fault::new(status, code, detail, error.to_string())
    }

    /// Lower-case detail code, used as the `outcome` / `reason` label.
    pub fn label(&self) -> String {
        format!("fault_{}", self.detail_code.to_ascii_lowercase())
    }
}

/// The reason of [`Fault::second_factor_to_enroll`], also the CSV download's 403 text.
pub const SECOND_FACTOR_TO_ENROLL: &str = "Secondo fattore da attivare: l'operatore deve attivare \
     il codice temporaneo (TOTP) con tsgate users passwd o tsgate users totp enroll prima di \
     usare il servizio";

/// Names echoed back from a request are cut short: a reply never amplifies hostile input.
fn truncate(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
