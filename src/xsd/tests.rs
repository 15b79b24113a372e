//! Whole-schema tests: compile small schemas, validate documents end to end, and check that
//! every construct we do not support is refused with a useful message.

use super::*;

const NS: &str = "urn:t";

fn schema(body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t"
           targetNamespace="urn:t" elementFormDefault="qualified">
{body}
</xs:schema>"#
    )
}

fn compile(body: &str) -> SchemaSet {
    SchemaSet::compile(&[("t.xsd", &schema(body))]).unwrap_or_else(|e| panic!("{e}"))
}

fn refusal(body: &str) -> CompileError {
    match SchemaSet::compile(&[("t.xsd", &schema(body))]) {
        Ok(_) => panic!("schema should be refused:\n{body}"),
        Err(e) => e,
    }
}

fn check(set: &SchemaSet, xml: &str) -> Result<(), DocumentError> {
    validate_document(set, xml.as_bytes())
}

fn violation(set: &SchemaSet, xml: &str) -> Violation {
    match check(set, xml) {
        Err(DocumentError::Invalid(v)) => v,
        other => panic!("expected a violation for {xml}, got {other:?}"),
    }
}

const REQUEST: &str = r#"
<xs:element name="InvioRichiesta">
  <xs:complexType>
    <xs:sequence>
      <xs:element name="cfAssistito">
        <xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[A-Z0-9]{16}"/></xs:restriction></xs:simpleType>
      </xs:element>
      <xs:element name="dataInizio" type="xs:date"/>
      <xs:element name="dataFine" type="xs:date" minOccurs="0"/>
    </xs:sequence>
    <xs:attribute name="versione" type="xs:token" use="required"/>
    <xs:attribute name="canale" type="xs:decimal" fixed="1.0"/>
  </xs:complexType>
</xs:element>"#;

fn request(children: &str, attrs: &str) -> String {
    format!(r#"<t:InvioRichiesta xmlns:t="urn:t" {attrs}>{children}</t:InvioRichiesta>"#)
}

#[test]
fn valid_document_passes_and_messages_name_element_and_rule() {
    let set = compile(REQUEST);
    let ok = request(
        "<t:cfAssistito>RSSMRA80A01H501U</t:cfAssistito><t:dataInizio>2021-03-01</t:dataInizio>",
        r#"versione="1" canale="1""#,
    );
    assert!(check(&set, &ok).is_ok());

    let v = violation(
        &set,
        &request("<t:cfAssistito>ABC</t:cfAssistito>", r#"versione="1""#),
    );
    assert_eq!(v.rule, Rule::Pattern);
    assert_eq!(
        v.to_string(),
        "element 'cfAssistito' at /InvioRichiesta/cfAssistito: value 'ABC' does not match pattern '[A-Z0-9]{16}'"
    );

    let v = violation(
        &set,
        &request(
            "<t:cfAssistito>RSSMRA80A01H501U</t:cfAssistito><t:dataFine>2021-03-01</t:dataFine>",
            r#"versione="1""#,
        ),
    );
    assert_eq!(v.rule, Rule::UnexpectedElement);
    assert_eq!(
        v.to_string(),
        "element 'dataFine' at /InvioRichiesta: expected one of {dataInizio} but found 'dataFine'"
    );

    let v = violation(
        &set,
        &request(
            "<t:cfAssistito>RSSMRA80A01H501U</t:cfAssistito>",
            r#"versione="1""#,
        ),
    );
    assert_eq!(v.rule, Rule::MissingElement);
    assert_eq!(
        v.to_string(),
        "element 'InvioRichiesta' at /InvioRichiesta: missing required child 'dataInizio'"
    );
}

#[test]
fn attribute_rules() {
    let set = compile(REQUEST);
    let children =
        "<t:cfAssistito>RSSMRA80A01H501U</t:cfAssistito><t:dataInizio>2021-03-01</t:dataInizio>";
    assert_eq!(
        violation(&set, &request(children, "")).rule,
        Rule::MissingAttribute
    );
    assert_eq!(
        violation(&set, &request(children, r#"versione="1" altro="x""#)).rule,
        Rule::UnexpectedAttribute
    );
    assert_eq!(
        violation(&set, &request(children, r#"versione="1" canale="2""#)).rule,
        Rule::FixedValue
    );
    assert_eq!(
        violation(&set, &request(children, r#"versione="1" canale="x""#)).rule,
        Rule::Datatype("decimal")
    );
    // Namespace declarations and xsi:schemaLocation are not attributes; xsi:type is refused.
    let xsi = r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;
    assert!(check(
        &set,
        &request(
            children,
            &format!(r#"versione="1" {xsi} xsi:schemaLocation="urn:t t.xsd""#)
        )
    )
    .is_ok());
    assert_eq!(
        violation(
            &set,
            &request(children, &format!(r#"versione="1" {xsi} xsi:type="t:X""#))
        )
        .rule,
        Rule::Unsupported
    );
    assert_eq!(
        violation(
            &set,
            &request(children, &format!(r#"versione="1" {xsi} xsi:nil="true""#))
        )
        .rule,
        Rule::Unsupported
    );
}

#[test]
fn text_rules() {
    let set = compile(REQUEST);
    let v = violation(
        &set,
        &request("stray<t:cfAssistito>RSSMRA80A01H501U</t:cfAssistito><t:dataInizio>2021-03-01</t:dataInizio>", r#"versione="1""#),
    );
    assert_eq!(v.rule, Rule::UnexpectedText);
    let v = violation(
        &set,
        &request(
            "<t:cfAssistito>RSSMRA80A01H501U<t:x/></t:cfAssistito>",
            r#"versione="1""#,
        ),
    );
    assert_eq!(v.rule, Rule::UnexpectedElement);
    // Text in pieces (comment, CDATA, entity) is one value.
    let pieces = request(
        "<t:cfAssistito>RSSMRA80<!-- c --><![CDATA[A01H]]>&#x35;01U</t:cfAssistito><t:dataInizio>2021-03-01</t:dataInizio>",
        r#"versione="1""#,
    );
    assert!(check(&set, &pieces).is_ok());
}

#[test]
fn long_values_are_truncated_in_messages() {
    let set = compile(REQUEST);
    let long = "A".repeat(5000);
    let v = violation(
        &set,
        &request(
            &format!("<t:cfAssistito>{long}</t:cfAssistito>"),
            r#"versione="1""#,
        ),
    );
    assert!(v.message.len() < 200, "{}", v.message);
}

#[test]
fn confidential_values_never_appear_in_messages() {
    let set = SchemaSet::compile(&[(
        "t.xsd",
        &schema(
            r#"<xs:element name="Otp" xmlns:r="urn:tsgate:xsd:riservatezza" r:riservato="true">
  <xs:simpleType><xs:restriction base="xs:string"><xs:maxLength value="4"/><xs:pattern value="[A-Z]*"/></xs:restriction></xs:simpleType>
</xs:element>"#,
        ),
    )])
    .unwrap_or_else(|e| panic!("{e}"));
    for secret in ["SECRETVALUE", "ab1"] {
        let v = violation(&set, &format!(r#"<t:Otp xmlns:t="urn:t">{secret}</t:Otp>"#));
        assert!(!v.to_string().contains(secret), "{v}");
        assert!(v.message.contains("confidential"), "{v}");
        assert_eq!(v.element, "Otp");
    }
    let refused = match SchemaSet::compile(&[(
        "t.xsd",
        &schema(
            r#"<xs:element name="Otp" type="xs:string" xmlns:r="urn:tsgate:xsd:riservatezza" r:riservato="maybe"/>"#,
        ),
    )]) {
        Ok(_) => panic!("riservato=\"maybe\" must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(refused.contains("riservato"), "{refused}");
}

#[test]
fn root_and_document_level_errors() {
    let set = compile(REQUEST);
    assert_eq!(
        violation(&set, r#"<t:Altro xmlns:t="urn:t"/>"#).rule,
        Rule::UnknownRoot
    );
    assert_eq!(violation(&set, "<InvioRichiesta/>").rule, Rule::UnknownRoot);
    assert!(matches!(
        check(
            &set,
            r#"<!DOCTYPE x [<!ENTITY e "x">]><t:InvioRichiesta xmlns:t="urn:t"/>"#
        ),
        Err(DocumentError::Doctype)
    ));
    let valid = request(
        "<t:cfAssistito>RSSMRA80A01H501U</t:cfAssistito><t:dataInizio>2021-03-01</t:dataInizio>",
        r#"versione="1""#,
    );
    let malformed = [
        String::new(),
        "<t:InvioRichiesta xmlns:t=\"urn:t\" versione=\"1\">".to_owned(),
        "<t:InvioRichiesta xmlns:t=\"urn:t\" versione=\"1\"></t:Altro>".to_owned(),
        "<p:InvioRichiesta/>".to_owned(),
        format!("{valid}<t:InvioRichiesta/>"),
        format!("x{valid}"),
        valid.replace("versione=\"1\"", "versione=\"1\" versione=\"2\""),
        valid.replace("RSSMRA80A01H501U", "RSSMRA80A01H501&unknown;"),
        valid.replace("encoding", "x").replace(
            "<t:InvioRichiesta",
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><t:InvioRichiesta",
        ),
    ];
    for doc in &malformed {
        assert!(
            matches!(check(&set, doc), Err(DocumentError::Malformed { .. })),
            "{doc:?} -> {:?}",
            check(&set, doc)
        );
    }
    assert!(check(
        &set,
        &format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- c -->\n{valid}\n<?pi x?>\n")
    )
    .is_ok());
}

#[test]
fn streaming_api_directly() {
    let set = compile(REQUEST);
    let mut v = set.validator();
    let attrs = [Attribute {
        namespace: "",
        local: "versione",
        value: "1",
    }];
    v.start_element(NS, "InvioRichiesta", &attrs)
        .unwrap_or_else(|e| panic!("{e}"));
    v.text("\n  ").unwrap_or_else(|e| panic!("{e}"));
    v.start_element(NS, "cfAssistito", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    v.text("RSSMRA80").unwrap_or_else(|e| panic!("{e}"));
    v.text("A01H501U").unwrap_or_else(|e| panic!("{e}"));
    v.end_element().unwrap_or_else(|e| panic!("{e}"));
    v.start_element(NS, "dataInizio", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    v.text("2021-03-01").unwrap_or_else(|e| panic!("{e}"));
    v.end_element().unwrap_or_else(|e| panic!("{e}"));
    v.end_element().unwrap_or_else(|e| panic!("{e}"));
    assert!(v.finish().is_ok());

    let mut unfinished = set.validator();
    unfinished
        .start_element(NS, "InvioRichiesta", &attrs)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        unfinished.finish().map_err(|e| e.rule),
        Err(Rule::IncompleteDocument)
    );
    assert_eq!(
        set.validator().finish().map_err(|e| e.rule),
        Err(Rule::IncompleteDocument)
    );
}

#[test]
fn schema_set_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SchemaSet>();
}

#[test]
fn nested_content_models_choice_all_empty_and_simple_content() {
    let set = compile(
        r#"
<xs:element name="R">
  <xs:complexType>
    <xs:sequence>
      <xs:sequence maxOccurs="unbounded">
        <xs:element name="a" type="xs:int"/>
        <xs:element name="b" type="xs:int" minOccurs="0"/>
      </xs:sequence>
      <xs:choice minOccurs="0">
        <xs:element name="c" type="t:Vuoto"/>
        <xs:sequence><xs:element name="d" type="t:Nota"/><xs:element name="e" type="xs:string" minOccurs="0"/></xs:sequence>
      </xs:choice>
      <xs:element name="f" minOccurs="0">
        <xs:complexType><xs:all minOccurs="0"><xs:element name="x" type="xs:int"/><xs:element name="y" type="xs:int" minOccurs="0"/></xs:all></xs:complexType>
      </xs:element>
    </xs:sequence>
  </xs:complexType>
</xs:element>
<xs:complexType name="Vuoto"/>
<xs:complexType name="Nota">
  <xs:simpleContent><xs:extension base="xs:string"><xs:attribute name="lingua" type="xs:token" use="required"/></xs:extension></xs:simpleContent>
</xs:complexType>"#,
    );
    let doc = |inner: &str| format!(r#"<R xmlns="urn:t">{inner}</R>"#);
    for ok in [
        "<a>1</a>",
        "<a>1</a><b>2</b><a>3</a>",
        "<a>1</a><c/>",
        r#"<a>1</a><d lingua="it">ciao</d><e/>"#,
        "<a>1</a><f/>",
        "<a>1</a><f><y>2</y><x>1</x></f>",
    ] {
        assert!(
            check(&set, &doc(ok)).is_ok(),
            "{ok}: {:?}",
            check(&set, &doc(ok))
        );
    }
    for (bad, rule) in [
        ("", Rule::MissingElement),
        ("<b>2</b>", Rule::UnexpectedElement),
        ("<a>1</a><b>2</b><b>2</b>", Rule::UnexpectedElement),
        ("<a>1</a><c> </c>", Rule::UnexpectedText),
        ("<a>1</a><c><a>1</a></c>", Rule::UnexpectedElement),
        ("<a>1</a><d>ciao</d>", Rule::MissingAttribute),
        ("<a>1</a><c/><d lingua=\"it\"/>", Rule::UnexpectedElement),
        ("<a>1</a><f><y>2</y></f>", Rule::MissingElement),
        ("<a>1</a><f><x>1</x><x>1</x></f>", Rule::UnexpectedElement),
        ("<a> 1</a>", Rule::Datatype("int")),
    ] {
        assert_eq!(violation(&set, &doc(bad)).rule, rule, "{bad}");
    }
}

#[test]
fn emptiness_is_syntactic_and_cdata_is_never_ignorable() {
    let set = compile(
        r#"
<xs:element name="R">
  <xs:complexType>
    <xs:choice>
      <xs:element name="vuoto"><xs:complexType><xs:sequence/></xs:complexType></xs:element>
      <xs:element name="mai"><xs:complexType><xs:sequence><xs:element name="z" type="xs:int" minOccurs="0" maxOccurs="0"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="testo" type="xs:string"/>
    </xs:choice>
  </xs:complexType>
</xs:element>"#,
    );
    let doc = |inner: &str| format!(r#"<R xmlns="urn:t">{inner}</R>"#);
    assert_eq!(
        violation(&set, &doc("<vuoto> </vuoto>")).rule,
        Rule::UnexpectedText
    );
    assert!(check(&set, &doc("<vuoto><!-- c --></vuoto>")).is_ok());
    assert!(check(&set, &doc("<mai> </mai>")).is_ok());
    assert_eq!(
        violation(&set, &doc("<mai><z>1</z></mai>")).rule,
        Rule::UnexpectedElement
    );
    for cdata in [
        "<vuoto><![CDATA[]]></vuoto>",
        "<mai><![CDATA[ ]]></mai>",
        "<![CDATA[ ]]><testo/>",
    ] {
        assert_eq!(
            violation(&set, &doc(cdata)).rule,
            Rule::UnexpectedText,
            "{cdata}"
        );
    }
    assert!(check(&set, &doc("<testo><![CDATA[]]></testo>")).is_ok());
}

#[test]
fn imports_includes_and_element_refs_across_files() {
    let tipi = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:tipi" elementFormDefault="qualified">
  <xs:include schemaLocation="tipi-comuni.xsd"/>
  <xs:element name="Codice" type="xs:token"/>
</xs:schema>"#;
    let comuni = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:tipi">
  <xs:simpleType name="Tre"><xs:restriction base="xs:string"><xs:length value="3"/></xs:restriction></xs:simpleType>
</xs:schema>"#;
    let richiesta = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tipi="urn:tipi" targetNamespace="urn:ric" elementFormDefault="qualified">
  <xs:import namespace="urn:tipi" schemaLocation="http://example.org/xsd/tipi.xsd"/>
  <xs:element name="R"><xs:complexType><xs:sequence>
    <xs:element name="tre" type="tipi:Tre"/>
    <xs:element ref="tipi:Codice"/>
    <xs:element name="locale" type="xs:string" form="unqualified"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"#;
    let set = SchemaSet::compile(&[
        ("ric.xsd", richiesta),
        ("tipi.xsd", tipi),
        ("tipi-comuni.xsd", comuni),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let globals: Vec<(&str, &str)> = set.global_elements().collect();
    assert!(globals.contains(&("urn:ric", "R")) && globals.contains(&("urn:tipi", "Codice")));
    let ok = r#"<r:R xmlns:r="urn:ric" xmlns:tipi="urn:tipi"><r:tre>abc</r:tre><tipi:Codice>x</tipi:Codice><locale/></r:R>"#;
    assert!(check(&set, ok).is_ok(), "{:?}", check(&set, ok));
    let wrong = r#"<r:R xmlns:r="urn:ric" xmlns:tipi="urn:tipi"><r:tre>abc</r:tre><r:Codice>x</r:Codice><locale/></r:R>"#;
    assert_eq!(violation(&set, wrong).rule, Rule::UnexpectedElement);

    let missing = SchemaSet::compile(&[("ric.xsd", richiesta)])
        .map(|_| ())
        .unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("not among the loaded schema files"),
        "{missing}"
    );
}

#[test]
fn annotations_are_ignored_where_xsd_allows_them() {
    let set = compile(
        r#"<xs:annotation><xs:documentation>Servizio di prova</xs:documentation></xs:annotation>
<xs:element name="a" type="t:T"><xs:annotation><xs:appinfo><x:any xmlns:x="urn:x"/></xs:appinfo></xs:annotation></xs:element>
<xs:annotation><xs:documentation>Tra le dichiarazioni</xs:documentation></xs:annotation>
<xs:simpleType name="T"><xs:annotation/><xs:restriction base="xs:string"><xs:annotation/><xs:maxLength value="2"><xs:annotation/></xs:maxLength></xs:restriction></xs:simpleType>"#,
    );
    assert!(check(&set, r#"<a xmlns="urn:t">ok</a>"#).is_ok());
    let misplaced = refusal(
        r#"<xs:element name="a" type="xs:string"/><xs:simpleType name="T"><xs:restriction base="xs:string"/><xs:annotation/></xs:simpleType>"#,
    );
    assert!(
        misplaced.to_string().contains("must be the first child"),
        "{misplaced}"
    );
}

#[test]
fn compile_errors_name_file_construct_and_line() {
    let e = refusal("<xs:element name=\"a\">\n<xs:complexType><xs:sequence>\n<xs:any/>\n</xs:sequence></xs:complexType></xs:element>");
    assert_eq!(
        e.to_string(),
        "t.xsd: unsupported XSD construct <xs:any> (line 6)"
    );
}

#[test]
fn every_unsupported_construct_is_refused() {
    let cases: &[(&str, &str)] = &[
        (
            r#"<xs:element name="a" type="xs:string" nillable="true"/>"#,
            "nillable",
        ),
        (
            r#"<xs:element name="a" type="xs:string" default="x"/>"#,
            "'default'",
        ),
        (
            r#"<xs:element name="a" type="xs:string" fixed="x"/>"#,
            "'fixed'",
        ),
        (
            r#"<xs:element name="a" type="xs:string" substitutionGroup="t:b"/><xs:element name="b" type="xs:string"/>"#,
            "substitutionGroup",
        ),
        (
            r#"<xs:element name="a" type="xs:string" abstract="true"/>"#,
            "abstract",
        ),
        (
            r##"<xs:element name="a" type="xs:string" block="#all"/>"##,
            "block",
        ),
        (
            r##"<xs:element name="a" type="xs:string" final="#all"/>"##,
            "final",
        ),
        (r#"<xs:element name="a"/>"#, "anyType"),
        (
            r#"<xs:element name="a" type="xs:double"/>"#,
            "unsupported built-in type xs:double",
        ),
        (r#"<xs:complexType name="c" mixed="true"/>"#, "mixed"),
        (
            r#"<xs:complexType name="b"/><xs:complexType name="c"><xs:complexContent><xs:extension base="t:b"/></xs:complexContent></xs:complexType>"#,
            "<xs:complexContent>",
        ),
        (
            r#"<xs:complexType name="c"><xs:sequence><xs:any/></xs:sequence></xs:complexType>"#,
            "<xs:any>",
        ),
        (
            r#"<xs:complexType name="c"><xs:anyAttribute/></xs:complexType>"#,
            "<xs:anyAttribute>",
        ),
        (
            r#"<xs:group name="g"><xs:sequence/></xs:group>"#,
            "<xs:group>",
        ),
        (r#"<xs:attributeGroup name="g"/>"#, "<xs:attributeGroup>"),
        (
            r#"<xs:attribute name="g" type="xs:string"/>"#,
            "<xs:attribute> is not supported inside <xs:schema>",
        ),
        (
            r#"<xs:element name="a"><xs:complexType><xs:sequence><xs:element name="b" type="xs:string"/></xs:sequence></xs:complexType><xs:unique name="u"><xs:selector xpath="t:b"/><xs:field xpath="."/></xs:unique></xs:element>"#,
            "<xs:unique>",
        ),
        (
            r#"<xs:element name="a" type="xs:string"><xs:key name="k"><xs:selector xpath="."/><xs:field xpath="."/></xs:key></xs:element>"#,
            "<xs:key>",
        ),
        (r#"<xs:redefine schemaLocation="x.xsd"/>"#, "<xs:redefine>"),
        (r#"<xs:notation name="n" public="p"/>"#, "<xs:notation>"),
        (
            r#"<xs:simpleType name="l"><xs:list itemType="xs:int"/></xs:simpleType>"#,
            "<xs:list>",
        ),
        (
            r#"<xs:simpleType name="u"><xs:union memberTypes="xs:int xs:date"/></xs:simpleType>"#,
            "<xs:union>",
        ),
        (
            r#"<xs:complexType name="c"><xs:simpleContent><xs:restriction base="xs:string"/></xs:simpleContent></xs:complexType>"#,
            "<xs:restriction>",
        ),
        (
            r#"<xs:complexType name="c"><xs:attribute ref="t:x"/></xs:complexType>"#,
            "attribute reference",
        ),
        (
            r#"<xs:complexType name="c"><xs:attribute name="x"/></xs:complexType>"#,
            "anySimpleType",
        ),
        (
            r#"<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:pattern value="\i\c*"/></xs:restriction></xs:simpleType>"#,
            "\\i",
        ),
        (
            r#"<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:pattern value="[a-"/></xs:restriction></xs:simpleType>"#,
            "invalid pattern",
        ),
        (
            r#"<xs:simpleType name="s"><xs:restriction base="xs:date"><xs:minInclusive value="2020-01-01"/></xs:restriction></xs:simpleType>"#,
            "minInclusive",
        ),
        (
            r#"<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:assertion test="true()"/></xs:restriction></xs:simpleType>"#,
            "<xs:assertion>",
        ),
        (
            r#"<xs:complexType name="c"><xs:sequence><xs:element name="a" type="xs:int" minOccurs="0"/><xs:element name="a" type="xs:int"/></xs:sequence></xs:complexType>"#,
            "not deterministic",
        ),
        (
            r#"<xs:complexType name="c"><xs:choice/></xs:complexType>"#,
            "empty xs:choice",
        ),
        (r#"<xs:element name="a" type="t:Nessuno"/>"#, "not defined"),
        (
            r#"<xs:element name="a" type="u:X" xmlns:u="urn:u"/>"#,
            "does not import",
        ),
        (
            r#"<xs:simpleType name="a"><xs:restriction base="t:a"/></xs:simpleType>"#,
            "derived from itself",
        ),
        (
            r#"<xs:element name="a" type="xs:string"/><xs:element name="a" type="xs:int"/>"#,
            "duplicate",
        ),
        (
            r#"<xs:include schemaLocation="altro.xsd"/>"#,
            "not among the loaded schema files",
        ),
    ];
    for (body, expected) in cases {
        let e = refusal(body);
        let message = e.to_string();
        assert!(message.starts_with("t.xsd: "), "{message}");
        assert!(
            message.contains(expected),
            "'{message}' should mention '{expected}' for\n{body}"
        );
    }
}

#[test]
fn schema_level_refusals() {
    let block = r##"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" blockDefault="#all"/>"##;
    let e = SchemaSet::compile(&[("b.xsd", block)])
        .map(|_| ())
        .unwrap_err();
    assert!(e.to_string().contains("blockDefault"), "{e}");
    let not_schema = r#"<schema/>"#;
    assert!(SchemaSet::compile(&[("n.xsd", not_schema)]).is_err());
    let malformed = "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n<xs:element>";
    assert!(SchemaSet::compile(&[("m.xsd", malformed)]).is_err());
    let chameleon_host = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a"><xs:include schemaLocation="c.xsd"/></xs:schema>"#;
    let chameleon = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>"#;
    let e = SchemaSet::compile(&[("h.xsd", chameleon_host), ("c.xsd", chameleon)])
        .map(|_| ())
        .unwrap_err();
    assert!(e.to_string().contains("chameleon"), "{e}");
}

#[test]
fn load_dir_reads_every_xsd_file() {
    let dir = std::env::temp_dir().join(format!("tsgate-xsd-load-dir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("t.xsd"), schema(REQUEST)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("README.txt"), "not a schema").unwrap_or_else(|e| panic!("{e}"));
    let set = SchemaSet::load_dir(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let set = set.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        set.global_elements().collect::<Vec<_>>(),
        [(NS, "InvioRichiesta")]
    );
}
