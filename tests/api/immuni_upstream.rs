//! An Immuni OTP backend inside the test (docs/design.md "Testing"): a small HTTP/1.1 server over
//! plain TCP that follows `docs/immuni-upstream.md` — exact content type, exactly two JSON
//! members, 204 / 409 / 400 — written independently of the gateway's own simulator, and able to
//! misbehave on demand (any status, hang, garbage, hang up) to drive every failure path of the
//! client.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the backend answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// As the contract says.
    Contract,
    /// This status with the contract's generic error body.
    Status(u16),
    /// Reads the request and never answers.
    Hang,
    /// Answers bytes that are not HTTP.
    Garbage,
    /// Reads the request and closes the connection.
    HangUp,
}

#[derive(Default)]
struct State {
    behaviour: Mutex<Option<Behaviour>>,
    /// Live OTPs (as received) and when they expire.
    live: Mutex<HashMap<String, Instant>>,
    received: AtomicUsize,
    connections: AtomicUsize,
    /// Requests that broke the contract's form (content type, members): must stay 0.
    malformed: AtomicUsize,
}

pub struct Upstream {
    pub url: String,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    pub async fn start(behaviour: Behaviour) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(State::default());
        *state.behaviour.lock().expect("lock") = Some(behaviour);
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Upstream { url, state, task }
    }

    pub fn set(&self, behaviour: Behaviour) {
        *self.state.behaviour.lock().expect("lock") = Some(behaviour);
    }

    /// Requests received so far (each counted once it was read whole).
    pub fn received(&self) -> usize {
        self.state.received.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Requests whose form broke the contract (wrong content type, members, path).
    pub fn malformed(&self) -> usize {
        self.state.malformed.load(Ordering::SeqCst)
    }
}

/// One keep-alive connection: requests until the client closes.
async fn serve(mut stream: TcpStream, state: Arc<State>) {
    loop {
        let Some(request) = read_request(&mut stream).await else {
            return;
        };
        state.received.fetch_add(1, Ordering::SeqCst);
        let behaviour = state
            .behaviour
            .lock()
            .expect("lock")
            .unwrap_or(Behaviour::Contract);
        let (status, body) = match behaviour {
            Behaviour::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Behaviour::HangUp => return,
            Behaviour::Garbage => {
                let _ = stream.write_all(b"\x16\x03garbage, not HTTP\r\n\r\n").await;
                return;
            }
            Behaviour::Status(status) => (status, ERROR_1000),
            Behaviour::Contract => judge(&request, &state),
        };
        let reason = match status {
            204 => "No Content",
            400 => "Bad Request",
            409 => "Conflict",
            _ => "Other",
        };
        let head = if body.is_empty() {
            format!("HTTP/1.1 {status} {reason}\r\ncontent-length: 0\r\n\r\n")
        } else {
            format!(
                "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
        };
        if stream.write_all(head.as_bytes()).await.is_err()
            || stream.write_all(body.as_bytes()).await.is_err()
        {
            return;
        }
    }
}

const ERROR_1000: &str = r#"{"error_code":1000,"message":"An unknown error occurred."}"#;
const ERROR_1001: &str =
    r#"{"error_code":1001,"message":"Request not compliant with the defined schema."}"#;
const ERROR_1400: &str = r#"{"error_code":1400,"message":"OTP already authorized."}"#;

struct Request {
    method: String,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// The contract's answer to a request.
fn judge(request: &Request, state: &State) -> (u16, &'static str) {
    let form_ok = request.method == "POST"
        && request.path == "/v1/otp"
        && request.content_type.as_deref() == Some("application/json; charset=utf-8");
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&request.body) else {
        state.malformed.fetch_add(1, Ordering::SeqCst);
        return (400, ERROR_1000);
    };
    let members = json.as_object().filter(|m| m.len() == 2);
    let otp = members.and_then(|m| m.get("otp")?.as_str());
    let date = members.and_then(|m| m.get("symptoms_started_on")?.as_str());
    let (Some(otp), Some(date), true) = (otp, date, form_ok) else {
        state.malformed.fetch_add(1, Ordering::SeqCst);
        return (400, ERROR_1001);
    };
    if !otp_valid(otp) || !date_in_window(date) {
        return (400, ERROR_1001);
    }
    let now = Instant::now();
    let mut live = state.live.lock().expect("lock");
    live.retain(|_, expires| *expires > now);
    if live.contains_key(otp) {
        return (409, ERROR_1400);
    }
    live.insert(otp.to_owned(), now + Duration::from_secs(150));
    (204, "")
}

/// Ten characters of the alphabet with the right check character (the contract's algorithm,
/// written out here again so the test does not trust the gateway's own).
fn otp_valid(otp: &str) -> bool {
    const ALPHABET: &str = "AEFHIJKLQRSUWXYZ123456789";
    const ODD: [(char, u32); 25] = [
        ('A', 1),
        ('E', 9),
        ('F', 13),
        ('H', 17),
        ('I', 19),
        ('J', 21),
        ('K', 2),
        ('L', 4),
        ('Q', 6),
        ('R', 8),
        ('S', 12),
        ('U', 16),
        ('W', 22),
        ('X', 25),
        ('Y', 24),
        ('Z', 23),
        ('1', 0),
        ('2', 5),
        ('3', 7),
        ('4', 9),
        ('5', 13),
        ('6', 15),
        ('7', 17),
        ('8', 19),
        ('9', 21),
    ];
    let chars: Vec<char> = otp.chars().collect();
    if chars.len() != 10 || !chars.iter().all(|c| ALPHABET.contains(*c)) {
        return false;
    }
    let sum: u32 = chars[..9]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if i % 2 == 0 {
                ODD.iter().find(|(k, _)| *k == c).map_or(0, |(_, v)| *v)
            } else if let Some(d) = c.to_digit(10) {
                d
            } else {
                u32::from(c) - u32::from('A')
            }
        })
        .sum();
    ALPHABET.chars().nth((sum % 25) as usize) == Some(chars[9])
}

/// `yyyy-MM-dd`, not after the backend's (UTC) today, at most 180 days before it.
fn date_in_window(text: &str) -> bool {
    let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") else {
        return false;
    };
    let today = chrono::Utc::now().date_naive();
    text.len() == 10 && date <= today && (today - date).num_days() <= 180
}

/// Reads one request (head + Content-Length body); `None` when the client closed.
async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, path) = (
        request_line.next()?.to_owned(),
        request_line.next()?.to_owned(),
    );
    let mut content_type = None;
    let mut length = 0usize;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => content_type = Some(value.trim().to_owned()),
            "content-length" => length = value.trim().parse().ok()?,
            _ => {}
        }
    }
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        content_type,
        body,
    })
}

#[test]
fn the_check_character_of_the_contract_examples() {
    assert!(otp_valid("KJ23IWY5UJ"));
    assert!(otp_valid("9K2RAY8UUQ"));
    assert!(!otp_valid("KJ23IWY5UA"));
    assert!(!otp_valid("KJ23IWY5U"));
}
