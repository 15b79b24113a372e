//! The strong authentication a region declares for its operator (`tipoAutenticazione`;
//! docs/services/invio-otp.md, from seed 004 Table 1). Only regional systems send it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclaredAuth {
    TwoFactor,
    Cns,
    Cie,
    Spid,
}

/// A `tipoAutenticazione` that names none of the four.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownDeclaredAuth;

impl DeclaredAuth {
    pub fn parse(text: &str) -> Result<DeclaredAuth, UnknownDeclaredAuth> {
        match text {
            "2FA" => Ok(DeclaredAuth::TwoFactor),
            "CNS" => Ok(DeclaredAuth::Cns),
            "CIE" => Ok(DeclaredAuth::Cie),
            "SPID" => Ok(DeclaredAuth::Spid),
            _ => Err(UnknownDeclaredAuth),
        }
    }

    /// The spelling of the schema, as the access log keeps it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclaredAuth::TwoFactor => "2FA",
            DeclaredAuth::Cns => "CNS",
            DeclaredAuth::Cie => "CIE",
            DeclaredAuth::Spid => "SPID",
        }
    }
}

/// `tipoAutenticazione` as a request carries it: `None` when not sent. An operator must not
/// send one at all (whatever it says); a region must send a known one.
pub type SentDeclaredAuth = Option<Result<DeclaredAuth, UnknownDeclaredAuth>>;
