//! SOAP 1.1 and 1.2: namespaces and content types. Replies use the version of the request.

pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoapVersion {
    V11,
    V12,
}

impl SoapVersion {
    pub fn namespace(self) -> &'static str {
        match self {
            SoapVersion::V11 => SOAP11_NS,
            SoapVersion::V12 => SOAP12_NS,
        }
    }

    pub fn from_namespace(ns: &str) -> Option<SoapVersion> {
        match ns {
            SOAP11_NS => Some(SoapVersion::V11),
            SOAP12_NS => Some(SoapVersion::V12),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            SoapVersion::V11 => "text/xml; charset=utf-8",
            SoapVersion::V12 => "application/soap+xml; charset=utf-8",
        }
    }

    /// The version a Content-Type announces; `Err` names what is wrong with it.
    pub fn from_content_type(value: Option<&str>) -> Result<SoapVersion, &'static str> {
        let value = value.ok_or("Content-Type mancante")?;
        let mut parts = value.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let version = match media.as_str() {
            "text/xml" => SoapVersion::V11,
            "application/soap+xml" => SoapVersion::V12,
            _ => return Err("Content-Type non ammesso: usare text/xml (SOAP 1.1) o application/soap+xml (SOAP 1.2)"),
        };
        for param in parts {
            if let Some((name, value)) = param.split_once('=') {
                if name.trim().eq_ignore_ascii_case("charset")
                    && !value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
                {
                    return Err("charset non ammesso: è accettato solo UTF-8");
                }
            }
        }
        Ok(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(
            SoapVersion::from_content_type(Some("text/xml; charset=UTF-8")),
            Ok(SoapVersion::V11)
        );
        assert_eq!(
            SoapVersion::from_content_type(Some("text/xml")),
            Ok(SoapVersion::V11)
        );
        assert_eq!(
            SoapVersion::from_content_type(Some("application/soap+xml;charset=utf-8;action=\"x\"")),
            Ok(SoapVersion::V12)
        );
        assert!(SoapVersion::from_content_type(Some("application/json")).is_err());
        assert!(SoapVersion::from_content_type(Some("text/xml; charset=ISO-8859-1")).is_err());
        assert!(SoapVersion::from_content_type(None).is_err());
    }
}
