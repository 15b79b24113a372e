//! Stage 1 — read the SOAP envelope and, in the same pass, validate the Body payload against
//! the compiled schemas and build the payload tree.
//!
//! Threats handled here: a DOCTYPE (and so any entity declaration) is refused as soon as it is
//! seen, before any element is looked at; references to undeclared entities are malformed XML;
//! nesting deeper than the cap is refused; only UTF-8 is read. Empty optional elements inside the
//! payload are dropped before validation (docs/conventions.md: clients send every element, empty
//! when unused), so a required element sent empty is reported as missing.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::payload::Element;
use super::version::SoapVersion;
use crate::xsd::{Attribute, SchemaSet, Validator, Violation};

pub struct Envelope {
    pub version: SoapVersion,
    pub payload: Element,
}

#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("XML non ben formato: {0}")]
    Malformed(String),
    #[error("DOCTYPE e dichiarazioni di entità non sono ammessi")]
    Doctype,
    #[error("Annidamento XML oltre il limite di {0} livelli")]
    TooDeep(usize),
    #[error("Codifica non ammessa: è accettato solo UTF-8")]
    Encoding,
    #[error("Il documento non è una busta SOAP: {0}")]
    NotSoap(String),
    #[error("Versione SOAP della busta diversa da quella del Content-Type")]
    VersionMismatch,
    #[error("Intestazione SOAP obbligatoria non gestita: {0}")]
    MustUnderstand(String),
    #[error("Richiesta non conforme allo schema: {0}")]
    Schema(Violation),
}

/// Where the reader is in the envelope's fixed structure.
#[derive(PartialEq)]
enum Place {
    Start,
    InEnvelope,
    InHeader { depth: usize },
    InBody,
    InPayload,
    AfterPayload,
    AfterBody,
    Done,
}

/// An element inside the payload whose start is held back until we know whether it is empty.
struct Pending {
    namespace: String,
    name: String,
    attributes: Vec<(String, String, String)>,
}

/// Reads `bytes` as a SOAP envelope of the version announced by the Content-Type.
pub fn read(
    bytes: &[u8],
    expected: SoapVersion,
    schemas: &SchemaSet,
    max_depth: usize,
) -> Result<Envelope, EnvelopeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = NsReader::from_reader(bytes);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = true;
    config.trim_text(false);

    let mut place = Place::Start;
    let mut version = expected;
    let mut depth = 0usize;
    let mut validator: Option<Validator<'_>> = None;
    let mut stack: Vec<Element> = Vec::new();
    let mut pending: Option<Pending> = None;
    let mut payload: Option<Element> = None;

    loop {
        let event = reader.read_event().map_err(|e| malformed(&e))?;
        match event {
            Event::DocType(_) => return Err(EnvelopeError::Doctype),
            Event::Decl(decl) => {
                if let Some(Ok(encoding)) = decl.encoding() {
                    if !encoding.eq_ignore_ascii_case(b"utf-8") {
                        return Err(EnvelopeError::Encoding);
                    }
                }
            }
            Event::PI(_) => {
                return Err(EnvelopeError::NotSoap(
                    "istruzioni di elaborazione non ammesse".into(),
                ))
            }
            Event::Comment(_) => {}
            Event::Start(start) => {
                depth += 1;
                if depth > max_depth {
                    return Err(EnvelopeError::TooDeep(max_depth));
                }
                let (ns, local) = reader.resolve_element(start.name());
                let namespace = namespace_of(&ns)?;
                let local = utf8(local.into_inner())?;
                match place {
                    Place::Start => {
                        if local != "Envelope" {
                            return Err(EnvelopeError::NotSoap(format!(
                                "l'elemento radice è '{local}', atteso 'Envelope'"
                            )));
                        }
                        version = SoapVersion::from_namespace(namespace).ok_or_else(|| {
                            EnvelopeError::NotSoap(format!(
                                "namespace '{namespace}' non è un namespace SOAP"
                            ))
                        })?;
                        if version != expected {
                            return Err(EnvelopeError::VersionMismatch);
                        }
                        place = Place::InEnvelope;
                    }
                    Place::InEnvelope if namespace == version.namespace() && local == "Header" => {
                        place = Place::InHeader { depth };
                    }
                    Place::InEnvelope if namespace == version.namespace() && local == "Body" => {
                        place = Place::InBody
                    }
                    Place::InEnvelope => {
                        return Err(EnvelopeError::NotSoap(format!(
                            "elemento '{local}' inatteso in Envelope"
                        )));
                    }
                    Place::InHeader {
                        depth: header_depth,
                    } => {
                        if depth == header_depth + 1 && must_understand(&reader, &start, version)? {
                            return Err(EnvelopeError::MustUnderstand(local.to_owned()));
                        }
                    }
                    Place::InBody => {
                        let mut v = schemas.validator();
                        v.start_element(
                            namespace,
                            local,
                            &attributes(&reader, &start)?
                                .iter()
                                .map(as_attr)
                                .collect::<Vec<_>>(),
                        )
                        .map_err(EnvelopeError::Schema)?;
                        validator = Some(v);
                        stack.push(Element::new(namespace, local));
                        place = Place::InPayload;
                    }
                    Place::InPayload => {
                        flush(&mut pending, &mut validator, &mut stack)?;
                        pending = Some(Pending {
                            namespace: namespace.to_owned(),
                            name: local.to_owned(),
                            attributes: attributes(&reader, &start)?,
                        });
                    }
                    Place::AfterPayload => {
                        return Err(EnvelopeError::NotSoap(
                            "il Body deve contenere un solo elemento".into(),
                        ));
                    }
                    Place::AfterBody => {
                        return Err(EnvelopeError::NotSoap(format!(
                            "elemento '{local}' inatteso dopo il Body"
                        )));
                    }
                    Place::Done => {
                        return Err(EnvelopeError::Malformed(
                            "contenuto dopo la fine della busta".into(),
                        ))
                    }
                }
            }
            Event::End(_) => {
                match place {
                    Place::InHeader {
                        depth: header_depth,
                    } if depth == header_depth => place = Place::InEnvelope,
                    Place::InHeader { .. } => {}
                    Place::InPayload => {
                        if pending.take().is_none() {
                            let v = validator.as_mut().ok_or_else(|| internal("validator"))?;
                            v.end_element().map_err(EnvelopeError::Schema)?;
                            let done = stack.pop().ok_or_else(|| internal("stack"))?;
                            match stack.last_mut() {
                                Some(parent) => parent.children.push(done),
                                None => {
                                    payload = Some(done);
                                    place = Place::AfterPayload;
                                }
                            }
                        }
                        // else: an empty element inside the payload — absent, never seen by the validator.
                    }
                    Place::InBody => return Err(EnvelopeError::NotSoap("il Body è vuoto".into())),
                    Place::AfterPayload => place = Place::AfterBody,
                    Place::AfterBody | Place::InEnvelope => place = Place::Done,
                    Place::Start | Place::Done => return Err(internal("end")),
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(text) => {
                let text = text.unescape().map_err(|e| malformed(&e))?;
                character_data(
                    &text,
                    Chars::Text,
                    &place,
                    &mut pending,
                    &mut validator,
                    &mut stack,
                )?;
            }
            Event::CData(data) => {
                let text = utf8(&data)?.to_owned();
                character_data(
                    &text,
                    Chars::CData,
                    &place,
                    &mut pending,
                    &mut validator,
                    &mut stack,
                )?;
            }
            Event::Empty(_) => return Err(internal("empty")),
            Event::Eof => break,
        }
    }
    if place != Place::Done {
        return Err(EnvelopeError::Malformed("documento incompleto".into()));
    }
    let payload = payload.ok_or_else(|| EnvelopeError::NotSoap("il Body è vuoto".into()))?;
    validator
        .ok_or_else(|| internal("validator"))?
        .finish()
        .map_err(EnvelopeError::Schema)?;
    Ok(Envelope { version, payload })
}

/// Character data as written: a CDATA section is judged apart from text (libxml2 refuses it
/// outside simple content, even when empty).
#[derive(Clone, Copy, PartialEq)]
enum Chars {
    Text,
    CData,
}

/// Text inside the payload goes to the validator and the tree; elsewhere only whitespace is allowed.
fn character_data(
    text: &str,
    kind: Chars,
    place: &Place,
    pending: &mut Option<Pending>,
    validator: &mut Option<Validator<'_>>,
    stack: &mut Vec<Element>,
) -> Result<(), EnvelopeError> {
    match place {
        Place::InPayload => {
            if kind == Chars::Text && text.trim().is_empty() && pending.is_some() {
                // Whitespace inside a held-back element keeps it "empty".
                return Ok(());
            }
            flush(pending, validator, stack)?;
            let v = validator.as_mut().ok_or_else(|| internal("validator"))?;
            match kind {
                Chars::Text => v.text(text),
                Chars::CData => v.cdata(text),
            }
            .map_err(EnvelopeError::Schema)?;
            if let Some(current) = stack.last_mut() {
                current.text.push_str(text);
            }
            Ok(())
        }
        Place::InHeader { .. } => Ok(()),
        _ if text.trim().is_empty() => Ok(()),
        _ => Err(EnvelopeError::NotSoap(
            "testo inatteso fuori dal contenuto del Body".into(),
        )),
    }
}

/// A held-back element turned out not to be empty: hand its start to the validator and the tree.
fn flush(
    pending: &mut Option<Pending>,
    validator: &mut Option<Validator<'_>>,
    stack: &mut Vec<Element>,
) -> Result<(), EnvelopeError> {
    if let Some(p) = pending.take() {
        let v = validator.as_mut().ok_or_else(|| internal("validator"))?;
        let attrs: Vec<Attribute<'_>> = p.attributes.iter().map(as_attr).collect();
        v.start_element(&p.namespace, &p.name, &attrs)
            .map_err(EnvelopeError::Schema)?;
        stack.push(Element::new(&p.namespace, &p.name));
    }
    Ok(())
}

fn must_understand(
    reader: &NsReader<&[u8]>,
    start: &BytesStart<'_>,
    version: SoapVersion,
) -> Result<bool, EnvelopeError> {
    for attr in start.attributes() {
        let attr = attr.map_err(|e| malformed(&e))?;
        let (ns, local) = reader.resolve_attribute(attr.key);
        if local.into_inner() == b"mustUnderstand" && namespace_of(&ns)? == version.namespace() {
            let value = attr.unescape_value().map_err(|e| malformed(&e))?;
            return Ok(matches!(value.trim(), "1" | "true"));
        }
    }
    Ok(false)
}

/// Attributes as (namespace, local, value); namespace declarations are not attributes.
fn attributes(
    reader: &NsReader<&[u8]>,
    start: &BytesStart<'_>,
) -> Result<Vec<(String, String, String)>, EnvelopeError> {
    let mut out = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| malformed(&e))?;
        let key = attr.key.into_inner();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        let (ns, local) = reader.resolve_attribute(attr.key);
        let namespace = match ns {
            ResolveResult::Bound(n) => utf8(n.into_inner())?.to_owned(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(prefix) => {
                return Err(EnvelopeError::Malformed(format!(
                    "prefisso '{}' non dichiarato",
                    String::from_utf8_lossy(&prefix)
                )))
            }
        };
        let value = attr
            .unescape_value()
            .map_err(|e| malformed(&e))?
            .into_owned();
        out.push((namespace, utf8(local.into_inner())?.to_owned(), value));
    }
    Ok(out)
}

fn as_attr(a: &(String, String, String)) -> Attribute<'_> {
    Attribute {
        namespace: &a.0,
        local: &a.1,
        value: &a.2,
    }
}

fn namespace_of<'a>(ns: &'a ResolveResult<'_>) -> Result<&'a str, EnvelopeError> {
    match ns {
        ResolveResult::Bound(n) => utf8(n.as_ref()),
        ResolveResult::Unbound => Ok(""),
        ResolveResult::Unknown(prefix) => Err(EnvelopeError::Malformed(format!(
            "prefisso '{}' non dichiarato",
            String::from_utf8_lossy(prefix)
        ))),
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, EnvelopeError> {
    std::str::from_utf8(bytes).map_err(|_| EnvelopeError::Encoding)
}

fn malformed(e: &dyn std::fmt::Display) -> EnvelopeError {
    EnvelopeError::Malformed(e.to_string())
}

fn internal(what: &str) -> EnvelopeError {
    EnvelopeError::Malformed(format!("struttura inattesa ({what})"))
}
