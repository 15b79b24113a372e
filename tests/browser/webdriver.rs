//! A small WebDriver (W3C) client: JSON over plain HTTP/1.1 to a chromedriver on loopback,
//! one hyper connection a command. Only the commands the browser tests use; no new crate, and
//! so no second TLS or crypto stack (chromedriver is on 127.0.0.1, the gateway's TLS is the
//! browser's business).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;

use crate::helpers::BoxError;

/// The W3C key of an element reference in a command's answer.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver's address and the session it opened.
pub struct WebDriver {
    address: SocketAddr,
    session: String,
}

/// An element of the current page, as WebDriver names it.
#[derive(Debug, Clone)]
pub struct Element(String);

/// One command to `address`; the answer's `value`, or the WebDriver error with its message.
pub async fn command(
    address: SocketAddr,
    method: http::Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value, BoxError> {
    let tcp = TcpStream::connect(address).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    let driving = tokio::spawn(connection);
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = http::Request::builder()
        .method(method.clone())
        .uri(path)
        .header(http::header::HOST, address.to_string())
        .header(
            http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )
        .body(Full::new(Bytes::from(body)))?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    driving.abort();
    let answer: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{method} {path}: not JSON ({e}): {bytes:?}"))?;
    let value = answer.get("value").cloned().unwrap_or(Value::Null);
    if !status.is_success() {
        let error = value.get("error").and_then(Value::as_str).unwrap_or("?");
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(format!("{method} {path}: {status} {error}: {message}").into());
    }
    Ok(value)
}

impl WebDriver {
    /// Opens a session with `capabilities` (`alwaysMatch`).
    pub async fn open(address: SocketAddr, capabilities: Value) -> Result<WebDriver, BoxError> {
        let value = command(
            address,
            http::Method::POST,
            "/session",
            Some(json!({ "capabilities": { "alwaysMatch": capabilities } })),
        )
        .await?;
        let session = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no sessionId in {value}"))?
            .to_owned();
        Ok(WebDriver { address, session })
    }

    async fn call(
        &self,
        method: http::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, BoxError> {
        let path = format!("/session/{}{path}", self.session);
        command(self.address, method, &path, body).await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, BoxError> {
        self.call(http::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Result<Value, BoxError> {
        self.call(http::Method::GET, path, None).await
    }

    /// Ends the session (the browser closes).
    pub async fn close(&self) -> Result<(), BoxError> {
        self.call(http::Method::DELETE, "", None).await.map(|_| ())
    }

    /// Ends the session without a runtime (from a `Drop`): a bare `DELETE` over a blocking
    /// socket, answer not awaited beyond a few seconds. Failures are ignored: it is a clean-up.
    pub fn close_blocking(&self) {
        use std::io::{Read, Write};
        let Ok(mut tcp) =
            std::net::TcpStream::connect_timeout(&self.address, Duration::from_secs(2))
        else {
            return;
        };
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.session, self.address
        );
        if tcp.write_all(request.as_bytes()).is_ok() {
            let _ = tcp.read_to_end(&mut Vec::new());
        }
    }

    /// Loads `url` and waits for the page to be loaded.
    pub async fn navigate(&self, url: &str) -> Result<(), BoxError> {
        self.post("/url", json!({ "url": url })).await.map(|_| ())
    }

    pub async fn current_url(&self) -> Result<String, BoxError> {
        string(self.get("/url").await?)
    }

    pub async fn title(&self) -> Result<String, BoxError> {
        string(self.get("/title").await?)
    }

    /// The page's DOM serialised, as it is now.
    pub async fn source(&self) -> Result<String, BoxError> {
        string(self.get("/source").await?)
    }

    /// The first element `css` selects; an error naming the selector if there is none.
    pub async fn find(&self, css: &str) -> Result<Element, BoxError> {
        let value = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .await
            .map_err(|e| format!("no element {css:?}: {e}"))?;
        element(&value)
    }

    /// Every element `css` selects (none is not an error).
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>, BoxError> {
        let value = self
            .post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .await?;
        value
            .as_array()
            .ok_or_else(|| format!("not a list: {value}"))?
            .iter()
            .map(element)
            .collect()
    }

    pub async fn clear(&self, element: &Element) -> Result<(), BoxError> {
        self.post(&format!("/element/{}/clear", element.0), json!({}))
            .await
            .map(|_| ())
    }

    /// Types `text` into `element`, key by key, as a user would.
    pub async fn send_keys(&self, element: &Element, text: &str) -> Result<(), BoxError> {
        self.post(
            &format!("/element/{}/value", element.0),
            json!({ "text": text }),
        )
        .await
        .map(|_| ())
    }

    /// Clicks `element`; a click that submits a form returns once the next page is loaded.
    pub async fn click(&self, element: &Element) -> Result<(), BoxError> {
        self.post(&format!("/element/{}/click", element.0), json!({}))
            .await
            .map(|_| ())
    }

    /// The element's rendered text.
    pub async fn text(&self, element: &Element) -> Result<String, BoxError> {
        string(self.get(&format!("/element/{}/text", element.0)).await?)
    }

    /// An attribute or property of `element` (`value` of an input, say); `None` if unset.
    pub async fn property(
        &self,
        element: &Element,
        name: &str,
    ) -> Result<Option<String>, BoxError> {
        let value = self
            .get(&format!("/element/{}/property/{name}", element.0))
            .await?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Runs `script` in the page (WebDriver's own channel, which the page's CSP does not
    /// govern): for the tests that must do what no user can, like dropping a hidden field.
    pub async fn execute(&self, script: &str, args: Value) -> Result<Value, BoxError> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Result<Vec<u8>, BoxError> {
        use base64::Engine;
        let encoded = string(self.get("/screenshot").await?)?;
        Ok(base64::engine::general_purpose::STANDARD.decode(encoded)?)
    }

    /// The cookies the browser holds for the current page, as WebDriver reports them.
    pub async fn cookies(&self) -> Result<Vec<Value>, BoxError> {
        let value = self.get("/cookie").await?;
        Ok(value.as_array().cloned().unwrap_or_default())
    }

    /// Gives the browser `cookie` (a WebDriver cookie object) for the current page's site.
    pub async fn add_cookie(&self, cookie: Value) -> Result<(), BoxError> {
        self.post("/cookie", json!({ "cookie": cookie }))
            .await
            .map(|_| ())
    }

    pub async fn delete_cookies(&self) -> Result<(), BoxError> {
        self.call(http::Method::DELETE, "/cookie", None)
            .await
            .map(|_| ())
    }
}

fn string(value: Value) -> Result<String, BoxError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("not a string: {value}").into())
}

fn element(value: &Value) -> Result<Element, BoxError> {
    value
        .get(ELEMENT_KEY)
        .and_then(Value::as_str)
        .map(|id| Element(id.to_owned()))
        .ok_or_else(|| format!("not an element: {value}").into())
}
