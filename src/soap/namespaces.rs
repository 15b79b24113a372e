//! The namespace bindings in scope while an envelope is read, resolved in constant time per
//! name whatever their number: a map from prefix to the stack of URIs it is bound to, undone
//! element by element. (quick-xml's `NsReader` scans every binding in scope for each name, so
//! an element declaring thousands of prefixes made each lookup cost thousands of steps.)

use std::collections::HashMap;

use super::work::Work;

const XML_PREFIX: &[u8] = b"xml";
const XMLNS_PREFIX: &[u8] = b"xmlns";
pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

/// Why a declaration or a name breaks the Namespaces in XML rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceError {
    /// A prefix used but never declared.
    Undeclared(String),
    /// A declaration the rules forbid (reserved prefix or URI, `xmlns:p=""`).
    Forbidden(String),
}

#[derive(Default)]
pub struct Namespaces {
    /// Prefix ("" for the default namespace) → URIs bound to it, innermost last; an empty URI
    /// undeclares the default namespace.
    bound: HashMap<Box<[u8]>, Vec<Box<str>>>,
    /// Prefixes declared by the open elements, in order, to undo at their ends.
    declared: Vec<Box<[u8]>>,
    /// `declared.len()` when each open element started.
    scopes: Vec<usize>,
}

impl Namespaces {
    pub fn new() -> Namespaces {
        Namespaces::default()
    }

    /// An element starts: opens its scope (declarations follow with [`Namespaces::declare`]).
    pub fn open(&mut self) {
        self.scopes.push(self.declared.len());
    }

    /// `xmlns:prefix="uri"` (`prefix` empty for `xmlns="uri"`) on the element just opened.
    pub fn declare(
        &mut self,
        prefix: &[u8],
        uri: &str,
        work: &mut Work,
    ) -> Result<(), NamespaceError> {
        work.add(prefix.len() + uri.len() + 1);
        let forbidden = |why: &str| Err(NamespaceError::Forbidden(why.to_owned()));
        if prefix == XMLNS_PREFIX {
            return forbidden("il prefisso 'xmlns' non può essere dichiarato");
        }
        if prefix == XML_PREFIX {
            if uri == XML_NAMESPACE {
                return Ok(());
            }
            return forbidden("il prefisso 'xml' non può essere legato ad altri namespace");
        }
        if uri == XML_NAMESPACE || uri == XMLNS_NAMESPACE {
            return forbidden("namespace riservato legato a un altro prefisso");
        }
        if uri.is_empty() && !prefix.is_empty() {
            return forbidden("un prefisso non può essere legato al namespace vuoto");
        }
        // A prefix declared twice on one element is a repeated attribute name: the start-tag
        // reader refuses it before it gets here.
        self.bound
            .entry(prefix.into())
            .or_default()
            .push(uri.into());
        self.declared.push(prefix.into());
        Ok(())
    }

    /// The element opened last ends: its declarations go out of scope.
    pub fn close(&mut self, work: &mut Work) {
        let start = self.scopes.pop().unwrap_or(0);
        for prefix in self.declared.drain(start..) {
            work.add(prefix.len() + 1);
            if let Some(uris) = self.bound.get_mut(&prefix) {
                uris.pop();
                if uris.is_empty() {
                    self.bound.remove(&prefix);
                }
            }
        }
    }

    /// The namespace of an element name: its prefix's, or the default namespace ("" if none).
    pub fn element<'s>(&'s self, qname: &[u8], work: &mut Work) -> Result<&'s str, NamespaceError> {
        match split(qname) {
            (Some(prefix), _) => self.prefixed(prefix, work),
            (None, _) => Ok(self.lookup(b"", work).unwrap_or("")),
        }
    }

    /// The namespace of an attribute name: its prefix's; none ("") without a prefix.
    pub fn attribute<'s>(
        &'s self,
        qname: &[u8],
        work: &mut Work,
    ) -> Result<&'s str, NamespaceError> {
        match split(qname) {
            (Some(prefix), _) => self.prefixed(prefix, work),
            (None, _) => Ok(""),
        }
    }

    fn prefixed<'s>(&'s self, prefix: &[u8], work: &mut Work) -> Result<&'s str, NamespaceError> {
        if prefix == XML_PREFIX {
            return Ok(XML_NAMESPACE);
        }
        self.lookup(prefix, work)
            .filter(|uri| !uri.is_empty())
            .ok_or_else(|| NamespaceError::Undeclared(String::from_utf8_lossy(prefix).into_owned()))
    }

    fn lookup<'s>(&'s self, prefix: &[u8], work: &mut Work) -> Option<&'s str> {
        work.add(prefix.len() + 1);
        self.bound
            .get(prefix)
            .and_then(|uris| uris.last())
            .map(|uri| &**uri)
    }
}

/// `prefix:local` → (Some(prefix), local); `local` → (None, local).
pub fn split(qname: &[u8]) -> (Option<&[u8]>, &[u8]) {
    match memchr_colon(qname) {
        Some(i) => (Some(&qname[..i]), &qname[i + 1..]),
        None => (None, qname),
    }
}

fn memchr_colon(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b':')
}

/// `xmlns` → Some(""), `xmlns:p` → Some("p"), anything else → None.
pub fn declared_prefix(key: &[u8]) -> Option<&[u8]> {
    if key == XMLNS_PREFIX {
        return Some(b"");
    }
    key.strip_prefix(b"xmlns:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_nest_and_come_undone() {
        let mut work = Work::new();
        let mut ns = Namespaces::new();
        ns.open();
        assert_eq!(ns.declare(b"", "urn:a", &mut work), Ok(()));
        assert_eq!(ns.declare(b"p", "urn:p", &mut work), Ok(()));
        ns.open();
        assert_eq!(ns.declare(b"p", "urn:q", &mut work), Ok(()));
        assert_eq!(ns.declare(b"", "", &mut work), Ok(()));
        assert_eq!(ns.element(b"p:x", &mut work), Ok("urn:q"));
        assert_eq!(ns.element(b"x", &mut work), Ok(""));
        assert_eq!(ns.attribute(b"y", &mut work), Ok(""));
        ns.close(&mut work);
        assert_eq!(ns.element(b"p:x", &mut work), Ok("urn:p"));
        assert_eq!(ns.element(b"x", &mut work), Ok("urn:a"));
        assert_eq!(ns.attribute(b"xml:lang", &mut work), Ok(XML_NAMESPACE));
        assert!(matches!(
            ns.element(b"z:x", &mut work),
            Err(NamespaceError::Undeclared(p)) if p == "z"
        ));
    }

    #[test]
    fn reserved_declarations_are_refused() {
        let mut work = Work::new();
        let mut ns = Namespaces::new();
        ns.open();
        assert!(ns.declare(b"xmlns", "urn:x", &mut work).is_err());
        assert!(ns.declare(b"xml", "urn:x", &mut work).is_err());
        assert_eq!(ns.declare(b"xml", XML_NAMESPACE, &mut work), Ok(()));
        assert!(ns.declare(b"p", XMLNS_NAMESPACE, &mut work).is_err());
        assert!(ns.declare(b"p", "", &mut work).is_err());
        assert_eq!(ns.declare(b"p", "urn:p", &mut work), Ok(()));
    }
}
