//! A gateway's answer, with its body read as XML: assertions name the element they mean
//! (`codEsito` of the reply, not of a message; `idTransazione`, not `idTransazioneInvio`)
//! instead of searching the text.

use quick_xml::events::Event;
use quick_xml::Reader;

/// An element of a parsed body: its local name (prefix dropped), attributes, own text and
/// children in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// This element and every element inside it, in document order.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut out = vec![self];
        for child in &self.children {
            out.extend(child.descendants());
        }
        out
    }

    /// Every element named `name` at any depth, in document order.
    pub fn all(&self, name: &str) -> Vec<&Element> {
        self.descendants()
            .into_iter()
            .filter(|e| e.name == name)
            .collect()
    }

    /// The first element named `name` at any depth.
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.descendants().into_iter().find(|e| e.name == name)
    }

    /// The first direct child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|e| e.name == name)
    }

    /// The text of the first direct child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|e| e.text.as_str())
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a whole document; `None` if it is not well-formed XML.
pub fn parse_xml(text: &str) -> Option<Element> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let start = |tag: &quick_xml::events::BytesStart<'_>| -> Option<Element> {
        let attributes = tag
            .attributes()
            .map(|a| {
                let a = a.ok()?;
                let value = a.unescape_value().ok()?.into_owned();
                Some((String::from_utf8(a.key.as_ref().to_vec()).ok()?, value))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Element {
            name: String::from_utf8(tag.local_name().as_ref().to_vec()).ok()?,
            attributes,
            ..Element::default()
        })
    };
    loop {
        match reader.read_event().ok()? {
            Event::Start(tag) => stack.push(start(&tag)?),
            Event::Empty(tag) => {
                let element = start(&tag)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let element = stack.pop()?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text.unescape().ok()?);
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current
                        .text
                        .push_str(std::str::from_utf8(&data.into_inner()).ok()?);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.is_empty() {
        root
    } else {
        None
    }
}

/// One message of a reply's `ElencoMessaggi`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// `codEsito`, e.g. `1015`.
    pub code: &'a str,
    /// `esito`, the Italian text.
    pub text: &'a str,
    /// `tipoErrore`: `Bloccante` or `Avviso`.
    pub kind: &'a str,
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body's document, when it is XML.
    xml: Option<Element>,
}

impl Reply {
    pub fn new(status: u16, headers: Vec<(String, String)>, body: String) -> Reply {
        let xml = parse_xml(&body);
        Reply {
            status,
            headers,
            body,
            xml,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body's document; panics (showing the body) if it is not XML.
    pub fn xml(&self) -> &Element {
        self.xml
            .as_ref()
            .unwrap_or_else(|| panic!("not an XML body: {:?}", self.body))
    }

    /// The element in the SOAP Body: the reply's payload, or the Fault.
    pub fn payload(&self) -> Option<&Element> {
        self.xml.as_ref()?.child("Body")?.children.first()
    }

    /// The reply's own `codEsito` (not a message's).
    pub fn cod_esito(&self) -> Option<&str> {
        self.payload()?.child_text("codEsito")
    }

    pub fn descrizione_esito(&self) -> Option<&str> {
        self.payload()?.child_text("descrizioneEsito")
    }

    /// The messages of `ElencoMessaggi`, in order.
    pub fn messages(&self) -> Vec<Message<'_>> {
        let Some(list) = self.payload().and_then(|p| p.child("ElencoMessaggi")) else {
            return Vec::new();
        };
        list.children
            .iter()
            .filter(|m| m.name == "Messaggio")
            .map(|m| Message {
                code: m.child_text("codEsito").unwrap_or_default(),
                text: m.child_text("esito").unwrap_or_default(),
                kind: m.child_text("tipoErrore").unwrap_or_default(),
            })
            .collect()
    }

    /// The code of the first message.
    pub fn message(&self) -> Option<&str> {
        self.messages().first().map(|m| m.code)
    }

    /// The reply's `idTransazione`, or the one in a Fault's detail.
    pub fn transaction_id(&self) -> Option<&str> {
        let payload = self.payload()?;
        payload
            .child_text("idTransazione")
            .or_else(|| self.fault_detail()?.child_text("idTransazione"))
    }

    fn fault(&self) -> Option<&Element> {
        self.payload().filter(|p| p.name == "Fault")
    }

    fn fault_detail(&self) -> Option<&Element> {
        self.fault()?.find("dettaglio")
    }

    /// The Fault's code: `soap:Client` (SOAP 1.1 `faultcode`) or `soap:Sender` (1.2 `Value`).
    pub fn fault_code(&self) -> Option<&str> {
        let fault = self.fault()?;
        fault
            .child_text("faultcode")
            .or_else(|| fault.child("Code")?.child_text("Value"))
    }

    /// The Fault's reason (`faultstring`, or SOAP 1.2 `Reason/Text`).
    pub fn fault_reason(&self) -> Option<&str> {
        let fault = self.fault()?;
        fault
            .child_text("faultstring")
            .or_else(|| fault.child("Reason")?.child_text("Text"))
    }

    /// The gateway's code in the Fault's detail (`<f:codice>`), e.g. `CREDENZIALI_INVALIDE`.
    pub fn fault_detail_code(&self) -> Option<&str> {
        self.fault_detail()?.child_text("codice")
    }

    /// The Fault's detail code, or else the reply's `codEsito`: what the kits call the outcome.
    pub fn outcome(&self) -> Option<&str> {
        self.fault_detail_code().or_else(|| self.cod_esito())
    }

    /// The outcome and the first message's code, to compare with one assertion.
    pub fn answer(&self) -> (Option<&str>, Option<&str>) {
        (self.outcome(), self.message())
    }

    /// The text of the first element named `name`, at any depth.
    pub fn text(&self, name: &str) -> Option<&str> {
        Some(self.xml.as_ref()?.find(name)?.text.as_str())
    }

    /// The texts of every element named `name`, in document order.
    pub fn texts(&self, name: &str) -> Vec<&str> {
        self.elements(name)
            .into_iter()
            .map(|e| e.text.as_str())
            .collect()
    }

    /// The payload's list `list` (e.g. `ElencoTest`) is there, and empty.
    pub fn lists_nothing(&self, list: &str) -> bool {
        self.payload()
            .and_then(|p| p.child(list))
            .is_some_and(|l| l.children.is_empty())
    }

    /// Every element named `name`, in document order.
    pub fn elements(&self, name: &str) -> Vec<&Element> {
        self.xml.as_ref().map(|x| x.all(name)).unwrap_or_default()
    }
}

#[test]
fn a_reply_is_read_by_element() {
    let body = r#"<?xml version="1.0"?><soap:Envelope xmlns:soap="s"><soap:Body><ric:R xmlns:ric="r" xmlns:tipi="t"><ric:idTransazione>42</ric:idTransazione><ric:codEsito>0001</ric:codEsito><ric:ElencoMessaggi><tipi:Messaggio><tipi:codEsito>1015</tipi:codEsito><tipi:esito>l'assistito &amp; altro</tipi:esito><tipi:tipoErrore>Avviso</tipi:tipoErrore></tipi:Messaggio></ric:ElencoMessaggi><ric:Vuoto/></ric:R></soap:Body></soap:Envelope>"#;
    let reply = Reply::new(200, Vec::new(), body.into());
    assert_eq!(reply.answer(), (Some("0001"), Some("1015")));
    assert_eq!(reply.transaction_id(), Some("42"));
    assert_eq!(reply.messages()[0].text, "l'assistito & altro");
    assert_eq!(reply.messages()[0].kind, "Avviso");
    assert!(reply.elements("Vuoto")[0].children.is_empty());
    assert_eq!(reply.fault_detail_code(), None);
    let fault = r#"<soap:Envelope xmlns:soap="s"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring xml:lang="it">No</faultstring><detail><f:dettaglio xmlns:f="f"><f:codice>SCHEMA</f:codice><f:idTransazione>7</f:idTransazione></f:dettaglio></detail></soap:Fault></soap:Body></soap:Envelope>"#;
    let reply = Reply::new(500, Vec::new(), fault.into());
    assert_eq!(
        (reply.outcome(), reply.fault_code(), reply.fault_reason()),
        (Some("SCHEMA"), Some("soap:Client"), Some("No"))
    );
    assert_eq!(reply.transaction_id(), Some("7"));
    assert!(Reply::new(200, Vec::new(), "a;b\n".into())
        .payload()
        .is_none());
}
