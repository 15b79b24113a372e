//! Reading PEM material, with errors that say which file was wrong.

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum PemError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a valid PEM {what}: {detail}")]
    Parse {
        path: String,
        what: &'static str,
        detail: String,
    },
    #[error("{path}: contains no {what}")]
    Empty { path: String, what: &'static str },
    #[error("trust anchor {path}: {detail}")]
    Anchor { path: String, detail: String },
}

pub fn read_text(path: &Path) -> Result<String, PemError> {
    std::fs::read_to_string(path).map_err(|source| PemError::Read {
        path: path.display().to_string(),
        source,
    })
}

pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let text = read_text(path)?;
    let certs = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| parse_error(path, "certificate", e))?;
    if certs.is_empty() {
        return Err(PemError::Empty {
            path: path.display().to_string(),
            what: "certificate",
        });
    }
    Ok(certs)
}

/// The certificates of every file in `paths`, as the roots a TLS peer is verified against.
pub fn trust_anchors<'a>(
    paths: impl IntoIterator<Item = &'a Path>,
) -> Result<rustls::RootCertStore, PemError> {
    let mut roots = rustls::RootCertStore::empty();
    for path in paths {
        for cert in certificates(path)? {
            roots.add(cert).map_err(|e| PemError::Anchor {
                path: path.display().to_string(),
                detail: e.to_string(),
            })?;
        }
    }
    Ok(roots)
}

pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, PemError> {
    let text = read_text(path)?;
    PrivateKeyDer::from_pem_slice(text.as_bytes()).map_err(|e| parse_error(path, "private key", e))
}

pub fn crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, PemError> {
    let text = read_text(path)?;
    CertificateRevocationListDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| parse_error(path, "CRL", e))
}

fn parse_error(path: &Path, what: &'static str, e: impl std::fmt::Display) -> PemError {
    PemError::Parse {
        path: path.display().to_string(),
        what,
        detail: e.to_string(),
    }
}

/// Writes a secret (private key, password) readable by the owner only.
pub fn write_secret(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}
