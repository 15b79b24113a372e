//! Server-side sessions: the cookie carries 256 random bits and nothing else; the store keeps
//! their SHA-256 with the operator, the CSRF token and the times the timeouts count from. A
//! session is created only by a successful login (ending any the browser still had) and is
//! rotated (a new id, the old one deleted) after a password change.

use std::time::Duration;

use aws_lc_rs::digest;
use base64::Engine;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use rand::RngCore;

use crate::store::{Store, StoreError, WebSessionRecord};

/// The session cookie's name. Not `__Host-`, which would force `Path=/`: ours stays under /web.
pub const COOKIE: &str = "tsgate_web";

/// How long a session may live, from configuration (`[web]`).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Timeouts {
    /// Whether `session` is still usable at `now`.
    pub fn alive(&self, session: &WebSessionRecord, now: DateTime<Utc>) -> bool {
        let within = |since: DateTime<Utc>, limit: Duration| {
            let limit = chrono::Duration::from_std(limit).unwrap_or(chrono::Duration::MAX);
            now.signed_duration_since(since) < limit
        };
        within(session.last_seen, self.idle) && within(session.created, self.absolute)
    }

    /// The instants before which a session is over: `(idle_before, created_before)`.
    pub fn cutoffs(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let back = |limit: Duration| {
            chrono::Duration::from_std(limit)
                .ok()
                .and_then(|limit| now.checked_sub_signed(limit))
                .unwrap_or(DateTime::<Utc>::MIN_UTC)
        };
        (back(self.idle), back(self.absolute))
    }
}

/// A session as a page sees it: who (if anyone) and the token its forms carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub user_id: Option<String>,
    /// The security administrator of an administration session (never with `user_id`).
    pub admin_id: Option<String>,
    pub csrf_token: String,
    pub must_change_password: bool,
    /// The chain (PEM) of the smart card that opened the session, if one did.
    pub card_chain: Option<String>,
}

impl From<WebSessionRecord> for Session {
    fn from(record: WebSessionRecord) -> Session {
        Session {
            id_hash: record.id_hash,
            user_id: record.user_id,
            admin_id: record.admin_id,
            csrf_token: record.csrf_token,
            must_change_password: record.must_change_password,
            card_chain: record.card_chain,
        }
    }
}

/// A new session and the id its cookie carries (the only place the plain id exists).
pub struct Created {
    pub session: Session,
    pub cookie_id: String,
}

/// 256 random bits, URL-safe base64 without padding.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of a cookie's id.
pub fn hash_id(cookie_id: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, cookie_id.as_bytes()))
}

/// Whose a session is.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    Operator(&'a str),
    /// An operator signed in with a smart card: their user id and the card's chain (PEM).
    CardHolder(&'a str, &'a str),
    Administrator(&'a str),
}

/// Stores a new session of `holder` at `now`: only ever after a successful login (before it the
/// login forms need no session, [`super::prelogin`]) or to replace one. Sessions already over
/// are purged first.
pub async fn create_of(
    store: &dyn Store,
    timeouts: Timeouts,
    holder: Holder<'_>,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<Created, StoreError> {
    let (user_id, admin_id, card_chain) = match holder {
        Holder::Operator(id) => (Some(id), None, None),
        Holder::CardHolder(id, chain) => (Some(id), None, Some(chain)),
        Holder::Administrator(id) => (None, Some(id), None),
    };
    let (idle_before, created_before) = timeouts.cutoffs(now);
    store
        .web_sessions()
        .purge(idle_before, created_before)
        .await?;
    let cookie_id = random_token();
    let record = WebSessionRecord {
        id_hash: hash_id(&cookie_id),
        user_id: user_id.map(str::to_owned),
        admin_id: admin_id.map(str::to_owned),
        csrf_token: random_token(),
        must_change_password,
        card_chain: card_chain.map(str::to_owned),
        created: now,
        last_seen: now,
    };
    store.web_sessions().create(&record).await?;
    Ok(Created {
        session: record.into(),
        cookie_id,
    })
}

/// The live session the request's cookie names, its activity recorded; `None` when there is
/// no cookie, no such session, or it is over (then it is deleted).
pub async fn current(
    store: &dyn Store,
    timeouts: Timeouts,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<Option<Session>, StoreError> {
    let Some(cookie_id) = cookie_value(headers) else {
        return Ok(None);
    };
    let id_hash = hash_id(&cookie_id);
    let Some(record) = store.web_sessions().find(&id_hash).await? else {
        return Ok(None);
    };
    if !timeouts.alive(&record, now) {
        store.web_sessions().delete(&id_hash).await?;
        return Ok(None);
    }
    store.web_sessions().touch(&id_hash, now).await?;
    Ok(Some(record.into()))
}

/// The session id in the request's `Cookie` headers, if it has the shape of one.
fn cookie_value(headers: &HeaderMap) -> Option<String> {
    cookie_named(headers, COOKIE)
}

/// The cookie `cookie` of the request, if it has the shape of 256 random bits in URL-safe
/// base64 (what every cookie of ours holds).
pub fn cookie_named(headers: &HeaderMap, cookie: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| value.len() == 43 && value.bytes().all(is_base64url))
}

fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// The `Set-Cookie` value that gives the browser `cookie_id`: a session cookie (no expiry: the
/// server decides when it is over), never sent to another path, site or over plain HTTP, and
/// out of reach of scripts.
pub fn set_cookie(cookie_id: &str) -> String {
    format!("{COOKIE}={cookie_id}; Path=/web; Secure; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value that makes the browser forget the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/web; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(created: i64, last_seen: i64) -> WebSessionRecord {
        WebSessionRecord {
            id_hash: "h".into(),
            user_id: None,
            admin_id: None,
            csrf_token: "t".into(),
            must_change_password: false,
            card_chain: None,
            created: DateTime::from_timestamp(created, 0).unwrap(),
            last_seen: DateTime::from_timestamp(last_seen, 0).unwrap(),
        }
    }

    #[test]
    fn idle_and_absolute_timeouts() {
        let timeouts = Timeouts {
            idle: Duration::from_secs(60),
            absolute: Duration::from_secs(600),
        };
        let at = |s| DateTime::from_timestamp(s, 0).unwrap();
        assert!(timeouts.alive(&record(0, 0), at(59)));
        assert!(!timeouts.alive(&record(0, 0), at(60)), "idle");
        assert!(timeouts.alive(&record(0, 550), at(599)));
        assert!(!timeouts.alive(&record(0, 590), at(600)), "absolute");
        assert_eq!(timeouts.cutoffs(at(1000)), (at(940), at(400)));
    }

    #[test]
    fn the_cookie_holds_only_a_well_formed_id() {
        let id = random_token();
        assert_eq!(id.len(), 43);
        let mut headers = HeaderMap::new();
        let cookie = format!("other=1; {COOKIE}={id}");
        headers.insert(http::header::COOKIE, cookie.parse().unwrap());
        assert_eq!(cookie_value(&headers), Some(id));
        headers.insert(
            http::header::COOKIE,
            format!("{COOKIE}=../etc").parse().unwrap(),
        );
        assert_eq!(cookie_value(&headers), None);
        assert_ne!(hash_id("a"), hash_id("b"));
        assert_eq!(hash_id("a").len(), 64);
    }

    #[test]
    fn cookie_attributes() {
        let set = set_cookie("abc");
        for attribute in ["Path=/web", "Secure", "HttpOnly", "SameSite=Strict"] {
            assert!(set.contains(attribute), "{set}");
        }
        assert!(clear_cookie().contains("Max-Age=0"));
    }
}
