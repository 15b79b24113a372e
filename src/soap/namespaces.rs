//! The namespace bindings in scope while an envelope is read, resolved in bounded time per
//! name whatever their number. (quick-xml's `NsReader` scans every binding in scope for each
//! name, so an element declaring thousands of prefixes made each lookup cost thousands of
//! steps.) A few bindings — every real envelope — are scanned newest first; once more than
//! [`SCAN`] are in scope, a map from prefix to the positions binding it takes over.

use std::collections::HashMap;
use std::ops::Range;

use super::work::Work;

const XML_PREFIX: &[u8] = b"xml";
const XMLNS_PREFIX: &[u8] = b"xmlns";
pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

/// Up to this many bindings in scope, a scan is cheaper than hashing.
const SCAN: usize = 8;

/// Why a declaration or a name breaks the Namespaces in XML rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceError {
    /// A prefix used but never declared.
    Undeclared(String),
    /// A declaration the rules forbid (reserved prefix or URI, `xmlns:p=""`).
    Forbidden(String),
}

/// A binding: its prefix ("" for the default namespace) and URI ("" undeclares the default),
/// as ranges of [`Namespaces::text`].
struct Binding {
    prefix: Range<usize>,
    uri: Range<usize>,
}

#[derive(Default)]
pub struct Namespaces {
    /// Prefixes and URIs of the bindings, one after the other, so declaring allocates rarely.
    text: String,
    /// Bindings in scope, in document order (innermost last).
    bindings: Vec<Binding>,
    /// `bindings.len()` when each open element started.
    scopes: Vec<usize>,
    /// Prefix → positions in `bindings` that bind it, innermost last; kept once more than
    /// [`SCAN`] bindings have been in scope.
    index: Option<HashMap<Box<[u8]>, Vec<usize>>>,
}

impl Namespaces {
    pub fn new() -> Namespaces {
        Namespaces::default()
    }

    /// An element starts: opens its scope (declarations follow with [`Namespaces::declare`]).
    pub fn open(&mut self) {
        self.scopes.push(self.bindings.len());
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
        // reader refuses it before it gets here. Names are UTF-8 (checked before reading).
        let prefix = std::str::from_utf8(prefix)
            .map_err(|_| NamespaceError::Forbidden("prefisso non UTF-8".to_owned()))?;
        let at = self.text.len();
        self.text.push_str(prefix);
        self.text.push_str(uri);
        let binding = Binding {
            prefix: at..at + prefix.len(),
            uri: at + prefix.len()..self.text.len(),
        };
        let position = self.bindings.len();
        self.bindings.push(binding);
        if let Some(index) = &mut self.index {
            index
                .entry(prefix.as_bytes().into())
                .or_default()
                .push(position);
        } else if self.bindings.len() > SCAN {
            self.build_index(work);
        }
        Ok(())
    }

    fn build_index(&mut self, work: &mut Work) {
        let mut index: HashMap<Box<[u8]>, Vec<usize>> = HashMap::new();
        for (position, binding) in self.bindings.iter().enumerate() {
            let prefix = &self.text.as_bytes()[binding.prefix.clone()];
            work.add(prefix.len() + 1);
            index.entry(prefix.into()).or_default().push(position);
        }
        self.index = Some(index);
    }

    /// The element opened last ends: its declarations go out of scope.
    pub fn close(&mut self, work: &mut Work) {
        let start = self.scopes.pop().unwrap_or(0);
        if start >= self.bindings.len() {
            return;
        }
        if let Some(index) = &mut self.index {
            for binding in &self.bindings[start..] {
                let prefix = &self.text.as_bytes()[binding.prefix.clone()];
                work.add(prefix.len() + 1);
                if let Some(positions) = index.get_mut(prefix) {
                    positions.pop();
                    if positions.is_empty() {
                        index.remove(prefix);
                    }
                }
            }
        }
        let text_end = self.bindings[start].prefix.start;
        self.bindings.truncate(start);
        self.text.truncate(text_end);
    }

    /// The bindings in scope outside the element opened last (its ancestors'), in document
    /// order (a prefix bound twice: the innermost last).
    pub fn outer_bindings(&self, work: &mut Work) -> Vec<(String, String)> {
        let end = self.scopes.last().copied().unwrap_or(0);
        self.bindings[..end.min(self.bindings.len())]
            .iter()
            .map(|binding| {
                work.add(binding.prefix.len() + binding.uri.len() + 1);
                (
                    self.text[binding.prefix.clone()].to_owned(),
                    self.text[binding.uri.clone()].to_owned(),
                )
            })
            .collect()
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
        let position = match &self.index {
            Some(index) => {
                work.add(prefix.len() + 1);
                index
                    .get(prefix)
                    .and_then(|positions| positions.last().copied())
            }
            None => self.bindings.iter().rposition(|binding| {
                work.add(1 + binding.prefix.len().min(prefix.len()));
                self.text.as_bytes()[binding.prefix.clone()] == *prefix
            }),
        }?;
        let binding = self.bindings.get(position)?;
        self.text.get(binding.uri.clone())
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
    fn many_bindings_resolve_through_the_index_and_come_undone() {
        let mut work = Work::new();
        let mut ns = Namespaces::new();
        ns.open();
        ns.declare(b"p", "urn:outer", &mut work).ok();
        ns.open();
        for i in 0..100 {
            let prefix = format!("q{i}");
            assert_eq!(
                ns.declare(prefix.as_bytes(), &format!("urn:{i}"), &mut work),
                Ok(())
            );
        }
        ns.declare(b"p", "urn:inner", &mut work).ok();
        assert_eq!(ns.element(b"q7:x", &mut work), Ok("urn:7"));
        assert_eq!(ns.element(b"p:x", &mut work), Ok("urn:inner"));
        ns.close(&mut work);
        assert_eq!(ns.element(b"p:x", &mut work), Ok("urn:outer"));
        assert!(ns.element(b"q7:x", &mut work).is_err());
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
