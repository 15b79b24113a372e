//! Reads one schema file into a small element tree with namespaces resolved and line numbers
//! kept, so the compiler can walk it freely and name the line of anything it refuses.

use std::rc::Rc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

pub const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// Our annotation namespace. `riservatezza:riservato="true"` on an element declaration marks its
/// value as confidential (an OTP, a date of symptoms): the validator never quotes it. Foreign
/// attributes are annotations for every other XSD processor, so the published schemas stay
/// standard.
pub const CONFIDENTIALITY_NS: &str = "urn:tsgate:xsd:riservatezza";

/// One element of a schema document.
#[derive(Debug)]
pub struct XNode {
    pub namespace: String,
    pub local: String,
    /// Attributes other than namespace declarations: (namespace, local name, value).
    pub attrs: Vec<(String, String, String)>,
    pub children: Vec<XNode>,
    /// Non-whitespace character data directly inside this element, if any.
    pub text: String,
    pub line: usize,
    /// Prefix bindings in scope ("" is the default namespace); later entries win.
    scope: Rc<Vec<(String, String)>>,
}

impl XNode {
    /// Value of an unqualified attribute.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(ns, l, _)| ns.is_empty() && l == local)
            .map(|(_, _, v)| v.as_str())
    }

    /// An attribute in namespace `ns`.
    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, l, _)| n == ns && l == local)
            .map(|(_, _, v)| v.as_str())
    }

    /// Whether this is the XSD element `xs:<local>`.
    pub fn is_xs(&self, local: &str) -> bool {
        self.namespace == XSD_NS && self.local == local
    }

    /// Resolves a QName-valued attribute (`tipi:CodiceFiscale`) with this element's bindings;
    /// an unprefixed name takes the default namespace, as XSD says for QName values.
    pub fn resolve_qname(&self, qname: &str) -> Result<(String, String), String> {
        let (prefix, local) = match qname.split_once(':') {
            Some((p, l)) => (p, l),
            None => ("", qname),
        };
        if local.is_empty() || local.contains(':') {
            return Err(format!("'{qname}' is not a valid QName"));
        }
        if prefix == "xml" {
            return Ok((XML_NS.to_owned(), local.to_owned()));
        }
        match self.scope.iter().rev().find(|(p, _)| p == prefix) {
            Some((_, uri)) => Ok((uri.clone(), local.to_owned())),
            None if prefix.is_empty() => Ok((String::new(), local.to_owned())),
            None => Err(format!("prefix '{prefix}' of '{qname}' is not declared")),
        }
    }
}

/// A schema file that is not well-formed XML: the line (if known) and what is wrong.
#[derive(Debug)]
pub struct ParseError {
    pub line: Option<usize>,
    pub message: String,
}

/// Parses a schema document; DOCTYPEs are refused (schemas never need them).
pub fn parse(text: &str) -> Result<XNode, ParseError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    let lines = LineIndex::new(text);
    let mut stack: Vec<XNode> = Vec::new();
    let mut root: Option<XNode> = None;
    loop {
        let offset = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| ParseError {
            line: Some(lines.line_of(reader.error_position() as usize)),
            message: e.to_string(),
        })?;
        let line = lines.line_of(offset);
        let fail = |message: String| ParseError {
            line: Some(line),
            message,
        };
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(fail("content after the document element".to_owned()));
                }
                let parent_scope = stack
                    .last()
                    .map(|n| Rc::clone(&n.scope))
                    .unwrap_or_default();
                let node = open_element(&start, parent_scope, line).map_err(fail)?;
                stack.push(node);
            }
            Event::End(_) => {
                let Some(node) = stack.pop() else {
                    return Err(fail("unexpected end tag".to_owned()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| fail(e.to_string()))?;
                push_text(&mut stack, &text, root.is_some()).map_err(fail)?;
            }
            Event::CData(c) => {
                let text = String::from_utf8_lossy(&c).into_owned();
                push_text(&mut stack, &text, root.is_some()).map_err(fail)?;
            }
            Event::DocType(_) => return Err(fail("DOCTYPE is not allowed".to_owned())),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::Empty(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(ParseError {
            line: None,
            message: "document ends inside an element".to_owned(),
        });
    }
    root.ok_or(ParseError {
        line: None,
        message: "no document element".to_owned(),
    })
}

fn push_text(stack: &mut [XNode], text: &str, after_root: bool) -> Result<(), String> {
    if text.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
        return Ok(());
    }
    match stack.last_mut() {
        Some(node) => {
            node.text.push_str(text);
            Ok(())
        }
        None if after_root => Err("text after the document element".to_owned()),
        None => Err("text before the document element".to_owned()),
    }
}

fn open_element(
    start: &BytesStart<'_>,
    parent_scope: Rc<Vec<(String, String)>>,
    line: usize,
) -> Result<XNode, String> {
    let mut declared: Vec<(String, String)> = Vec::new();
    let mut raw_attrs: Vec<(String, String)> = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let key = std::str::from_utf8(attr.key.as_ref())
            .map_err(|e| e.to_string())?
            .to_owned();
        let value = attribute_value(attr.value.as_ref())?;
        if key == "xmlns" {
            declared.push((String::new(), value));
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            declared.push((prefix.to_owned(), value));
        } else {
            raw_attrs.push((key, value));
        }
    }
    let scope = if declared.is_empty() {
        parent_scope
    } else {
        let mut scope = (*parent_scope).clone();
        scope.extend(declared);
        Rc::new(scope)
    };
    let mut node = XNode {
        namespace: String::new(),
        local: String::new(),
        attrs: Vec::with_capacity(raw_attrs.len()),
        children: Vec::new(),
        text: String::new(),
        line,
        scope,
    };
    let name = std::str::from_utf8(start.name().as_ref())
        .map_err(|e| e.to_string())?
        .to_owned();
    let (namespace, local) = node.resolve_qname(&name)?;
    node.namespace = namespace;
    node.local = local;
    for (key, value) in raw_attrs {
        let (namespace, local) = if key.contains(':') {
            node.resolve_qname(&key)?
        } else {
            (String::new(), key)
        };
        node.attrs.push((namespace, local, value));
    }
    Ok(node)
}

/// XML attribute-value normalization (literal whitespace becomes spaces), then unescaping.
fn attribute_value(raw: &[u8]) -> Result<String, String> {
    let raw = std::str::from_utf8(raw).map_err(|e| e.to_string())?;
    let normalized = raw.replace("\r\n", " ").replace(['\t', '\n', '\r'], " ");
    quick_xml::escape::unescape(&normalized)
        .map(|v| v.into_owned())
        .map_err(|e| e.to_string())
}

/// Maps byte offsets to 1-based line numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_names_and_keeps_lines() {
        let doc = parse(
            "<?xml version=\"1.0\"?>\n<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:t=\"urn:t\">\n  <xs:element name=\"a\" type=\"t:T\"/>\n</xs:schema>",
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
        assert!(doc.is_xs("schema"));
        let element = &doc.children[0];
        assert_eq!(element.line, 3);
        assert_eq!(element.attr("name"), Some("a"));
        let resolved = element.resolve_qname("t:T").unwrap_or_default();
        assert_eq!(resolved, ("urn:t".to_owned(), "T".to_owned()));
        assert!(element.resolve_qname("u:T").is_err());
    }

    #[test]
    fn refuses_doctype_and_malformed_input() {
        assert!(parse("<!DOCTYPE x []><x/>").is_err());
        assert!(parse("<x><y></x>").is_err());
        assert!(parse("<x/><y/>").is_err());
        assert!(parse("<p:x/>").is_err());
    }
}
