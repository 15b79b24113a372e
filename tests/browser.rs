//! The web application in a real browser (issue #11): Debian's headless Chromium, driven over
//! WebDriver by its chromedriver, against the real gateway over TLS with the test CA installed
//! as a trusted root. The harness and how to add tests: `tests/browser/harness.rs`. Every test
//! is `#[ignore = "needs chromium and chromedriver"]`; `.ci/run` installs `chromium`,
//! `chromium-driver` and `libnss3-tools` and runs them. Screenshots of each step:
//! `target/browser-artifacts/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

#[allow(dead_code, unused_imports)] // the helpers of every API test; the browser uses a few
#[path = "api/helpers/mod.rs"]
mod helpers;

#[allow(dead_code)] // an API for every browser test; each uses a part
#[path = "browser/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "browser/webdriver.rs"]
mod webdriver;

#[path = "browser/first_login.rs"]
mod first_login;
#[path = "browser/manuals.rs"]
mod manuals;
#[path = "browser/profile.rs"]
mod profile;
#[path = "browser/session.rs"]
mod session;
#[path = "browser/totp.rs"]
mod totp;
#[path = "browser/web_admin.rs"]
mod web_admin;

#[path = "browser/medico.rs"]
mod medico;

#[path = "browser/otp.rs"]
mod otp;
