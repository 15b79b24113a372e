//! A folder of certificate files, filled only where something is missing: `tsgate certs init`
//! fills a deployment's `certs/` this way, and `tsgate demo` its `data/demo/certs/`.
//!
//! Nothing here ever overwrites a file. Replacing a CA by accident would make every certificate
//! it issued unusable, and replacing the pincode key would break every client that encrypts with
//! the published certificate; such a change has to be made by hand. Private keys are written
//! readable by the owner only ([`files::write_secret`]).

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::ca::{CertificateAuthority, Subject};
use super::sealing::SealingKey;
use super::{files, pincode};

/// Days a certificate issued by `init` (or the demo) is valid: the CA/Browser Forum's old
/// 825-day ceiling, which TLS clients still accept.
pub const DEFAULT_VALID_DAYS: i64 = 825;

/// What one call found in the folder: the files it wrote and the ones it left as they were.
#[derive(Debug, Default)]
pub struct Filled {
    pub written: Vec<PathBuf>,
    pub kept: Vec<PathBuf>,
}

impl Filled {
    fn note(&mut self, path: PathBuf, written: bool) {
        if written {
            self.written.push(path);
        } else {
            self.kept.push(path);
        }
    }
}

/// The folder and what has been done to it so far.
pub struct CertsFolder {
    dir: PathBuf,
    pub filled: Filled,
}

impl CertsFolder {
    /// Opens `dir`, creating it if needed.
    pub fn open(dir: &Path) -> anyhow::Result<CertsFolder> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(CertsFolder {
            dir: dir.to_owned(),
            filled: Filled::default(),
        })
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// `NAME.pem` + `NAME-key.pem`: loaded when both exist, created otherwise.
    pub fn ca(&mut self, name: &str, common_name: &str) -> anyhow::Result<CertificateAuthority> {
        let (cert_path, key_path) = self.pair(name);
        if cert_path.exists() && key_path.exists() {
            let ca = CertificateAuthority::load(
                &files::read_text(&cert_path)?,
                &files::read_text(&key_path)?,
            )
            .with_context(|| format!("cannot load the CA in {}", cert_path.display()))?;
            self.filled.note(cert_path, false);
            return Ok(ca);
        }
        refuse_half_pair(&cert_path, &key_path)?;
        let ca = CertificateAuthority::create(common_name)?;
        files::write_secret(&key_path, &ca.key_pem())
            .with_context(|| format!("cannot write {}", key_path.display()))?;
        write_public(&cert_path, ca.cert_pem())?;
        self.filled.note(cert_path, true);
        Ok(ca)
    }

    /// `crl.pem`, the CA's revocation list: an empty one (number 1) when there is none.
    pub fn crl(&mut self, ca: &CertificateAuthority) -> anyhow::Result<()> {
        let path = self.path("crl.pem");
        let missing = !path.exists();
        if missing {
            write_public(&path, &ca.crl(&[], 1, 30)?)?;
        }
        self.filled.note(path, missing);
        Ok(())
    }

    /// `NAME.pem` + `NAME-key.pem` issued by `ca` to `subject`, unless both exist.
    pub fn issued(
        &mut self,
        ca: &CertificateAuthority,
        name: &str,
        subject: &Subject,
    ) -> anyhow::Result<()> {
        let (cert_path, key_path) = self.pair(name);
        if cert_path.exists() && key_path.exists() {
            self.filled.note(cert_path, false);
            return Ok(());
        }
        refuse_half_pair(&cert_path, &key_path)?;
        let issued = ca.issue(subject, DEFAULT_VALID_DAYS)?;
        files::write_secret(&key_path, &issued.key_pem)
            .with_context(|| format!("cannot write {}", key_path.display()))?;
        write_public(&cert_path, &issued.cert_pem)?;
        self.filled.note(cert_path, true);
        Ok(())
    }

    /// `pincode.pem` (published to clients) + `pincode-key.pem`, unless both exist.
    pub fn pincode_key(&mut self, common_name: &str) -> anyhow::Result<()> {
        let (cert_path, key_path) = self.pair("pincode");
        if cert_path.exists() && key_path.exists() {
            self.filled.note(cert_path, false);
            return Ok(());
        }
        refuse_half_pair(&cert_path, &key_path)?;
        let (cert, key) = pincode::generate(common_name)?;
        files::write_secret(&key_path, &key)
            .with_context(|| format!("cannot write {}", key_path.display()))?;
        write_public(&cert_path, &cert)?;
        self.filled.note(cert_path, true);
        Ok(())
    }

    /// `secrets.key`, the key that seals secrets at rest (`auth.secrets_key`), unless it exists.
    pub fn secrets_key(&mut self) -> anyhow::Result<()> {
        let path = self.path("secrets.key");
        if path.exists() {
            self.filled.note(path, false);
            return Ok(());
        }
        files::write_secret(&path, &SealingKey::generate_file_text()?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        self.filled.note(path, true);
        Ok(())
    }

    fn pair(&self, name: &str) -> (PathBuf, PathBuf) {
        (
            self.path(&format!("{name}.pem")),
            self.path(&format!("{name}-key.pem")),
        )
    }
}

/// What a deployment's gateway needs of its own (the production example's `[tls]` and
/// `[pincode]` paths): the gateway CA and its CRL, the server certificate for `hosts`, and the
/// pincode encryption key. The national-card CAs and the Immuni files come from outside.
pub fn init_gateway(dir: &Path, hosts: Vec<String>) -> anyhow::Result<Filled> {
    let mut folder = CertsFolder::open(dir)?;
    let ca = folder.ca("ca", "tsgate gateway CA")?;
    folder.crl(&ca)?;
    folder.issued(&ca, "server", &Subject::Server { hosts })?;
    folder.pincode_key("tsgate pincode encryption")?;
    folder.secrets_key()?;
    Ok(folder.filled)
}

/// A certificate without its key (or the reverse) is somebody's half-finished work: creating
/// the missing half would pair it with a new, unrelated key.
fn refuse_half_pair(cert_path: &Path, key_path: &Path) -> anyhow::Result<()> {
    for (present, absent) in [(cert_path, key_path), (key_path, cert_path)] {
        if present.exists() {
            anyhow::bail!(
                "{} exists but {} does not: restore it, or remove both to create a new pair",
                present.display(),
                absent.display()
            );
        }
    }
    Ok(())
}

fn write_public(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(paths: &[PathBuf]) -> Vec<String> {
        paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn init_fills_what_is_missing_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let hosts = vec!["gateway.example.org".to_owned()];
        let first = init_gateway(dir.path(), hosts.clone()).unwrap();
        assert_eq!(
            names(&first.written),
            [
                "ca.pem",
                "crl.pem",
                "server.pem",
                "pincode.pem",
                "secrets.key"
            ]
        );
        let ca_before = std::fs::read(dir.path().join("ca.pem")).unwrap();

        let second = init_gateway(dir.path(), hosts.clone()).unwrap();
        assert!(second.written.is_empty(), "{:?}", second.written);
        assert_eq!(second.kept.len(), 5);
        assert_eq!(std::fs::read(dir.path().join("ca.pem")).unwrap(), ca_before);

        std::fs::remove_file(dir.path().join("server-key.pem")).unwrap();
        let error = init_gateway(dir.path(), hosts).unwrap_err();
        assert!(
            error.to_string().contains("server.pem exists but"),
            "{error:#}"
        );
    }
}
