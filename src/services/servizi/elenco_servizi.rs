//! `ElencoServizi`: lists, for each service, the operations this caller is allowed to use.

use std::fmt::Write;

use async_trait::async_trait;

use super::{REQUEST_NS, RESPONSE_NS};
use crate::services::{Access, Context, Operation, OperationSpec, Reply};
use crate::soap::authorize;
use crate::soap::xml::leaf;
use crate::soap::Element;

pub struct ElencoServizi {
    spec: OperationSpec,
}

impl ElencoServizi {
    pub fn new() -> ElencoServizi {
        ElencoServizi {
            spec: OperationSpec {
                name: "ElencoServizi",
                request: (REQUEST_NS, "ElencoServiziRichiesta"),
                response: (RESPONSE_NS, "ElencoServiziRicevuta"),
                access: Access::AnyCaller,
            },
        }
    }
}

#[async_trait]
impl Operation for ElencoServizi {
    fn spec(&self) -> &OperationSpec {
        &self.spec
    }

    async fn invoke(&self, ctx: &Context<'_>, _payload: &Element) -> Reply {
        let mut body = String::from("<ric:ElencoServizi>");
        for service in ctx.app.catalogue.services() {
            let allowed: Vec<&str> = service
                .operations
                .iter()
                .filter(|op| authorize::may_call(ctx.caller, service, op.spec()))
                .map(|op| op.spec().name)
                .collect();
            if allowed.is_empty() {
                continue;
            }
            body.push_str("<ric:Servizio>");
            leaf(&mut body, "ric", "nome", service.name);
            leaf(&mut body, "ric", "descrizione", service.description);
            leaf(
                &mut body,
                "ric",
                "wsdl",
                &ctx.app.publication.wsdl_url(service.name),
            );
            body.push_str("<ric:ElencoOperazioni>");
            for name in allowed {
                leaf(&mut body, "ric", "operazione", name);
            }
            body.push_str("</ric:ElencoOperazioni></ric:Servizio>");
        }
        let _ = write!(body, "</ric:ElencoServizi>");
        Reply::ok(body)
    }
}
