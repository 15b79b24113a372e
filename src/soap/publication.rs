//! WSDL and XSD publication: `GET /ws/<Service>?wsdl` and `GET /xsd/<file>`. The WSDLs' `soap:address`
//! is rewritten to the configured public URL; their relative schema imports (`../xsd/…`) resolve
//! against the WSDL's own URL to `/xsd/…`, and against the files on disk for clients that bundle them.

use std::collections::HashMap;

use super::catalogue::{SCHEMA_FILES, WSDL_FILES};

/// The address written in the WSDL files as shipped.
pub const SHIPPED_BASE: &str = "https://localhost:8443";

pub struct Publication {
    public_url: String,
    /// Service name → WSDL text with this gateway's address.
    wsdl: HashMap<String, String>,
    xsd: HashMap<&'static str, &'static str>,
}

impl Publication {
    pub fn new(public_url: &str) -> Publication {
        let public_url = public_url.trim_end_matches('/').to_owned();
        let wsdl = WSDL_FILES
            .iter()
            .map(|(file, text)| {
                let service = file.trim_end_matches(".wsdl").to_owned();
                let text = text.replace(
                    &format!("location=\"{SHIPPED_BASE}/"),
                    &format!("location=\"{public_url}/"),
                );
                (service, text)
            })
            .collect();
        Publication {
            public_url,
            wsdl,
            xsd: SCHEMA_FILES.iter().copied().collect(),
        }
    }

    pub fn wsdl(&self, service: &str) -> Option<&str> {
        self.wsdl.get(service).map(String::as_str)
    }

    pub fn xsd(&self, file: &str) -> Option<&'static str> {
        self.xsd.get(file).copied()
    }

    pub fn wsdl_url(&self, service: &str) -> String {
        format!("{}/ws/{service}?wsdl", self.public_url)
    }

    pub fn endpoint_url(&self, service: &str) -> String {
        format!("{}/ws/{service}", self.public_url)
    }
}
