//! One start tag, read in time linear in its size: its name checked against the limits, its
//! namespace declarations put in scope, every name resolved, repeated names refused (raw and
//! expanded), every attribute value unescaped.

use std::borrow::Cow;

use quick_xml::events::BytesStart;

use super::envelope::{clip, EnvelopeError};
use super::namespaces::{declared_prefix, split, NamespaceError, Namespaces};
use super::unique::Unique;
use super::work::Work;
use super::xml_limits::XmlLimits;

/// An attribute with its namespace resolved ("" for none) and its value unescaped.
pub struct Attribute<'a> {
    pub namespace: &'a str,
    pub local: &'a str,
    pub value: Cow<'a, str>,
}

pub struct StartTag<'a> {
    pub namespace: &'a str,
    pub local: &'a str,
    /// The attributes proper: namespace declarations are not among them.
    pub attributes: Vec<Attribute<'a>>,
}

/// Reads `start`, opening its namespace scope (the caller closes it at the element's end).
pub fn read<'a>(
    start: &'a BytesStart<'a>,
    namespaces: &'a mut Namespaces,
    limits: &XmlLimits,
    work: &mut Work,
) -> Result<StartTag<'a>, EnvelopeError> {
    let qname = start.name().into_inner();
    check_name(qname, limits)?;
    namespaces.open();
    // quick-xml's duplicate check is quadratic: ours (below) is not.
    let mut attributes = start.attributes();
    attributes.with_checks(false);
    work.add(start.len());
    let mut raw_names = Unique::new();
    let mut ordinary: Vec<(&'a [u8], Cow<'a, [u8]>)> = Vec::new();
    let mut declarations = 0usize;
    for attribute in attributes {
        let attribute = attribute.map_err(|e| malformed(&e))?;
        let key: &'a [u8] = attribute.key.into_inner();
        check_name(key, limits)?;
        if !raw_names.insert((b"", key), work) {
            return Err(repeated(key));
        }
        match declared_prefix(key) {
            Some(prefix) => {
                declarations += 1;
                if declarations > limits.max_namespace_declarations {
                    return Err(EnvelopeError::TooManyNamespaces(
                        limits.max_namespace_declarations,
                    ));
                }
                let uri = unescape(&attribute.value, work)?;
                namespaces
                    .declare(prefix, &uri, work)
                    .map_err(namespace_error)?;
            }
            None => {
                if ordinary.len() == limits.max_attributes {
                    return Err(EnvelopeError::TooManyAttributes(limits.max_attributes));
                }
                ordinary.push((key, attribute.value));
            }
        }
    }
    let namespaces: &'a Namespaces = namespaces;
    let namespace = namespaces.element(qname, work).map_err(namespace_error)?;
    let local = utf8(split(qname).1, work)?;
    let mut expanded_names = Unique::new();
    let mut resolved = Vec::with_capacity(ordinary.len());
    for (key, value) in ordinary {
        let attribute_namespace = namespaces.attribute(key, work).map_err(namespace_error)?;
        let attribute_local = split(key).1;
        if !expanded_names.insert((attribute_namespace.as_bytes(), attribute_local), work) {
            return Err(repeated(key));
        }
        resolved.push(Attribute {
            namespace: attribute_namespace,
            local: utf8(attribute_local, work)?,
            value: unescape_cow(value, work)?,
        });
    }
    Ok(StartTag {
        namespace,
        local,
        attributes: resolved,
    })
}

fn check_name(name: &[u8], limits: &XmlLimits) -> Result<(), EnvelopeError> {
    if name.len() > limits.max_name_bytes {
        return Err(EnvelopeError::NameTooLong(limits.max_name_bytes));
    }
    Ok(())
}

fn unescape(value: &[u8], work: &mut Work) -> Result<String, EnvelopeError> {
    let text = utf8(value, work)?;
    work.add(text.len());
    quick_xml::escape::unescape(text)
        .map(Cow::into_owned)
        .map_err(|e| malformed(&e))
}

fn unescape_cow<'a>(value: Cow<'a, [u8]>, work: &mut Work) -> Result<Cow<'a, str>, EnvelopeError> {
    match value {
        Cow::Borrowed(bytes) => {
            let text = utf8(bytes, work)?;
            work.add(text.len());
            quick_xml::escape::unescape(text).map_err(|e| malformed(&e))
        }
        Cow::Owned(bytes) => unescape(&bytes, work).map(Cow::Owned),
    }
}

fn utf8<'a>(bytes: &'a [u8], work: &mut Work) -> Result<&'a str, EnvelopeError> {
    work.add(bytes.len());
    std::str::from_utf8(bytes)
        .map_err(|e| EnvelopeError::Malformed(format!("UTF-8 non valido: {e}")))
}

fn repeated(key: &[u8]) -> EnvelopeError {
    EnvelopeError::Malformed(format!(
        "attributo '{}' ripetuto sullo stesso elemento",
        clip(&String::from_utf8_lossy(&key[..key.len().min(256)]))
    ))
}

fn namespace_error(error: NamespaceError) -> EnvelopeError {
    match error {
        NamespaceError::Undeclared(prefix) => {
            EnvelopeError::Malformed(format!("prefisso '{}' non dichiarato", clip(&prefix)))
        }
        NamespaceError::Forbidden(why) => EnvelopeError::Malformed(why),
    }
}

fn malformed(e: &dyn std::fmt::Display) -> EnvelopeError {
    EnvelopeError::Malformed(e.to_string())
}
