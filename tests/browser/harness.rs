//! The real browser of the web tests: Debian's headless Chromium driven by its chromedriver over
//! WebDriver ([`super::webdriver`]), against the real gateway of `spawn_app()` over TLS.
//!
//! The browser trusts the test gateway's CA for real, as an installed root and not by skipping
//! certificate checks (`acceptInsecureCerts` is false): each browser gets its own `HOME` with an
//! NSS database (`certutil` of libnss3-tools) holding the test CA, which is where Chromium on
//! Linux reads the roots a user added.
//!
//! To add tests: a file `tests/browser/<family>.rs`, declared in `tests/browser.rs` like the
//! others, each test `#[ignore = "needs chromium and chromedriver"]` (a plain `cargo test` lists
//! it as ignored; `.ci/run` installs the packages and runs it):
//!
//! ```ignore
//! #[tokio::test]
//! #[ignore = "needs chromium and chromedriver"]
//! async fn my_story() -> TestResult {
//!     let app = spawn_app().await;
//!     let mut chrome = Chrome::open(&app, "my_story").await?;
//!     chrome.goto("/web/login").await?;
//!     chrome.fill("#user_id", OPERATOR.id).await?;
//!     chrome.click("button[type=submit]").await?;
//!     assert!(chrome.text("main").await?.contains("SERVIZI ONLINE"));
//!     chrome.screenshot("home").await?;
//!     chrome.close().await
//! }
//! ```
//!
//! Every [`Chrome::screenshot`] is an artefact of the run, `target/browser-artifacts/<test>/NN-<step>.png`;
//! [`Chrome::screenshot_for_docs`] also refreshes `docs/screenshots/<name>.png` (shown in the
//! README), but only when `TSGATE_UPDATE_SCREENSHOTS=1`, so a CI run leaves the tree as it was.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::webdriver::{Element, WebDriver};
use crate::helpers::{BoxError, TestApp};

/// The browser and its driver, as Debian's `chromium` and `chromium-driver` install them.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "chromedriver";

/// Set to `1` to rewrite `docs/screenshots/` from this run.
pub const UPDATE_SCREENSHOTS: &str = "TSGATE_UPDATE_SCREENSHOTS";

/// How long a click may take to load the next page.
const PAGE_LOAD: Duration = Duration::from_secs(20);

/// The viewport of every screenshot.
const WINDOW: (u32, u32) = (1280, 900);

/// A headless Chromium on one test gateway.
pub struct Chrome {
    driver: WebDriver,
    chromedriver: Child,
    /// `https://localhost:PORT`, the gateway as the browser reaches it.
    base: String,
    /// The browser's `HOME` (its NSS database, its profile), removed at the end.
    _home: tempfile::TempDir,
    artefacts: PathBuf,
    steps: usize,
}

impl Chrome {
    /// Starts chromedriver and a headless Chromium that trusts `app`'s CA; the screenshots of
    /// the test `test` go to `target/browser-artifacts/<test>/`.
    pub async fn open(app: &TestApp, test: &str) -> Result<Chrome, BoxError> {
        let home = tempfile::tempdir()?;
        trust_ca(home.path(), &app.certs().join("ca.pem"))?;
        let mut chromedriver = Command::new(CHROMEDRIVER)
            .arg("--port=0")
            .env("HOME", home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{CHROMEDRIVER} does not start ({e}): install chromium-driver"))?;
        let port = listening_port(&mut chromedriver).await?;
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let profile = home.path().join("profile");
        let capabilities = json!({
            "browserName": "chrome",
            "acceptInsecureCerts": false,
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    // Root in a container: Chromium's sandbox needs user namespaces it may lack.
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    "--no-proxy-server",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--hide-scrollbars",
                    "--lang=it-IT",
                    format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let driver = WebDriver::open(address, capabilities)
            .await
            .map_err(|e| format!("{CHROMIUM} does not start under chromedriver: {e}"))?;
        let artefacts = artefacts_root().join(test);
        std::fs::create_dir_all(&artefacts)?;
        // Last run's pictures of this test would mix with this run's.
        for entry in std::fs::read_dir(&artefacts)? {
            std::fs::remove_file(entry?.path())?;
        }
        Ok(Chrome {
            driver,
            chromedriver,
            base: format!("https://localhost:{}", app.address.port()),
            _home: home,
            artefacts,
            steps: 0,
        })
    }

    /// The raw WebDriver session, for what the small API here does not cover.
    pub fn driver(&self) -> &WebDriver {
        &self.driver
    }

    /// The gateway's address as the browser reaches it: `https://localhost:PORT`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Opens `path` (`/web/login`) on the gateway and waits for the page.
    pub async fn goto(&self, path: &str) -> Result<(), BoxError> {
        self.driver.navigate(&format!("{}{path}", self.base)).await
    }

    /// The path (and query) of the page shown: `/web/profilo`.
    pub async fn path(&self) -> Result<String, BoxError> {
        let url = self.driver.current_url().await?;
        Ok(url
            .strip_prefix(&self.base)
            .map(str::to_owned)
            .unwrap_or(url))
    }

    /// The first element `css` selects.
    pub async fn find(&self, css: &str) -> Result<Element, BoxError> {
        self.driver.find(css).await
    }

    /// Whether `css` selects anything on the page.
    pub async fn has(&self, css: &str) -> Result<bool, BoxError> {
        Ok(!self.driver.find_all(css).await?.is_empty())
    }

    /// Empties the field `css` selects and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) -> Result<(), BoxError> {
        let field = self.find(css).await?;
        self.driver.clear(&field).await?;
        self.driver.send_keys(&field, text).await
    }

    /// Clicks what `css` selects (a link, a submit button) and waits for the next page.
    pub async fn click(&self, css: &str) -> Result<(), BoxError> {
        let target = self.find(css).await?;
        self.click_and_wait(&target).await
    }

    /// Clicks the first button or link whose text is `label` (`CONFERMA`, `Profilo Utente`)
    /// and waits for the next page.
    pub async fn click_labelled(&self, label: &str) -> Result<(), BoxError> {
        for candidate in self
            .driver
            .find_all("button, a, input[type=submit]")
            .await?
        {
            let text = self.driver.text(&candidate).await?;
            let value = self.driver.property(&candidate, "value").await?;
            if text.trim() == label || value.as_deref() == Some(label) {
                return self.click_and_wait(&candidate).await;
            }
        }
        Err(format!(
            "no button or link labelled {label:?} on {}",
            self.path().await?
        )
        .into())
    }

    /// Clicks what `css` selects when the click loads no page (a reset button).
    pub async fn click_in_place(&self, css: &str) -> Result<(), BoxError> {
        let target = self.find(css).await?;
        self.driver.click(&target).await
    }

    /// Clicks `target`, then waits until the page it was on is gone and the next one loaded:
    /// chromedriver's own wait after a click that submits a form can return too early. The old
    /// page is marked with a property on its `window`, which the next document does not have;
    /// while the browser is between documents a script can fail (chromedriver reports a node
    /// "not belonging to the document" or a destroyed context), so such errors mean "not yet".
    async fn click_and_wait(&self, target: &Element) -> Result<(), BoxError> {
        self.driver
            .execute("window.__tsgateOldPage = true;", json!([]))
            .await?;
        self.driver.click(target).await?;
        let mut last_error = None;
        let waited = tokio::time::timeout(PAGE_LOAD, async {
            loop {
                let state = self
                    .driver
                    .execute(
                        "return window.__tsgateOldPage === undefined && document.readyState === 'complete';",
                        json!([]),
                    )
                    .await;
                match state {
                    Ok(loaded) if loaded == true => return,
                    Ok(_) => {}
                    Err(error) => last_error = Some(error.to_string()),
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        waited.map_err(|_| {
            format!(
                "no new page within {PAGE_LOAD:?} of the click (last error: {})",
                last_error.as_deref().unwrap_or("none")
            )
            .into()
        })
    }

    /// The rendered text of the first element `css` selects (`main`, `.messaggi`).
    pub async fn text(&self, css: &str) -> Result<String, BoxError> {
        let element = self.find(css).await?;
        self.driver.text(&element).await
    }

    /// The page's whole rendered text.
    pub async fn page_text(&self) -> Result<String, BoxError> {
        self.text("body").await
    }

    /// The `value` of the input `css` selects.
    pub async fn value(&self, css: &str) -> Result<String, BoxError> {
        let element = self.find(css).await?;
        Ok(self
            .driver
            .property(&element, "value")
            .await?
            .unwrap_or_default())
    }

    /// Saves the viewport as the test's next artefact, `NN-<step>.png`; returns its path.
    pub async fn screenshot(&mut self, step: &str) -> Result<PathBuf, BoxError> {
        let png = self.driver.screenshot().await?;
        self.steps += 1;
        let path = self.artefacts.join(format!("{:02}-{step}.png", self.steps));
        std::fs::write(&path, &png)?;
        Ok(path)
    }

    /// [`Chrome::screenshot`], and with `TSGATE_UPDATE_SCREENSHOTS=1` also
    /// `docs/screenshots/<name>.png`, the picture the README shows.
    pub async fn screenshot_for_docs(&mut self, step: &str, name: &str) -> Result<(), BoxError> {
        let path = self.screenshot(step).await?;
        if std::env::var(UPDATE_SCREENSHOTS).as_deref() == Ok("1") {
            let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
            std::fs::create_dir_all(&docs)?;
            std::fs::copy(&path, docs.join(format!("{name}.png")))?;
        }
        Ok(())
    }

    /// Closes the browser and stops chromedriver. A browser that does not close cleanly is
    /// reported on stderr, not failed: the test's story is over by then.
    pub async fn close(mut self) -> Result<(), BoxError> {
        if let Err(error) = self.driver.close().await {
            eprintln!("the browser did not close cleanly: {error}");
        }
        self.chromedriver.kill().await?;
        Ok(())
    }
}

impl Drop for Chrome {
    /// A test that failed half-way still closes its browser: chromedriver is killed when its
    /// handle drops, so the session is ended here first, which makes Chromium quit.
    fn drop(&mut self) {
        if self.chromedriver.id().is_some() {
            self.driver.close_blocking();
        }
    }
}

/// Where the screenshots of every test go: `target/browser-artifacts/`.
pub fn artefacts_root() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("browser-artifacts")
}

/// Makes `ca` a trusted root of the browser whose `HOME` is `home`: a new NSS database in
/// `~/.pki/nssdb` with `ca` added as a CA for TLS servers (`-t C,,`).
fn trust_ca(home: &Path, ca: &Path) -> Result<(), BoxError> {
    let db = home.join(".pki/nssdb");
    std::fs::create_dir_all(&db)?;
    let db = format!("sql:{}", db.display());
    certutil(&["-N", "-d", &db, "--empty-password"])?;
    let ca = ca.to_string_lossy();
    certutil(&[
        "-A",
        "-d",
        &db,
        "-n",
        "tsgate test CA",
        "-t",
        "C,,",
        "-i",
        &ca,
    ])
}

fn certutil(args: &[&str]) -> Result<(), BoxError> {
    let output = std::process::Command::new("certutil")
        .args(args)
        .output()
        .map_err(|e| format!("certutil does not run ({e}): install libnss3-tools"))?;
    if !output.status.success() {
        return Err(format!(
            "certutil {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

/// The port chromedriver prints once it listens (`--port=0` lets it pick a free one).
async fn listening_port(chromedriver: &mut Child) -> Result<u16, BoxError> {
    let stdout = chromedriver
        .stdout
        .take()
        .ok_or("chromedriver's output is not captured")?;
    let mut lines = BufReader::new(stdout).lines();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                let port = rest.trim_end_matches('.').trim().parse::<u16>()?;
                // Keep reading (and discarding) its output, so it never blocks on a full pipe.
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                return Ok::<u16, BoxError>(port);
            }
        }
        Err("chromedriver exited before listening".into())
    })
    .await
    .map_err(|_| "chromedriver did not start listening within 30 s")??;
    Ok(found)
}

/// A WebDriver cookie as [`WebDriver::cookies`] lists it: its name and value.
pub fn cookie_pair(cookie: &Value) -> Option<(String, String)> {
    Some((
        cookie.get("name")?.as_str()?.to_owned(),
        cookie.get("value")?.as_str()?.to_owned(),
    ))
}
