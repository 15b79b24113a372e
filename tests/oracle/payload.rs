//! Cuts the payload (first child element of `soap:Body`) out of a SOAP 1.1 or 1.2 envelope as
//! a standalone document, so envelope samples can go through the same oracle as payloads.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

/// The payload element with its original bytes, plus a declaration for every namespace
/// binding it inherits from the envelope (declarations it makes itself are left alone).
pub fn extract_payload(envelope: &[u8]) -> Result<Vec<u8>, String> {
    let mut reader = NsReader::from_reader(envelope);
    // Bindings declared on each open element: (prefix, uri); "" prefix = default namespace.
    let mut scopes: Vec<Vec<(String, String)>> = Vec::new();
    let mut soap_ns: Option<&str> = None;
    let mut in_body = false;
    loop {
        let start_offset = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                let (ns, local) = reader.resolve_element(e.name());
                let ns = match ns {
                    ResolveResult::Bound(n) => String::from_utf8_lossy(n.0).into_owned(),
                    ResolveResult::Unbound => String::new(),
                    ResolveResult::Unknown(p) => {
                        return Err(format!("undeclared prefix {}", String::from_utf8_lossy(&p)))
                    }
                };
                let local = String::from_utf8_lossy(local.as_ref()).into_owned();
                let mut declared = Vec::new();
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| e.to_string())?;
                    let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
                    let value = attr
                        .unescape_value()
                        .map_err(|e| e.to_string())?
                        .into_owned();
                    if key == "xmlns" {
                        declared.push((String::new(), value));
                    } else if let Some(p) = key.strip_prefix("xmlns:") {
                        declared.push((p.to_owned(), value));
                    }
                }
                if in_body {
                    let end_offset = if is_empty {
                        reader.buffer_position() as usize
                    } else {
                        reader.read_to_end(e.name()).map_err(|e| e.to_string())?;
                        reader.buffer_position() as usize
                    };
                    let inherited = inherited_bindings(&scopes, &declared);
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    return Ok(rebuild(
                        &envelope[start_offset..end_offset],
                        &name,
                        &inherited,
                    ));
                }
                match scopes.len() {
                    0 => {
                        if local != "Envelope" || (ns != SOAP11_NS && ns != SOAP12_NS) {
                            return Err(format!("root is {{{ns}}}{local}, not a SOAP Envelope"));
                        }
                        soap_ns = Some(if ns == SOAP11_NS {
                            SOAP11_NS
                        } else {
                            SOAP12_NS
                        });
                    }
                    1 if Some(ns.as_str()) == soap_ns && local == "Body" => {
                        if is_empty {
                            return Err("empty SOAP Body".to_owned());
                        }
                        in_body = true;
                    }
                    _ => {}
                }
                if !is_empty {
                    scopes.push(declared);
                }
            }
            Event::End(_) => {
                if in_body && scopes.len() == 2 {
                    return Err("SOAP Body has no child element".to_owned());
                }
                scopes.pop();
            }
            Event::Eof => return Err("no SOAP Body found".to_owned()),
            _ => {}
        }
    }
}

/// Effective bindings from the ancestors that the payload element does not redeclare.
fn inherited_bindings(
    scopes: &[Vec<(String, String)>],
    own: &[(String, String)],
) -> Vec<(String, String)> {
    let mut effective: Vec<(String, String)> = Vec::new();
    for scope in scopes {
        for (prefix, uri) in scope {
            effective.retain(|(p, _)| p != prefix);
            effective.push((prefix.clone(), uri.clone()));
        }
    }
    effective.retain(|(p, uri)| {
        let redeclared = own.iter().any(|(o, _)| o == p);
        let undeclared_default = p.is_empty() && uri.is_empty();
        !redeclared && !undeclared_default
    });
    effective
}

fn rebuild(element: &[u8], name: &str, inherited: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(element.len() + 200);
    out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // The element starts with '<' + its name; declarations go right after the name.
    let split = 1 + name.len();
    out.extend_from_slice(&element[..split]);
    for (prefix, uri) in inherited {
        let escaped = uri
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('"', "&quot;");
        if prefix.is_empty() {
            out.extend_from_slice(format!(" xmlns=\"{escaped}\"").as_bytes());
        } else {
            out.extend_from_slice(format!(" xmlns:{prefix}=\"{escaped}\"").as_bytes());
        }
    }
    out.extend_from_slice(&element[split..]);
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soap11_payload_gets_the_namespaces_it_inherits() {
        let envelope = br#"<?xml version="1.0"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ric="urn:ric" xmlns:tipi="urn:tipi">
  <soapenv:Header><x/></soapenv:Header>
  <soapenv:Body>
    <ric:Richiesta versione="1"><ric:a>1</ric:a><tipi:b/></ric:Richiesta>
  </soapenv:Body>
</soapenv:Envelope>"#;
        let payload =
            String::from_utf8(extract_payload(envelope).unwrap_or_else(|e| panic!("{e}")))
                .unwrap_or_default();
        assert!(payload.contains(r#"<ric:Richiesta xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ric="urn:ric" xmlns:tipi="urn:tipi" versione="1"><ric:a>1</ric:a><tipi:b/></ric:Richiesta>"#), "{payload}");
    }

    #[test]
    fn soap12_payload_keeps_its_own_declarations_and_default_namespace() {
        let envelope = br#"<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns="urn:outer"><env:Body xmlns:p="urn:p"><R xmlns="urn:own"><p:c/></R></env:Body></env:Envelope>"#;
        let payload =
            String::from_utf8(extract_payload(envelope).unwrap_or_else(|e| panic!("{e}")))
                .unwrap_or_default();
        assert!(payload.contains(r#"<R xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:p="urn:p" xmlns="urn:own"><p:c/></R>"#), "{payload}");
        let empty_payload = br#"<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><a:X xmlns:a="urn:a"/></env:Body></env:Envelope>"#;
        let payload = String::from_utf8(extract_payload(empty_payload).unwrap_or_default())
            .unwrap_or_default();
        assert!(
            payload.contains(
                r#"<a:X xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="urn:a"/>"#
            ),
            "{payload}"
        );
    }

    #[test]
    fn non_envelopes_and_empty_bodies_are_errors() {
        assert!(extract_payload(b"<a/>").is_err());
        assert!(extract_payload(br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>"#).is_err());
        assert!(extract_payload(br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body> </s:Body></s:Envelope>"#).is_err());
    }
}
