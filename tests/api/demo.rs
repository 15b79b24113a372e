//! `tsgate demo`'s directory (the other tests have a fixture of their own): once prepared, a
//! gateway on it serves a region, the operator and the demo MMG with the secrets the demo wrote;
//! prepared again, it reuses what exists — the same CA, the same secrets, the same registry.

use std::net::SocketAddr;

use tsgate::demo::{self, Demo};
use tsgate::startup::Application;

use crate::helpers::browser::{csrf_of, location, Browser};
use crate::helpers::{basic, As, Reply, Request, Target, TestResult};

/// A gateway serving the demo directory: its address, and how to stop it.
struct Served {
    address: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn serve(demo: &Demo) -> Result<Served, crate::helpers::BoxError> {
    let application = Application::build(demo.config.clone()).await?;
    let address = application.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(application.run_until(async {
        let _ = stopped.await;
    }));
    Ok(Served {
        address,
        stop,
        task,
    })
}

/// Sample `sample` to the demo gateway at `address`, as `user` with the demo's secrets, or as
/// region 120 when `user` is `None`.
async fn call(demo: &Demo, address: SocketAddr, sample: &str, user: Option<&str>) -> Reply {
    let secrets = (
        demo.operator_password.as_str(),
        demo.operator_pincode.as_str(),
    );
    call_with(demo, address, sample, user.map(|user| (user, secrets))).await
}

/// Sample `sample` as `user` with a password and pincode, or as region 120.
async fn call_with(
    demo: &Demo,
    address: SocketAddr,
    sample: &str,
    user: Option<(&str, (&str, &str))>,
) -> Reply {
    let target = Target::new(address, &demo.dir.join("certs"));
    let request = Request::sample(target, sample)
        .set("{PATIENT}", demo.mmg_patient.as_deref().unwrap_or_default());
    match user {
        Some((user, (password, pincode))) => request
            .pincode(pincode)
            .header("Authorization", &basic(user, password)),
        None => request.by(As::Region),
    }
    .send()
    .await
}

/// `tsgate users <args> --dir <the demo's>` with `env`, as the README walks through it.
fn users(demo: &Demo, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .arg("users")
        .args(args)
        .arg("--dir")
        .arg(&demo.dir)
        .env_remove("TSGATE_PASSWORD")
        .env_remove("TSGATE_NEW_PASSWORD")
        .envs(env.iter().copied())
        .output()
        .expect("tsgate runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The first-login operator as the banner and the README walk it: only the password and the
/// first half of the pincode are printed; the password is changed (`users passwd`), then the
/// second half read (`users pincode`), and first + second half authenticate a call.
async fn first_login_walk(demo: &Demo, address: SocketAddr) {
    let first_half = demo
        .first_login_pincode_first_half
        .clone()
        .expect("printed by the run that registered it");
    assert!(first_half.len() == 5 && first_half.bytes().all(|b| b.is_ascii_digit()));
    let user = demo::DEMO_FIRST_LOGIN_ID;
    let initial = demo.operator_password.as_str();
    let (ok, _, err) = users(
        demo,
        &["pincode", "--user-id", user],
        &[("TSGATE_PASSWORD", initial)],
    );
    assert!(!ok && err.contains("change it first"), "{err}");
    let new = "Laura-Sceglie-2026";
    let (ok, _, err) = users(
        demo,
        &["passwd", "--user-id", user],
        &[("TSGATE_PASSWORD", initial), ("TSGATE_NEW_PASSWORD", new)],
    );
    assert!(ok, "{err}");
    let (ok, out, err) = users(
        demo,
        &["pincode", "--user-id", user],
        &[("TSGATE_PASSWORD", new)],
    );
    assert!(ok, "{err}");
    let second_half = out
        .lines()
        .find_map(|l| l.strip_prefix("pincode_second_half="))
        .unwrap_or_else(|| panic!("no second half: {out}"));
    let pincode = format!("{first_half}{second_half}");
    let served = call_with(
        demo,
        address,
        "servizi/ElencoServizi-pincode.xml",
        Some((user, (new, &pincode))),
    )
    .await;
    assert_eq!(served.cod_esito(), Some("0000"), "{}", served.body);
}

/// A region, the operator and the demo MMG are each served; the first-login operator, with the
/// operator's pincode, is not.
async fn assert_serves_its_callers(demo: &Demo, address: SocketAddr) {
    let region = call(demo, address, "servizi/ElencoServizi.xml", None).await;
    assert_eq!(region.cod_esito(), Some("0000"), "{}", region.body);
    let operator = call(
        demo,
        address,
        "servizi/ElencoServizi-pincode.xml",
        Some(demo::DEMO_OPERATOR_ID),
    )
    .await;
    assert_eq!(operator.cod_esito(), Some("0000"), "{}", operator.body);
    let first_login = call(
        demo,
        address,
        "servizi/ElencoServizi-pincode.xml",
        Some(demo::DEMO_FIRST_LOGIN_ID),
    )
    .await;
    assert_eq!(
        (first_login.status, first_login.outcome()),
        (500, Some("CREDENZIALI_INVALIDE")),
        "a pincode of its own: {}",
        first_login.body
    );
    let patients = call(
        demo,
        address,
        "sierologici/ElencoAssistiti.xml",
        Some(demo::DEMO_MMG_ID),
    )
    .await;
    assert_eq!(patients.cod_esito(), Some("0000"), "{}", patients.body);
    assert_eq!(
        patients.texts("cfAssistito").len(),
        5,
        "the demo pins five staff patients: {}",
        patients.body
    );
}

#[tokio::test]
async fn the_demo_directory_serves_its_callers_and_is_reused_as_it_is() -> TestResult {
    let dir = tempfile::tempdir()?;
    let listen = "127.0.0.1:0".parse()?;
    let first = demo::prepare(dir.path(), listen).await?;
    assert!(first.mmg_patient.is_some(), "the demo MMG has patients");
    // A sandbox's calls work as printed however old it is: its passwords never expire, in the
    // settings it runs with and in the file `tsgate serve --config` would read.
    let written = tsgate::config::Config::load(&dir.path().join("tsgate.toml"))?;
    assert_eq!(
        (
            first.config.auth.password_max_age_days,
            written.auth.password_max_age_days
        ),
        (0.0, 0.0)
    );
    let ca = std::fs::read_to_string(dir.path().join("certs/ca.pem"))?;
    let served = serve(&first).await?;
    assert_serves_its_callers(&first, served.address).await;
    first_login_walk(&first, served.address).await;
    let _ = served.stop.send(());
    served.task.await??;

    let again = demo::prepare(dir.path(), listen).await?;
    assert_eq!(
        (&again.operator_password, &again.operator_pincode),
        (&first.operator_password, &first.operator_pincode)
    );
    assert_eq!(again.mmg_patient, first.mmg_patient);
    assert_eq!(
        again.first_login_pincode_first_half,
        first.first_login_pincode_first_half
    );
    assert_eq!(again.admin_passwords, first.admin_passwords);
    let store = tsgate::store::connect(&again.config.store.url).await?;
    for (id, password) in [
        (demo::DEMO_CENTRAL_ADMIN_ID, &again.admin_passwords.0),
        (demo::DEMO_ASL_ADMIN_ID, &again.admin_passwords.1),
    ] {
        let lockout = tsgate::identity::identify::lockout_policy(&again.config.auth);
        tsgate::admin::administrators::authenticate(
            store.as_ref(),
            lockout,
            id,
            password,
            chrono::Utc::now(),
        )
        .await?;
    }
    let operators = tsgate::store::Directory::list_users(
        store.directory(),
        Some((
            tsgate::domain::RegionCode::parse(demo::DEMO_REGION)?,
            tsgate::domain::AslCode::parse(demo::DEMO_ASL)?,
        )),
    )
    .await?;
    assert_eq!(
        operators.len(),
        5,
        "ASL 201's administrator has every demo user (the first-login one too)"
    );
    store.close().await;
    assert_eq!(
        std::fs::read_to_string(dir.path().join("certs/ca.pem"))?,
        ca
    );
    let served = serve(&again).await?;
    assert_serves_its_callers(&again, served.address).await;
    Ok(())
}

/// The first login the banner prints for the web application, walked as printed:
/// `DEMONUOVO01` with the operator's password is sent to "Cambio Password" and nowhere else;
/// once it chose its own, the page shows the second half of its pincode and "Prosegui" opens
/// the home; `DEMOOP01` goes to the home at once.
#[tokio::test]
async fn the_demos_web_first_login_works_as_printed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let demo = demo::prepare(dir.path(), "127.0.0.1:0".parse()?).await?;
    let served = serve(&demo).await?;
    let banner = demo::banner(&demo, served.address);
    for printed in [
        "/web/login",
        "/web/admin/accesso",
        demo::DEMO_FIRST_LOGIN_ID,
        "Cambio Password",
        "Prosegui",
    ] {
        assert!(banner.contains(printed), "{printed:?} not in: {banner}");
    }
    let browser = || Browser::new(served.address, demo.dir.join("certs"), As::Anonymous);
    let password = demo.operator_password.as_str();

    let mut first = browser();
    let login = first.log_in(demo::DEMO_FIRST_LOGIN_ID, password, &[]).await;
    assert_eq!(location(&login), "/web/cambio-password", "{}", login.body);
    assert_eq!(location(&first.get("/web/").await), "/web/cambio-password");
    let page = first.get("/web/cambio-password").await;
    let new = "Laura-Sceglie-2026";
    let shown = first
        .change_password(&csrf_of(&page), password, new, new)
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(
        shown.body.contains("id=\"seconda-parte\""),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("Prosegui"), "{}", shown.body);
    assert_eq!(first.get("/web/").await.status, 200);

    let mut ready = browser();
    let login = ready.log_in(demo::DEMO_OPERATOR_ID, password, &[]).await;
    assert_eq!(location(&login), "/web/", "{}", login.body);
    let _ = served.stop.send(());
    served.task.await??;
    Ok(())
}
