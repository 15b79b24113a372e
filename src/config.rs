//! Configuration: one TOML file, every key overridable by a `TSGATE_<SECTION>_<KEY>` variable
//! (e.g. `TSGATE_SERVER_LISTEN`, `TSGATE_STORE_URL`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Sections of the file; only `TSGATE_*` variables naming one of these are read, so unrelated
/// variables (such as `TSGATE_TEST_PG_URL`) never break start-up.
const SECTIONS: &[&str] = &["server", "tls", "pincode", "store", "throttle", "log"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub tls: TlsConfig,
    pub pincode: PincodeConfig,
    pub store: StoreConfig,
    #[serde(default)]
    pub throttle: ThrottleConfig,
    #[serde(default)]
    pub log: LogConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Base URL callers use (written into the WSDLs' `soap:address`).
    pub public_url: String,
    #[serde(default = "defaults::max_connections")]
    pub max_connections: usize,
    #[serde(default = "defaults::handshake_timeout_ms")]
    pub handshake_timeout_ms: u64,
    #[serde(default = "defaults::header_timeout_ms")]
    pub header_timeout_ms: u64,
    #[serde(default = "defaults::body_timeout_ms")]
    pub body_timeout_ms: u64,
    #[serde(default = "defaults::max_body_bytes")]
    pub max_body_bytes: usize,
    /// Idle keep-alive connections are closed after this long.
    #[serde(default = "defaults::idle_timeout_ms")]
    pub idle_timeout_ms: u64,
    /// How long graceful shutdown waits for in-flight requests.
    #[serde(default = "defaults::shutdown_grace_ms")]
    pub shutdown_grace_ms: u64,
    #[serde(default = "defaults::max_xml_depth")]
    pub max_xml_depth: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub certificate: PathBuf,
    pub key: PathBuf,
    /// The gateway CA: it issues region certificates and anchors client verification.
    pub client_ca: PathBuf,
    /// CRLs checked for every client certificate (PEM files).
    #[serde(default)]
    pub crls: Vec<PathBuf>,
    /// Extra trust anchors for operators' national health cards (TS-CNS / CNS issuers).
    #[serde(default)]
    pub card_trust_anchors: Vec<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PincodeConfig {
    /// The published encryption certificate (the gateway's "SanitelCF.cer").
    pub certificate: PathBuf,
    /// Its RSA private key (PKCS#8 PEM).
    pub key: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub url: String,
    /// Largest number of access-log entries committed in one transaction.
    #[serde(default = "defaults::access_log_batch")]
    pub access_log_batch: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ThrottleConfig {
    #[serde(default)]
    pub default: Quota,
    /// Overrides by client key: `region:120`, `operator:<CF>`.
    #[serde(default)]
    pub clients: BTreeMap<String, Quota>,
    /// Upper bound on remembered clients; idle ones are forgotten first.
    #[serde(default = "defaults::max_tracked_clients")]
    pub max_tracked_clients: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            default: Quota::default(),
            clients: BTreeMap::new(),
            max_tracked_clients: defaults::max_tracked_clients(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    pub per_second: u32,
    pub burst: u32,
}

impl Default for Quota {
    fn default() -> Self {
        Quota {
            per_second: 50,
            burst: 100,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `json` (production) or `pretty`.
    #[serde(default = "defaults::log_format")]
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `tsgate=debug,info`.
    #[serde(default = "defaults::log_level")]
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: defaults::log_format(),
            level: defaults::log_level(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

mod defaults {
    use super::LogFormat;
    pub fn max_connections() -> usize {
        10_000
    }
    pub fn handshake_timeout_ms() -> u64 {
        10_000
    }
    pub fn header_timeout_ms() -> u64 {
        10_000
    }
    pub fn body_timeout_ms() -> u64 {
        30_000
    }
    pub fn max_body_bytes() -> usize {
        1024 * 1024
    }
    pub fn idle_timeout_ms() -> u64 {
        60_000
    }
    pub fn shutdown_grace_ms() -> u64 {
        30_000
    }
    pub fn max_xml_depth() -> usize {
        32
    }
    pub fn access_log_batch() -> usize {
        512
    }
    pub fn max_tracked_clients() -> usize {
        100_000
    }
    pub fn log_format() -> LogFormat {
        LogFormat::Json
    }
    pub fn log_level() -> String {
        "info".to_owned()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Reads `file`, then applies `TSGATE_*` variables on top.
    pub fn load(file: &Path) -> Result<Config, ConfigError> {
        if !file.exists() {
            return Err(ConfigError(format!("file {} not found", file.display())));
        }
        Self::extract(Figment::new().merge(Toml::file(file)))
    }

    /// Starts from `base` (e.g. the demo's generated settings), then applies `TSGATE_*` variables.
    pub fn with_env_overrides(base: &Config) -> Result<Config, ConfigError> {
        Self::extract(Figment::from(Serialized::defaults(base)))
    }

    fn extract(figment: Figment) -> Result<Config, ConfigError> {
        let env = Env::prefixed("TSGATE_")
            .filter(|key| {
                let key = key.as_str();
                SECTIONS
                    .iter()
                    .any(|section| key.len() > section.len() && key.starts_with(section) && key.as_bytes()[section.len()] == b'_')
            })
            .map(|key| key.as_str().replacen('_', ".", 1).into());
        let config: Config = figment
            .merge(env)
            .extract()
            .map_err(|e| ConfigError(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// Rules serde cannot express.
    fn check(&self) -> Result<(), ConfigError> {
        let quotas = std::iter::once(("default", &self.throttle.default))
            .chain(self.throttle.clients.iter().map(|(k, q)| (k.as_str(), q)));
        for (name, quota) in quotas {
            if quota.per_second == 0 || quota.burst == 0 {
                return Err(ConfigError(format!(
                    "throttle quota '{name}': per_second and burst must be at least 1"
                )));
            }
        }
        if self.server.max_connections == 0 || self.server.max_body_bytes == 0 {
            return Err(ConfigError(
                "server.max_connections and server.max_body_bytes must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// Makes relative paths relative to `base` (the config file's folder or the demo folder).
    pub fn resolve_paths(mut self, base: &Path) -> Config {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.tls.certificate);
        fix(&mut self.tls.key);
        fix(&mut self.tls.client_ca);
        self.tls.crls.iter_mut().for_each(fix);
        self.tls.card_trust_anchors.iter_mut().for_each(fix);
        fix(&mut self.pincode.certificate);
        fix(&mut self.pincode.key);
        if let Some(path) = self.store.url.strip_prefix("sqlite://") {
            if Path::new(path).is_relative() {
                self.store.url = format!("sqlite://{}", base.join(path).display());
            }
        }
        self
    }
}
