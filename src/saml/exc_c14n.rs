//! Exclusive XML Canonicalization 1.0, without comments
//! (<http://www.w3.org/2001/10/xml-exc-c14n#>), of a subtree of a [`Tree`]: the bytes a
//! signature's digest and value are computed over.
//!
//! The rules, as the W3C recommendation gives them for a subtree (a "document subset" that is
//! one element with all its descendants, minus at most one omitted subtree — the enveloped
//! signature):
//! - an element renders the namespace declarations it *visibly utilises* — its own prefix (the
//!   default namespace when it has none) and its attributes' prefixes — plus those of the
//!   InclusiveNamespaces PrefixList that are in scope, each only if the nearest rendered
//!   ancestor did not already render the same binding; `xmlns=""` only to undo a default an
//!   ancestor rendered; the `xml` namespace never;
//! - declarations in order of prefix (the default first), then attributes by namespace URI
//!   (unqualified first) and local name, all compared by code point;
//! - empty elements as start and end tags; attribute values in double quotes;
//! - text escapes `&`, `<`, `>` and CR; attribute values `&`, `<`, `"`, TAB, LF and CR;
//! - `xml:*` attributes of ancestors are not inherited (unlike inclusive C14N); whitespace
//!   is kept as it is (the tree already normalised line ends and attribute values).

use super::tree::{resolve, Binding, Child, Tree};

/// The algorithm's identifier, as `CanonicalizationMethod` and `Transform` name it.
pub const ALGORITHM: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// The `InclusiveNamespaces` element that may carry a PrefixList.
pub const INCLUSIVE_NAMESPACES: &str = "InclusiveNamespaces";

/// The canonical form of the subtree at `apex`, without the subtree at `omit` (if any).
/// `inclusive_prefixes` is the PrefixList, `#default` standing for the default namespace.
pub fn canonicalize(
    tree: &Tree,
    apex: usize,
    inclusive_prefixes: &[String],
    omit: Option<usize>,
) -> Vec<u8> {
    let inclusive: Vec<&str> = inclusive_prefixes
        .iter()
        .map(|p| if p == "#default" { "" } else { p.as_str() })
        .collect();
    let mut scope = match tree.element(apex).parent {
        Some(parent) => tree.scope_at(parent),
        None => tree.inherited.clone(),
    };
    let mut rendered: Vec<Binding> = Vec::new();
    let mut out = String::new();
    let walk = Walk {
        tree,
        inclusive: &inclusive,
        omit,
    };
    walk.element(apex, &mut scope, &mut rendered, &mut out);
    out.into_bytes()
}

struct Walk<'a> {
    tree: &'a Tree,
    inclusive: &'a [&'a str],
    omit: Option<usize>,
}

impl Walk<'_> {
    fn element(
        &self,
        index: usize,
        scope: &mut Vec<Binding>,
        rendered: &mut Vec<Binding>,
        out: &mut String,
    ) {
        let element = self.tree.element(index);
        let scope_mark = scope.len();
        scope.extend(element.declarations.iter().cloned());

        let mut prefixes: Vec<&str> = vec![element.prefix.as_str()];
        prefixes.extend(
            element
                .attributes
                .iter()
                .map(|a| a.prefix.as_str())
                .filter(|p| !p.is_empty()),
        );
        prefixes.extend(
            self.inclusive
                .iter()
                .copied()
                .filter(|p| resolve(scope, p).is_some()),
        );
        prefixes.sort_unstable();
        prefixes.dedup();

        let mut declared: Vec<Binding> = Vec::new();
        for prefix in prefixes {
            if prefix == "xml" {
                continue;
            }
            let Some(uri) = resolve(scope, prefix) else {
                continue;
            };
            let already = resolve(rendered, prefix);
            let render = if prefix.is_empty() {
                already.unwrap_or("") != uri
            } else {
                already != Some(uri)
            };
            if render {
                declared.push((prefix.to_owned(), uri.to_owned()));
            }
        }

        let qname = qualified(&element.prefix, &element.local);
        out.push('<');
        out.push_str(&qname);
        for (prefix, uri) in &declared {
            if prefix.is_empty() {
                out.push_str(" xmlns=\"");
            } else {
                out.push_str(" xmlns:");
                out.push_str(prefix);
                out.push_str("=\"");
            }
            escape_attribute(uri, out);
            out.push('"');
        }
        let mut attributes: Vec<_> = element.attributes.iter().collect();
        attributes.sort_by(|a, b| (&a.namespace, &a.local).cmp(&(&b.namespace, &b.local)));
        for attribute in attributes {
            out.push(' ');
            out.push_str(&qualified(&attribute.prefix, &attribute.local));
            out.push_str("=\"");
            escape_attribute(&attribute.value, out);
            out.push('"');
        }
        out.push('>');

        let rendered_mark = rendered.len();
        rendered.extend(declared);
        for child in &element.children {
            match child {
                Child::Text(text) => escape_text(text, out),
                Child::Element(i) if Some(*i) == self.omit => {}
                Child::Element(i) => self.element(*i, scope, rendered, out),
            }
        }
        rendered.truncate(rendered_mark);
        scope.truncate(scope_mark);

        out.push_str("</");
        out.push_str(&qname);
        out.push('>');
    }
}

fn qualified(prefix: &str, local: &str) -> String {
    if prefix.is_empty() {
        local.to_owned()
    } else {
        format!("{prefix}:{local}")
    }
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

fn escape_attribute(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::tree::CapturedAssertion;

    fn tree(xml: &str, inherited: &[(&str, &str)]) -> Tree {
        let captured = CapturedAssertion {
            bytes: xml.as_bytes().to_vec(),
            inherited: inherited
                .iter()
                .map(|(p, u)| ((*p).to_owned(), (*u).to_owned()))
                .collect(),
        };
        Tree::parse(&captured).unwrap()
    }

    fn whole(xml: &str) -> String {
        String::from_utf8(canonicalize(&tree(xml, &[]), 0, &[], None)).unwrap()
    }

    fn index_of(tree: &Tree, local: &str) -> usize {
        tree.elements.iter().position(|e| e.local == local).unwrap()
    }

    /// C14N 1.0 §3.3 (start and end tags), canonicalised exclusively: the output of
    /// `xmllint --exc-c14n` on the same input.
    #[test]
    fn w3c_start_and_end_tags() {
        let input = r#"<doc>
   <e1   />
   <e2   ></e2>
   <e3   name = "elem3"   id="elem3"   />
   <e4   name="elem4"   id="elem4"   ></e4>
   <e5 a:attr="out" b:attr="sorted" attr2="all" attr="I'm"
      xmlns:b="http://www.ietf.org"
      xmlns:a="http://www.w3.org"
      xmlns="http://example.org"/>
   <e6 xmlns="" xmlns:a="http://www.w3.org">
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="" xmlns:a="http://www.w3.org">
            <e9 xmlns="" xmlns:a="http://www.ietf.org"/>
         </e8>
      </e7>
   </e6>
</doc>"#;
        let expected = r#"<doc>
   <e1></e1>
   <e2></e2>
   <e3 id="elem3" name="elem3"></e3>
   <e4 id="elem4" name="elem4"></e4>
   <e5 xmlns="http://example.org" xmlns:a="http://www.w3.org" xmlns:b="http://www.ietf.org" attr="I'm" attr2="all" b:attr="sorted" a:attr="out"></e5>
   <e6>
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="">
            <e9></e9>
         </e8>
      </e7>
   </e6>
</doc>"#;
        assert_eq!(whole(input), expected);
    }

    /// C14N 1.0 §3.4 (character modifications and character references), without the DTD's
    /// attribute types: the output of `xmllint --exc-c14n`.
    #[test]
    fn w3c_character_modifications() {
        let input = "<doc>\n   <text>First line&#x0d;&#10;Second line</text>\n   <value>&#x32;</value>\n   <compute><![CDATA[value>\"0\" && value<\"10\" ?\"valid\":\"error\"]]></compute>\n   <compute expr='value>\"0\" &amp;&amp; value&lt;\"10\" ?\"valid\":\"error\"'>valid</compute>\n   <norm attr=' &apos;   &#x20;&#13;&#xa;&#9;   &apos; '/>\n   <normNames attr='   A   &#x20;&#13;&#xa;&#9;   B   '/>\n</doc>";
        let expected = "<doc>\n   <text>First line&#xD;\nSecond line</text>\n   <value>2</value>\n   <compute>value&gt;\"0\" &amp;&amp; value&lt;\"10\" ?\"valid\":\"error\"</compute>\n   <compute expr=\"value>&quot;0&quot; &amp;&amp; value&lt;&quot;10&quot; ?&quot;valid&quot;:&quot;error&quot;\">valid</compute>\n   <norm attr=\" '    &#xD;&#xA;&#x9;   ' \"></norm>\n   <normNames attr=\"   A    &#xD;&#xA;&#x9;   B   \"></normNames>\n</doc>";
        assert_eq!(whole(input), expected);
    }

    /// Exc-C14N §2.2: the same subtree in two documents has one exclusive canonical form —
    /// what inclusive C14N cannot give, and why signed assertions use it.
    #[test]
    fn w3c_subtree_independent_of_its_context() {
        let expected = "<n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\">\n     <n3:stuff xmlns:n3=\"ftp://example.org\"></n3:stuff>\n  </n1:elem2>";
        let first = tree(
            "<n0:local xmlns:n0=\"foo:bar\" xmlns:n3=\"ftp://example.org\">\n  <n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\">\n     <n3:stuff xmlns:n3=\"ftp://example.org\"/>\n  </n1:elem2>\n</n0:local>",
            &[],
        );
        let second = tree(
            "<n2:pdu xmlns:n1=\"http://example.com\" xmlns:n2=\"http://foo.example\" xml:lang=\"fr\" xml:space=\"retain\">\n  <n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\">\n     <n3:stuff xmlns:n3=\"ftp://example.org\"/>\n  </n1:elem2>\n</n2:pdu>",
            &[],
        );
        for t in [&first, &second] {
            let c = canonicalize(t, index_of(t, "elem2"), &[], None);
            assert_eq!(String::from_utf8(c).unwrap(), expected);
        }
    }

    #[test]
    fn inherited_bindings_are_rendered_where_used() {
        let t = tree(
            "<s:A ID=\"x\"><s:B/><c:C/></s:A>",
            &[
                ("s", "urn:s"),
                ("c", "urn:c"),
                ("unused", "urn:u"),
                ("", "urn:d"),
            ],
        );
        let c = canonicalize(&t, 0, &[], None);
        assert_eq!(
            String::from_utf8(c).unwrap(),
            "<s:A xmlns:s=\"urn:s\" ID=\"x\"><s:B></s:B><c:C xmlns:c=\"urn:c\"></c:C></s:A>"
        );
    }

    #[test]
    fn prefix_list_renders_bindings_in_scope_even_if_unused() {
        let t = tree(
            "<a:x xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" xmlns=\"urn:d\"><a:y/></a:x>",
            &[],
        );
        let inclusive = ["b".to_owned(), "#default".to_owned(), "zz".to_owned()];
        assert_eq!(
            String::from_utf8(canonicalize(&t, 0, &inclusive, None)).unwrap(),
            "<a:x xmlns=\"urn:d\" xmlns:a=\"urn:a\" xmlns:b=\"urn:b\"><a:y></a:y></a:x>"
        );
        assert_eq!(
            String::from_utf8(canonicalize(&t, 0, &[], None)).unwrap(),
            "<a:x xmlns:a=\"urn:a\"><a:y></a:y></a:x>"
        );
    }

    #[test]
    fn the_omitted_subtree_leaves_its_surrounding_text() {
        let t = tree(
            "<a xmlns:d=\"urn:d\">\n  <b/>\n  <d:Signature><d:x/></d:Signature>\n</a>",
            &[],
        );
        let c = canonicalize(&t, 0, &[], Some(index_of(&t, "Signature")));
        assert_eq!(String::from_utf8(c).unwrap(), "<a>\n  <b></b>\n  \n</a>");
    }

    #[test]
    fn comments_are_refused_not_dropped() {
        let captured = CapturedAssertion {
            bytes: b"<a>RSSMRA<!-- x -->80A01H501U</a>".to_vec(),
            inherited: Vec::new(),
        };
        assert!(matches!(
            Tree::parse(&captured),
            Err(crate::saml::AssertionError::Comment)
        ));
    }
}
