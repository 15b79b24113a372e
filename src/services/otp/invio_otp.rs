//! `InvioOTP`: check who acts, the code and the date; upload once; turn the backend's answer
//! into the outcome. Nothing of the request outlives it.

use super::esiti::Esito;
use super::request::{self, InvioOtpRequest};
use crate::clock::BackendTimeZone;
use crate::config::ImmuniConfig;
use crate::immuni::client::{ClientError, ImmuniClient};
use crate::metrics::UploadCounts;
use crate::services::{Context, Outcome};

/// The operation with what it needs: the upstream and the date rules' settings.
pub struct InvioOtp {
    upstream: ImmuniClient,
    window_days: u32,
    backend_zone: BackendTimeZone,
}

impl InvioOtp {
    /// `uploads` counts what became of each upload (`tsgate_immuni_uploads_total`).
    pub fn new(config: &ImmuniConfig, uploads: UploadCounts) -> Result<InvioOtp, ClientError> {
        Ok(InvioOtp {
            upstream: ImmuniClient::new(config, uploads)?,
            window_days: config.symptom_window_days,
            backend_zone: config.backend_time_zone,
        })
    }

    pub async fn invio_otp(&self, ctx: &Context<'_>, request: &InvioOtpRequest) -> Outcome {
        let checked = request::check(
            request,
            ctx.caller,
            ctx.now,
            self.backend_zone,
            self.window_days,
        );
        let (checked, audit) = match checked {
            Ok(checked) => checked,
            Err(refused) => {
                return refused
                    .esito
                    .outcome(self.window_days, &[])
                    .with_audit(refused.audit)
            }
        };
        let upload = self.upstream.upload(&checked.otp, checked.date).await;
        Esito::from_upload(upload)
            .outcome(self.window_days, &checked.warnings)
            .with_audit(audit)
    }
}
