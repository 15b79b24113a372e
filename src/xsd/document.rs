//! Validating a standalone XML document (a SOAP Body payload, a sample file): quick-xml's
//! `NsReader` drives the [`Validator`]. Well-formedness problems are reported apart from
//! schema violations, and a DOCTYPE is refused outright (entity expansion is an attack
//! surface we do not need).

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::schema_set::SchemaSet;
use super::validate::Attribute;
use super::violation::Violation;

/// Why a document was rejected.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// Not well-formed XML (or not UTF-8); `position` is a byte offset.
    #[error("not well-formed XML at byte {position}: {message}")]
    Malformed { position: u64, message: String },
    #[error("DOCTYPE declarations are not allowed")]
    Doctype,
    /// Well-formed, but not valid against the schemas.
    #[error("{0}")]
    Invalid(#[from] Violation),
}

/// Parses `xml` and validates it against `set`; the root must be a global element.
pub fn validate_document(set: &SchemaSet, xml: &[u8]) -> Result<(), DocumentError> {
    let mut reader = NsReader::from_reader(xml);
    reader.config_mut().expand_empty_elements = true;
    let mut validator = set.validator();
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let position = reader.buffer_position();
        let malformed = |message: String| DocumentError::Malformed { position, message };
        let event = reader.read_event().map_err(|e| DocumentError::Malformed {
            position: reader.error_position(),
            message: e.to_string(),
        })?;
        match event {
            Event::Start(start) => {
                if depth == 0 && seen_root {
                    return Err(malformed("more than one root element".to_owned()));
                }
                seen_root = true;
                depth += 1;
                let (resolved, local) = reader.resolve_element(start.name());
                let namespace = namespace_of(resolved).map_err(malformed)?;
                let local = utf8(local.into_inner()).map_err(malformed)?;
                let mut values: Vec<(&str, &str, Cow<'_, str>)> = Vec::new();
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| malformed(e.to_string()))?;
                    if attr.key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let (ns, attr_local) = reader.resolve_attribute(attr.key);
                    let ns = namespace_of(ns).map_err(malformed)?;
                    let attr_local = utf8(attr_local.into_inner()).map_err(malformed)?;
                    let value = attribute_value(attr.value).map_err(malformed)?;
                    values.push((ns, attr_local, value));
                }
                let attributes: Vec<Attribute<'_>> = values
                    .iter()
                    .map(|(namespace, local, value)| Attribute {
                        namespace,
                        local,
                        value,
                    })
                    .collect();
                validator.start_element(namespace, local, &attributes)?;
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                validator.end_element()?;
            }
            Event::Text(text) => {
                let raw = utf8(&text).map_err(malformed)?;
                if depth == 0 {
                    if !raw
                        .bytes()
                        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                    {
                        return Err(malformed("text outside the root element".to_owned()));
                    }
                    continue;
                }
                // XML end-of-line handling first, then entities; `raw` is already UTF-8
                // checked, so unescape it directly rather than decode the bytes again.
                let value = if raw.contains('\r') {
                    let normalized = raw.replace("\r\n", "\n").replace('\r', "\n");
                    quick_xml::escape::unescape(&normalized)
                        .map(|v| Cow::Owned(v.into_owned()))
                        .map_err(|e| malformed(e.to_string()))?
                } else {
                    quick_xml::escape::unescape(raw).map_err(|e| malformed(e.to_string()))?
                };
                validator.text(&value)?;
            }
            Event::CData(data) => {
                if depth == 0 {
                    return Err(malformed("CDATA outside the root element".to_owned()));
                }
                validator.cdata(utf8(&data).map_err(malformed)?)?;
            }
            Event::DocType(_) => return Err(DocumentError::Doctype),
            Event::Decl(decl) => {
                if let Some(Ok(encoding)) = decl.encoding() {
                    if !encoding.eq_ignore_ascii_case(b"utf-8") {
                        return Err(malformed("only UTF-8 documents are accepted".to_owned()));
                    }
                }
            }
            Event::Comment(_) | Event::PI(_) | Event::Empty(_) => {}
            Event::Eof => {
                if depth > 0 {
                    return Err(malformed("document ends inside an element".to_owned()));
                }
                if !seen_root {
                    return Err(malformed("no root element".to_owned()));
                }
                break;
            }
        }
    }
    validator.finish()?;
    Ok(())
}

fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8: {e}"))
}

fn namespace_of(resolved: ResolveResult<'_>) -> Result<&str, String> {
    match resolved {
        ResolveResult::Bound(ns) => utf8(ns.0),
        ResolveResult::Unbound => Ok(""),
        ResolveResult::Unknown(prefix) => Err(format!(
            "namespace prefix '{}' is not declared",
            String::from_utf8_lossy(&prefix)
        )),
    }
}

/// XML attribute-value normalization (literal tab/CR/LF become spaces) and unescaping;
/// borrows when the value needs neither.
fn attribute_value(raw: Cow<'_, [u8]>) -> Result<Cow<'_, str>, String> {
    match raw {
        Cow::Borrowed(bytes) => {
            let text = utf8(bytes)?;
            Ok(match normalize_and_unescape(text)? {
                Some(changed) => Cow::Owned(changed),
                None => Cow::Borrowed(text),
            })
        }
        Cow::Owned(bytes) => {
            let text = String::from_utf8(bytes).map_err(|e| format!("invalid UTF-8: {e}"))?;
            Ok(Cow::Owned(normalize_and_unescape(&text)?.unwrap_or(text)))
        }
    }
}

fn normalize_and_unescape(raw: &str) -> Result<Option<String>, String> {
    let unescape = |s: &str| {
        quick_xml::escape::unescape(s)
            .map(|v| v.into_owned())
            .map_err(|e| e.to_string())
    };
    if raw.contains(['\t', '\n', '\r']) {
        let normalized = raw.replace("\r\n", " ").replace(['\t', '\n', '\r'], " ");
        return unescape(&normalized).map(Some);
    }
    if raw.contains('&') {
        return unescape(raw).map(Some);
    }
    Ok(None)
}
