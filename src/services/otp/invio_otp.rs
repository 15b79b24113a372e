//! `InvioOTP`: check who acts, the code and the date; upload once; turn the backend's answer
//! into the outcome. Nothing of the request outlives it.

use async_trait::async_trait;

use super::esiti::Esito;
use super::request;
use super::{PROFILE, REQUEST_NS, RESPONSE_NS};
use crate::immuni::{BackendTimeZone, ImmuniClient};
use crate::services::{Access, Context, Operation, OperationSpec, Reply};
use crate::soap::Element;

pub struct InvioOtp {
    spec: OperationSpec,
    upstream: ImmuniClient,
    window_days: u32,
    backend_zone: BackendTimeZone,
}

impl InvioOtp {
    pub fn new(
        upstream: ImmuniClient,
        window_days: u32,
        backend_zone: BackendTimeZone,
    ) -> InvioOtp {
        InvioOtp {
            spec: OperationSpec {
                name: "InvioOTP",
                request: (REQUEST_NS, "InvioOTPRichiesta"),
                response: (RESPONSE_NS, "InvioOTPRicevuta"),
                access: Access::Profile(PROFILE),
            },
            upstream,
            window_days,
            backend_zone,
        }
    }
}

#[async_trait]
impl Operation for InvioOtp {
    fn spec(&self) -> &OperationSpec {
        &self.spec
    }

    async fn invoke(&self, ctx: &Context<'_>, payload: &Element) -> Reply {
        let now = ctx.app.clock.now();
        let parsed = request::parse(
            payload,
            ctx.caller,
            now,
            self.backend_zone,
            self.window_days,
        );
        let (request, audit) = match parsed {
            Ok(parsed) => parsed,
            Err(refused) => {
                return refused
                    .esito
                    .reply(self.window_days, &[])
                    .with_audit(refused.audit)
            }
        };
        let upload = self.upstream.upload(&request.otp, request.date).await;
        let esito = Esito::from_upload(upload);
        esito
            .reply(self.window_days, &request.warnings)
            .with_audit(audit)
    }
}
