//! Whom the gateway trusts to name end users (`[saml]` configuration): per region, the
//! certificate whose key must have signed its assertions, its entity id (the `Issuer`) and
//! which form it must use. The certificates are read at start-up (a broken one stops it) and
//! again, like the TLS files, whenever one changes ([`keep_reloading`]); a changed set that
//! cannot be read is logged and the previous keys stay in force.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use aws_lc_rs::signature::{self, UnparsedPublicKey};
use chrono::{DateTime, TimeDelta, Utc};
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION};

use super::assertion::{self, AssertedUser, Expected};
use super::signature::SignatureMethod;
use super::tree::{CapturedAssertion, Tree};
use super::AssertionError;
use crate::config::{SamlConfig, SamlMode, SamlRegionConfig};
use crate::domain::RegionCode;
use crate::pki::files;

#[derive(Debug, thiserror::Error)]
pub enum SamlTrustError {
    #[error("saml.regions: '{0}' is not a 3-digit region code")]
    RegionCode(String),
    #[error("saml.regions.\"{region}\": {detail}")]
    Certificate { region: String, detail: String },
}

/// A region's certificate key, as the signature check needs it.
#[derive(Debug, Clone)]
pub struct VerifyingKey {
    method: SignatureMethod,
    /// RSA: the PKCS#1 `RSAPublicKey`; P-256: the uncompressed point.
    public: Vec<u8>,
}

impl VerifyingKey {
    /// The key of the first certificate in the PEM file at `path`: RSA or ECDSA P-256.
    pub fn from_pem_file(path: &Path) -> Result<VerifyingKey, String> {
        let certificates = files::certificates(path).map_err(|e| e.to_string())?;
        let der = certificates
            .first()
            .ok_or_else(|| format!("{}: no certificate", path.display()))?;
        VerifyingKey::from_certificate_der(der)
            .map_err(|detail| format!("{}: {detail}", path.display()))
    }

    pub fn from_certificate_der(der: &[u8]) -> Result<VerifyingKey, String> {
        let (_, certificate) =
            x509_parser::parse_x509_certificate(der).map_err(|e| e.to_string())?;
        let spki = certificate.public_key();
        let public = spki.subject_public_key.data.to_vec();
        let algorithm = &spki.algorithm;
        if algorithm.algorithm == OID_PKCS1_RSAENCRYPTION {
            return Ok(VerifyingKey {
                method: SignatureMethod::RsaSha256,
                public,
            });
        }
        let curve = algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
        if algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY && curve == Some(OID_EC_P256) {
            return Ok(VerifyingKey {
                method: SignatureMethod::EcdsaSha256,
                public,
            });
        }
        Err("the certificate's key is neither RSA nor ECDSA P-256".to_owned())
    }

    /// Whether `signature` over `message` is this key's, with `method` (which must be the
    /// key's own).
    pub fn verifies(
        &self,
        method: SignatureMethod,
        message: &[u8],
        signature_value: &[u8],
    ) -> bool {
        if method != self.method {
            return false;
        }
        let algorithm: &dyn signature::VerificationAlgorithm = match method {
            SignatureMethod::RsaSha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            SignatureMethod::EcdsaSha256 => &signature::ECDSA_P256_SHA256_FIXED,
        };
        UnparsedPublicKey::new(algorithm, &self.public)
            .verify(message, signature_value)
            .is_ok()
    }
}

/// One region's settings, its certificate read.
#[derive(Debug, Clone)]
pub struct RegionTrust {
    pub entity_id: String,
    pub mode: SamlMode,
    pub key: VerifyingKey,
}

type Regions = HashMap<RegionCode, RegionTrust>;

/// The certificate files' contents as last read (they are small): a change of any is a reload.
type Snapshot = Vec<Option<Vec<u8>>>;

/// Every configured region, the audience the assertions must name and the clock skew allowed.
#[derive(Debug)]
pub struct SamlTrust {
    audience: String,
    skew: TimeDelta,
    configured: BTreeMap<String, SamlRegionConfig>,
    regions: RwLock<Arc<Regions>>,
    seen: Mutex<Snapshot>,
}

impl SamlTrust {
    /// Reads every configured region's certificate. `public_url` is the audience when
    /// `saml.audience` is not set.
    pub fn from_config(config: &SamlConfig, public_url: &str) -> Result<SamlTrust, SamlTrustError> {
        let seen = snapshot(&config.regions);
        let regions = read_regions(&config.regions)?;
        Ok(SamlTrust {
            audience: config
                .audience
                .clone()
                .unwrap_or_else(|| public_url.to_owned()),
            skew: TimeDelta::seconds(
                i64::try_from(config.clock_skew_seconds).unwrap_or(i64::MAX / 1000),
            ),
            configured: config.regions.clone(),
            regions: RwLock::new(Arc::new(regions)),
            seen: Mutex::new(seen),
        })
    }

    fn regions(&self) -> Arc<Regions> {
        self.regions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads the certificates again if a file changed since they were last read. A set that
    /// cannot be read leaves the previous keys in force (logged), until the files change again.
    pub fn reload_if_changed(&self) {
        let now = snapshot(&self.configured);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if *seen == now {
            return;
        }
        *seen = now;
        match read_regions(&self.configured) {
            Ok(regions) => {
                *self.regions.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(regions);
                tracing::info!("SAML certificates changed: the regions' keys reloaded");
            }
            Err(error) => tracing::error!(
                %error,
                "SAML certificates changed but cannot be loaded; keeping the previous keys"
            ),
        }
    }

    /// Which form `region` must use: `declared` when it is not configured.
    pub fn mode(&self, region: RegionCode) -> SamlMode {
        self.regions()
            .get(&region)
            .map_or(SamlMode::Declared, |r| r.mode)
    }

    /// The end user `captured` names for `region`, if its signature is the region's and its
    /// claims hold at `now`. A region in `declared` mode has no assertions.
    pub fn verify(
        &self,
        region: RegionCode,
        captured: &CapturedAssertion,
        now: DateTime<Utc>,
    ) -> Result<AssertedUser, AssertionError> {
        let regions = self.regions();
        let trust = regions
            .get(&region)
            .filter(|r| r.mode != SamlMode::Declared)
            .ok_or(AssertionError::RegionNotConfigured)?;
        let tree = Tree::parse(captured)?;
        assertion::verify(
            &tree,
            &Expected {
                key: &trust.key,
                issuer: &trust.entity_id,
                audience: &self.audience,
                skew: self.skew,
                now,
            },
        )
    }
}

/// Calls [`SamlTrust::reload_if_changed`] every `every`.
pub async fn keep_reloading(trust: impl std::ops::Deref<Target = SamlTrust>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        trust.reload_if_changed();
    }
}

fn read_regions(
    configured: &BTreeMap<String, SamlRegionConfig>,
) -> Result<Regions, SamlTrustError> {
    let mut regions = HashMap::new();
    for (code, region) in configured {
        let parsed =
            RegionCode::parse(code).map_err(|_| SamlTrustError::RegionCode(code.clone()))?;
        let key = VerifyingKey::from_pem_file(&region.certificate).map_err(|detail| {
            SamlTrustError::Certificate {
                region: code.clone(),
                detail,
            }
        })?;
        regions.insert(
            parsed,
            RegionTrust {
                entity_id: region.entity_id.clone(),
                mode: region.mode,
                key,
            },
        );
    }
    Ok(regions)
}

fn snapshot(configured: &BTreeMap<String, SamlRegionConfig>) -> Snapshot {
    configured
        .values()
        .map(|region| std::fs::read(&region.certificate).ok())
        .collect()
}
