//! Generated hostile envelopes: each shape repeats one construct until the envelope reaches the
//! size asked for. Shared by `tests/xml_linearity.rs` (work counted) and `benches/envelope.rs`
//! (time measured), so both look at the same documents.

/// A shape: its name and how to build an envelope of about `size` bytes.
pub struct Shape {
    pub name: &'static str,
    pub build: fn(usize) -> Vec<u8>,
}

pub const SHAPES: &[Shape] = &[
    Shape {
        name: "attributes on the payload",
        build: attributes_on_payload,
    },
    Shape {
        name: "attributes on a header block",
        build: attributes_on_header_block,
    },
    Shape {
        name: "attributes, the last repeating the first",
        build: repeated_attribute,
    },
    Shape {
        name: "namespace declarations + prefixed attributes",
        build: namespace_declarations,
    },
    Shape {
        name: "nested scopes, each declaring a prefix",
        build: nested_scopes,
    },
    Shape {
        name: "long element name",
        build: long_element_name,
    },
    Shape {
        name: "long attribute name",
        build: long_attribute_name,
    },
    Shape {
        name: "siblings in the header",
        build: siblings_in_header,
    },
    Shape {
        name: "empty siblings in the payload",
        build: siblings_in_payload,
    },
    Shape {
        name: "text nodes split by comments",
        build: text_nodes,
    },
    Shape {
        name: "comments",
        build: comments,
    },
    Shape {
        name: "long processing instruction",
        build: processing_instruction,
    },
    Shape {
        name: "long attribute value with entities",
        build: long_attribute_value,
    },
    Shape {
        name: "deep nesting in the header",
        build: deep_nesting,
    },
    Shape {
        name: "long text",
        build: long_text,
    },
];

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:req=\"urn:tsgate:ws:servizi:richiesta\">";

/// An envelope with `header` in the Header and `payload` as the Body's only child.
pub fn envelope(header: &str, payload: &str) -> Vec<u8> {
    format!("{HEAD}<soapenv:Header>{header}</soapenv:Header><soapenv:Body>{payload}</soapenv:Body></soapenv:Envelope>")
        .into_bytes()
}

/// `count` such that `count` pieces of `piece_len` bytes fill `size`.
fn count(size: usize, piece_len: usize) -> usize {
    (size.saturating_sub(HEAD.len() + 120) / piece_len.max(1)).max(1)
}

/// `piece(0)`, `piece(1)`, … while they fit in what `size` leaves after the envelope.
fn repeat(size: usize, piece: impl Fn(usize) -> String) -> String {
    let room = count(size, 1);
    let mut out = String::with_capacity(room);
    for i in 0.. {
        let next = piece(i);
        if out.len() + next.len() > room {
            break;
        }
        out.push_str(&next);
    }
    out
}

fn attributes_on_payload(size: usize) -> Vec<u8> {
    let attributes = repeat(size, |i| format!(" a{i}=\"\""));
    envelope("", &format!("<req:ElencoServiziRichiesta{attributes}/>"))
}

fn attributes_on_header_block(size: usize) -> Vec<u8> {
    let attributes = repeat(size, |i| format!(" a{i}=\"1\""));
    envelope(
        &format!("<h{attributes}/>"),
        "<req:ElencoServiziRichiesta/>",
    )
}

fn repeated_attribute(size: usize) -> Vec<u8> {
    let attributes = repeat(size, |i| format!(" a{i}=\"1\""));
    envelope(
        &format!("<h{attributes} a0=\"1\"/>"),
        "<req:ElencoServiziRichiesta/>",
    )
}

/// Half declarations, half attributes using the prefix declared first (the last one a scan
/// of the bindings in scope, newest first, would reach).
fn namespace_declarations(size: usize) -> Vec<u8> {
    let declarations = repeat(size / 2, |i| format!(" xmlns:p{i}=\"urn:{i}\""));
    let attributes = repeat(size / 2, |i| format!(" p0:a{i}=\"\""));
    envelope(
        &format!("<h{declarations}{attributes}/>"),
        "<req:ElencoServiziRichiesta/>",
    )
}

/// Each level declares a new prefix and is named with the first one.
fn nested_scopes(size: usize) -> Vec<u8> {
    let open = "<p0:x xmlns:p00000=\"urn:0\">".len() + "</p0:x>".len();
    let n = count(size, open);
    let mut header = String::from("<p0:x xmlns:p0=\"urn:0\">");
    for i in 1..n {
        header.push_str(&format!("<p0:x xmlns:p{i}=\"urn:{i}\">"));
    }
    header.push_str(&"</p0:x>".repeat(n));
    envelope(&header, "<req:ElencoServiziRichiesta/>")
}

fn long_element_name(size: usize) -> Vec<u8> {
    let name = "n".repeat(count(size, 2));
    envelope(
        &format!("<{name}></{name}>"),
        "<req:ElencoServiziRichiesta/>",
    )
}

fn long_attribute_name(size: usize) -> Vec<u8> {
    let name = "n".repeat(count(size, 1));
    envelope(
        &format!("<h {name}=\"1\"/>"),
        "<req:ElencoServiziRichiesta/>",
    )
}

fn siblings_in_header(size: usize) -> Vec<u8> {
    envelope(
        &repeat(size, |_| "<x/>".to_owned()),
        "<req:ElencoServiziRichiesta/>",
    )
}

fn siblings_in_payload(size: usize) -> Vec<u8> {
    let siblings = repeat(size, |_| "<req:pinCode/>".to_owned());
    envelope(
        "",
        &format!("<req:ElencoServiziRichiesta>{siblings}</req:ElencoServiziRichiesta>"),
    )
}

fn text_nodes(size: usize) -> Vec<u8> {
    let text = repeat(size, |_| "A<!---->".to_owned());
    envelope(
        "",
        &format!("<req:ElencoServiziRichiesta><req:pinCode>{text}</req:pinCode></req:ElencoServiziRichiesta>"),
    )
}

fn comments(size: usize) -> Vec<u8> {
    envelope(
        &repeat(size, |_| "<!--c-->".to_owned()),
        "<req:ElencoServiziRichiesta/>",
    )
}

fn processing_instruction(size: usize) -> Vec<u8> {
    let body = "?".repeat(count(size, 1));
    envelope(&format!("<?pi {body}?>"), "<req:ElencoServiziRichiesta/>")
}

fn long_attribute_value(size: usize) -> Vec<u8> {
    let value = "&amp;".repeat(count(size, 5));
    envelope(
        &format!("<h a=\"{value}\"/>"),
        "<req:ElencoServiziRichiesta/>",
    )
}

fn deep_nesting(size: usize) -> Vec<u8> {
    let n = count(size, "<x></x>".len());
    envelope(
        &format!("{}{}", "<x>".repeat(n), "</x>".repeat(n)),
        "<req:ElencoServiziRichiesta/>",
    )
}

fn long_text(size: usize) -> Vec<u8> {
    let text = "A".repeat(count(size, 1));
    envelope(
        "",
        &format!("<req:ElencoServiziRichiesta><req:pinCode>{text}</req:pinCode></req:ElencoServiziRichiesta>"),
    )
}
