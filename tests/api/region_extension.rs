//! Regions on Sierologici and ASL (issue 8, item 13): not in the seeds (§3.3 names only doctors,
//! §4.2 only ASL users), so refused by default; with `[extensions]
//! region_callers_on_sierologici_asl = true` a region acts only for MMGs and ASLs of its own
//! region, declares `tipoAutenticazione` as InvioOTP does, and the log keeps it.

use tsgate::domain::{AslCode, OperatorCf, RegionCode};
use tsgate::store::{Mmg, Substitution};

use crate::helpers::{
    seed, spawn_app, spawn_app_with, As, Reply, TestApp, TestResult, ASL_OPERATOR, MMG,
};

/// An MMG of Lombardia (030), not of region 120.
const OTHER_REGION_MMG: &str = "RSSMRA70A01F205V";

async fn as_region(app: &TestApp, sample: &str) -> Reply {
    app.request(sample).by(As::Region).send().await
}

/// The extension on, and region 120 enabled for both services.
async fn extended_app() -> TestApp {
    let app =
        spawn_app_with(|config| config.extensions.region_callers_on_sierologici_asl = true).await;
    app.enable_region("Sierologici").await;
    app.enable_region("ASL").await;
    app
}

#[tokio::test]
async fn by_default_a_region_calls_neither_sierologici_nor_asl() -> TestResult {
    let app = spawn_app().await;
    app.enable_region("Sierologici").await;
    app.enable_region("ASL").await;
    for sample in [
        "sierologici/ElencoAssistiti-regione.xml",
        "sierologici/InvioTest-regione.xml",
        "asl/InvioNumeroTest-regione.xml",
    ] {
        let reply = as_region(&app, sample).await;
        assert_eq!(reply.answer(), (Some("9999"), Some("9001")), "{sample}");
    }
    let catalogue = app.call_catalogue(As::Region).await;
    let services = catalogue.texts("nome");
    assert!(
        !services.contains(&"Sierologici") && !services.contains(&"ASL"),
        "{}",
        catalogue.body
    );
    Ok(())
}

#[tokio::test]
async fn with_the_extension_a_region_acts_for_its_own_mmgs_and_the_log_keeps_the_authentication(
) -> TestResult {
    let app = extended_app().await;
    let catalogue = app.call_catalogue(As::Region).await;
    assert!(
        catalogue.texts("nome").contains(&"Sierologici"),
        "{}",
        catalogue.body
    );

    let list = as_region(&app, "sierologici/ElencoAssistiti-regione.xml").await;
    assert_eq!(list.outcome(), Some("0000"), "{}", list.body);
    let entry = app.logged(&list).await;
    assert_eq!(
        (
            entry.region.as_deref(),
            entry.operator_cf.as_deref(),
            entry.declared_auth.as_deref(),
            entry.titolare_cf.as_deref()
        ),
        (Some(seed::REGION), Some(MMG.cf), Some("SPID"), Some(MMG.cf))
    );

    let sent = as_region(&app, "sierologici/InvioTest-regione.xml").await;
    assert_eq!(sent.outcome(), Some("0000"), "{}", sent.body);
    assert_eq!(
        app.logged(&sent).await.declared_auth.as_deref(),
        Some("CNS")
    );
    let send_id = sent.transaction_id().expect("id").to_owned();
    let listed = as_region(&app, "sierologici/ElencoTest-regione.xml").await;
    assert!(
        listed
            .texts("idTransazioneInvio")
            .contains(&send_id.as_str()),
        "{}",
        listed.body
    );
    let cancelled = app
        .request("sierologici/AnnullaTest-regione.xml")
        .by(As::Region)
        .set("{SEND_ID}", &send_id)
        .send()
        .await;
    assert_eq!(cancelled.outcome(), Some("0000"), "{}", cancelled.body);

    // Without the declared authentication: refused, and logged as refused.
    let bare = as_region(
        &app,
        "sierologici/ElencoAssistiti-regione-senza-autenticazione.xml",
    )
    .await;
    assert_eq!(bare.answer(), (Some("9999"), Some("1017")));
    assert_eq!(app.logged(&bare).await.outcome, "9999");

    // A doctor of another region, as the operator or as the titolare.
    let patients = app.store().patients();
    patients
        .upsert_mmgs(&[Mmg {
            cf: OperatorCf::parse(OTHER_REGION_MMG)?,
            surname: "ROSSI".into(),
            name: "MARIO".into(),
            region_code: RegionCode::parse("030")?,
            asl_code: AslCode::parse("301")?,
        }])
        .await?;
    let other = as_region(
        &app,
        "sierologici/ElencoAssistiti-regione-altra-regione.xml",
    )
    .await;
    assert_eq!(
        other.answer(),
        (Some("9999"), Some("1019")),
        "{}",
        other.body
    );
    app.store()
        .substitutions()
        .add(&Substitution {
            titolare_cf: OperatorCf::parse(OTHER_REGION_MMG)?,
            substitute_cf: OperatorCf::parse(MMG.cf)?,
            from: app.today(),
            to: app.today(),
        })
        .await?;
    let other = as_region(
        &app,
        "sierologici/ElencoAssistiti-regione-titolare-altra-regione.xml",
    )
    .await;
    assert_eq!(
        other.answer(),
        (Some("9999"), Some("1020")),
        "{}",
        other.body
    );

    // A doctor whose registered CF has a wrong check letter (as some legacy records do): the
    // region's call only warns.
    let odd = "BNCGNN65C12H501X";
    patients
        .upsert_mmgs(&[Mmg {
            cf: OperatorCf::parse(odd)?,
            surname: "BIANCHI".into(),
            name: "GIOVANNI".into(),
            region_code: RegionCode::parse(seed::REGION)?,
            asl_code: AslCode::parse(seed::ASL)?,
        }])
        .await?;
    let warned = app
        .request("sierologici/ElencoAssistiti-regione.xml")
        .by(As::Region)
        .replace(MMG.cf, odd)
        .send()
        .await;
    assert_eq!(
        warned.answer(),
        (Some("0001"), Some("1002")),
        "{}",
        warned.body
    );
    Ok(())
}

#[tokio::test]
async fn with_the_extension_a_region_sends_counts_only_for_its_own_asls() -> TestResult {
    let app = extended_app().await;
    let sent = as_region(&app, "asl/InvioNumeroTest-regione.xml").await;
    assert_eq!(sent.outcome(), Some("0000"), "{}", sent.body);
    let entry = app.logged(&sent).await;
    assert_eq!(
        (entry.operator_cf.as_deref(), entry.declared_auth.as_deref()),
        (Some(ASL_OPERATOR.cf), Some("SPID"))
    );
    let counts = app
        .store()
        .asl_counts()
        .sent_by(&OperatorCf::parse(ASL_OPERATOR.cf)?)
        .await?;
    assert_eq!(counts.len(), 1);

    for (sample, expected) in [
        (
            "asl/InvioNumeroTest-regione-controllo.xml",
            ("0001", "2002"),
        ),
        (
            "asl/InvioNumeroTest-regione-senza-asl.xml",
            ("9999", "2005"),
        ),
        (
            "asl/InvioNumeroTest-regione-senza-autenticazione.xml",
            ("9999", "2007"),
        ),
        (
            "asl/InvioNumeroTest-regione-altra-asl.xml",
            ("9999", "2009"),
        ),
    ] {
        let reply = as_region(&app, sample).await;
        assert_eq!(
            reply.answer(),
            (Some(expected.0), Some(expected.1)),
            "{sample}: {}",
            reply.body
        );
    }
    Ok(())
}
