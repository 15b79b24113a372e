//! The headers every answer under `/web/` carries, whatever produced it (a page, a redirect, a
//! refusal of the router itself): no script and no framing, HTTPS only, no MIME sniffing, no
//! referrer, and nothing personal in any cache.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Only our own stylesheet, images and sounds; no script at all; forms post only to us; no
/// page may frame ours.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'none'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A year; browsers that saw it then refuse plain HTTP to this host.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Static files are named by their content's hash, so they may be kept for a year.
pub const CACHE_STATIC: &str = "public, max-age=31536000, immutable";

/// Sets the security headers on `headers`; an answer that did not say how to cache it is
/// `no-store` (every page may show personal data).
pub fn secure(headers: &mut HeaderMap) {
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(
        headers,
        header::STRICT_TRANSPORT_SECURITY,
        STRICT_TRANSPORT_SECURITY,
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_not_stored_and_static_files_keep_their_lifetime() {
        let mut page = HeaderMap::new();
        secure(&mut page);
        assert_eq!(page[header::CACHE_CONTROL], "no-store");
        assert!(page[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"));
        let mut stylesheet = HeaderMap::new();
        stylesheet.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_STATIC),
        );
        secure(&mut stylesheet);
        assert_eq!(stylesheet[header::CACHE_CONTROL], CACHE_STATIC);
    }
}
