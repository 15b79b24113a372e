//! Sending the report by PEC (seed 003 §5.2–§5.3): SMTP submission to the PEC provider with
//! STARTTLS required and authentication (lettre over rustls with aws-lc-rs). First the archive to
//! the recipients; only once the server accepted it, a separate message from the same sender
//! with the password. Each message is retried with back-off on a transient failure (a 4xx reply,
//! a connection that broke, no answer within `timeout_ms`); a permanent one (5xx: refused
//! credentials, a refused recipient) stops the send at once. The password is put in the second message's body and nowhere else.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use zeroize::Zeroizing;

use super::archive::SealedReport;
use crate::config::CommissionerConfig;

/// The variable that may hold the SMTP password instead of the configuration file.
pub const PASSWORD_ENV: &str = "TSGATE_COMMISSIONER_SMTP_PASSWORD";

#[derive(Debug, thiserror::Error)]
pub enum PecError {
    #[error("no SMTP password: set commissioner.smtp_password or {PASSWORD_ENV}")]
    NoPassword,
    #[error("commissioner.{key} is not an e-mail address: {value:?}")]
    Address { key: &'static str, value: String },
    #[error("cannot read commissioner.smtp_ca_bundle {path}: {reason}")]
    CaBundle { path: String, reason: String },
    #[error("cannot set up TLS for the SMTP server: {0}")]
    Tls(String),
    #[error("cannot build the {0} message: {1}")]
    Message(&'static str, String),
    #[error("the archive message was not accepted after {attempts} attempt(s): {reason}")]
    ArchiveNotAccepted { attempts: u32, reason: String },
    #[error(
        "the archive was accepted, but the password message was not after {attempts} attempt(s): {reason}"
    )]
    PasswordNotAccepted { attempts: u32, reason: String },
}

/// The SMTP client and the addresses, built from the configuration.
pub struct PecSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    sender: Mailbox,
    recipients: Vec<Mailbox>,
    attempts: u32,
    retry_initial: Duration,
    /// Bound on one message's whole SMTP exchange: lettre's async transport bounds only the
    /// connection, so a server that stops answering would otherwise hold the send for ever.
    timeout: Duration,
}

impl PecSender {
    pub fn from_config(config: &CommissionerConfig) -> Result<PecSender, PecError> {
        let password = Zeroizing::new(
            config
                .smtp_password
                .clone()
                .filter(|p| !p.is_empty())
                .ok_or(PecError::NoPassword)?,
        );
        let mut tls = TlsParameters::builder(config.smtp_host.clone());
        if let Some(path) = &config.smtp_ca_bundle {
            let pem = std::fs::read(path).map_err(|e| PecError::CaBundle {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            let certificate = Certificate::from_pem(&pem).map_err(|e| PecError::CaBundle {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            tls = tls.add_root_certificate(certificate);
        }
        let tls = tls
            .build_rustls()
            .map_err(|e| PecError::Tls(e.to_string()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.smtp_host)
            .port(config.smtp_port)
            .tls(Tls::Required(tls))
            .credentials(Credentials::new(
                config.smtp_username.clone(),
                password.to_string(),
            ))
            .timeout(Some(Duration::from_millis(config.timeout_ms.max(1))))
            .build();
        let mailbox = |key: &'static str, value: &str| {
            value.parse::<Mailbox>().map_err(|_| PecError::Address {
                key,
                value: value.to_owned(),
            })
        };
        Ok(PecSender {
            transport,
            sender: mailbox("sender", &config.sender)?,
            recipients: config
                .recipients
                .iter()
                .map(|r| mailbox("recipients", r))
                .collect::<Result<_, _>>()?,
            attempts: config.attempts.max(1),
            retry_initial: Duration::from_millis(config.retry_initial_ms),
            timeout: Duration::from_millis(config.timeout_ms.max(1)),
        })
    }

    /// The recipients, as the access log records them.
    pub fn recipients(&self) -> String {
        self.recipients
            .iter()
            .map(|r| r.email.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Sends the archive, then (only if it was accepted) the password.
    pub async fn send(&self, sealed: &SealedReport, archive_name: &str) -> Result<(), PecError> {
        let archive = self.archive_message(sealed, archive_name)?;
        self.deliver(&archive)
            .await
            .map_err(|(attempts, reason)| PecError::ArchiveNotAccepted { attempts, reason })?;
        let password = self.password_message(sealed, archive_name)?;
        self.deliver(&password)
            .await
            .map_err(|(attempts, reason)| PecError::PasswordNotAccepted { attempts, reason })
    }

    fn builder(&self, subject: String) -> lettre::message::MessageBuilder {
        let mut builder = Message::builder()
            .from(self.sender.clone())
            .subject(subject);
        for recipient in &self.recipients {
            builder = builder.to(recipient.clone());
        }
        builder
    }

    fn archive_message(
        &self,
        sealed: &SealedReport,
        archive_name: &str,
    ) -> Result<Message, PecError> {
        let text = format!(
            "In allegato l'archivio {archive_name} con le statistiche aggregate dei test \
             sierologici (SPEC §5.4), protetto da password (AES-256).\r\n\
             La password è inviata con un messaggio PEC separato.\r\n\
             SHA-256 dell'archivio: {}\r\n",
            sealed.sha256
        );
        let zip = ContentType::parse("application/zip")
            .map_err(|e| PecError::Message("archive", e.to_string()))?;
        self.builder(format!("Statistiche test sierologici - {archive_name}"))
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(text))
                    .singlepart(
                        Attachment::new(archive_name.to_owned()).body(sealed.archive.clone(), zip),
                    ),
            )
            .map_err(|e| PecError::Message("archive", e.to_string()))
    }

    fn password_message(
        &self,
        sealed: &SealedReport,
        archive_name: &str,
    ) -> Result<Message, PecError> {
        let text = Zeroizing::new(format!(
            "Password dell'archivio {archive_name} (SHA-256 {}), inviato con il messaggio \
             precedente:\r\n\r\nPassword: {}\r\n",
            sealed.sha256,
            sealed.password.expose()
        ));
        self.builder(format!("Password archivio {archive_name}"))
            .singlepart(SinglePart::plain(text.to_string()))
            .map_err(|e| PecError::Message("password", e.to_string()))
    }

    /// Sends `message`, retrying transient failures with back-off. On failure: the attempts
    /// made and the last reason.
    async fn deliver(&self, message: &Message) -> Result<(), (u32, String)> {
        let mut wait = self.retry_initial;
        let mut attempt = 1;
        loop {
            let sent = tokio::time::timeout(self.timeout, self.transport.send(message.clone()))
                .await
                .map_err(|_| {
                    let ms = self.timeout.as_millis();
                    (
                        false,
                        format!("no answer from the SMTP server within {ms} ms"),
                    )
                })
                .and_then(|sent| sent.map_err(|e| (e.is_permanent(), e.to_string())));
            match sent {
                Ok(_) => return Ok(()),
                Err((permanent, error)) if permanent || attempt >= self.attempts => {
                    return Err((attempt, error));
                }
                Err((_, error)) => {
                    tracing::warn!(%error, attempt, retry_in_ms = wait.as_millis() as u64, "PEC submission failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                    attempt += 1;
                }
            }
        }
    }
}
