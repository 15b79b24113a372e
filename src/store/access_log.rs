//! The access log: what each request yields, how entries are chained by hash, and how the chain
//! is verified.
//!
//! The spec asks that access logs be protected against alteration, with a way to verify their
//! integrity. Each entry's hash covers its seq, its content and the previous entry's hash, so
//! altering, removing, inserting or reordering entries breaks the chain at that point. Purging
//! old entries (logs are kept 12 months) keeps the chain verifiable through the
//! [`AccessLogAnchor`]: the seq of the first retained entry and the hash it links to.
//!
//! A hash chain detects tampering by anyone who cannot recompute it; an attacker with write
//! access to the database can rewrite the whole tail. Publishing the head hash elsewhere from
//! time to time closes that gap (out of scope here).

use std::fmt;

use aws_lc_rs::digest;
use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// How the caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallerKind {
    /// A region's system, by its mTLS client certificate.
    Region,
    /// A person, by the authentication certificate of a CNS card.
    OperatorCertificate,
    /// A person, by user id, password and pincode.
    OperatorPassword,
    /// A person, in a web session opened with their smart card ("Accedi con smart card"),
    /// whether or not the request's own connection presents the card. (Added after the others:
    /// entries written before it read as they were written.)
    OperatorCardSession,
    /// A security administrator, for an administrative action.
    Administrator,
    /// The command line when no administrator acts; the caller id is the OS user.
    Cli,
    /// The gateway itself, for what its scheduler does (the retention purge, the daily report).
    Gateway,
    /// The Ministry of Education's system, by its client certificate (the MIUR uploads); the
    /// caller id is the certificate's serial.
    Ministry,
}

impl CallerKind {
    /// The stored (and hashed) spelling: changing it would break every existing chain.
    pub fn as_str(self) -> &'static str {
        match self {
            CallerKind::Region => "region",
            CallerKind::OperatorCertificate => "operator-certificate",
            CallerKind::OperatorPassword => "operator-password",
            CallerKind::OperatorCardSession => "operator-card-session",
            CallerKind::Administrator => "administrator",
            CallerKind::Cli => "cli",
            CallerKind::Gateway => "gateway",
            CallerKind::Ministry => "ministry",
        }
    }

    /// The inverse of [`CallerKind::as_str`].
    pub fn parse(s: &str) -> Option<CallerKind> {
        match s {
            "region" => Some(CallerKind::Region),
            "operator-certificate" => Some(CallerKind::OperatorCertificate),
            "operator-password" => Some(CallerKind::OperatorPassword),
            "operator-card-session" => Some(CallerKind::OperatorCardSession),
            "administrator" => Some(CallerKind::Administrator),
            "cli" => Some(CallerKind::Cli),
            "gateway" => Some(CallerKind::Gateway),
            "ministry" => Some(CallerKind::Ministry),
            _ => None,
        }
    }
}

impl fmt::Display for CallerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `service` of every administrative entry, apart from the SOAP services' names; the
/// administrative indexes (migration 0009/0010) hold only entries with it.
pub const ADMIN_SERVICE: &str = "admin";

/// What one request yields; built by the gateway's `record` stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogEntry {
    pub transaction_id: String,
    /// Stored with millisecond precision; sub-millisecond digits are dropped when chained.
    pub at: DateTime<Utc>,
    pub caller_kind: CallerKind,
    /// Region code, user id, or certificate subject CF.
    pub caller_id: String,
    /// 3-digit region code when a region calls.
    pub region: Option<String>,
    pub operator_cf: Option<String>,
    /// The doctor on whose behalf a service is used; `None` otherwise.
    pub titolare_cf: Option<String>,
    /// The strong authentication a region declares it used for its operator (`2FA`, `CNS`,
    /// `CIE`, `SPID`); `None` for other callers.
    pub declared_auth: Option<String>,
    pub service: String,
    pub operation: String,
    /// e.g. `"0000"`, `"9999"`, `"fault:credentials"`, `"fault:schema"`, `"throttled"`; for an
    /// administrative action `"ok"` or `"refused: <reason>"`.
    pub outcome: String,
    /// The client's IP address, for a remote request; `None` for the command line and for
    /// entries written before it was recorded.
    pub client_address: Option<String>,
    /// Whom an administrative action was on (a user id, a region code, a CF, a certificate
    /// serial); `None` for SOAP transactions.
    pub target: Option<String>,
    /// What else an administrative action says (the profile granted, the service, the period).
    pub detail: Option<String>,
}

impl AccessLogEntry {
    /// The time as stored: milliseconds since the Unix epoch.
    pub fn at_ms(&self) -> i64 {
        self.at.timestamp_millis()
    }
}

/// Truncates to whole milliseconds, the precision the log stores and hashes.
pub fn truncate_to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    // A DateTime<Utc> always converts to millis and back; fall back to the input just in case.
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at)
}

/// An entry with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    pub seq: i64,
    pub entry: AccessLogEntry,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

impl ChainedEntry {
    /// Places `entry` at `seq`, after an entry whose hash is `prev_hash`.
    pub fn link(seq: i64, prev_hash: [u8; 32], mut entry: AccessLogEntry) -> ChainedEntry {
        entry.at = truncate_to_millis(entry.at);
        let hash = entry_hash(seq, &prev_hash, &entry);
        ChainedEntry {
            seq,
            entry,
            prev_hash,
            hash,
        }
    }

    /// `entries`, in order, chained onto the entry `head` names (seq and hash).
    pub fn chain_onto(
        head: (i64, [u8; 32]),
        entries: impl IntoIterator<Item = AccessLogEntry>,
    ) -> Vec<ChainedEntry> {
        let (last_seq, mut prev) = head;
        entries
            .into_iter()
            .zip(last_seq + 1..)
            .map(|(entry, seq)| {
                let linked = ChainedEntry::link(seq, prev, entry);
                prev = linked.hash;
                linked
            })
            .collect()
    }

    /// The head after `chained` was appended onto `before` (`before` itself when it is empty).
    pub fn head_after(before: (i64, [u8; 32]), chained: &[ChainedEntry]) -> (i64, [u8; 32]) {
        chained.last().map_or(before, |last| (last.seq, last.hash))
    }

    /// The hash this entry should have, from its seq, prev_hash and content.
    pub fn recomputed_hash(&self) -> [u8; 32] {
        entry_hash(self.seq, &self.prev_hash, &self.entry)
    }
}

/// Where the retained part of the chain starts (moved by each purge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessLogAnchor {
    /// Seq of the first retained entry (1 until a purge).
    pub first_seq: i64,
    /// The hash that entry must link to (32 zero bytes for entry 1).
    pub prev_hash: [u8; 32],
}

impl AccessLogAnchor {
    /// The anchor of a log that was never purged.
    pub const GENESIS: AccessLogAnchor = AccessLogAnchor {
        first_seq: 1,
        prev_hash: [0; 32],
    };

    /// Decodes the stored anchor row.
    pub(crate) fn from_stored(first_seq: i64, prev_hash: &str) -> Result<Self, StoreError> {
        let prev_hash = decode_hash(prev_hash).ok_or_else(|| StoreError::CorruptAnchor {
            detail: format!("prev_hash {:?} is not 64 hex digits", truncated(prev_hash)),
        })?;
        Ok(AccessLogAnchor {
            first_seq,
            prev_hash,
        })
    }

    /// The chain head implied by the anchor when no entry is retained: the last purged entry,
    /// or `None` for a log never written.
    pub fn head(self) -> Option<(i64, [u8; 32])> {
        (self != AccessLogAnchor::GENESIS).then_some((self.first_seq - 1, self.prev_hash))
    }
}

/// Domain separator and version of the canonical encoding; a new encoding gets a new tag.
const CANONICAL_TAG: &[u8] = b"tsgate/access-log/v1";

/// The bytes hashed for an entry. Unambiguous by construction:
///
/// ```text
/// "tsgate/access-log/v1"          fixed tag
/// seq                             i64, 8 bytes big-endian
/// prev_hash                       32 bytes
/// at_ms                           i64, 8 bytes big-endian (ms since the Unix epoch)
/// transaction_id, caller_kind (as_str), caller_id      each a string
/// region, operator_cf, titolare_cf                     each an optional string
/// service, operation, outcome                          each a string
/// tail                            see below
///
/// tail = nothing              when declared_auth, client_address, target, detail are all None
///      | 0x01 string          when only declared_auth is present
///      | 0x02 optional string ×4   declared_auth, client_address, target, detail, otherwise
///
/// string           = u64 big-endian byte length, then the UTF-8 bytes
/// optional string  = 0x00 for None | 0x01 then string   (so None differs from Some(""))
/// ```
///
/// Every variable-length field carries its length, so no two different entries encode alike.
/// The tail's fields came later: an entry without them encodes exactly as before, so chains
/// written before they existed still verify; the tail's first byte says which form follows, so
/// no two forms coincide.
pub fn canonical_bytes(seq: i64, prev_hash: &[u8; 32], entry: &AccessLogEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        CANONICAL_TAG.len() + 48 + 9 * 9 + entry.transaction_id.len() + entry.caller_id.len(),
    );
    out.extend_from_slice(CANONICAL_TAG);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(prev_hash);
    out.extend_from_slice(&entry.at_ms().to_be_bytes());
    put_str(&mut out, &entry.transaction_id);
    put_str(&mut out, entry.caller_kind.as_str());
    put_str(&mut out, &entry.caller_id);
    put_opt(&mut out, entry.region.as_deref());
    put_opt(&mut out, entry.operator_cf.as_deref());
    put_opt(&mut out, entry.titolare_cf.as_deref());
    put_str(&mut out, &entry.service);
    put_str(&mut out, &entry.operation);
    put_str(&mut out, &entry.outcome);
    let later = [
        entry.client_address.as_deref(),
        entry.target.as_deref(),
        entry.detail.as_deref(),
    ];
    if later.iter().any(Option::is_some) {
        out.push(2);
        put_opt(&mut out, entry.declared_auth.as_deref());
        for field in later {
            put_opt(&mut out, field);
        }
    } else if let Some(declared_auth) = entry.declared_auth.as_deref() {
        // The form of declared_auth's migration (0002): 0x01 then the string.
        put_opt(&mut out, Some(declared_auth));
    }
    out
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

/// SHA-256 of [`canonical_bytes`].
pub fn entry_hash(seq: i64, prev_hash: &[u8; 32], entry: &AccessLogEntry) -> [u8; 32] {
    let digest = digest::digest(&digest::SHA256, &canonical_bytes(seq, prev_hash, entry));
    let mut hash = [0u8; 32];
    hash.copy_from_slice(digest.as_ref());
    hash
}

/// The start of a stored value, for an error message.
fn truncated(value: &str) -> String {
    value.chars().take(64).collect()
}

/// Parses a stored 64-hex-digit hash.
pub(crate) fn decode_hash(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// The outcome of [`verify_chain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainReport {
    /// Every retained entry is present, unaltered and linked to its predecessor.
    /// For an empty log `entries` is 0 and `last_seq == first_seq - 1`.
    Intact {
        entries: u64,
        first_seq: i64,
        last_seq: i64,
    },
    /// The first problem found, in seq order.
    Broken { seq: i64, problem: ChainProblem },
}

/// What is wrong at the entry a [`ChainReport::Broken`] points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainProblem {
    /// The stored hash differs from the hash recomputed from the entry's content.
    Altered,
    /// Entries before this one are missing: `expected_seq` was due (after the previous entry,
    /// or at the anchor for the first retained entry).
    Missing { expected_seq: i64 },
    /// The entry's prev_hash is not the previous entry's hash (or the anchor's): entries were
    /// reordered, replaced, or relinked.
    Relinked,
}

impl fmt::Display for ChainReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ChainReport::Intact { entries: 0, .. } => {
                write!(f, "the access log is intact: it holds no entries")
            }
            ChainReport::Intact {
                entries,
                first_seq,
                last_seq,
            } => write!(
                f,
                "the access log is intact: {entries} entries, from {first_seq} to {last_seq}"
            ),
            ChainReport::Broken {
                seq,
                problem: ChainProblem::Altered,
            } => write!(
                f,
                "entry {seq} was altered: its content no longer matches its hash"
            ),
            ChainReport::Broken {
                seq,
                problem: ChainProblem::Missing { expected_seq },
            } if seq - expected_seq > 1 => write!(
                f,
                "entries {expected_seq} to {} are missing: the log jumps to entry {seq}",
                seq - 1
            ),
            ChainReport::Broken {
                seq,
                problem: ChainProblem::Missing { expected_seq },
            } => write!(
                f,
                "entry {expected_seq} is missing: the log jumps to entry {seq}"
            ),
            ChainReport::Broken {
                seq,
                problem: ChainProblem::Relinked,
            } => write!(
                f,
                "entry {seq} is out of place: it does not link to the hash of the entry before it \
                 (entries were reordered, replaced or relinked)"
            ),
        }
    }
}

/// How many entries [`verify_chain`] reads at a time: memory stays bounded however long the log.
pub const VERIFY_PAGE: i64 = 10_000;

/// Walks the retained chain from the anchor to the head and reports the first problem.
///
/// Deleting entries at the very end cannot be seen from the chain alone (the shortened chain
/// is still a valid chain); compare the head with a copy kept elsewhere for that.
pub async fn verify_chain(store: &dyn Store) -> Result<ChainReport, StoreError> {
    verify_chain_paged(store, VERIFY_PAGE).await
}

/// [`verify_chain`] with an explicit page size (tests use small pages to cross boundaries).
pub async fn verify_chain_paged(store: &dyn Store, page: i64) -> Result<ChainReport, StoreError> {
    let page = page.max(1);
    let mut anchor = store.access_log().anchor().await?;
    let mut first_page = read_page(store, anchor.first_seq - 1, page).await?;
    // A purge between reading the anchor and the first page moves the start; read it again
    // rather than report entries a legitimate purge removed as missing.
    if let Some(Ok(first)) = first_page.first() {
        if first.seq != anchor.first_seq {
            let again = store.access_log().anchor().await?;
            if again != anchor {
                anchor = again;
                first_page = read_page(store, anchor.first_seq - 1, page).await?;
            }
        }
    }

    let mut walk = Walk {
        expected_seq: anchor.first_seq,
        prev_hash: anchor.prev_hash,
        entries: 0,
    };
    let mut rows = first_page;
    while let Some(last_seq) = rows.last().map(row_seq) {
        let full = rows.len() as i64 >= page;
        for row in rows {
            if let Some(report) = walk.check(row) {
                return Ok(report);
            }
        }
        if !full {
            break;
        }
        rows = read_page(store, last_seq, page).await?;
    }
    Ok(ChainReport::Intact {
        entries: walk.entries,
        first_seq: anchor.first_seq,
        last_seq: walk.expected_seq - 1,
    })
}

/// The running state of a chain walk.
struct Walk {
    expected_seq: i64,
    prev_hash: [u8; 32],
    entries: u64,
}

impl Walk {
    /// Checks the next row; `Err(seq)` is a row that could not be decoded.
    fn check(&mut self, row: Result<ChainedEntry, i64>) -> Option<ChainReport> {
        let seq = row_seq(&row);
        let broken = |problem| Some(ChainReport::Broken { seq, problem });
        if seq != self.expected_seq {
            return broken(ChainProblem::Missing {
                expected_seq: self.expected_seq,
            });
        }
        let entry = match row {
            Ok(entry) => entry,
            Err(_) => return broken(ChainProblem::Altered),
        };
        if entry.prev_hash != self.prev_hash {
            return broken(ChainProblem::Relinked);
        }
        if entry.recomputed_hash() != entry.hash {
            return broken(ChainProblem::Altered);
        }
        self.expected_seq = seq + 1;
        self.prev_hash = entry.hash;
        self.entries += 1;
        None
    }
}

fn row_seq(row: &Result<ChainedEntry, i64>) -> i64 {
    match row {
        Ok(entry) => entry.seq,
        Err(seq) => *seq,
    }
}

/// Reads a page, turning undecodable rows into `Err(seq)` so the walk can report them in order.
async fn read_page(
    store: &dyn Store,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Result<ChainedEntry, i64>>, StoreError> {
    match store.access_log().read(after_seq, limit).await {
        Ok(entries) => Ok(entries.into_iter().map(Ok).collect()),
        // Some row in the page is unreadable: re-read it one row at a time to locate it.
        Err(StoreError::CorruptAccessLogRow { .. }) => {
            let mut rows = Vec::new();
            let mut after = after_seq;
            while (rows.len() as i64) < limit {
                match store.access_log().read(after, 1).await {
                    Ok(mut one) => match one.pop() {
                        Some(entry) => {
                            after = entry.seq;
                            rows.push(Ok(entry));
                        }
                        None => break,
                    },
                    Err(StoreError::CorruptAccessLogRow { seq, .. }) => {
                        after = seq;
                        rows.push(Err(seq));
                    }
                    Err(other) => return Err(other),
                }
            }
            Ok(rows)
        }
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AccessLogEntry {
        AccessLogEntry {
            transaction_id: "T1".into(),
            at: DateTime::from_timestamp_millis(1_600_000_000_123).unwrap_or_default(),
            caller_kind: CallerKind::Region,
            caller_id: "080".into(),
            region: Some("080".into()),
            operator_cf: None,
            titolare_cf: None,
            declared_auth: None,
            service: "OtpService".into(),
            operation: "inviaOtp".into(),
            outcome: "0000".into(),
            client_address: None,
            target: None,
            detail: None,
        }
    }

    #[test]
    fn caller_kind_round_trips() {
        for kind in [
            CallerKind::Region,
            CallerKind::OperatorCertificate,
            CallerKind::OperatorPassword,
            CallerKind::OperatorCardSession,
            CallerKind::Administrator,
            CallerKind::Cli,
            CallerKind::Gateway,
            CallerKind::Ministry,
        ] {
            assert_eq!(CallerKind::parse(kind.as_str()), Some(kind));
        }
        // The spellings already in stored chains do not move.
        assert_eq!(CallerKind::OperatorPassword.as_str(), "operator-password");
        assert_eq!(
            CallerKind::OperatorCertificate.as_str(),
            "operator-certificate"
        );
        assert_eq!(CallerKind::parse("Region"), None);
    }

    #[test]
    fn none_and_empty_string_hash_differently() {
        let a = sample();
        let b = AccessLogEntry {
            operator_cf: Some(String::new()),
            ..sample()
        };
        assert_ne!(entry_hash(1, &[0; 32], &a), entry_hash(1, &[0; 32], &b));
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let a = AccessLogEntry {
            service: "ab".into(),
            operation: "c".into(),
            ..sample()
        };
        let b = AccessLogEntry {
            service: "a".into(),
            operation: "bc".into(),
            ..sample()
        };
        assert_ne!(
            canonical_bytes(1, &[0; 32], &a),
            canonical_bytes(1, &[0; 32], &b)
        );
    }

    #[test]
    fn hash_covers_seq_prev_hash_and_every_field() {
        let base = entry_hash(1, &[0; 32], &sample());
        assert_ne!(base, entry_hash(2, &[0; 32], &sample()));
        assert_ne!(base, entry_hash(1, &[1; 32], &sample()));
        let variants = [
            AccessLogEntry {
                transaction_id: "T2".into(),
                ..sample()
            },
            AccessLogEntry {
                at: sample().at + chrono::Duration::milliseconds(1),
                ..sample()
            },
            AccessLogEntry {
                caller_kind: CallerKind::OperatorPassword,
                ..sample()
            },
            AccessLogEntry {
                caller_id: "081".into(),
                ..sample()
            },
            AccessLogEntry {
                region: None,
                ..sample()
            },
            AccessLogEntry {
                operator_cf: Some("X".into()),
                ..sample()
            },
            AccessLogEntry {
                titolare_cf: Some("X".into()),
                ..sample()
            },
            AccessLogEntry {
                declared_auth: Some("X".into()),
                ..sample()
            },
            AccessLogEntry {
                client_address: Some("X".into()),
                ..sample()
            },
            AccessLogEntry {
                target: Some("X".into()),
                ..sample()
            },
            AccessLogEntry {
                detail: Some("X".into()),
                ..sample()
            },
            AccessLogEntry {
                service: "S".into(),
                ..sample()
            },
            AccessLogEntry {
                operation: "o".into(),
                ..sample()
            },
            AccessLogEntry {
                outcome: "9999".into(),
                ..sample()
            },
        ];
        for v in variants {
            assert_ne!(base, entry_hash(1, &[0; 32], &v), "{v:?}");
        }
    }

    #[test]
    fn an_entry_without_declared_auth_encodes_as_before_it_existed() {
        let without = canonical_bytes(1, &[0; 32], &sample());
        let with = canonical_bytes(
            1,
            &[0; 32],
            &AccessLogEntry {
                declared_auth: Some("SPID".into()),
                ..sample()
            },
        );
        // The old encoding ends with the outcome; the new field only ever appends.
        assert!(without.ends_with(sample().outcome.as_bytes()));
        assert!(with.starts_with(&without) && with.len() > without.len());
    }

    #[test]
    fn entries_without_the_later_fields_encode_as_before_they_existed() {
        // The encoding of an entry with declared_auth, as written since migration 0002.
        let mut v1 = canonical_bytes(1, &[0; 32], &sample());
        v1.push(1);
        put_str(&mut v1, "SPID");
        let spid = AccessLogEntry {
            declared_auth: Some("SPID".into()),
            ..sample()
        };
        assert_eq!(canonical_bytes(1, &[0; 32], &spid), v1);

        // The later fields, alone or together, each encode differently from all the others.
        let forms = [
            sample(),
            spid.clone(),
            AccessLogEntry {
                client_address: Some("SPID".into()),
                ..sample()
            },
            AccessLogEntry {
                target: Some("SPID".into()),
                ..sample()
            },
            AccessLogEntry {
                detail: Some("SPID".into()),
                ..sample()
            },
            AccessLogEntry {
                client_address: Some("10.0.0.1".into()),
                ..spid
            },
        ];
        let encoded: std::collections::HashSet<_> = forms
            .iter()
            .map(|entry| canonical_bytes(1, &[0; 32], entry))
            .collect();
        assert_eq!(encoded.len(), forms.len());
    }

    #[test]
    fn link_truncates_to_milliseconds() {
        let fine = sample().at + chrono::Duration::microseconds(456);
        let chained = ChainedEntry::link(
            1,
            [0; 32],
            AccessLogEntry {
                at: fine,
                ..sample()
            },
        );
        assert_eq!(chained.entry.at, sample().at);
        assert_eq!(chained.hash, chained.recomputed_hash());
    }

    #[test]
    fn reports_read_as_one_sentence() {
        let altered = ChainReport::Broken {
            seq: 1042,
            problem: ChainProblem::Altered,
        };
        assert_eq!(
            altered.to_string(),
            "entry 1042 was altered: its content no longer matches its hash"
        );
        let missing = ChainReport::Broken {
            seq: 6,
            problem: ChainProblem::Missing { expected_seq: 5 },
        };
        assert_eq!(
            missing.to_string(),
            "entry 5 is missing: the log jumps to entry 6"
        );
        let gap = ChainReport::Broken {
            seq: 9,
            problem: ChainProblem::Missing { expected_seq: 5 },
        };
        assert_eq!(
            gap.to_string(),
            "entries 5 to 8 are missing: the log jumps to entry 9"
        );
    }

    #[test]
    fn stored_hashes_must_be_64_hex_digits() {
        assert_eq!(decode_hash(&"00".repeat(32)), Some([0; 32]));
        assert_eq!(decode_hash("00"), None);
        assert_eq!(decode_hash(&"zz".repeat(32)), None);
    }
}
