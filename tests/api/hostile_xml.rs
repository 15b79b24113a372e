//! Hostile XML over real TLS: each shape limit gets its own Fault, bytes that are not UTF-8 are
//! malformed XML wherever they are, and large hostile envelopes get their Fault while another
//! client keeps being served.

#[path = "../hostile/shapes.rs"]
mod shapes;

use crate::helpers::{envelope, spawn_app, spawn_app_with, As, Reply, TestApp, TestResult};

async fn send(app: &TestApp, who: As, body: &[u8]) -> Reply {
    app.request_body("/ws/Servizi", body).by(who).send().await
}

async fn still_serving(app: &TestApp) {
    let reply = app.call_catalogue(As::Region).await;
    assert_eq!(
        reply.status, 200,
        "the gateway keeps serving: {}",
        reply.body
    );
}

/// The plain `ElencoServizi` sample with `header` in its (empty) Header.
fn with_header(header: &str) -> String {
    envelope("servizi/ElencoServizi.xml").replace(
        "<soapenv:Header/>",
        &format!("<soapenv:Header>{header}</soapenv:Header>"),
    )
}

fn attributes(n: usize) -> String {
    (0..n).map(|i| format!(" a{i}=\"1\"")).collect()
}

fn declarations(n: usize) -> String {
    (0..n).map(|i| format!(" xmlns:p{i}=\"urn:{i}\"")).collect()
}

#[tokio::test]
async fn each_xml_shape_limit_gets_its_own_fault() -> TestResult {
    let app = spawn_app().await;
    let cases = [
        (
            with_header(&format!("<h{}/>", attributes(33))),
            "TROPPI_ATTRIBUTI",
        ),
        (
            with_header(&format!("<h{}/>", declarations(33))),
            "TROPPI_NAMESPACE",
        ),
        (
            with_header(&format!("<{0}></{0}>", "n".repeat(257))),
            "NOME_TROPPO_LUNGO",
        ),
        (
            with_header(&format!("<h {}=\"1\"/>", "n".repeat(257))),
            "NOME_TROPPO_LUNGO",
        ),
        (
            with_header(&format!("{}{}", "<x>".repeat(31), "</x>".repeat(31))),
            "ANNIDAMENTO_ECCESSIVO",
        ),
    ];
    for (body, code) in &cases {
        let reply = send(&app, As::Anonymous, body.as_bytes()).await;
        assert_eq!(
            (reply.status, reply.outcome()),
            (400, Some(*code)),
            "{}",
            reply.body
        );
        let reason = format!(
            "tsgate_rejected_requests_total{{reason=\"fault_{}\"",
            code.to_ascii_lowercase()
        );
        assert!(app.metric(&reason) >= 1.0, "{reason} counted");
    }
    // Just inside every default limit: served.
    let inside = with_header(&format!(
        "<h{}{}/><{2}></{2}>{3}{4}",
        attributes(32),
        declarations(32),
        "n".repeat(256),
        "<x>".repeat(29),
        "</x>".repeat(29)
    ));
    let reply = send(&app, As::Region, inside.as_bytes()).await;
    assert_eq!(
        (reply.status, reply.outcome()),
        (200, Some("0000")),
        "{}",
        reply.body
    );
    still_serving(&app).await;
    Ok(())
}

#[tokio::test]
async fn the_xml_shape_limits_are_configurable() -> TestResult {
    let app = spawn_app_with(|c| {
        c.server.max_xml_attributes = 2;
        c.server.max_xml_namespace_declarations = 2;
        c.server.max_xml_name_bytes = 32;
    })
    .await;
    let cases = [
        (
            with_header(&format!("<h{}/>", attributes(3))),
            "TROPPI_ATTRIBUTI",
        ),
        // The sample's Envelope declares two namespaces: one more on a header block is fine.
        (
            with_header(&format!("<h{}/>", declarations(3))),
            "TROPPI_NAMESPACE",
        ),
        (
            with_header(&format!("<{}/>", "n".repeat(33))),
            "NOME_TROPPO_LUNGO",
        ),
    ];
    for (body, code) in &cases {
        let reply = send(&app, As::Region, body.as_bytes()).await;
        assert_eq!(
            (reply.status, reply.outcome()),
            (400, Some(*code)),
            "{}",
            reply.body
        );
    }
    let reply = send(
        &app,
        As::Region,
        with_header(&format!("<h{}/>", attributes(2))).as_bytes(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    Ok(())
}

/// Byte sequences that are not UTF-8: a lone continuation byte, a truncated sequence, an
/// overlong encoding, an encoded surrogate, a byte UTF-8 never uses.
const NOT_UTF8: &[&[u8]] = &[b"\x80", b"\xE2\x82", b"\xC0\xAF", b"\xED\xA0\x80", b"\xFF"];

/// Every place bytes can hide in an envelope; `{}` is where they go. With a valid "é" there
/// instead, each envelope gets the answer given here.
const PLACES: &[(&str, &str, u16, &str)] = &[
    (
        "comment in the Header",
        "<soapenv:Header><!--{}--></soapenv:Header>",
        200,
        "0000",
    ),
    (
        "comment before the envelope",
        "<!--{}--><soapenv:Envelope",
        200,
        "0000",
    ),
    (
        "processing instruction",
        "<soapenv:Header><?pi {}?></soapenv:Header>",
        400,
        "NON_SOAP",
    ),
    (
        "attribute value",
        "<soapenv:Header><h a=\"{}\"/></soapenv:Header>",
        200,
        "0000",
    ),
    (
        "namespace URI",
        "<soapenv:Header><h xmlns=\"urn:{}\"/></soapenv:Header>",
        200,
        "0000",
    ),
    (
        "text in a header block",
        "<soapenv:Header><h>{}</h></soapenv:Header>",
        200,
        "0000",
    ),
    (
        "element name",
        "<soapenv:Header><h{}/></soapenv:Header>",
        200,
        "0000",
    ),
    (
        "attribute name",
        "<soapenv:Header><h a{}=\"1\"/></soapenv:Header>",
        200,
        "0000",
    ),
    (
        "CDATA",
        "<soapenv:Header><h><![CDATA[{}]]></h></soapenv:Header>",
        200,
        "0000",
    ),
    (
        "whitespace of the Body",
        "<soapenv:Body>{}",
        400,
        "NON_SOAP",
    ),
    (
        "after the envelope",
        "</soapenv:Envelope><!--{}-->",
        200,
        "0000",
    ),
];

/// The plain sample with `replacement` (its `{}` filled with `bytes`) where it fits.
fn placed(place: &str, bytes: &[u8]) -> Vec<u8> {
    let sample = envelope("servizi/ElencoServizi.xml");
    let anchor = if place.starts_with("<soapenv:Header>") {
        "<soapenv:Header/>"
    } else if place.starts_with("<!--") {
        "<soapenv:Envelope"
    } else if place.starts_with("<soapenv:Body>") {
        "<soapenv:Body>"
    } else {
        "</soapenv:Envelope>"
    };
    let (before, after) = sample.split_once(anchor).expect("anchor in the sample");
    let (left, right) = place.split_once("{}").expect("a place for the bytes");
    let mut out = before.as_bytes().to_vec();
    out.extend_from_slice(left.as_bytes());
    out.extend_from_slice(bytes);
    out.extend_from_slice(right.as_bytes());
    out.extend_from_slice(after.as_bytes());
    out
}

#[tokio::test]
async fn bytes_that_are_not_utf8_are_malformed_xml_anywhere() -> TestResult {
    let app = spawn_app().await;
    for (name, place, status, outcome) in PLACES {
        // The same place with valid UTF-8 is read as usual: it is the bytes that are refused.
        let reply = send(&app, As::Region, &placed(place, "é".as_bytes())).await;
        assert_eq!(
            (reply.status, reply.outcome()),
            (*status, Some(*outcome)),
            "{name}: {}",
            reply.body
        );
        for bytes in NOT_UTF8 {
            let reply = send(&app, As::Region, &placed(place, bytes)).await;
            assert_eq!(
                (reply.status, reply.outcome()),
                (400, Some("XML_NON_BEN_FORMATO")),
                "{name} {bytes:x?}: {}",
                reply.body
            );
        }
    }
    // In the Body payload too, and with a declaration that says UTF-8.
    let pincode = envelope("servizi/ElencoServizi-pincode.xml");
    for bytes in NOT_UTF8 {
        let body = pincode.replace("{PINCODE}", "\u{1}").replace('\u{1}', "");
        let mut raw = body.as_bytes().to_vec();
        let at = body.find("</req:pinCode>").expect("pinCode");
        raw.splice(at..at, bytes.iter().copied());
        let reply = send(&app, As::Region, &raw).await;
        assert_eq!(
            (reply.status, reply.outcome()),
            (400, Some("XML_NON_BEN_FORMATO")),
            "{}",
            reply.body
        );
    }
    still_serving(&app).await;
    Ok(())
}

/// Large hostile envelopes from clients without credentials, four at once, each get their
/// Fault; meanwhile a region keeps calling and every call is served.
#[tokio::test]
async fn hostile_envelopes_get_their_fault_while_another_client_is_served() -> TestResult {
    let app = std::sync::Arc::new(spawn_app().await);
    let size = 900 << 10;
    let by_name = |name: &str| {
        shapes::SHAPES
            .iter()
            .find(|s| s.name == name)
            .map(|s| (s.build)(size))
            .expect("shape")
    };
    let hostile = [
        (by_name("text nodes split by comments"), "SCHEMA"),
        (by_name("text nodes split by comments"), "SCHEMA"),
        (by_name("attributes on the payload"), "TROPPI_ATTRIBUTI"),
        (
            by_name("namespace declarations + prefixed attributes"),
            "TROPPI_NAMESPACE",
        ),
    ];
    let mut attacks = Vec::new();
    for (body, code) in hostile {
        let app = app.clone();
        attacks.push(tokio::spawn(async move {
            let reply = send(&app, As::Anonymous, &body).await;
            (reply.status, reply.outcome().map(str::to_owned), code)
        }));
    }
    for _ in 0..10 {
        let reply = app.call_catalogue(As::Region).await;
        assert_eq!(
            (reply.status, reply.outcome()),
            (200, Some("0000")),
            "{}",
            reply.body
        );
    }
    for attack in attacks {
        let (status, outcome, code) = attack.await?;
        assert_eq!(outcome.as_deref(), Some(code));
        assert!(status == 400 || status == 500, "{status}");
    }
    still_serving(&app).await;
    Ok(())
}
