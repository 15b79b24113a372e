//! What a request offers to prove who sends it, whatever its transport: the connection's
//! [`Peer`] and client address, HTTP Basic, and the encrypted pincode as sent (SOAP: the
//! `pinCode` element; the CSV download: the `X-TSGate-PinCode` header), and the TOTP code of
//! the `X-TSGate-TOTP` header (asked only when `auth.totp_on_soap`).

use std::fmt;
use std::net::IpAddr;

use base64::Engine;

use super::Peer;

pub struct Credentials<'a> {
    pub peer: &'a Peer,
    /// Where the connection comes from: failed passwords are counted per address.
    pub client: IpAddr,
    /// HTTP Basic, read only on a connection without a client certificate (which decides).
    pub basic: Option<Basic>,
    /// The encrypted pincode (base64) as sent, trimmed; `None` when absent or empty.
    pub pincode: Option<&'a str>,
    /// The current TOTP code as sent (`X-TSGate-TOTP`), trimmed; `None` when absent or empty.
    pub totp: Option<&'a str>,
}

impl<'a> Credentials<'a> {
    /// From an HTTP request: its `Authorization` header and the pincode it carries.
    pub fn from_http(
        peer: &'a Peer,
        client: IpAddr,
        authorization: Option<&str>,
        pincode: Option<&'a str>,
    ) -> Credentials<'a> {
        let basic = match peer {
            Peer::Anonymous => Basic::from_authorization(authorization),
            _ => None,
        };
        Credentials {
            peer,
            client,
            basic,
            pincode: pincode.map(str::trim).filter(|pin| !pin.is_empty()),
            totp: None,
        }
    }

    /// With the TOTP code a request carries (the `X-TSGate-TOTP` header).
    pub fn with_totp(self, code: Option<&'a str>) -> Credentials<'a> {
        Credentials {
            totp: code.map(str::trim).filter(|code| !code.is_empty()),
            ..self
        }
    }
}

/// A user id and password. `Debug` leaves the password out.
#[derive(Clone, PartialEq, Eq)]
pub struct Basic {
    pub user_id: String,
    pub password: String,
}

impl Basic {
    /// `Authorization: Basic base64(user:password)`; anything else is no Basic at all.
    pub fn from_authorization(header: Option<&str>) -> Option<Basic> {
        let encoded = header?.trim().strip_prefix("Basic ")?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user_id, password) = text.split_once(':')?;
        Some(Basic {
            user_id: user_id.to_owned(),
            password: password.to_owned(),
        })
    }
}

impl fmt::Debug for Basic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Basic")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn basic(user_id: &str, password: &str) -> Basic {
        Basic {
            user_id: user_id.into(),
            password: password.into(),
        }
    }

    #[test]
    fn basic_header_parsing() {
        assert_eq!(
            Basic::from_authorization(Some("Basic dXNlcjpwYTpzcw==")),
            Some(basic("user", "pa:ss"))
        );
        assert_eq!(Basic::from_authorization(Some("Bearer x")), None);
        assert_eq!(Basic::from_authorization(Some("Basic !!!")), None);
        assert_eq!(Basic::from_authorization(None), None);
    }

    #[test]
    fn a_certificate_decides_and_an_empty_pincode_is_none() {
        let header = Some("Basic dXNlcjpwYTpzcw==");
        let anonymous = Credentials::from_http(&Peer::Anonymous, LOCAL, header, Some("  "));
        assert_eq!(anonymous.basic, Some(basic("user", "pa:ss")));
        assert_eq!(anonymous.pincode, None);
        let card = Peer::Unrecognised {
            subject: "CN=x".into(),
        };
        let with_certificate = Credentials::from_http(&card, LOCAL, header, Some(" abc\n"));
        assert_eq!(with_certificate.basic, None);
        assert_eq!(with_certificate.pincode, Some("abc"));
    }

    #[test]
    fn debug_hides_the_password() {
        assert!(!format!("{:?}", basic("user", "secret")).contains("secret"));
    }
}
