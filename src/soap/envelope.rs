//! Stage 1 — read the SOAP envelope and, in the same pass, validate the Body payload against
//! the compiled schemas and build the payload tree.
//!
//! Threats handled here: a DOCTYPE (and so any entity declaration) is refused as soon as it is
//! seen, before any element is looked at; references to undeclared entities are malformed XML;
//! nesting deeper than the cap is refused; only UTF-8 is read. Empty optional elements inside the
//! payload are dropped before validation (docs/conventions.md: clients send every element, empty
//! when unused), so a required element sent empty is reported as missing.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::namespaces::Namespaces;
use super::payload::Element;
use super::start_tag::{self, StartTag};
use super::version::SoapVersion;
use super::work::Work;
use super::xml_limits::XmlLimits;
use crate::saml::{CapturedAssertion, MAX_ASSERTION_BYTES, SAML2_NS};
use crate::xsd::{Attribute, SchemaSet, Validator, Violation};

/// The WS-Security 1.0 namespace of the `wsse:Security` header.
pub const WSSE_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";

pub struct Envelope {
    pub version: SoapVersion,
    pub payload: Element,
    /// The `saml2:Assertion` of the `wsse:Security` header, if any (WS-Security SAML Token
    /// Profile 1.1): judged after the caller is identified.
    pub assertion: HeaderAssertion,
}

/// What the Header's `wsse:Security` blocks carried as assertions (children of a
/// `wsse:Security` child of the Header; anything else in the Header is skipped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum HeaderAssertion {
    #[default]
    Absent,
    One(CapturedAssertion),
    /// Over [`MAX_ASSERTION_BYTES`]: not copied.
    TooLarge,
    Several,
}

/// An assertion being captured: where its bytes start, how deep it is, and the bindings its
/// ancestors put in scope.
struct Capture {
    start: usize,
    depth: usize,
    inherited: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("XML non ben formato: {0}")]
    Malformed(String),
    #[error("DOCTYPE e dichiarazioni di entità non sono ammessi")]
    Doctype,
    #[error("Annidamento XML oltre il limite di {0} livelli")]
    TooDeep(usize),
    #[error("Più di {0} attributi su un elemento")]
    TooManyAttributes(usize),
    #[error("Più di {0} dichiarazioni di namespace su un elemento")]
    TooManyNamespaces(usize),
    #[error("Nome di elemento o attributo oltre {0} byte")]
    NameTooLong(usize),
    #[error("Codifica non ammessa: è accettato solo UTF-8")]
    Encoding,
    #[error("Il documento non è una busta SOAP: {0}")]
    NotSoap(String),
    #[error("Versione SOAP della busta diversa da quella del Content-Type")]
    VersionMismatch,
    #[error("Intestazione SOAP obbligatoria non gestita: {0}")]
    MustUnderstand(String),
    /// The Body payload is not the request of an operation of the service called.
    #[error("'{name}' (namespace '{namespace}') non è un'operazione del servizio")]
    UnknownOperation { namespace: String, name: String },
    /// Where: the 1-based line and column (in characters) of the start of the tag or text that
    /// broke the rule, so a vendor finds it in their file (`tsgate validate` prints the same).
    #[error(
        "Richiesta non conforme allo schema (riga {}, colonna {}, elemento '{}', regola {}): {violation}",
        .at.line, .at.column, .violation.element, .violation.rule.xsd_name()
    )]
    Schema {
        violation: Violation,
        at: TextPosition,
    },
}

/// A place in the document as an editor shows it: 1-based line, and column counted in
/// characters from the start of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextPosition {
    pub line: usize,
    pub column: usize,
}

impl TextPosition {
    /// The position of byte `offset` of `bytes`. Counted only when a violation is reported, so
    /// a valid request never pays for it.
    pub fn of(bytes: &[u8], offset: usize) -> TextPosition {
        let before = bytes.get(..offset).unwrap_or(bytes);
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1);
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count();
        TextPosition { line, column }
    }
}

/// Which Body payloads the reader takes: the service's operations are checked on the payload's
/// start tag, before anything of it is validated.
#[derive(Clone, Copy)]
pub enum Payloads<'a> {
    /// Any global element of the schemas (replies, samples).
    Any,
    /// Only these (namespace, local name) roots: a service's operation requests.
    Only(&'a [(&'a str, &'a str)]),
}

impl Payloads<'_> {
    fn accepts(&self, namespace: &str, local: &str, work: &mut Work) -> bool {
        match self {
            Payloads::Any => true,
            Payloads::Only(roots) => roots.iter().any(|&(ns, name)| {
                work.step();
                name == local && ns == namespace
            }),
        }
    }
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
    /// Byte offset of its start tag, for a violation reported once it is flushed.
    at: usize,
    namespace: String,
    name: String,
    attributes: Vec<(String, String, String)>,
}

/// Reads `bytes` as a SOAP envelope of the version announced by the Content-Type.
pub fn read(
    bytes: &[u8],
    expected: SoapVersion,
    schemas: &SchemaSet,
    limits: &XmlLimits,
    payloads: Payloads<'_>,
) -> Result<Envelope, EnvelopeError> {
    read_counted(bytes, expected, schemas, limits, payloads, &mut Work::new())
}

/// [`read`], adding its inner-loop steps to `work`: every step of reading is linear in the
/// size of the bytes it looks at, so the total is proportional to the envelope's size.
pub fn read_counted(
    bytes: &[u8],
    expected: SoapVersion,
    schemas: &SchemaSet,
    limits: &XmlLimits,
    payloads: Payloads<'_>,
    work: &mut Work,
) -> Result<Envelope, EnvelopeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = Reader::from_reader(bytes);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = true;
    config.trim_text(false);

    let mut namespaces = Namespaces::new();
    let mut utf8_checked = false;
    let mut place = Place::Start;
    let mut version = expected;
    let mut depth = 0usize;
    let mut validator: Option<Validator<'_>> = None;
    let mut stack: Vec<Element> = Vec::new();
    let mut pending: Option<Pending> = None;
    let mut payload: Option<Element> = None;
    // The Header's `wsse:Security` block being read (its depth), and the assertion in it.
    let mut security: Option<usize> = None;
    let mut capture: Option<Capture> = None;
    let mut assertion = HeaderAssertion::Absent;

    loop {
        let before = reader.buffer_position();
        let at = usize::try_from(before).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| malformed(&e))?;
        // quick-xml scans each byte of the event a bounded number of times (memchr).
        work.add(usize::try_from(reader.buffer_position() - before).unwrap_or(usize::MAX));
        work.step();
        // The declaration may name another encoding (its own Fault); a DOCTYPE is refused
        // first; anything else needs the whole document to be UTF-8.
        if !utf8_checked && !matches!(event, Event::Decl(_) | Event::DocType(_)) {
            check_utf8(bytes, work)?;
            utf8_checked = true;
        }
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
                let mut starts_assertion = false;
                depth += 1;
                if depth > limits.max_depth {
                    return Err(EnvelopeError::TooDeep(limits.max_depth));
                }
                let tag = start_tag::read(&start, &mut namespaces, limits, work)?;
                let StartTag {
                    namespace, local, ..
                } = tag;
                match place {
                    Place::Start => {
                        if local != "Envelope" {
                            return Err(EnvelopeError::NotSoap(format!(
                                "l'elemento radice è '{}', atteso 'Envelope'",
                                clip(local)
                            )));
                        }
                        version = SoapVersion::from_namespace(namespace).ok_or_else(|| {
                            EnvelopeError::NotSoap(format!(
                                "namespace '{}' non è un namespace SOAP",
                                clip(namespace)
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
                            "elemento '{}' inatteso in Envelope",
                            clip(local)
                        )));
                    }
                    Place::InHeader {
                        depth: header_depth,
                    } => {
                        if depth == header_depth + 1 {
                            // The one header block the gateway understands.
                            if namespace == WSSE_NS && local == "Security" {
                                security = Some(depth);
                            } else if must_understand(&tag, version) {
                                return Err(EnvelopeError::MustUnderstand(clip(local)));
                            }
                        } else if security == Some(depth - 1)
                            && namespace == SAML2_NS
                            && local == "Assertion"
                        {
                            starts_assertion = true;
                        }
                    }
                    Place::InBody => {
                        if !payloads.accepts(namespace, local, work) {
                            return Err(EnvelopeError::UnknownOperation {
                                namespace: clip(namespace),
                                name: clip(local),
                            });
                        }
                        let mut v = schemas.validator();
                        work.add(namespace.len() + local.len());
                        v.start_element(namespace, local, &as_attrs(&tag, work))
                            .map_err(violation_at(bytes, at))?;
                        validator = Some(v);
                        stack.push(Element::new(namespace, local));
                        place = Place::InPayload;
                    }
                    Place::InPayload => {
                        flush(bytes, &mut pending, &mut validator, &mut stack, work)?;
                        work.add(namespace.len() + local.len());
                        pending = Some(Pending {
                            at,
                            namespace: namespace.to_owned(),
                            name: local.to_owned(),
                            attributes: owned_attributes(&tag, work),
                        });
                    }
                    Place::AfterPayload => {
                        return Err(EnvelopeError::NotSoap(
                            "il Body deve contenere un solo elemento".into(),
                        ));
                    }
                    Place::AfterBody => {
                        return Err(EnvelopeError::NotSoap(format!(
                            "elemento '{}' inatteso dopo il Body",
                            clip(local)
                        )));
                    }
                    Place::Done => {
                        return Err(EnvelopeError::Malformed(
                            "contenuto dopo la fine della busta".into(),
                        ))
                    }
                }
                if starts_assertion {
                    if assertion == HeaderAssertion::Absent && capture.is_none() {
                        capture = Some(Capture {
                            start: before_usize(before),
                            depth,
                            inherited: namespaces.outer_bindings(work),
                        });
                    } else {
                        capture = None;
                        assertion = HeaderAssertion::Several;
                    }
                }
            }
            Event::End(_) => {
                namespaces.close(work);
                if capture.as_ref().is_some_and(|c| c.depth == depth) {
                    if let Some(c) = capture.take() {
                        let end = before_usize(reader.buffer_position());
                        assertion = captured(bytes, c, end, work);
                    }
                }
                if security == Some(depth) {
                    security = None;
                }
                match place {
                    Place::InHeader {
                        depth: header_depth,
                    } if depth == header_depth => place = Place::InEnvelope,
                    Place::InHeader { .. } => {}
                    Place::InPayload => {
                        if pending.take().is_none() {
                            let v = validator.as_mut().ok_or_else(|| internal("validator"))?;
                            v.end_element().map_err(violation_at(bytes, at))?;
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
                work.add(text.len());
                let text = text.unescape().map_err(|e| malformed(&e))?;
                character_data(
                    (bytes, at),
                    (&text, Chars::Text),
                    &place,
                    &mut pending,
                    &mut validator,
                    &mut stack,
                    work,
                )?;
            }
            Event::CData(data) => {
                work.add(data.len());
                let text = utf8(&data)?.to_owned();
                character_data(
                    (bytes, at),
                    (&text, Chars::CData),
                    &place,
                    &mut pending,
                    &mut validator,
                    &mut stack,
                    work,
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
        .map_err(violation_at(bytes, bytes.len()))?;
    Ok(Envelope {
        version,
        payload,
        assertion,
    })
}

/// The bytes of an assertion that ended at `end`, unless it is too large to read.
fn captured(bytes: &[u8], capture: Capture, end: usize, work: &mut Work) -> HeaderAssertion {
    let Some(slice) = bytes.get(capture.start..end) else {
        return HeaderAssertion::TooLarge;
    };
    if slice.len() > MAX_ASSERTION_BYTES {
        return HeaderAssertion::TooLarge;
    }
    work.add(slice.len());
    HeaderAssertion::One(CapturedAssertion {
        bytes: slice.to_vec(),
        inherited: capture.inherited,
    })
}

fn before_usize(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// Every byte of the document, comments and what follows the envelope included, must be UTF-8.
fn check_utf8(bytes: &[u8], work: &mut Work) -> Result<(), EnvelopeError> {
    work.add(bytes.len());
    std::str::from_utf8(bytes).map(|_| ()).map_err(|e| {
        EnvelopeError::Malformed(format!(
            "sequenza UTF-8 non valida al byte {}",
            e.valid_up_to()
        ))
    })
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
    (bytes, at): (&[u8], usize),
    (text, kind): (&str, Chars),
    place: &Place,
    pending: &mut Option<Pending>,
    validator: &mut Option<Validator<'_>>,
    stack: &mut Vec<Element>,
    work: &mut Work,
) -> Result<(), EnvelopeError> {
    work.add(text.len());
    match place {
        Place::InPayload => {
            if kind == Chars::Text && text.trim().is_empty() && pending.is_some() {
                // Whitespace inside a held-back element keeps it "empty".
                return Ok(());
            }
            flush(bytes, pending, validator, stack, work)?;
            let v = validator.as_mut().ok_or_else(|| internal("validator"))?;
            // The validator looks at each byte a bounded number of times; so does the tree.
            work.add(2 * text.len());
            match kind {
                Chars::Text => v.text(text),
                Chars::CData => v.cdata(text),
            }
            .map_err(violation_at(bytes, at))?;
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
    bytes: &[u8],
    pending: &mut Option<Pending>,
    validator: &mut Option<Validator<'_>>,
    stack: &mut Vec<Element>,
    work: &mut Work,
) -> Result<(), EnvelopeError> {
    if let Some(p) = pending.take() {
        let v = validator.as_mut().ok_or_else(|| internal("validator"))?;
        let attrs: Vec<Attribute<'_>> = p
            .attributes
            .iter()
            .map(|(namespace, local, value)| {
                work.add(namespace.len() + local.len() + value.len() + 1);
                Attribute {
                    namespace,
                    local,
                    value,
                }
            })
            .collect();
        work.add(p.namespace.len() + p.name.len() + 1);
        v.start_element(&p.namespace, &p.name, &attrs)
            .map_err(violation_at(bytes, p.at))?;
        stack.push(Element::new(&p.namespace, &p.name));
    }
    Ok(())
}

/// A header block the receiver must understand: `mustUnderstand` "1" or "true" in the
/// envelope's namespace.
fn must_understand(tag: &StartTag<'_>, version: SoapVersion) -> bool {
    tag.attributes.iter().any(|a| {
        a.local == "mustUnderstand"
            && a.namespace == version.namespace()
            && matches!(a.value.trim(), "1" | "true")
    })
}

/// The tag's attributes as the validator takes them.
fn as_attrs<'a>(tag: &'a StartTag<'_>, work: &mut Work) -> Vec<Attribute<'a>> {
    tag.attributes
        .iter()
        .map(|a| {
            work.add(a.namespace.len() + a.local.len() + a.value.len() + 1);
            Attribute {
                namespace: a.namespace,
                local: a.local,
                value: &a.value,
            }
        })
        .collect()
}

/// The tag's attributes as (namespace, local, value), kept while the element is held back.
fn owned_attributes(tag: &StartTag<'_>, work: &mut Work) -> Vec<(String, String, String)> {
    tag.attributes
        .iter()
        .map(|a| {
            work.add(a.namespace.len() + a.local.len() + a.value.len() + 1);
            (
                a.namespace.to_owned(),
                a.local.to_owned(),
                a.value.clone().into_owned(),
            )
        })
        .collect()
}

fn utf8(bytes: &[u8]) -> Result<&str, EnvelopeError> {
    std::str::from_utf8(bytes)
        .map_err(|e| EnvelopeError::Malformed(format!("UTF-8 non valido: {e}")))
}

/// Names echoed in a Fault are cut short: a reply never amplifies hostile input.
pub(super) fn clip(text: &str) -> String {
    const MAX: usize = 64;
    let mut out: String = text.chars().take(MAX).collect();
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// A schema violation found at byte `at` of the document.
fn violation_at(bytes: &[u8], at: usize) -> impl FnOnce(Violation) -> EnvelopeError + '_ {
    move |violation| EnvelopeError::Schema {
        violation,
        at: TextPosition::of(bytes, at),
    }
}

fn malformed(e: &dyn std::fmt::Display) -> EnvelopeError {
    EnvelopeError::Malformed(e.to_string())
}

fn internal(what: &str) -> EnvelopeError {
    EnvelopeError::Malformed(format!("struttura inattesa ({what})"))
}

#[cfg(test)]
mod position_tests {
    use super::TextPosition;

    #[test]
    fn lines_and_columns_count_from_one_and_columns_count_characters() {
        let text = "<a>\n  <b>é<c/></b>\n</a>".as_bytes();
        assert_eq!(
            TextPosition::of(text, 0),
            TextPosition { line: 1, column: 1 }
        );
        let c = text.windows(3).position(|w| w == b"<c/").unwrap();
        // "  <b>é" is six characters (seven bytes) before <c/>.
        assert_eq!(
            TextPosition::of(text, c),
            TextPosition { line: 2, column: 7 }
        );
        assert_eq!(
            TextPosition::of(text, text.len() + 10),
            TextPosition { line: 3, column: 5 }
        );
    }
}
