//! The captured Assertion read again as a small tree, so that the signature can be checked
//! over exactly the elements the claims are then read from. The bytes were already read once
//! by the envelope reader (well-formed, UTF-8, no DOCTYPE, within the shape limits); here they
//! are bounded ([`MAX_ASSERTION_BYTES`]) and read in one linear pass. Comments and processing
//! instructions are refused: canonical XML drops comments, so text split by one would be signed
//! as one string and could be read as another.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::AssertionError;

/// The largest Assertion read; a real one is 3–6 KiB.
pub const MAX_ASSERTION_BYTES: usize = 16 * 1024;

/// Nesting inside the Assertion (a real one is 6 levels deep): reading recurses this deep.
const MAX_DEPTH: usize = 48;

pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// A namespace binding: prefix ("" for the default namespace) and URI ("" undeclares it).
pub type Binding = (String, String);

/// The Assertion as captured from the envelope: its bytes and the bindings its ancestors put in
/// scope (the Envelope's `xmlns:saml2=…`, say), which the canonical form must know.
#[derive(Clone, PartialEq, Eq)]
pub struct CapturedAssertion {
    pub bytes: Vec<u8>,
    pub inherited: Vec<Binding>,
}

impl std::fmt::Debug for CapturedAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CapturedAssertion(<{} bytes>)", self.bytes.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// As written ("" when unprefixed).
    pub prefix: String,
    pub local: String,
    /// Resolved ("" when unprefixed).
    pub namespace: String,
    /// After attribute-value normalisation and unescaping.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Child {
    Element(usize),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub prefix: String,
    pub local: String,
    pub namespace: String,
    /// The namespace declarations written on this element, in order.
    pub declarations: Vec<Binding>,
    /// Ordinary attributes (declarations are not among them), in order.
    pub attributes: Vec<Attribute>,
    pub children: Vec<Child>,
    /// The enclosing element (`None` for the root).
    pub parent: Option<usize>,
}

impl Element {
    pub fn is(&self, namespace: &str, local: &str) -> bool {
        self.local == local && self.namespace == namespace
    }

    /// The value of the unqualified attribute `local`.
    pub fn attribute(&self, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.is_empty() && a.local == local)
            .map(|a| a.value.as_str())
    }
}

/// The elements in document order: index 0 is the root.
#[derive(Debug)]
pub struct Tree {
    pub elements: Vec<Element>,
    pub inherited: Vec<Binding>,
}

impl Tree {
    pub fn root(&self) -> &Element {
        &self.elements[0]
    }

    pub fn element(&self, index: usize) -> &Element {
        &self.elements[index]
    }

    /// Child elements of `index`, in order.
    pub fn child_elements(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.elements[index]
            .children
            .iter()
            .filter_map(|c| match c {
                Child::Element(i) => Some(*i),
                Child::Text(_) => None,
            })
    }

    /// The bindings in scope at `index`: the inherited ones, then those of its ancestors and
    /// its own (innermost last).
    pub fn scope_at(&self, index: usize) -> Vec<Binding> {
        let mut path = vec![index];
        let mut at = index;
        while let Some(parent) = self.elements[at].parent {
            path.push(parent);
            at = parent;
        }
        let mut scope = self.inherited.clone();
        for &i in path.iter().rev() {
            scope.extend(self.elements[i].declarations.iter().cloned());
        }
        scope
    }

    /// All of the text inside `index`, descendants' included, in document order.
    pub fn text(&self, index: usize) -> String {
        let mut out = String::new();
        self.collect_text(index, &mut out);
        out
    }

    fn collect_text(&self, index: usize, out: &mut String) {
        for child in &self.elements[index].children {
            match child {
                Child::Text(text) => out.push_str(text),
                Child::Element(i) => self.collect_text(*i, out),
            }
        }
    }

    /// Reads `captured`. The root must be the only element at the top; no text but whitespace
    /// may surround it.
    pub fn parse(captured: &CapturedAssertion) -> Result<Tree, AssertionError> {
        if captured.bytes.len() > MAX_ASSERTION_BYTES {
            return Err(AssertionError::TooLarge);
        }
        let mut reader = Reader::from_reader(captured.bytes.as_slice());
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.trim_text(false);

        let mut tree = Tree {
            elements: Vec::new(),
            inherited: captured.inherited.clone(),
        };
        // Bindings in scope: the inherited ones, then each open element's.
        let mut scope: Vec<Binding> = captured.inherited.clone();
        let mut scope_marks: Vec<usize> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        let mut finished = false;
        loop {
            let event = reader.read_event().map_err(|_| not_xml())?;
            match event {
                Event::Start(start) => {
                    if finished {
                        return Err(malformed("più di un elemento alla radice"));
                    }
                    if open.len() >= MAX_DEPTH {
                        return Err(malformed("annidamento eccessivo"));
                    }
                    scope_marks.push(scope.len());
                    let mut element = read_start(&start, &mut scope)?;
                    element.parent = open.last().copied();
                    let index = tree.elements.len();
                    tree.elements.push(element);
                    if let Some(&parent) = open.last() {
                        tree.elements[parent].children.push(Child::Element(index));
                    }
                    open.push(index);
                }
                Event::End(_) => {
                    open.pop();
                    if let Some(mark) = scope_marks.pop() {
                        scope.truncate(mark);
                    }
                    if open.is_empty() {
                        finished = true;
                    }
                }
                Event::Text(text) => {
                    let raw = std::str::from_utf8(text.as_ref()).map_err(|_| not_xml())?;
                    let normalised = normalise_line_ends(raw);
                    let value = quick_xml::escape::unescape(&normalised).map_err(|_| not_xml())?;
                    push_text(&mut tree, &open, &value)?;
                }
                Event::CData(data) => {
                    let raw = std::str::from_utf8(data.as_ref()).map_err(|_| not_xml())?;
                    push_text(&mut tree, &open, &normalise_line_ends(raw))?;
                }
                Event::Comment(_) => return Err(AssertionError::Comment),
                Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {
                    return Err(malformed("istruzioni o dichiarazioni non ammesse"))
                }
                Event::Empty(_) => return Err(malformed("elemento vuoto non espanso")),
                Event::Eof => break,
            }
        }
        if !finished || !open.is_empty() {
            return Err(malformed("asserzione incompleta"));
        }
        Ok(tree)
    }
}

fn push_text(tree: &mut Tree, open: &[usize], text: &str) -> Result<(), AssertionError> {
    match open.last() {
        Some(&index) => {
            let children = &mut tree.elements[index].children;
            // Adjacent text (text, then CDATA) is one text node.
            if let Some(Child::Text(previous)) = children.last_mut() {
                previous.push_str(text);
            } else {
                children.push(Child::Text(text.to_owned()));
            }
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(malformed("testo fuori dall'asserzione")),
    }
}

/// One start tag: its declarations put in `scope` (the caller pops them at its end), its names
/// resolved against it.
fn read_start(start: &BytesStart<'_>, scope: &mut Vec<Binding>) -> Result<Element, AssertionError> {
    let qname = utf8(start.name().into_inner())?;
    let mut declarations = Vec::new();
    let mut raw_attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|_| not_xml())?;
        let key = utf8(attribute.key.into_inner())?;
        let raw = utf8(&attribute.value)?;
        let value = attribute_value(raw)?;
        if key == "xmlns" {
            declarations.push((String::new(), value));
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            declarations.push((prefix.to_owned(), value));
        } else {
            raw_attributes.push((key.to_owned(), value));
        }
    }
    scope.extend(declarations.iter().cloned());
    let (prefix, local) = split(qname);
    let namespace = resolve(scope, prefix)
        .ok_or_else(|| malformed("prefisso non dichiarato"))?
        .to_owned();
    let mut attributes = Vec::with_capacity(raw_attributes.len());
    for (key, value) in raw_attributes {
        let (prefix, local) = split(&key);
        let namespace = if prefix.is_empty() {
            String::new()
        } else {
            resolve(scope, prefix)
                .filter(|uri| !uri.is_empty())
                .ok_or_else(|| malformed("prefisso non dichiarato"))?
                .to_owned()
        };
        attributes.push(Attribute {
            prefix: prefix.to_owned(),
            local: local.to_owned(),
            namespace,
            value,
        });
    }
    Ok(Element {
        prefix: prefix.to_owned(),
        local: local.to_owned(),
        namespace,
        declarations,
        attributes,
        children: Vec::new(),
        parent: None,
    })
}

/// The URI `prefix` is bound to in `scope` (innermost last); the default namespace is "" when
/// never declared; `xml` is always bound.
pub fn resolve<'s>(scope: &'s [Binding], prefix: &str) -> Option<&'s str> {
    if prefix == "xml" {
        return Some(XML_NAMESPACE);
    }
    match scope.iter().rev().find(|(p, _)| p == prefix) {
        Some((_, uri)) => Some(uri),
        None if prefix.is_empty() => Some(""),
        None => None,
    }
}

fn split(qname: &str) -> (&str, &str) {
    qname.split_once(':').unwrap_or(("", qname))
}

/// XML 1.0 §3.3.3: line ends become one space, then every literal tab, CR or LF a space;
/// character references keep what they refer to.
fn attribute_value(raw: &str) -> Result<String, AssertionError> {
    let spaced: String = raw
        .replace("\r\n", " ")
        .chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect();
    quick_xml::escape::unescape(&spaced)
        .map(|v| v.into_owned())
        .map_err(|_| not_xml())
}

/// XML 1.0 §2.11: CR LF and a lone CR are read as LF.
fn normalise_line_ends(raw: &str) -> String {
    raw.replace("\r\n", "\n").replace('\r', "\n")
}

fn utf8(bytes: &[u8]) -> Result<&str, AssertionError> {
    std::str::from_utf8(bytes).map_err(|_| not_xml())
}

fn malformed(why: &str) -> AssertionError {
    AssertionError::Malformed(why.to_owned())
}

/// Nothing of what the parser says is echoed: it could quote the assertion.
fn not_xml() -> AssertionError {
    malformed("XML non ben formato")
}
