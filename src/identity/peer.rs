//! Who the client certificate of a connection says is calling, read once per connection by the
//! server's TLS layer (`server::peer_identity`) and handed to [`super::Identity::identify`]
//! with every request.

use crate::domain::{CodiceFiscale, RegionCode};

/// What the client certificate of a connection says, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// No client certificate: the caller must use Basic + pincode.
    Anonymous,
    /// A regional system, by a certificate of the gateway CA.
    Region { code: RegionCode },
    /// A person, by a national-card style certificate (`serialNumber = TINIT-<CF>`).
    Card { cf: CodiceFiscale },
    /// The Ministry of Education's system, by the certificate of the gateway CA issued to it
    /// (hex serial): it may upload MIUR files and nothing else.
    Ministry { serial: String },
    /// A valid certificate that names none of these: refused as bad credentials.
    Unrecognised { subject: String },
}
