//! Deterministic variants of sample documents for the xmllint oracle.
//!
//! From each (well-formed, namespace-declarations-on-the-root) sample we derive documents that
//! break it in the ways clients do: a missing, repeated, swapped or misplaced element; a leaf
//! or attribute value that breaks a facet or a built-in type; a wrong namespace; an undeclared
//! attribute; stray text or CDATA. The generator knows nothing about the schema — the verdict of every
//! variant comes from libxml2 — so it can run unchanged on the gateway's real samples.
//! Output order and ids depend only on the input bytes.

use quick_xml::events::Event;
use quick_xml::Reader;

/// One generated document.
pub struct Variant {
    /// Hex FNV-1a 64 of the document bytes: stable across runs and machines.
    pub id: String,
    pub description: String,
    pub document: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Element {
    /// Qualified name as written (`ric:cfAssistito`).
    pub name: String,
    /// (qualified name, unescaped value), namespace declarations included.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Element(Element),
    Text(String),
    CData(String),
    Comment(String),
}

/// A namespace no schema defines, for the wrong-namespace variants.
const WRONG_NS: &str = "http://tsgate.example.org/ws/oracle/sbagliato";

/// 64-bit FNV-1a, hex: a stable content id without a crypto dependency.
pub fn fnv1a_hex(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Parses a sample into a tree (comments kept, processing instructions dropped).
pub fn parse(xml: &[u8]) -> Result<Element, String> {
    let mut reader = Reader::from_reader(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                return Err(format!("second root element {:?}", e.name()));
            }
            Event::Start(e) => stack.push(element_of(&e)?),
            Event::Empty(e) => {
                let element = element_of(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(element)),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or("unbalanced end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(element)),
                    None => root = Some(element),
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| e.to_string())?.into_owned();
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(Node::Text(text));
                }
            }
            Event::CData(c) => {
                let text =
                    String::from_utf8(c.into_inner().into_owned()).map_err(|e| e.to_string())?;
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(Node::CData(text));
                }
            }
            Event::Comment(c) => {
                let text =
                    String::from_utf8(c.into_inner().into_owned()).map_err(|e| e.to_string())?;
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(Node::Comment(text));
                }
            }
            Event::DocType(_) => return Err("DOCTYPE in a sample".to_owned()),
            Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    let mut root = root.ok_or("no root element")?;
    hoist_namespaces(&mut root)?;
    Ok(root)
}

fn element_of(start: &quick_xml::events::BytesStart<'_>) -> Result<Element, String> {
    let name = String::from_utf8(start.name().as_ref().to_vec()).map_err(|e| e.to_string())?;
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let key = String::from_utf8(attr.key.as_ref().to_vec()).map_err(|e| e.to_string())?;
        let value = attr
            .unescape_value()
            .map_err(|e| e.to_string())?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
    })
}

fn is_ns_decl(name: &str) -> bool {
    name == "xmlns" || name.starts_with("xmlns:")
}

/// Moves every namespace declaration to the root, so elements can be moved around freely;
/// refuses samples that bind one prefix to two namespaces.
fn hoist_namespaces(root: &mut Element) -> Result<(), String> {
    fn collect(e: &mut Element, out: &mut Vec<(String, String)>) -> Result<(), String> {
        let (decls, rest): (Vec<_>, Vec<_>) = e.attrs.drain(..).partition(|(k, _)| is_ns_decl(k));
        e.attrs = rest;
        for (k, v) in decls {
            match out.iter().find(|(k2, _)| *k2 == k) {
                Some((_, v2)) if *v2 != v => {
                    return Err(format!("sample binds {k} to both {v2} and {v}"));
                }
                Some(_) => {}
                None => out.push((k, v)),
            }
        }
        for child in &mut e.children {
            if let Node::Element(c) = child {
                collect(c, out)?;
            }
        }
        Ok(())
    }
    let mut decls = Vec::new();
    collect(root, &mut decls)?;
    decls.extend(std::mem::take(&mut root.attrs));
    root.attrs = decls;
    Ok(())
}

pub fn serialize(root: &Element) -> Vec<u8> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write_element(root, &mut out);
    out.push('\n');
    out.into_bytes()
}

fn write_element(e: &Element, out: &mut String) {
    out.push('<');
    out.push_str(&e.name);
    for (k, v) in &e.attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        escape_into(v, true, out);
        out.push('"');
    }
    if e.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for child in &e.children {
        match child {
            Node::Element(c) => write_element(c, out),
            Node::Text(t) => escape_into(t, false, out),
            Node::CData(t) => {
                out.push_str("<![CDATA[");
                out.push_str(t);
                out.push_str("]]>");
            }
            Node::Comment(t) => {
                out.push_str("<!--");
                out.push_str(t);
                out.push_str("-->");
            }
        }
    }
    out.push_str("</");
    out.push_str(&e.name);
    out.push('>');
}

fn escape_into(text: &str, attribute: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            // Character references keep whitespace in attributes from being normalized away.
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// Index path of an element: child positions in `children` from the root.
type Path = Vec<usize>;

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn prefix(name: &str) -> Option<&str> {
    name.split_once(':').map(|(p, _)| p)
}

fn element_children(e: &Element) -> impl Iterator<Item = (usize, &Element)> {
    e.children.iter().enumerate().filter_map(|(i, n)| match n {
        Node::Element(c) => Some((i, c)),
        _ => None,
    })
}

fn is_leaf(e: &Element) -> bool {
    element_children(e).next().is_none()
}

fn text_of(e: &Element) -> String {
    e.children
        .iter()
        .filter_map(|n| match n {
            Node::Text(t) | Node::CData(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn get<'a>(root: &'a Element, path: &[usize]) -> &'a Element {
    let mut e = root;
    for &i in path {
        match &e.children[i] {
            Node::Element(c) => e = c,
            _ => panic!("path does not lead to an element"),
        }
    }
    e
}

fn get_mut<'a>(root: &'a mut Element, path: &[usize]) -> &'a mut Element {
    let mut e = root;
    for &i in path {
        match &mut e.children[i] {
            Node::Element(c) => e = c,
            _ => panic!("path does not lead to an element"),
        }
    }
    e
}

/// All element paths in document order (root first).
fn all_paths(root: &Element) -> Vec<Path> {
    fn walk(e: &Element, path: &mut Path, out: &mut Vec<Path>) {
        out.push(path.clone());
        for (i, c) in element_children(e) {
            path.push(i);
            walk(c, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(root, &mut Vec::new(), &mut out);
    out
}

/// `/ProvaRichiesta/ElencoAssistiti/Assistito[2]/cfAssistito` — local names, with a position
/// where siblings share the name.
fn display_path(root: &Element, path: &[usize]) -> String {
    let mut out = format!("/{}", local(&root.name));
    let mut e = root;
    for &i in path {
        let Node::Element(c) = &e.children[i] else {
            break;
        };
        let same: Vec<usize> = element_children(e)
            .filter(|(_, s)| s.name == c.name)
            .map(|(j, _)| j)
            .collect();
        out.push('/');
        out.push_str(local(&c.name));
        if same.len() > 1 {
            let pos = same.iter().position(|&j| j == i).unwrap_or(0) + 1;
            out.push_str(&format!("[{pos}]"));
        }
        e = c;
    }
    out
}

/// Quotes a value for a one-line description (tabs/newlines escaped, long values cut).
fn show(value: &str) -> String {
    let mut s: String = value
        .chars()
        .take(40)
        .flat_map(|c| match c {
            '\t' => vec!['\\', 't'],
            '\n' => vec!['\\', 'n'],
            '\r' => vec!['\\', 'r'],
            c => vec![c],
        })
        .collect();
    if value.chars().count() > 40 {
        s.push('…');
    }
    format!("\"{s}\"")
}

/// Values that break, or just probe, the facets and built-in type a value may have; derived
/// from the value itself, since the generator does not read the schema.
fn value_battery(v: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    let chars: Vec<char> = v.chars().collect();
    push(String::new());
    push(format!(" {v} "));
    push(format!("\n\t{v}\n"));
    push(format!("\t{v}"));
    push(format!("{v} "));
    push(format!("{v}X"));
    push(format!("{v}{v}"));
    push(v.repeat(70 / v.len().max(1) + 1));
    if !chars.is_empty() {
        push(chars[..chars.len() - 1].iter().collect());
        push(chars[1..].iter().collect());
        push(chars[..1].iter().collect());
        let mid = chars.len() / 2;
        let (a, b) = (
            chars[..mid].iter().collect::<String>(),
            chars[mid..].iter().collect::<String>(),
        );
        push(format!("{a}  {b}"));
        push(format!("{a}\t{b}"));
        let mut bang = chars.clone();
        bang[chars.len() - 1] = '!';
        push(bang.iter().collect());
        let mut accent = chars.clone();
        accent[0] = 'é';
        push(accent.iter().collect());
    }
    push(v.to_lowercase());
    push(v.to_uppercase());

    let is_int = !v.is_empty()
        && v.trim_start_matches(['-', '+'])
            .bytes()
            .all(|b| b.is_ascii_digit());
    let is_dec = v.contains('.')
        && v.trim_start_matches(['-', '+'])
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.')
        && v.matches('.').count() == 1;
    if is_int || is_dec {
        for n in [
            "-1",
            "0",
            "1",
            "-0",
            "+0",
            "+7",
            "007",
            "1.0",
            "1.5",
            "1e3",
            "0x1F",
            "1,5",
            "-5",
            "5",
            "-6",
            "6",
            "127",
            "128",
            "-128",
            "-129",
            "255",
            "256",
            "499",
            "500",
            "501",
            "1000000",
            "999999",
            "32767",
            "32768",
            "-32768",
            "-32769",
            "65535",
            "65536",
            "2147483647",
            "2147483648",
            "-2147483648",
            "-2147483649",
            "4294967295",
            "4294967296",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "123456789012345678901234",
            "1234567890123456789012345",
            "30",
            "30.1",
            "44.9",
            "45",
            "36.65",
            "36.60",
            "99999.99",
            "100000.00",
            "99999.999",
            "12345.6",
            "0.01",
            "-0.01",
            ".5",
            "5.",
            ".",
            "00000000000000000000000000036.6",
        ] {
            push(n.to_owned());
        }
        push(format!("+{v}"));
        push(format!("0{v}"));
        push(format!("-{}", v.trim_start_matches(['-', '+'])));
        if is_int {
            push(format!("{v}.0"));
            push(format!("{v}.5"));
            push(format!("{v}0"));
        } else {
            push(format!("{v}1"));
            push(format!("{v}0"));
        }
    }
    let looks_date = v.len() >= 10
        && v.as_bytes()[4] == b'-'
        && v.as_bytes()[7] == b'-'
        && v[..4].bytes().all(|b| b.is_ascii_digit());
    if looks_date {
        for d in [
            "2021-02-29",
            "2020-02-29",
            "2020-13-01",
            "2020-00-10",
            "2021-04-31",
            "2021-04-30",
            "1900-02-29",
            "2000-02-29",
            "21-01-01",
            "2021-1-1",
            "2021-01-01Z",
            "2021-01-01+01:00",
            "2021-01-01+15:00",
            "2021-01-01+14:00",
            "0000-01-01",
            "-2021-01-01",
            "12021-01-01",
            "02021-01-01",
            "2021-01-01T10:00:00",
            "2021/01/01",
            "2021-01-32",
        ] {
            push(d.to_owned());
        }
        let date = &v[..10];
        for t in [
            "T10:00:00",
            "T24:00:00",
            "T24:00:01",
            " 10:00:00",
            "T10:00:00+14:00",
            "T10:00:00-14:01",
            "T10:00",
            "T10:00:00.",
            "T23:59:60",
            "T10:00:00.123456Z",
        ] {
            push(format!("{date}{t}"));
        }
        push(format!("{date} 17:45:12.345"));
        push(format!("{date} 24:45:12.345"));
        push(format!("{date} 17:45:12"));
    }
    let looks_time = chars.len() >= 8 && chars[2] == ':' && chars[5] == ':';
    if looks_time {
        for t in [
            "24:00:00",
            "23:59:60",
            "10:00",
            "10:00:00.5",
            "10:00:00Z",
            "25:00:00",
            "9:00:00",
            "10:00:00+01:00",
        ] {
            push(t.to_owned());
        }
    }
    if v.len() == 4 && is_int {
        for y in ["20", "02021", "12021", "2021Z", "-2021", "0000", "2021-01"] {
            push(y.to_owned());
        }
    }
    if ["true", "false", "0", "1"].contains(&v) {
        for b in ["true", "false", "1", "0", "TRUE", "yes", "2"] {
            push(b.to_owned());
        }
    }
    let looks_base64 = v.len() >= 8
        && v.len().is_multiple_of(4)
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
    if looks_base64 {
        push(v[..v.len() - 4].to_owned());
        push(format!("{v}AAAA"));
        push(format!("{}A", &v[..v.len() - 1]));
        push(v.replace('=', "A"));
        push(format!("{} {}", &v[..4], &v[4..]));
        push(format!("{}?{}-", &v[..4], &v[4..]));
        push(format!("{}YR==", &v[..v.len() - 4]));
        push(format!("{}Y===", &v[..v.len() - 4]));
        push("A".repeat(v.len()));
        push(format!("{}=", "A".repeat(171)));
        push(format!("{}==", "A".repeat(342)));
        push(format!("{}=", "A".repeat(170)));
        push("QUJD".repeat(16));
        push("QUJD".repeat(17));
    }
    let looks_hex =
        v.len() >= 8 && v.len().is_multiple_of(2) && v.bytes().all(|b| b.is_ascii_hexdigit());
    if looks_hex {
        push(v[..v.len() - 1].to_owned());
        push(v[..v.len() - 2].to_owned());
        push(format!("{v}00"));
        push(format!("{}G", &v[..v.len() - 1]));
    }
    if v.contains("://") || v.starts_with("urn:") {
        for u in [
            "http://x/%zz",
            "::",
            "a b",
            "#frag",
            "http://[::1]:8080/",
            "esiti/oggi",
            "http://h:porta/",
            "mailto:a@b.it",
            "%41",
        ] {
            push(u.to_owned());
        }
    }
    out.retain(|s| s != v);
    out
}

/// Variants of one sample, in a fixed order; `pool` maps local names to values seen for
/// them in any sample (valid alternatives worth trying).
fn variants_of(sample: &str, root: &Element, pool: &[(String, String)]) -> Vec<(String, Element)> {
    let mut out: Vec<(String, Element)> = Vec::new();
    let paths = all_paths(root);
    let desc = |what: String| format!("{sample}: {what}");

    // Structure: drop, duplicate, swap with the next sibling.
    for path in paths.iter().filter(|p| !p.is_empty()) {
        let (parent_path, index) = path.split_at(path.len() - 1);
        let index = index[0];
        let shown = display_path(root, path);

        let mut v = root.clone();
        get_mut(&mut v, parent_path).children.remove(index);
        out.push((desc(format!("drop {shown}")), v));

        let mut v = root.clone();
        let parent = get_mut(&mut v, parent_path);
        let copy = parent.children[index].clone();
        parent.children.insert(index + 1, copy);
        out.push((desc(format!("duplicate {shown}")), v));

        let parent = get(root, parent_path);
        if let Some((next, _)) = element_children(parent).find(|(j, _)| *j > index) {
            let mut v = root.clone();
            get_mut(&mut v, parent_path).children.swap(index, next);
            out.push((desc(format!("swap {shown} with its next sibling")), v));
        }
    }

    // Misplacement: into the grandparent (after the parent), into the previous sibling (last),
    // into the next sibling (first).
    for path in paths.iter().filter(|p| !p.is_empty()) {
        let (parent_path, index) = path.split_at(path.len() - 1);
        let index = index[0];
        let shown = display_path(root, path);
        let moved = Node::Element(get(root, path).clone());
        if !parent_path.is_empty() {
            let (grand_path, parent_index) = parent_path.split_at(parent_path.len() - 1);
            let mut v = root.clone();
            get_mut(&mut v, parent_path).children.remove(index);
            get_mut(&mut v, grand_path)
                .children
                .insert(parent_index[0] + 1, moved.clone());
            out.push((desc(format!("move {shown} up one level")), v));
        }
        let parent = get(root, parent_path);
        let previous = element_children(parent)
            .filter(|(j, _)| *j < index)
            .last()
            .map(|(j, _)| j);
        if let Some(prev) = previous {
            let mut v = root.clone();
            let p = get_mut(&mut v, parent_path);
            p.children.remove(index);
            if let Node::Element(target) = &mut p.children[prev] {
                target.children.push(moved.clone());
            }
            out.push((desc(format!("move {shown} into its previous sibling")), v));
        }
        let next = element_children(parent)
            .find(|(j, _)| *j > index)
            .map(|(j, _)| j);
        if let Some(next) = next {
            let mut v = root.clone();
            let p = get_mut(&mut v, parent_path);
            if let Node::Element(target) = &mut p.children[next] {
                target.children.insert(0, moved.clone());
            }
            p.children.remove(index);
            out.push((desc(format!("move {shown} into its next sibling")), v));
        }
    }

    // Names: wrong namespace; unqualified elements given the root's prefix.
    for path in &paths {
        let shown = display_path(root, path);
        let mut v = root.clone();
        v.attrs
            .push(("xmlns:sbagliato".to_owned(), WRONG_NS.to_owned()));
        let e = get_mut(&mut v, path);
        e.name = format!("sbagliato:{}", local(&e.name));
        out.push((desc(format!("wrong namespace on {shown}")), v));

        let e = get(root, path);
        let default_ns = root.attrs.iter().any(|(k, _)| k == "xmlns");
        if prefix(&e.name).is_none() && !default_ns {
            if let Some(p) = prefix(&root.name) {
                let mut v = root.clone();
                get_mut(&mut v, path).name = format!("{p}:{}", e.name);
                out.push((desc(format!("qualify {shown}")), v));
            }
        } else if let Some(_p) = prefix(&e.name) {
            if !default_ns {
                let mut v = root.clone();
                let target = get_mut(&mut v, path);
                target.name = local(&e.name).to_owned();
                out.push((desc(format!("unqualify {shown}")), v));
            }
        }
    }

    // Attributes: undeclared, dropped, and every battery value on the declared ones.
    for path in &paths {
        let shown = display_path(root, path);
        let mut v = root.clone();
        get_mut(&mut v, path)
            .attrs
            .push(("extra".to_owned(), "1".to_owned()));
        out.push((desc(format!("undeclared attribute on {shown}")), v));
        let e = get(root, path);
        for (a, (key, value)) in e.attrs.iter().enumerate() {
            if is_ns_decl(key) {
                continue;
            }
            let mut v = root.clone();
            get_mut(&mut v, path).attrs.remove(a);
            out.push((desc(format!("drop attribute {key} of {shown}")), v));
            for replacement in value_battery(value) {
                let mut v = root.clone();
                get_mut(&mut v, path).attrs[a].1 = replacement.clone();
                out.push((desc(format!("{shown}/@{key} = {}", show(&replacement))), v));
            }
        }
    }

    // Text: stray text in element content, leaf values, split and CDATA-wrapped text.
    for path in &paths {
        let shown = display_path(root, path);
        let e = get(root, path);
        if !is_leaf(e) {
            let mut v = root.clone();
            get_mut(&mut v, path)
                .children
                .insert(0, Node::Text("x".to_owned()));
            out.push((desc(format!("stray text in {shown}")), v));
            let mut v = root.clone();
            get_mut(&mut v, path)
                .children
                .insert(0, Node::CData(" ".to_owned()));
            out.push((
                desc(format!("whitespace CDATA in element content of {shown}")),
                v,
            ));
            continue;
        }
        let value = text_of(e);
        let mut candidates = value_battery(&value);
        for (name, other) in pool {
            if name == local(&e.name) && *other != value && !candidates.contains(other) {
                candidates.push(other.clone());
            }
        }
        if e.children.is_empty() {
            candidates.push(" ".to_owned());
            let mut v = root.clone();
            get_mut(&mut v, path)
                .children
                .push(Node::CData(String::new()));
            out.push((desc(format!("empty CDATA in empty {shown}")), v));
        }
        for replacement in candidates {
            let mut v = root.clone();
            let target = get_mut(&mut v, path);
            target.children = if replacement.is_empty() {
                Vec::new()
            } else {
                vec![Node::Text(replacement.clone())]
            };
            out.push((desc(format!("text of {shown} = {}", show(&replacement))), v));
        }
        let mut v = root.clone();
        get_mut(&mut v, path).children.push(Node::Element(Element {
            name: e.name.clone(),
            attrs: Vec::new(),
            children: Vec::new(),
        }));
        out.push((desc(format!("child element inside leaf {shown}")), v));
        if value.chars().count() >= 2 {
            let mid = value
                .char_indices()
                .nth(value.chars().count() / 2)
                .map_or(0, |(i, _)| i);
            let mut v = root.clone();
            get_mut(&mut v, path).children = vec![
                Node::Text(value[..mid].to_owned()),
                Node::Comment(" split ".to_owned()),
                Node::CData(value[mid..].to_owned()),
            ];
            out.push((
                desc(format!("text of {shown} split by a comment and CDATA")),
                v,
            ));
        }
    }
    out
}

/// Leaf values by local name across all samples, in first-seen order.
fn value_pool(roots: &[Element]) -> Vec<(String, String)> {
    let mut pool: Vec<(String, String)> = Vec::new();
    for root in roots {
        for path in all_paths(root) {
            let e = get(root, &path);
            if is_leaf(e) {
                let entry = (local(&e.name).to_owned(), text_of(e));
                if !pool.contains(&entry) {
                    pool.push(entry);
                }
            }
        }
    }
    pool
}

/// All samples (as given) followed by their variants; duplicates (same bytes) are dropped,
/// keeping the first description.
pub fn generate(samples: &[(String, Vec<u8>)]) -> Result<Vec<Variant>, String> {
    let mut roots = Vec::with_capacity(samples.len());
    for (name, bytes) in samples {
        roots.push(parse(bytes).map_err(|e| format!("{name}: {e}"))?);
    }
    let pool = value_pool(&roots);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut add = |description: String, document: Vec<u8>| {
        let id = fnv1a_hex(&document);
        if seen.insert(id.clone()) {
            out.push(Variant {
                id,
                description,
                document,
            });
        }
    };
    for ((name, bytes), _) in samples.iter().zip(&roots) {
        add(format!("{name}: sample as written"), bytes.clone());
    }
    for ((name, _), root) in samples.iter().zip(&roots) {
        add(format!("{name}: sample re-serialized"), serialize(root));
        for (description, variant) in variants_of(name, root, &pool) {
            add(description, serialize(&variant));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_reference_vectors() {
        assert_eq!(fnv1a_hex(b""), "cbf29ce484222325");
        assert_eq!(fnv1a_hex(b"a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn parse_and_serialize_round_trip_with_hoisted_namespaces() {
        let xml =
            br#"<a:r xmlns:a="urn:a"><b:x xmlns:b="urn:b" k="1 &amp; 2">t&lt;</b:x><a:e/></a:r>"#;
        let root = parse(xml).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8(serialize(&root)).unwrap_or_default();
        assert!(
            text.contains(r#"<a:r xmlns:a="urn:a" xmlns:b="urn:b">"#),
            "{text}"
        );
        assert!(
            text.contains(r#"<b:x k="1 &amp; 2">t&lt;</b:x><a:e/>"#),
            "{text}"
        );
        assert!(parse(br#"<r><x xmlns:p="urn:1"/><y xmlns:p="urn:2"/></r>"#).is_err());
    }

    #[test]
    fn generation_is_deterministic_and_deduplicated() {
        let samples = vec![(
            "s.xml".to_owned(),
            br#"<p:r xmlns:p="urn:p" v="1"><p:a>2021-01-01</p:a><p:b>x</p:b></p:r>"#.to_vec(),
        )];
        let first = generate(&samples).unwrap_or_default();
        let second = generate(&samples).unwrap_or_default();
        assert!(first.len() > 50);
        let ids: Vec<&str> = first.iter().map(|v| v.id.as_str()).collect();
        let again: Vec<&str> = second.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, again);
        let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len());
    }
}
