//! The monitoring files (`monitoring/`) cannot drift from the gateway: every `tsgate_*` metric
//! the Prometheus alert rules and the Grafana dashboard name is in a real `/metrics` scrape of a
//! running gateway, and every label they select on is one that metric carries.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use std::time::Duration;

use regex::Regex;
use tokio::io::AsyncWriteExt;

use crate::helpers::{envelope, spawn_app_with, As, TestResult};
use tsgate::config::Quota;

const RULES: &str = "monitoring/prometheus/alerts.yml";
const DASHBOARD: &str = "monitoring/grafana/dashboards/tsgate.json";

/// What one scrape exposes: each sample name (a counter's `_total`, a histogram's `_bucket`,
/// `_sum`, `_count` included, from its `# TYPE` line even before its first sample) and the
/// labels seen on its samples.
struct Exposition {
    labels: BTreeMap<String, BTreeSet<String>>,
}

impl Exposition {
    fn parse(text: &str) -> Exposition {
        let mut labels: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for line in text.lines() {
            if let Some(declared) = line.strip_prefix("# TYPE ") {
                let mut words = declared.split_whitespace();
                let (Some(name), Some(kind)) = (words.next(), words.next()) else {
                    continue;
                };
                let names: Vec<String> = match kind {
                    "counter" => vec![format!("{name}_total")],
                    "histogram" => ["_bucket", "_sum", "_count"]
                        .iter()
                        .map(|suffix| format!("{name}{suffix}"))
                        .collect(),
                    _ => vec![name.to_owned()],
                };
                for name in names {
                    labels.entry(name).or_default();
                }
            } else if !line.starts_with('#') && !line.is_empty() {
                let name_end = line.find(['{', ' ']).unwrap_or(line.len());
                let seen = labels.entry(line[..name_end].to_owned()).or_default();
                if let Some(set) = line[name_end..]
                    .strip_prefix('{')
                    .and_then(|rest| rest.split_once('}'))
                {
                    for pair in set.0.split(',') {
                        if let Some((key, _)) = pair.split_once('=') {
                            seen.insert(key.to_owned());
                        }
                    }
                }
            }
        }
        Exposition { labels }
    }
}

/// The PromQL expressions of the rules (comment lines left out) or of the dashboard's panels
/// and variables, as one text.
fn rule_expressions() -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(RULES))
        .expect("the alert rules");
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

fn dashboard_expressions() -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(DASHBOARD))
        .expect("the dashboard");
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let mut expressions = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            expressions.push(target["expr"].as_str().expect("expr").to_owned());
        }
    }
    for variable in dashboard["templating"]["list"]
        .as_array()
        .expect("variables")
    {
        expressions.push(
            variable["query"]["query"]
                .as_str()
                .expect("query")
                .to_owned(),
        );
    }
    expressions.join("\n")
}

/// Each `tsgate_*` metric named, with the label keys its selectors use (`name{key="…"}`).
fn named_metrics(expressions: &str) -> BTreeMap<String, BTreeSet<String>> {
    let metric = Regex::new(r"\btsgate_[a-z0-9_]+").expect("regex");
    let selector = Regex::new(r#"\b(tsgate_[a-z0-9_]+)\{([^}]*)\}"#).expect("regex");
    let key = Regex::new(r#"([a-z_]+)\s*(?:=~|!~|!=|=)\s*""#).expect("regex");
    let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for found in metric.find_iter(expressions) {
        named.entry(found.as_str().to_owned()).or_default();
    }
    for found in selector.captures_iter(expressions) {
        let keys = named.entry(found[1].to_owned()).or_default();
        for pair in key.captures_iter(&found[2]) {
            // `instance` and `job` are Prometheus's, added at the scrape.
            if !matches!(&pair[1], "instance" | "job") {
                keys.insert(pair[1].to_owned());
            }
        }
    }
    named
}

/// Waits (up to 10 s) until `metric` counts something.
async fn counted(app: &crate::helpers::TestApp, metric: &str) -> bool {
    for _ in 0..100 {
        if app.metric(metric) > 0.0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn every_metric_the_rules_and_the_dashboard_name_is_exported() -> TestResult {
    // A family appears in the exposition with its first sample: traffic that gives each one its
    // first. A region over a quota of 1, an InvioOTP upload, an anonymous Fault, an unknown
    // service, a cluster limit whose Redis is not there, bytes that are not TLS, a connection
    // that sends nothing, one more unauthenticated connection than an address may hold, and a
    // web page.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let app = spawn_app_with(move |c| {
        c.throttle.default = Quota {
            per_second: 1,
            burst: 1,
        };
        c.throttle.redis_url = Some(format!("redis://{closed}/"));
        c.server.first_request_timeout_ms = 300;
        c.server.max_unauthenticated_per_address = 1;
    })
    .await;
    app.pin_clock_at_utc_noon();
    assert_eq!(app.call_catalogue(As::Region).await.status, 200);
    assert_eq!(app.call_catalogue(As::Region).await.status, 429);
    let upload = app
        .request("otp/InvioOTP-card.xml")
        .by(As::Card)
        .send()
        .await;
    assert_eq!(upload.status, 200);
    assert_eq!(app.call_catalogue(As::Anonymous).await.status, 500);
    let unknown = app
        .request_body("/ws/Nessuno", envelope("servizi/ElencoServizi.xml"))
        .by(As::Region)
        .send()
        .await;
    assert_eq!(unknown.status, 404);
    let login = app.browser(As::Anonymous).get("/web/login").await;
    assert_eq!(login.status, 200);
    let mut not_tls = tokio::net::TcpStream::connect(app.address).await?;
    not_tls.write_all(b"GET / HTTP/1.1\r\n\r\n").await?;
    let silent = app.connect(As::Anonymous).await?;
    let _excess = app.connect(As::Anonymous).await;
    for family in [
        "tsgate_tls_handshake_failures_total",
        "tsgate_connections_refused_total",
        "tsgate_connections_closed_total",
        // The register's watcher reads the server's own certificate soon after start.
        "tsgate_certificate_expiry_seconds",
    ] {
        assert!(counted(&app, family).await, "{family} never counted");
    }
    drop(silent);

    let scrape = app.admin_get("/metrics").await?;
    assert_eq!(scrape.status, 200);
    let exposition = Exposition::parse(&scrape.body);

    for (file, expressions) in [
        (RULES, rule_expressions()),
        (DASHBOARD, dashboard_expressions()),
    ] {
        let named = named_metrics(&expressions);
        assert!(named.len() >= 10, "{file} names {} metrics", named.len());
        for (metric, keys) in &named {
            let Some(exported) = exposition.labels.get(metric) else {
                panic!("{file} names {metric}, which /metrics does not export");
            };
            for key in keys {
                assert!(
                    exported.contains(key),
                    "{file} selects {metric} by label {key:?}; its samples carry {exported:?}"
                );
            }
        }
    }

    // And the traffic above is what the new families count.
    assert_eq!(
        app.metric("tsgate_http_responses_total{status=\"500\",soap_fault=\"client\"}"),
        1.0
    );
    assert_eq!(
        app.metric("tsgate_immuni_uploads_total{result=\"stored\"}"),
        1.0
    );
    Ok(())
}

#[tokio::test]
async fn web_pages_are_timed_by_route_never_by_path() -> TestResult {
    let app = spawn_app_with(|_| {}).await;
    let mut browser = app.browser(As::Anonymous);
    assert_eq!(browser.get("/web/login").await.status, 200);
    // Not logged in: sent to the administrators' login, but timed under its route.
    browser.get("/web/admin/operatori/UTENTE7SEGRETO").await;
    // A method of the client's own invention is timed as `other`: no label of its choosing.
    for method in ["BREWCOFFEE", "TEAPOT"] {
        let request =
            format!("{method} /web/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        app.exchange(As::Anonymous, request.as_bytes()).await?;
    }
    let scrape = app.admin_get("/metrics").await?;
    let body = &scrape.body;
    assert!(
        body.contains(
            r#"tsgate_web_page_duration_seconds_count{page="/web/login",method="GET"} 1"#
        ),
        "{body}"
    );
    assert!(
        body.contains(r#"page="/web/admin/operatori/{user_id}",method="GET"} 1"#),
        "{body}"
    );
    assert!(!body.contains("UTENTE7SEGRETO"), "a path reached a label");
    assert!(
        body.contains(
            r#"tsgate_web_page_duration_seconds_count{page="/web/login",method="other"} 2"#
        ),
        "{body}"
    );
    assert!(
        !body.contains("BREWCOFFEE") && !body.contains("TEAPOT"),
        "a method reached a label"
    );
    Ok(())
}
