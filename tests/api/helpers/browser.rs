//! A minimal browser over raw HTTP/1.1 and real TLS, for the web application's tests that run
//! everywhere (the real browser's tests are `tests/browser.rs`): the session cookie and the
//! pre-login cookie, kept as a browser keeps them, forms posted urlencoded, and the hidden CSRF
//! token read from the last page.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::client::{exchange_at, exchange_over, As};
use super::reply::Reply;

pub struct Browser {
    address: SocketAddr,
    certs: PathBuf,
    who: As,
    /// `tsgate_web=<id>`, as the last `Set-Cookie` left it.
    pub cookie: Option<String>,
    /// `tsgate_prelogin=<value>`, the login form's cookie, as the last `Set-Cookie` left it.
    pub prelogin: Option<String>,
    /// The client address a load balancer relays (a PROXY protocol v2 header before TLS), for
    /// a gateway that trusts the protocol from the test's address.
    relaying: Option<SocketAddr>,
}

impl Browser {
    pub fn new(address: SocketAddr, certs: PathBuf, who: As) -> Browser {
        Browser {
            address,
            certs,
            who,
            cookie: None,
            prelogin: None,
            relaying: None,
        }
    }

    /// The same browser reaching the gateway through a load balancer that relays `client`.
    pub fn relaying(mut self, client: SocketAddr) -> Browser {
        self.relaying = Some(client);
        self
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send("GET", path, None).await
    }

    /// POSTs `fields` urlencoded.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = fields
            .iter()
            .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        self.send("POST", path, Some(body)).await
    }

    async fn send(&mut self, method: &str, path: &str, body: Option<String>) -> Reply {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             User-Agent: tsgate-tests\r\n"
        );
        let cookies: Vec<&str> = [&self.cookie, &self.prelogin]
            .into_iter()
            .filter_map(|c| c.as_deref())
            .collect();
        if !cookies.is_empty() {
            request.push_str(&format!("Cookie: {}\r\n", cookies.join("; ")));
        }
        if let Some(body) = &body {
            request.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(body.as_deref().unwrap_or(""));
        let reply = match self.relaying {
            None => {
                exchange_at(
                    self.address,
                    &self.certs,
                    self.who.clone(),
                    request.as_bytes(),
                )
                .await
            }
            Some(client) => self.exchange_relaying(client, request.as_bytes()).await,
        }
        .expect("the gateway answers");
        for (name, set) in &reply.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = set.split(';').next().unwrap_or("").trim().to_owned();
            let jar = if pair.starts_with("tsgate_prelogin=") {
                &mut self.prelogin
            } else {
                &mut self.cookie
            };
            *jar = (!set.contains("Max-Age=0")).then_some(pair);
        }
        reply
    }
}

impl Browser {
    async fn exchange_relaying(
        &self,
        client: SocketAddr,
        request: &[u8],
    ) -> std::io::Result<Reply> {
        let mut tcp = tokio::net::TcpStream::connect(self.address).await?;
        let header = tsgate::server::proxy_protocol::v2_header(client, self.address);
        tokio::io::AsyncWriteExt::write_all(&mut tcp, &header).await?;
        exchange_over(tcp, &self.certs, self.who.clone(), request).await
    }
}

impl Browser {
    /// Opens the login page and posts its form as `user_id` with `password`, and `extra`
    /// fields (the TOTP code, the captcha); the answer to the POST.
    pub async fn log_in(&mut self, user_id: &str, password: &str, extra: &[(&str, &str)]) -> Reply {
        let page = self.get("/web/login").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = csrf_of(&page);
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("user_id", user_id),
            ("password", password),
        ];
        fields.extend_from_slice(extra);
        self.post("/web/login", &fields).await
    }

    /// Opens the login page and presses "Accedi con smart card": the card is the certificate
    /// the browser's connections present. The answer to the POST.
    pub async fn log_in_with_card(&mut self) -> Reply {
        let page = self.get("/web/login").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = csrf_of(&page);
        self.post("/web/login/smart-card", &[("csrf", &csrf)]).await
    }
}

impl Browser {
    /// Posts the "Cambio Password" form with the page's token `csrf`.
    pub async fn change_password(
        &mut self,
        csrf: &str,
        current: &str,
        new: &str,
        confirm: &str,
    ) -> Reply {
        let fields = [
            ("csrf", csrf),
            ("current", current),
            ("new", new),
            ("confirm", confirm),
        ];
        self.post("/web/cambio-password", &fields).await
    }
}

/// `reply` redirects to the home: a login that let the operator in.
pub fn assert_sent_home(reply: &Reply) {
    assert_eq!(
        (reply.status, location(reply)),
        (303, "/web/"),
        "{}",
        reply.body
    );
}

/// Where a redirect sends the browser (empty if it is none).
pub fn location(reply: &Reply) -> &str {
    reply.header("location").unwrap_or("")
}

/// The CSRF token of the first form on `page`.
pub fn csrf_of(page: &Reply) -> String {
    hidden_field(page, "csrf")
}

/// The value of the first field `name` on `page` (a hidden one: the CSRF token, the captcha's
/// challenge id).
pub fn hidden_field(page: &Reply, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {}", page.body))
        + marker.len();
    let end = page.body[start..].find('"').expect("closing quote") + start;
    page.body[start..end].to_owned()
}

/// `application/x-www-form-urlencoded` for one name or value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
