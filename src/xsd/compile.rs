//! Schema documents → compiled [`Model`].
//!
//! Every construct is matched against an explicit list of what we support; anything else is a
//! [`CompileError`] naming the file, the construct and the line. A schema we cannot enforce
//! completely must not load: a validator that silently skipped a construct would accept
//! documents that libxml2 (and the service contract) reject.

use std::collections::HashMap;
use std::fmt;

use super::content::{self, AllGroup, MaxOccurs, Particle, MAX_ALL_MEMBERS};
use super::model::{
    AttributeDecl, ComplexType, ComplexTypeId, Content, ElementDecl, ElementId, Model,
    SimpleTypeId, TypeRef,
};
use super::schema_doc::{self, XNode, CONFIDENTIALITY_NS, XML_NS, XSD_NS};
use super::simple_types::{BoundKind, Builtin, Facet, SimpleType, WhiteSpace};

/// Why a set of schema files was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// The schema file (as named in the sources).
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CompileError {}

type Name = (String, String);

/// Built-in XSD types that exist but that we do not support: named in errors so the author
/// knows the type is real but refused, not misspelled.
const UNSUPPORTED_BUILTINS: &[&str] = &[
    "anyType",
    "anySimpleType",
    "float",
    "double",
    "duration",
    "gYearMonth",
    "gMonthDay",
    "gDay",
    "gMonth",
    "QName",
    "NOTATION",
    "language",
    "Name",
    "NCName",
    "ID",
    "IDREF",
    "IDREFS",
    "ENTITY",
    "ENTITIES",
    "NMTOKEN",
    "NMTOKENS",
    "nonPositiveInteger",
    "negativeInteger",
];

struct Doc {
    file: String,
    root: XNode,
    target: String,
    qualified_elements: bool,
    qualified_attributes: bool,
    /// Namespaces this document may refer to: its own, XSD's, and the ones it imports.
    visible: Vec<String>,
}

/// Compiles schema documents given as (file name, text).
pub fn compile(sources: &[(&str, &str)]) -> Result<Model, CompileError> {
    let mut docs = Vec::with_capacity(sources.len());
    for (name, text) in sources {
        docs.push(read_doc(name, text)?);
    }
    check_file_names(&docs)?;
    for i in 0..docs.len() {
        let visible = resolve_imports(&docs, i)?;
        docs[i].visible = visible;
    }
    let mut compiler = Compiler::new(&docs)?;
    compiler.compile_all()?;
    Ok(compiler.model)
}

fn basename(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn error_at(file: &str, node: &XNode, message: impl Into<String>) -> CompileError {
    CompileError {
        file: file.to_owned(),
        line: Some(node.line),
        message: message.into(),
    }
}

fn unsupported(file: &str, node: &XNode) -> CompileError {
    error_at(
        file,
        node,
        format!("unsupported XSD construct <xs:{}>", node.local),
    )
}

fn read_doc(name: &str, text: &str) -> Result<Doc, CompileError> {
    let file = basename(name).to_owned();
    let root = schema_doc::parse(text).map_err(|e| CompileError {
        file: file.clone(),
        line: e.line,
        message: format!("not well-formed XML: {}", e.message),
    })?;
    if !root.is_xs("schema") {
        return Err(error_at(
            &file,
            &root,
            "the document element is not <xs:schema>",
        ));
    }
    check_attrs(
        &file,
        &root,
        &[
            "targetNamespace",
            "elementFormDefault",
            "attributeFormDefault",
            "version",
            "id",
        ],
    )?;
    let form = |attr: &str| -> Result<bool, CompileError> {
        match root.attr(attr) {
            None | Some("unqualified") => Ok(false),
            Some("qualified") => Ok(true),
            Some(other) => Err(error_at(
                &file,
                &root,
                format!("{attr}=\"{other}\" must be qualified or unqualified"),
            )),
        }
    };
    let qualified_elements = form("elementFormDefault")?;
    let qualified_attributes = form("attributeFormDefault")?;
    let target = root.attr("targetNamespace").unwrap_or_default().to_owned();
    Ok(Doc {
        file,
        root,
        target,
        qualified_elements,
        qualified_attributes,
        visible: Vec::new(),
    })
}

fn check_file_names(docs: &[Doc]) -> Result<(), CompileError> {
    for (i, doc) in docs.iter().enumerate() {
        if docs[..i].iter().any(|d| d.file == doc.file) {
            return Err(CompileError {
                file: doc.file.clone(),
                line: None,
                message: "two schema sources have this file name".to_owned(),
            });
        }
    }
    Ok(())
}

/// Checks the document's xs:import / xs:include elements and returns its visible namespaces.
fn resolve_imports(docs: &[Doc], index: usize) -> Result<Vec<String>, CompileError> {
    let doc = &docs[index];
    let mut visible = vec![doc.target.clone(), XSD_NS.to_owned()];
    let find = |node: &XNode| -> Result<Option<&Doc>, CompileError> {
        let Some(location) = node.attr("schemaLocation") else {
            return Ok(None);
        };
        docs.iter()
            .find(|d| d.file == basename(location))
            .map(Some)
            .ok_or_else(|| {
                error_at(
                    &doc.file,
                    node,
                    format!("schemaLocation '{location}' is not among the loaded schema files"),
                )
            })
    };
    for node in &doc.root.children {
        if node.is_xs("import") {
            check_attrs(&doc.file, node, &["namespace", "schemaLocation", "id"])?;
            check_only_annotation(&doc.file, node)?;
            let namespace = node.attr("namespace").unwrap_or_default();
            if namespace == doc.target {
                return Err(error_at(
                    &doc.file,
                    node,
                    "xs:import of the document's own target namespace (use xs:include)",
                ));
            }
            match find(node)? {
                Some(imported) if imported.target != namespace => {
                    return Err(error_at(
                        &doc.file,
                        node,
                        format!(
                            "xs:import namespace '{namespace}' but '{}' has targetNamespace '{}'",
                            imported.file, imported.target
                        ),
                    ))
                }
                Some(_) => {}
                None if docs.iter().any(|d| d.target == namespace) => {}
                None => {
                    return Err(error_at(
                        &doc.file,
                        node,
                        format!("no loaded schema file has targetNamespace '{namespace}'"),
                    ))
                }
            }
            visible.push(namespace.to_owned());
        } else if node.is_xs("include") {
            check_attrs(&doc.file, node, &["schemaLocation", "id"])?;
            check_only_annotation(&doc.file, node)?;
            match find(node)? {
                None => {
                    return Err(error_at(
                        &doc.file,
                        node,
                        "xs:include without schemaLocation",
                    ))
                }
                Some(included) if included.target != doc.target => {
                    let why = if included.target.is_empty() {
                        "chameleon xs:include (included schema has no targetNamespace) is not supported"
                    } else {
                        "xs:include of a schema with another targetNamespace"
                    };
                    return Err(error_at(&doc.file, node, why));
                }
                Some(_) => {}
            }
        }
    }
    Ok(visible)
}

/// Refuses unqualified (or XSD-namespace) attributes not in `allowed`; attributes in other
/// namespaces are annotations by XSD's rules and do not affect validation.
fn check_attrs(file: &str, node: &XNode, allowed: &[&str]) -> Result<(), CompileError> {
    for (ns, local, _) in &node.attrs {
        let ours = ns.is_empty() || ns == XSD_NS;
        if ours && !allowed.contains(&local.as_str()) {
            return Err(error_at(
                file,
                node,
                format!("unsupported attribute '{local}' on <xs:{}>", node.local),
            ));
        }
        if ns == XML_NS && local != "lang" {
            return Err(error_at(
                file,
                node,
                format!("unsupported attribute 'xml:{local}'"),
            ));
        }
    }
    Ok(())
}

/// Elements whose only allowed child is an annotation.
fn check_only_annotation(file: &str, node: &XNode) -> Result<(), CompileError> {
    children(file, node).map(|_| ())?;
    if let Some(child) = node.children.iter().find(|c| !c.is_xs("annotation")) {
        return Err(unexpected_child(file, node, child));
    }
    Ok(())
}

fn unexpected_child(file: &str, parent: &XNode, child: &XNode) -> CompileError {
    if child.namespace == XSD_NS {
        let known = [
            "any",
            "anyAttribute",
            "group",
            "attributeGroup",
            "key",
            "keyref",
            "unique",
            "redefine",
            "notation",
            "list",
            "union",
            "complexContent",
            "assertion",
            "override",
            "openContent",
            "alternative",
            "assert",
        ];
        if known.contains(&child.local.as_str()) {
            return unsupported(file, child);
        }
        error_at(
            file,
            child,
            format!(
                "<xs:{}> is not supported inside <xs:{}>",
                child.local, parent.local
            ),
        )
    } else {
        error_at(
            file,
            child,
            format!(
                "unexpected element {{{}}}{} inside <xs:{}>",
                child.namespace, child.local, parent.local
            ),
        )
    }
}

/// The children of a schema element minus its leading xs:annotation; refuses text and
/// misplaced annotations.
fn children<'n>(file: &str, node: &'n XNode) -> Result<Vec<&'n XNode>, CompileError> {
    if !node.text.is_empty() {
        return Err(error_at(
            file,
            node,
            format!("unexpected text inside <xs:{}>", node.local),
        ));
    }
    let mut out = Vec::with_capacity(node.children.len());
    for (i, child) in node.children.iter().enumerate() {
        if child.is_xs("annotation") {
            // xs:schema may interleave annotations with its declarations; elsewhere XSD
            // allows one, first.
            if i != 0 && !node.is_xs("schema") {
                return Err(error_at(
                    file,
                    child,
                    format!(
                        "xs:annotation must be the first child of <xs:{}>",
                        node.local
                    ),
                ));
            }
            continue;
        }
        out.push(child);
    }
    Ok(out)
}

fn parse_bool_attr(file: &str, node: &XNode, attr: &str) -> Result<bool, CompileError> {
    parse_bool(file, node, attr, node.attr(attr))
}

/// An XSD boolean attribute value (`true`, `false`, `1`, `0`); absent is false.
fn parse_bool(
    file: &str,
    node: &XNode,
    attr: &str,
    value: Option<&str>,
) -> Result<bool, CompileError> {
    match value {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(error_at(
            file,
            node,
            format!("{attr}=\"{other}\" is not a boolean"),
        )),
    }
}

/// `riservatezza:riservato` on an element declaration (see `CONFIDENTIALITY_NS`).
fn is_confidential(file: &str, node: &XNode) -> Result<bool, CompileError> {
    let value = node.attr_ns(CONFIDENTIALITY_NS, "riservato");
    parse_bool(file, node, "riservato", value)
}

fn parse_occurs(file: &str, node: &XNode) -> Result<(u32, MaxOccurs), CompileError> {
    let number = |attr: &str, text: &str| -> Result<u32, CompileError> {
        text.trim().parse::<u32>().map_err(|_| {
            error_at(
                file,
                node,
                format!("{attr}=\"{text}\" is not a non-negative integer"),
            )
        })
    };
    let min = match node.attr("minOccurs") {
        Some(text) => number("minOccurs", text)?,
        None => 1,
    };
    let max = match node.attr("maxOccurs") {
        Some("unbounded") => MaxOccurs::Unbounded,
        Some(text) => MaxOccurs::Bounded(number("maxOccurs", text)?),
        None => MaxOccurs::Bounded(1),
    };
    if let MaxOccurs::Bounded(max) = max {
        if max < min {
            return Err(error_at(file, node, "maxOccurs is less than minOccurs"));
        }
    }
    Ok((min, max))
}

fn ncname<'n>(file: &str, node: &'n XNode) -> Result<&'n str, CompileError> {
    let name = node
        .attr("name")
        .ok_or_else(|| error_at(file, node, format!("<xs:{}> needs a name", node.local)))?;
    let valid = !name.is_empty()
        && !name.contains(':')
        && !name.contains(char::is_whitespace)
        && !name.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.');
    if !valid {
        return Err(error_at(
            file,
            node,
            format!("'{name}' is not a valid NCName"),
        ));
    }
    Ok(name)
}

/// Which kind of global definition a name refers to.
#[derive(Clone, Copy)]
struct Global<'d> {
    doc: usize,
    node: &'d XNode,
}

struct Compiler<'d> {
    docs: &'d [Doc],
    elements: HashMap<Name, Global<'d>>,
    simple_types: HashMap<Name, Global<'d>>,
    complex_types: HashMap<Name, Global<'d>>,
    model: Model,
    element_ids: HashMap<Name, ElementId>,
    simple_ids: HashMap<Name, SimpleTypeId>,
    complex_ids: HashMap<Name, ComplexTypeId>,
    builtin_ids: HashMap<Builtin, SimpleTypeId>,
    simple_in_progress: Vec<Name>,
}

impl<'d> Compiler<'d> {
    fn new(docs: &'d [Doc]) -> Result<Compiler<'d>, CompileError> {
        let mut compiler = Compiler {
            docs,
            elements: HashMap::new(),
            simple_types: HashMap::new(),
            complex_types: HashMap::new(),
            model: Model::default(),
            element_ids: HashMap::new(),
            simple_ids: HashMap::new(),
            complex_ids: HashMap::new(),
            builtin_ids: HashMap::new(),
            simple_in_progress: Vec::new(),
        };
        for (index, doc) in docs.iter().enumerate() {
            for node in children(&doc.file, &doc.root)? {
                let table = if node.is_xs("element") {
                    &mut compiler.elements
                } else if node.is_xs("simpleType") {
                    &mut compiler.simple_types
                } else if node.is_xs("complexType") {
                    &mut compiler.complex_types
                } else if node.is_xs("import") || node.is_xs("include") {
                    continue;
                } else {
                    return Err(unexpected_child(&doc.file, &doc.root, node));
                };
                let key = (doc.target.clone(), ncname(&doc.file, node)?.to_owned());
                let global = Global { doc: index, node };
                if table.insert(key.clone(), global).is_some() {
                    return Err(error_at(
                        &doc.file,
                        node,
                        format!("duplicate global <xs:{}> '{}'", node.local, key.1),
                    ));
                }
            }
        }
        for key in compiler.simple_types.keys() {
            if let Some(global) = compiler.complex_types.get(key) {
                return Err(error_at(
                    &docs[global.doc].file,
                    global.node,
                    format!("'{}' is defined both as a simple and a complex type", key.1),
                ));
            }
        }
        Ok(compiler)
    }

    /// Compiles every global definition, used or not, so that nothing unsupported hides in
    /// a part of the schema no instance happens to reach.
    fn compile_all(&mut self) -> Result<(), CompileError> {
        for doc in self.docs {
            for node in children(&doc.file, &doc.root)? {
                let key = || -> Result<Name, CompileError> {
                    Ok((doc.target.clone(), ncname(&doc.file, node)?.to_owned()))
                };
                if node.is_xs("element") {
                    self.global_element(&key()?)?;
                } else if node.is_xs("simpleType") {
                    self.named_simple_type(&key()?)?;
                } else if node.is_xs("complexType") {
                    self.named_complex_type(&key()?)?;
                }
            }
        }
        Ok(())
    }

    fn file(&self, doc: usize) -> &'d str {
        &self.docs[doc].file
    }

    fn global_element(&mut self, key: &Name) -> Result<ElementId, CompileError> {
        if let Some(&id) = self.element_ids.get(key) {
            return Ok(id);
        }
        let Some(global) = self.elements.get(key).copied() else {
            return Err(CompileError {
                file: String::new(),
                line: None,
                message: format!("element {{{}}}{} is not declared", key.0, key.1),
            });
        };
        let file = self.file(global.doc);
        let node = global.node;
        check_attrs(file, node, &["name", "type", "id", "nillable", "abstract"])?;
        self.refuse_true(global.doc, node, "nillable")?;
        self.refuse_true(global.doc, node, "abstract")?;
        let confidential = is_confidential(self.file(global.doc), node)?;
        let id = self.model.elements.len() as ElementId;
        self.model.elements.push(ElementDecl {
            namespace: key.0.clone(),
            local: key.1.clone(),
            ty: TypeRef::Simple(0),
            confidential,
        });
        self.element_ids.insert(key.clone(), id);
        self.model.globals.push(id);
        let ty = self.element_type(global.doc, node, &key.1)?;
        self.model.elements[id as usize].ty = ty;
        Ok(id)
    }

    fn refuse_true(&self, doc: usize, node: &XNode, attr: &str) -> Result<(), CompileError> {
        let file = self.file(doc);
        if parse_bool_attr(file, node, attr)? {
            return Err(error_at(
                file,
                node,
                format!("unsupported {attr}=\"true\" on <xs:{}>", node.local),
            ));
        }
        Ok(())
    }

    /// The type of an element declaration: `type=` or an inline anonymous type.
    fn element_type(
        &mut self,
        doc: usize,
        node: &XNode,
        name: &str,
    ) -> Result<TypeRef, CompileError> {
        let file = self.file(doc);
        let mut inline = None;
        for child in children(file, node)? {
            if inline.is_some() || !(child.is_xs("simpleType") || child.is_xs("complexType")) {
                return Err(unexpected_child(file, node, child));
            }
            inline = Some(child);
        }
        let hint = format!("anonymous type of element '{name}'");
        match (node.attr("type"), inline) {
            (Some(_), Some(child)) => Err(error_at(
                file,
                child,
                format!("element '{name}' has both a type attribute and an inline type"),
            )),
            (Some(qname), None) => self.type_ref(doc, node, qname),
            (None, Some(child)) if child.is_xs("simpleType") => {
                Ok(TypeRef::Simple(self.simple_type(doc, child, hint)?))
            }
            (None, Some(child)) => Ok(TypeRef::Complex(self.complex_type(doc, child, hint)?)),
            (None, None) => Err(error_at(
                file,
                node,
                format!("element '{name}' has no type (xs:anyType is not supported)"),
            )),
        }
    }

    /// Resolves a QName naming a type, checking the namespace is visible from this document.
    fn type_ref(&mut self, doc: usize, node: &XNode, qname: &str) -> Result<TypeRef, CompileError> {
        let key = self.visible_name(doc, node, qname)?;
        let file = self.file(doc);
        if key.0 == XSD_NS {
            if let Some(builtin) = Builtin::from_name(&key.1) {
                return Ok(TypeRef::Simple(self.builtin(builtin)));
            }
            let why = if UNSUPPORTED_BUILTINS.contains(&key.1.as_str()) {
                format!("unsupported built-in type xs:{}", key.1)
            } else {
                format!("xs:{} is not an XSD built-in type", key.1)
            };
            return Err(error_at(file, node, why));
        }
        if self.simple_types.contains_key(&key) {
            return Ok(TypeRef::Simple(self.named_simple_type(&key)?));
        }
        if self.complex_types.contains_key(&key) {
            return Ok(TypeRef::Complex(self.named_complex_type(&key)?));
        }
        Err(error_at(
            file,
            node,
            format!("type '{qname}' ({{{}}}{}) is not defined", key.0, key.1),
        ))
    }

    fn visible_name(&self, doc: usize, node: &XNode, qname: &str) -> Result<Name, CompileError> {
        let file = self.file(doc);
        let key = node
            .resolve_qname(qname.trim())
            .map_err(|e| error_at(file, node, e))?;
        if !self.docs[doc].visible.contains(&key.0) {
            return Err(error_at(
                file,
                node,
                format!(
                    "'{qname}' refers to namespace '{}', which this schema document does not import",
                    key.0
                ),
            ));
        }
        Ok(key)
    }

    fn builtin(&mut self, builtin: Builtin) -> SimpleTypeId {
        if let Some(&id) = self.builtin_ids.get(&builtin) {
            return id;
        }
        let id = self.model.simple_types.len() as SimpleTypeId;
        self.model.simple_types.push(SimpleType::builtin(builtin));
        self.builtin_ids.insert(builtin, id);
        id
    }

    fn named_simple_type(&mut self, key: &Name) -> Result<SimpleTypeId, CompileError> {
        if let Some(&id) = self.simple_ids.get(key) {
            return Ok(id);
        }
        let Some(global) = self.simple_types.get(key).copied() else {
            return Err(CompileError {
                file: String::new(),
                line: None,
                message: format!("simple type {{{}}}{} is not defined", key.0, key.1),
            });
        };
        if self.simple_in_progress.contains(key) {
            return Err(error_at(
                self.file(global.doc),
                global.node,
                format!("simple type '{}' is derived from itself", key.1),
            ));
        }
        self.simple_in_progress.push(key.clone());
        let result = self.simple_type(global.doc, global.node, key.1.clone());
        self.simple_in_progress.pop();
        let id = result?;
        self.simple_ids.insert(key.clone(), id);
        Ok(id)
    }

    /// Compiles an `xs:simpleType` (named or anonymous); only `xs:restriction` is supported.
    fn simple_type(
        &mut self,
        doc: usize,
        node: &XNode,
        name: String,
    ) -> Result<SimpleTypeId, CompileError> {
        let file = self.file(doc);
        check_attrs(file, node, &["name", "id"])?;
        let kids = children(file, node)?;
        let [restriction] = kids.as_slice() else {
            return Err(error_at(
                file,
                node,
                "xs:simpleType needs exactly one xs:restriction",
            ));
        };
        if !restriction.is_xs("restriction") {
            return Err(unexpected_child(file, node, restriction));
        }
        check_attrs(file, restriction, &["base", "id"])?;
        let mut kids = children(file, restriction)?.into_iter().peekable();
        let inline_base = kids.peek().filter(|c| c.is_xs("simpleType")).copied();
        let base_id = match (restriction.attr("base"), inline_base) {
            (Some(_), Some(child)) => {
                return Err(error_at(
                    file,
                    child,
                    "xs:restriction has both base= and an inline base type",
                ))
            }
            (Some(base), _) => match self.type_ref(doc, restriction, base)? {
                TypeRef::Simple(id) => id,
                TypeRef::Complex(_) => {
                    return Err(error_at(
                        file,
                        restriction,
                        format!("simple type restricts complex type '{base}'"),
                    ))
                }
            },
            (None, Some(child)) => {
                kids.next();
                self.simple_type(doc, child, format!("base of {name}"))?
            }
            (None, _) => return Err(error_at(file, restriction, "xs:restriction needs a base")),
        };
        let mut facets = Vec::new();
        for facet in kids {
            facets.push(self.facet(doc, facet)?);
        }
        let derived = self
            .model
            .simple_type(base_id)
            .restrict(name, facets)
            .map_err(|e| error_at(file, restriction, e))?;
        let id = self.model.simple_types.len() as SimpleTypeId;
        self.model.simple_types.push(derived);
        Ok(id)
    }

    fn facet(&self, doc: usize, node: &XNode) -> Result<Facet, CompileError> {
        let file = self.file(doc);
        if node.namespace != XSD_NS {
            return Err(unexpected_child(file, node, node));
        }
        check_attrs(file, node, &["value", "fixed", "id"])?;
        check_only_annotation(file, node)?;
        parse_bool_attr(file, node, "fixed")?;
        let value = node
            .attr("value")
            .ok_or_else(|| error_at(file, node, format!("<xs:{}> needs a value", node.local)))?;
        let count = |what: &str| -> Result<usize, CompileError> {
            value.trim().parse::<usize>().map_err(|_| {
                error_at(
                    file,
                    node,
                    format!("{what} value '{value}' is not a non-negative integer"),
                )
            })
        };
        Ok(match node.local.as_str() {
            "length" => Facet::Length(count("length")?),
            "minLength" => Facet::MinLength(count("minLength")?),
            "maxLength" => Facet::MaxLength(count("maxLength")?),
            "totalDigits" => Facet::TotalDigits(count("totalDigits")?),
            "fractionDigits" => Facet::FractionDigits(count("fractionDigits")?),
            "pattern" => Facet::Pattern(value.to_owned()),
            "enumeration" => Facet::Enumeration(value.to_owned()),
            "whiteSpace" => Facet::WhiteSpace(WhiteSpace::from_name(value).ok_or_else(|| {
                error_at(
                    file,
                    node,
                    format!("whiteSpace value '{value}' is not preserve, replace or collapse"),
                )
            })?),
            "minInclusive" => Facet::Bound(BoundKind::MinInclusive, value.to_owned()),
            "maxInclusive" => Facet::Bound(BoundKind::MaxInclusive, value.to_owned()),
            "minExclusive" => Facet::Bound(BoundKind::MinExclusive, value.to_owned()),
            "maxExclusive" => Facet::Bound(BoundKind::MaxExclusive, value.to_owned()),
            _ => return Err(unsupported(file, node)),
        })
    }

    fn named_complex_type(&mut self, key: &Name) -> Result<ComplexTypeId, CompileError> {
        if let Some(&id) = self.complex_ids.get(key) {
            return Ok(id);
        }
        let Some(global) = self.complex_types.get(key).copied() else {
            return Err(CompileError {
                file: String::new(),
                line: None,
                message: format!("complex type {{{}}}{} is not defined", key.0, key.1),
            });
        };
        // Reserve the id first: a type may contain elements of its own type.
        let id = self.model.complex_types.len() as ComplexTypeId;
        self.model.complex_types.push(ComplexType {
            attributes: Vec::new(),
            content: Content::Empty,
        });
        self.complex_ids.insert(key.clone(), id);
        let compiled = self.complex_body(global.doc, global.node, key.1.clone())?;
        self.model.complex_types[id as usize] = compiled;
        Ok(id)
    }

    fn complex_type(
        &mut self,
        doc: usize,
        node: &XNode,
        name: String,
    ) -> Result<ComplexTypeId, CompileError> {
        let compiled = self.complex_body(doc, node, name)?;
        let id = self.model.complex_types.len() as ComplexTypeId;
        self.model.complex_types.push(compiled);
        Ok(id)
    }

    fn complex_body(
        &mut self,
        doc: usize,
        node: &XNode,
        name: String,
    ) -> Result<ComplexType, CompileError> {
        let file = self.file(doc);
        check_attrs(file, node, &["name", "id", "mixed", "abstract"])?;
        self.refuse_true(doc, node, "mixed")?;
        self.refuse_true(doc, node, "abstract")?;
        let mut kids = children(file, node)?.into_iter().peekable();
        let mut content = Content::Empty;
        let mut attributes = Vec::new();
        if let Some(first) = kids.peek().copied() {
            if first.is_xs("simpleContent") {
                kids.next();
                let (base, attrs) = self.simple_content(doc, first)?;
                content = Content::Simple(base);
                attributes = attrs;
            } else if first.is_xs("sequence") || first.is_xs("choice") {
                kids.next();
                let particle = self.group(doc, first)?;
                let model = &self.model;
                let automaton = content::build(&particle, |e| {
                    let decl = model.element(e);
                    (decl.namespace.as_str(), decl.local.as_str())
                })
                .map_err(|e| error_at(file, first, format!("type '{name}': {e}")))?;
                // XSD decides emptiness syntactically: a group without children means empty
                // content (no whitespace either); a group whose children can never occur is
                // still element-only content.
                if !children(file, first)?.is_empty() {
                    content = Content::Elements(automaton);
                }
            } else if first.is_xs("all") {
                kids.next();
                let all = self.all_group(doc, first)?;
                if !children(file, first)?.is_empty() {
                    content = Content::All(all);
                }
            }
        }
        for kid in kids {
            if kid.is_xs("attribute") {
                attributes.push(self.attribute(doc, kid)?);
            } else {
                return Err(unexpected_child(file, node, kid));
            }
        }
        check_duplicate_attributes(file, node, &attributes)?;
        Ok(ComplexType {
            attributes,
            content,
        })
    }

    fn simple_content(
        &mut self,
        doc: usize,
        node: &XNode,
    ) -> Result<(SimpleTypeId, Vec<AttributeDecl>), CompileError> {
        let file = self.file(doc);
        check_attrs(file, node, &["id"])?;
        let kids = children(file, node)?;
        let [extension] = kids.as_slice() else {
            return Err(error_at(
                file,
                node,
                "xs:simpleContent needs exactly one xs:extension",
            ));
        };
        if !extension.is_xs("extension") {
            let message = if extension.is_xs("restriction") {
                "unsupported XSD construct <xs:simpleContent>/<xs:restriction>".to_owned()
            } else {
                format!(
                    "<xs:{}> is not supported inside <xs:simpleContent>",
                    extension.local
                )
            };
            return Err(error_at(file, extension, message));
        }
        check_attrs(file, extension, &["base", "id"])?;
        let base = extension
            .attr("base")
            .ok_or_else(|| error_at(file, extension, "xs:extension needs a base"))?;
        let base = match self.type_ref(doc, extension, base)? {
            TypeRef::Simple(id) => id,
            TypeRef::Complex(_) => {
                return Err(error_at(
                    file,
                    extension,
                    format!("unsupported simpleContent extension of complex type '{base}' (only simple types)"),
                ))
            }
        };
        let mut attributes = Vec::new();
        for kid in children(file, extension)? {
            if kid.is_xs("attribute") {
                attributes.push(self.attribute(doc, kid)?);
            } else {
                return Err(unexpected_child(file, extension, kid));
            }
        }
        Ok((base, attributes))
    }

    /// `xs:sequence` / `xs:choice` → particle tree.
    fn group(&mut self, doc: usize, node: &XNode) -> Result<Particle, CompileError> {
        let file = self.file(doc);
        check_attrs(file, node, &["minOccurs", "maxOccurs", "id"])?;
        let (min, max) = parse_occurs(file, node)?;
        let mut items = Vec::new();
        for kid in children(file, node)? {
            if kid.is_xs("element") {
                items.push(self.local_element(doc, kid)?);
            } else if kid.is_xs("sequence") || kid.is_xs("choice") {
                items.push(self.group(doc, kid)?);
            } else {
                return Err(unexpected_child(file, node, kid));
            }
        }
        Ok(if node.is_xs("sequence") {
            Particle::Sequence { items, min, max }
        } else {
            if items.is_empty() {
                return Err(error_at(file, node, "unsupported empty xs:choice"));
            }
            Particle::Choice { items, min, max }
        })
    }

    fn all_group(&mut self, doc: usize, node: &XNode) -> Result<AllGroup, CompileError> {
        let file = self.file(doc);
        check_attrs(file, node, &["minOccurs", "maxOccurs", "id"])?;
        let (min, max) = parse_occurs(file, node)?;
        if min > 1 || max != MaxOccurs::Bounded(1) {
            return Err(error_at(
                file,
                node,
                "xs:all must have minOccurs 0 or 1 and maxOccurs 1",
            ));
        }
        let mut members: Vec<(ElementId, bool)> = Vec::new();
        for kid in children(file, node)? {
            if !kid.is_xs("element") {
                return Err(unexpected_child(file, node, kid));
            }
            let Particle::Element { element, min, max } = self.local_element(doc, kid)? else {
                return Err(unexpected_child(file, node, kid));
            };
            match max {
                MaxOccurs::Bounded(0) => continue,
                MaxOccurs::Bounded(1) if min <= 1 => {}
                _ => {
                    return Err(error_at(
                        file,
                        kid,
                        "elements of xs:all must have maxOccurs 0 or 1",
                    ))
                }
            }
            let decl = self.model.element(element);
            let clash = members.iter().any(|&(other, _)| {
                let o = self.model.element(other);
                o.local == decl.local && o.namespace == decl.namespace
            });
            if clash {
                return Err(error_at(
                    file,
                    kid,
                    format!("element '{}' appears twice in xs:all", decl.local),
                ));
            }
            members.push((element, min == 1));
        }
        if members.len() > MAX_ALL_MEMBERS {
            return Err(error_at(
                file,
                node,
                format!("xs:all with more than {MAX_ALL_MEMBERS} elements"),
            ));
        }
        Ok(AllGroup {
            members,
            optional: min == 0,
        })
    }

    /// A local `xs:element` (declaration or `ref`) inside a model group.
    fn local_element(&mut self, doc: usize, node: &XNode) -> Result<Particle, CompileError> {
        let file = self.file(doc);
        let (min, max) = parse_occurs(file, node)?;
        if let Some(reference) = node.attr("ref") {
            check_attrs(file, node, &["ref", "minOccurs", "maxOccurs", "id"])?;
            check_only_annotation(file, node)?;
            let key = self.visible_name(doc, node, reference)?;
            if !self.elements.contains_key(&key) {
                return Err(error_at(
                    file,
                    node,
                    format!("ref '{reference}' names no global element"),
                ));
            }
            let element = self.global_element(&key)?;
            return Ok(Particle::Element { element, min, max });
        }
        check_attrs(
            file,
            node,
            &[
                "name",
                "type",
                "minOccurs",
                "maxOccurs",
                "form",
                "id",
                "nillable",
            ],
        )?;
        self.refuse_true(doc, node, "nillable")?;
        let name = ncname(file, node)?.to_owned();
        let qualified = match node.attr("form") {
            None => self.docs[doc].qualified_elements,
            Some("qualified") => true,
            Some("unqualified") => false,
            Some(other) => {
                return Err(error_at(
                    file,
                    node,
                    format!("form=\"{other}\" must be qualified or unqualified"),
                ))
            }
        };
        let namespace = if qualified {
            self.docs[doc].target.clone()
        } else {
            String::new()
        };
        let confidential = is_confidential(file, node)?;
        let ty = self.element_type(doc, node, &name)?;
        let element = self.model.elements.len() as ElementId;
        self.model.elements.push(ElementDecl {
            namespace,
            local: name,
            ty,
            confidential,
        });
        Ok(Particle::Element { element, min, max })
    }

    fn attribute(&mut self, doc: usize, node: &XNode) -> Result<AttributeDecl, CompileError> {
        let file = self.file(doc);
        if node.attr("ref").is_some() {
            return Err(error_at(
                file,
                node,
                "unsupported attribute reference (xs:attribute ref=)",
            ));
        }
        check_attrs(
            file,
            node,
            &["name", "type", "use", "fixed", "default", "form", "id"],
        )?;
        let name = ncname(file, node)?.to_owned();
        let required = match node.attr("use") {
            None | Some("optional") => false,
            Some("required") => true,
            Some("prohibited") => {
                return Err(error_at(
                    file,
                    node,
                    "unsupported use=\"prohibited\" on xs:attribute",
                ))
            }
            Some(other) => {
                return Err(error_at(
                    file,
                    node,
                    format!("use=\"{other}\" is not optional or required"),
                ))
            }
        };
        let qualified = match node.attr("form") {
            None => self.docs[doc].qualified_attributes,
            Some("qualified") => true,
            Some("unqualified") => false,
            Some(other) => {
                return Err(error_at(
                    file,
                    node,
                    format!("form=\"{other}\" must be qualified or unqualified"),
                ))
            }
        };
        let mut inline = None;
        for kid in children(file, node)? {
            if inline.is_some() || !kid.is_xs("simpleType") {
                return Err(unexpected_child(file, node, kid));
            }
            inline = Some(kid);
        }
        let ty = match (node.attr("type"), inline) {
            (Some(_), Some(kid)) => {
                return Err(error_at(
                    file,
                    kid,
                    "xs:attribute has both type= and an inline type",
                ))
            }
            (Some(qname), None) => match self.type_ref(doc, node, qname)? {
                TypeRef::Simple(id) => id,
                TypeRef::Complex(_) => {
                    return Err(error_at(
                        file,
                        node,
                        format!("attribute '{name}' has a complex type"),
                    ))
                }
            },
            (None, Some(kid)) => {
                self.simple_type(doc, kid, format!("anonymous type of attribute '{name}'"))?
            }
            (None, None) => {
                return Err(error_at(
                    file,
                    node,
                    format!("attribute '{name}' has no type (xs:anySimpleType is not supported)"),
                ))
            }
        };
        if node.attr("default").is_some() && (required || node.attr("fixed").is_some()) {
            return Err(error_at(
                file,
                node,
                "default= cannot be combined with fixed= or use=\"required\"",
            ));
        }
        let simple = self.model.simple_type(ty);
        for which in ["default", "fixed"] {
            if let Some(value) = node.attr(which) {
                simple.check(value).map_err(|e| {
                    error_at(
                        file,
                        node,
                        format!("{which} value of attribute '{name}': {}", e.message),
                    )
                })?;
            }
        }
        let fixed = node.attr("fixed").map(|v| simple.normalize(v));
        Ok(AttributeDecl {
            namespace: if qualified {
                self.docs[doc].target.clone()
            } else {
                String::new()
            },
            local: name,
            ty,
            required,
            fixed,
        })
    }
}

fn check_duplicate_attributes(
    file: &str,
    node: &XNode,
    attributes: &[AttributeDecl],
) -> Result<(), CompileError> {
    for (i, a) in attributes.iter().enumerate() {
        if attributes[..i]
            .iter()
            .any(|b| b.local == a.local && b.namespace == a.namespace)
        {
            return Err(error_at(
                file,
                node,
                format!("attribute '{}' declared twice", a.local),
            ));
        }
    }
    // The validator tracks seen attributes in a u128.
    if attributes.len() > 128 {
        return Err(error_at(file, node, "more than 128 attributes on one type"));
    }
    Ok(())
}
