//! The streaming validator: fed start/text/end events by whoever parses the XML, it keeps one
//! small frame per open element and reports the first violation. It allocates only for
//! violations and for the one text buffer of the simple-typed element being read.

use super::content::{AllGroup, Automaton};
use super::model::{AttributeDecl, Content, ElementDecl, ElementId, Model, SimpleTypeId, TypeRef};
use super::simple_types::{clip, quote};
use super::violation::{Rule, Violation};

const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// An attribute of an instance element, with its namespace resolved ("" for none).
#[derive(Debug, Clone, Copy)]
pub struct Attribute<'a> {
    pub namespace: &'a str,
    pub local: &'a str,
    pub value: &'a str,
}

/// Validates one document; create one per document with [`super::SchemaSet::validator`].
/// After a method returns a violation the document is invalid and the validator should be
/// dropped: its state no longer means anything.
pub struct Validator<'s> {
    model: &'s Model,
    stack: Vec<Frame<'s>>,
    /// Character data of the innermost simple-typed element (only one can be open at once,
    /// since simple content has no child elements).
    text: String,
    root_done: bool,
}

struct Frame<'s> {
    element: &'s ElementDecl,
    kind: Kind<'s>,
}

enum Kind<'s> {
    Empty,
    Simple(SimpleTypeId),
    Elements {
        automaton: &'s Automaton,
        state: u32,
    },
    All {
        group: &'s AllGroup,
        seen: u128,
    },
}

fn is_xml_whitespace(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

impl<'s> Validator<'s> {
    pub(crate) fn new(model: &'s Model) -> Validator<'s> {
        Validator {
            model,
            stack: Vec::with_capacity(16),
            text: String::new(),
            root_done: false,
        }
    }

    /// An element starts. The first one is the document root and must be a global element.
    pub fn start_element(
        &mut self,
        namespace: &str,
        local: &str,
        attributes: &[Attribute<'_>],
    ) -> Result<(), Violation> {
        let model = self.model;
        let element_id = match self.stack.last_mut() {
            None => {
                if self.root_done {
                    return Err(self.violation(
                        local,
                        format!("/{}", clip(local)),
                        Rule::UnexpectedElement,
                        "a document has only one root element".to_owned(),
                    ));
                }
                let Some(id) = model.global(namespace, local) else {
                    let message = format!(
                        "{} is not a global element of the schemas",
                        display_name(namespace, local)
                    );
                    let path = format!("/{}", clip(local));
                    return Err(self.violation(local, path, Rule::UnknownRoot, message));
                };
                id
            }
            Some(parent) => match child_of(model, parent, namespace, local) {
                Ok(id) => id,
                Err((rule, message)) => {
                    return Err(self.violation(local, self.path(), rule, message));
                }
            },
        };
        let element = model.element(element_id);
        let kind = match element.ty {
            TypeRef::Simple(id) => Kind::Simple(id),
            TypeRef::Complex(id) => match &model.complex_type(id).content {
                Content::Empty => Kind::Empty,
                Content::Simple(id) => Kind::Simple(*id),
                Content::Elements(automaton) => Kind::Elements {
                    automaton,
                    state: Automaton::START,
                },
                Content::All(group) => Kind::All { group, seen: 0 },
            },
        };
        if matches!(kind, Kind::Simple(_)) {
            self.text.clear();
        }
        self.stack.push(Frame { element, kind });
        self.check_attributes(element, attributes)
    }

    /// Character data inside the current element; may come in pieces (entities, comments).
    /// CDATA sections should go to [`Validator::cdata`].
    pub fn text(&mut self, text: &str) -> Result<(), Violation> {
        if text.is_empty() {
            return Ok(());
        }
        let Some(frame) = self.stack.last() else {
            if is_xml_whitespace(text) {
                return Ok(());
            }
            return Err(self.violation(
                "",
                "/".to_owned(),
                Rule::UnexpectedText,
                "text outside the document root".to_owned(),
            ));
        };
        let message = match frame.kind {
            Kind::Simple(_) => {
                self.text.push_str(text);
                return Ok(());
            }
            Kind::Elements { .. } | Kind::All { .. } if is_xml_whitespace(text) => return Ok(()),
            Kind::Elements { .. } | Kind::All { .. } => {
                format!(
                    "text {} is not allowed in element-only content",
                    quote(text.trim())
                )
            }
            Kind::Empty => format!(
                "text {} is not allowed: the element must be empty",
                quote(text)
            ),
        };
        let element = frame.element.local.as_str();
        Err(self.violation(element, self.path(), Rule::UnexpectedText, message))
    }

    /// A CDATA section inside the current element. Same as [`Validator::text`] in simple
    /// content; anywhere else libxml2 rejects it even when it is empty or whitespace (it is a
    /// character node, never ignorable whitespace), so we do too.
    pub fn cdata(&mut self, text: &str) -> Result<(), Violation> {
        match self.stack.last() {
            Some(Frame {
                kind: Kind::Simple(_),
                ..
            }) => self.text(text),
            Some(frame) => {
                let element = frame.element.local.as_str();
                let message =
                    "a CDATA section is not allowed in element-only or empty content".to_owned();
                Err(self.violation(element, self.path(), Rule::UnexpectedText, message))
            }
            None => Err(self.violation(
                "",
                "/".to_owned(),
                Rule::UnexpectedText,
                "CDATA outside the document root".to_owned(),
            )),
        }
    }

    /// The current element ends: its content must be complete and its text valid.
    pub fn end_element(&mut self) -> Result<(), Violation> {
        let Some(frame) = self.stack.last() else {
            return Err(self.violation(
                "",
                "/".to_owned(),
                Rule::UnexpectedElement,
                "end of an element that was never started".to_owned(),
            ));
        };
        let element = frame.element.local.as_str();
        let problem = match &frame.kind {
            Kind::Empty => None,
            Kind::Simple(id) => self
                .model
                .simple_type(*id)
                .check(&self.text)
                .err()
                .map(|e| match frame.element.confidential {
                    false => (e.rule, e.message),
                    true => (e.rule, confidential_message(e.rule)),
                }),
            Kind::Elements { automaton, state } => {
                if automaton.is_accepting(*state) {
                    None
                } else {
                    let expected = self.names(automaton.expected(*state));
                    let message = if automaton.expected(*state).count() == 1 {
                        format!("missing required child {expected}")
                    } else {
                        format!("missing required child, expected one of {{{expected}}}")
                    };
                    Some((Rule::MissingElement, message))
                }
            }
            Kind::All { group, seen } => {
                let missing = group
                    .members
                    .iter()
                    .enumerate()
                    .find(|&(i, &(_, required))| required && seen & (1u128 << i) == 0);
                match missing {
                    Some((_, &(id, _))) if !(group.optional && *seen == 0) => Some((
                        Rule::MissingElement,
                        format!("missing required child '{}'", self.model.element(id).local),
                    )),
                    _ => None,
                }
            }
        };
        if let Some((rule, message)) = problem {
            return Err(self.violation(element, self.path(), rule, message));
        }
        self.stack.pop();
        if self.stack.is_empty() {
            self.root_done = true;
        }
        Ok(())
    }

    /// The document is over: the root element must have been closed.
    pub fn finish(self) -> Result<(), Violation> {
        if self.root_done && self.stack.is_empty() {
            return Ok(());
        }
        let message = match self.stack.last() {
            Some(frame) => format!("document ended inside element '{}'", frame.element.local),
            None => "document has no root element".to_owned(),
        };
        let element = self
            .stack
            .last()
            .map(|f| f.element.local.clone())
            .unwrap_or_default();
        Err(Violation {
            path: self.path(),
            element,
            rule: Rule::IncompleteDocument,
            message,
        })
    }

    fn check_attributes(
        &self,
        element: &ElementDecl,
        attributes: &[Attribute<'_>],
    ) -> Result<(), Violation> {
        let declared: &[AttributeDecl] = match element.ty {
            TypeRef::Simple(_) => &[],
            TypeRef::Complex(id) => &self.model.complex_type(id).attributes,
        };
        let fail = |rule, message| Err(self.violation(&element.local, self.path(), rule, message));
        let mut seen: u128 = 0;
        for attribute in attributes {
            if attribute.namespace == XMLNS_NS
                || (attribute.namespace.is_empty() && attribute.local == "xmlns")
            {
                continue;
            }
            if attribute.namespace == XSI_NS {
                match attribute.local {
                    "schemaLocation" | "noNamespaceSchemaLocation" => continue,
                    "type" | "nil" => {
                        return fail(
                            Rule::Unsupported,
                            format!("xsi:{} is not supported", attribute.local),
                        )
                    }
                    _ => {}
                }
            }
            let found = declared
                .iter()
                .enumerate()
                .find(|(_, d)| d.local == attribute.local && d.namespace == attribute.namespace);
            let Some((index, decl)) = found else {
                return fail(
                    Rule::UnexpectedAttribute,
                    format!(
                        "attribute {} is not allowed",
                        display_name(attribute.namespace, attribute.local)
                    ),
                );
            };
            let ty = self.model.simple_type(decl.ty);
            if let Err(e) = ty.check(attribute.value) {
                return fail(e.rule, format!("attribute '{}': {}", decl.local, e.message));
            }
            if let Some(fixed) = &decl.fixed {
                if !ty.same_value(fixed, attribute.value) {
                    return fail(
                        Rule::FixedValue,
                        format!(
                            "attribute '{}': value {} differs from the fixed value '{fixed}'",
                            decl.local,
                            quote(attribute.value)
                        ),
                    );
                }
            }
            // At most 128 attributes per type: the compiler refuses more.
            seen |= 1u128 << index;
        }
        for (index, decl) in declared.iter().enumerate() {
            if decl.required && seen & (1u128 << index) == 0 {
                return fail(
                    Rule::MissingAttribute,
                    format!("missing required attribute '{}'", decl.local),
                );
            }
        }
        Ok(())
    }

    fn names(&self, ids: impl Iterator<Item = ElementId>) -> String {
        let names: Vec<String> = ids
            .map(|id| format!("'{}'", self.model.element(id).local))
            .collect();
        names.join(", ")
    }

    /// Slash-separated local names of the open elements.
    fn path(&self) -> String {
        let mut path = String::new();
        for frame in &self.stack {
            path.push('/');
            path.push_str(&frame.element.local);
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }

    fn violation(&self, element: &str, path: String, rule: Rule, message: String) -> Violation {
        Violation {
            path,
            element: clip(element),
            rule,
            message,
        }
    }
}

/// The message for a value of a confidential element: names the rule, never the value.
fn confidential_message(rule: Rule) -> String {
    format!(
        "the value (not shown: confidential) breaks the {} rule of its type",
        rule.xsd_name()
    )
}

fn display_name(namespace: &str, local: &str) -> String {
    if namespace.is_empty() {
        quote(local)
    } else {
        format!("'{{{}}}{}'", clip(namespace), clip(local))
    }
}

/// Moves the parent's content state past a child element; on failure returns the rule and
/// the message (built only then).
fn child_of(
    model: &Model,
    parent: &mut Frame<'_>,
    namespace: &str,
    local: &str,
) -> Result<ElementId, (Rule, String)> {
    let name_of = |id: ElementId| {
        let decl = model.element(id);
        (decl.namespace.as_str(), decl.local.as_str())
    };
    match &mut parent.kind {
        Kind::Elements { automaton, state } => {
            if let Some((id, next)) = automaton.step(*state, namespace, local, name_of) {
                *state = next;
                return Ok(id);
            }
            let expected: Vec<ElementId> = automaton.expected(*state).collect();
            Err((
                Rule::UnexpectedElement,
                unexpected_message(model, &expected, namespace, local),
            ))
        }
        Kind::All { group, seen } => {
            let found = group.members.iter().enumerate().find(|(_, &(id, _))| {
                let (ns, l) = name_of(id);
                l == local && ns == namespace
            });
            match found {
                Some((i, &(id, _))) if *seen & (1u128 << i) == 0 => {
                    *seen |= 1u128 << i;
                    Ok(id)
                }
                Some(_) => Err((
                    Rule::UnexpectedElement,
                    format!("element {} may appear only once here", quote(local)),
                )),
                None => {
                    let expected: Vec<ElementId> = group
                        .members
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *seen & (1u128 << i) == 0)
                        .map(|(_, &(id, _))| id)
                        .collect();
                    Err((
                        Rule::UnexpectedElement,
                        unexpected_message(model, &expected, namespace, local),
                    ))
                }
            }
        }
        Kind::Simple(_) => Err((
            Rule::UnexpectedElement,
            format!(
                "child element {} is not allowed in simple content",
                quote(local)
            ),
        )),
        Kind::Empty => Err((
            Rule::UnexpectedElement,
            format!(
                "child element {} is not allowed: the element must be empty",
                quote(local)
            ),
        )),
    }
}

fn unexpected_message(
    model: &Model,
    expected: &[ElementId],
    namespace: &str,
    local: &str,
) -> String {
    if expected.is_empty() {
        return format!("no more child elements allowed but found {}", quote(local));
    }
    let names: Vec<String> = expected
        .iter()
        .map(|&id| model.element(id).local.clone())
        .collect();
    let same_local = expected
        .iter()
        .map(|&id| model.element(id))
        .find(|decl| decl.local == local);
    match same_local {
        Some(decl) => format!(
            "expected {} in namespace '{}' but found it in namespace {}",
            quote(local),
            decl.namespace,
            quote(namespace)
        ),
        None => format!(
            "expected one of {{{}}} but found {}",
            names.join(", "),
            quote(local)
        ),
    }
}
