//! The use cases in process, without SOAP, HTTP or TLS: each test seeds a temporary SQLite store
//! through the store API, calls an operation with a typed request and a `Context`, and reads the
//! typed outcome — codes, warnings, payload, audit fields, the write. The same rules are tested
//! end to end, over the wire, in `tests/api/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed set-up is a failed test

use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, Utc};
use tsgate::audit::{self, Draft};
use tsgate::clock::rome_day;
use tsgate::domain::{
    AslCode, CodiceFiscale, OperatorCf, Otp, Profile, RegionCode, SymptomOnsetDate, TransactionId,
};
use tsgate::identity::{Caller, OperatorAsl, OperatorAuth};
use tsgate::services::asl::{self, InvioNumeroTestRequest};
use tsgate::services::otp::{InvioOtp, InvioOtpRequest};
use tsgate::services::servizi::{self, OfferedOperation, OfferedService};
use tsgate::services::sierologici::{
    self, ActingRequest, AnnullaTestRequest, ElencoAssistitiRequest, ElencoTestRequest,
    InvioTestRequest, SendLocks,
};
use tsgate::services::{Access, CodEsito, Context, DeclaredAuth, Field, Outcome, TipoErrore};
use tsgate::store::{
    AccessLogWriter, Asl, Assistito, AssistitoStatus, Mmg, Region, Store, Substitution,
    TransactionWrite, UserRecord, WriterHandle,
};

/// The titolare: an MMG of region 120, ASL 201.
const TITOLARE: &str = "RSSMRA80A01H501U";
/// Another MMG of the same ASL, authorised as the titolare's substitute around today.
const SOSTITUTO: &str = "BNCGNN65C12H501E";
/// An MMG of another region.
const ALTRO_MMG: &str = "VRDLGU70B15F205E";
/// A registered MMG whose CF has a wrong check letter (legacy records have some).
const MMG_LETTERA_ERRATA: &str = "CSTSRA01M50H501X";
/// The titolare's patient on the state-school staff list.
const IN_ELENCO: &str = "NRELCU75D22L219A";
/// The titolare's patient who is not on the staff list.
const FUORI_ELENCO: &str = "GLLPLA82E41H501Z";
/// An ASL operator of region 120, ASL 201.
const OPERATORE_ASL: &str = "FRRMRC90H10H501Q";
/// A registered operator without an ASL.
const OPERATORE_SENZA_ASL: &str = "MRNLCA95R10H501X";

struct World {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    now: DateTime<Utc>,
}

impl World {
    fn today(&self) -> NaiveDate {
        rome_day(self.now)
    }

    fn days_from_today(&self, days: i64) -> NaiveDate {
        let today = self.today();
        if days >= 0 {
            today + Days::new(days.unsigned_abs())
        } else {
            today - Days::new(days.unsigned_abs())
        }
    }

    fn context<'a>(&'a self, caller: &'a Caller, transaction_id: u64) -> Context<'a> {
        Context {
            store: self.store.as_ref(),
            caller,
            transaction_id: TransactionId::Numeric(transaction_id),
            held: Default::default(),
            now: self.now,
        }
    }

    /// Commits `write` with its access-log entry, as the pipeline does after an operation.
    async fn commit(&self, caller: &Caller, transaction_id: u64, outcome: &Outcome) {
        let (log, writer) = self.log().await;
        let draft = Draft {
            service: sierologici::SERVICE,
            operation: "InvioTest",
            transaction_id: TransactionId::Numeric(transaction_id),
            client: None,
        };
        let entry = draft.answered(caller, self.now, outcome.esito.code(), &outcome.audit);
        audit::commit_with(&log, entry, outcome.write.clone())
            .await
            .expect("committed");
        writer.shutdown().await;
    }

    async fn log(&self) -> (AccessLogWriter, WriterHandle) {
        AccessLogWriter::start(self.store.clone(), 16)
            .await
            .expect("access-log writer")
    }
}

/// Two regions, one ASL, four MMGs, two patients of the titolare (one on the staff list),
/// a substitution around today, two operators.
async fn world() -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("tsgate.db").display()
    );
    let store = tsgate::store::connect(&url).await.expect("store");
    let now = Utc::now();
    let today = rome_day(now);
    let registry = store.patients();
    let code3 = |code: &str| RegionCode::parse(code).expect("region code");
    let asl3 = |code: &str| AslCode::parse(code).expect("ASL code");
    let doctor = |cf: &str| OperatorCf::parse(cf).expect("a doctor's CF");
    let region = |code: &str, name: &str| Region {
        code: code3(code),
        name: name.into(),
    };
    registry
        .upsert_regions(&[region("120", "Lazio"), region("030", "Lombardia")])
        .await
        .expect("regions");
    let asl = |region_code: &str, code: &str| Asl {
        region_code: code3(region_code),
        code: asl3(code),
        name: format!("ASL {code}"),
    };
    registry
        .upsert_asls(&[asl("120", "201"), asl("030", "301")])
        .await
        .expect("ASLs");
    let mmg = |cf: &str, region_code: &str, asl_code: &str| Mmg {
        cf: doctor(cf),
        surname: "MEDICO".into(),
        name: cf[..3].into(),
        region_code: code3(region_code),
        asl_code: asl3(asl_code),
    };
    registry
        .upsert_mmgs(&[
            mmg(TITOLARE, "120", "201"),
            mmg(SOSTITUTO, "120", "201"),
            mmg(ALTRO_MMG, "030", "301"),
            mmg(MMG_LETTERA_ERRATA, "120", "201"),
        ])
        .await
        .expect("MMGs");
    let patient = |cf: &str, surname: &str| Assistito {
        cf: CodiceFiscale::parse(cf).expect("a patient's CF"),
        name: "PAZIENTE".into(),
        surname: surname.into(),
        region_code: code3("120"),
        asl_code: asl3("201"),
        mmg_cf: Some(doctor(TITOLARE)),
        status: AssistitoStatus::Vivo,
    };
    registry
        .upsert_assistiti(&[patient(IN_ELENCO, "NERI"), patient(FUORI_ELENCO, "GALLI")])
        .await
        .expect("patients");
    let mut staging = store.miur_lists().open_staging().await.expect("staging");
    staging
        .stage(&[tsgate::store::StagedStaff {
            cf: CodiceFiscale::parse(IN_ELENCO).expect("a patient's CF"),
            paritaria: false,
        }])
        .await
        .expect("staff");
    staging
        .replace_list(tsgate::store::MiurKind::Statali, today)
        .await
        .expect("staff listed");
    store
        .substitutions()
        .add(&Substitution {
            titolare_cf: doctor(TITOLARE),
            substitute_cf: doctor(SOSTITUTO),
            from: today - Days::new(5),
            to: today + Days::new(5),
        })
        .await
        .expect("substitution");
    let user = |id: &str, cf: &str, asl: Option<&str>| UserRecord {
        user_id: id.into(),
        cf: CodiceFiscale::parse(cf).expect("a user's CF"),
        display_name: id.into(),
        password_hash: String::new(),
        pincode_hash: String::new(),
        asl: asl.map(asl3),
        region: Some(code3("120")),
        enabled: true,
        details: Default::default(),
        last_access: None,
    };
    let directory = store.directory();
    directory
        .add_user(&user("asl", OPERATORE_ASL, Some("201")))
        .await
        .expect("ASL operator");
    directory
        .add_user(&user("senza-asl", OPERATORE_SENZA_ASL, None))
        .await
        .expect("operator without ASL");
    World {
        _dir: dir,
        store,
        now,
    }
}

fn operator(cf: &str, profile: Profile) -> Caller {
    Caller::Operator {
        cf: CodiceFiscale::parse(cf).expect("an operator's CF"),
        user_id: None,
        method: OperatorAuth::Certificate,
        profiles: vec![profile],
        asl: None,
    }
}

/// A registered operator as identification finds them, with their ASL from the users table.
async fn registered(world: &World, cf: &str, profile: Profile) -> Caller {
    let cf = CodiceFiscale::parse(cf).expect("an operator's CF");
    let user = world
        .store
        .directory()
        .find_user_by_cf(&cf)
        .await
        .expect("users table")
        .expect("a registered operator");
    Caller::Operator {
        cf,
        user_id: Some(user.user_id),
        method: OperatorAuth::Certificate,
        profiles: vec![profile],
        asl: OperatorAsl::of(user.region, user.asl),
    }
}

fn region(code: &str, enabled: &[&str]) -> Caller {
    Caller::Region {
        code: RegionCode::parse(code).expect("region code"),
        enabled_services: enabled.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn acting(doctor: &str, titolare: &str, declared_auth: Option<DeclaredAuth>) -> ActingRequest {
    ActingRequest {
        doctor: Field::read(doctor, OperatorCf::parse),
        declared_auth: declared_auth.map(Ok),
        titolare: Field::read(titolare, CodiceFiscale::parse),
    }
}

fn cf(text: &str) -> Result<CodiceFiscale, tsgate::domain::CfError> {
    CodiceFiscale::parse(text)
}

/// The outcome code and the code of each message, to compare with one assertion.
fn codes<T>(outcome: &Outcome<T>) -> (&'static str, Vec<&'static str>) {
    (
        outcome.esito.code(),
        outcome.messaggi.iter().map(|m| m.codice).collect(),
    )
}

// --- ElencoAssistiti ----------------------------------------------------------------------------

#[tokio::test]
async fn a_titolare_and_their_substitute_list_the_titolare_s_staff_patients() {
    let world = world().await;
    for doctor in [TITOLARE, SOSTITUTO] {
        let caller = operator(doctor, Profile::SierologiciMmg);
        let request = ElencoAssistitiRequest {
            acting: acting(doctor, TITOLARE, None),
        };
        let outcome = sierologici::elenco_assistiti(&world.context(&caller, 1), &request).await;
        assert_eq!(codes(&outcome), ("0000", vec![]), "{doctor}");
        let listed: Vec<String> = outcome
            .payload
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.cf.to_string())
            .collect();
        assert_eq!(listed, [IN_ELENCO], "only staff are listed ({doctor})");
        assert_eq!(outcome.audit.titolare_cf.as_deref(), Some(TITOLARE));
        assert_eq!(outcome.audit.operator_cf, None, "an operator is the caller");
    }
}

#[tokio::test]
async fn elenco_assistiti_refuses_in_the_order_of_the_rules() {
    let world = world().await;
    let titolare = operator(TITOLARE, Profile::SierologiciMmg);
    let cases = [
        // cfMedico is not the caller
        (acting(SOSTITUTO, TITOLARE, None), "1001"),
        // malformed cfMedico comes first, whatever else is wrong
        (acting("RSSMRA80A01H50", "X", None), "1003"),
        // an operator must not declare an authentication
        (acting(TITOLARE, TITOLARE, Some(DeclaredAuth::Spid)), "1018"),
        // a malformed titolare
        (acting(TITOLARE, "NOTACF", None), "1004"),
        // a titolare who is no MMG: the doctor is not their substitute either
        (acting(TITOLARE, IN_ELENCO, None), "1006"),
        // an MMG who never authorised this doctor
        (acting(TITOLARE, ALTRO_MMG, None), "1007"),
    ];
    for (request, code) in cases {
        let request = ElencoAssistitiRequest { acting: request };
        let outcome = sierologici::elenco_assistiti(&world.context(&titolare, 1), &request).await;
        assert_eq!(codes(&outcome), ("9999", vec![code]), "{request:?}");
        assert_eq!(outcome.payload, None);
        assert_eq!(outcome.messaggi[0].tipo, TipoErrore::Bloccante);
    }
}

#[tokio::test]
/// A region names a registered MMG whose CF has a wrong check letter, as their own titolare.
async fn a_wrong_check_letter_on_the_doctor_s_own_cf_only_warns() {
    let world = world().await;
    let caller = region("120", &[sierologici::SERVICE]);
    let request = ElencoAssistitiRequest {
        acting: acting(
            MMG_LETTERA_ERRATA,
            MMG_LETTERA_ERRATA,
            Some(DeclaredAuth::Spid),
        ),
    };
    let outcome = sierologici::elenco_assistiti(&world.context(&caller, 1), &request).await;
    assert_eq!(codes(&outcome), ("0001", vec!["1002"]));
    assert_eq!(outcome.messaggi[0].tipo, TipoErrore::Avviso);
    assert_eq!(outcome.payload, Some(vec![]));
}

#[tokio::test]
async fn a_region_declares_the_authentication_and_the_log_keeps_its_operator() {
    let world = world().await;
    let lazio = region("120", &[sierologici::SERVICE]);
    let undeclared = ElencoAssistitiRequest {
        acting: acting(TITOLARE, TITOLARE, None),
    };
    let outcome = sierologici::elenco_assistiti(&world.context(&lazio, 1), &undeclared).await;
    assert_eq!(codes(&outcome), ("9999", vec!["1017"]));
    assert_eq!(outcome.audit.operator_cf.as_deref(), Some(TITOLARE));

    let declared = ElencoAssistitiRequest {
        acting: acting(TITOLARE, TITOLARE, Some(DeclaredAuth::Cns)),
    };
    let outcome = sierologici::elenco_assistiti(&world.context(&lazio, 2), &declared).await;
    assert_eq!(codes(&outcome), ("0000", vec![]));
    assert_eq!(outcome.audit.declared_auth, Some(DeclaredAuth::Cns));

    let lombardia = region("030", &[sierologici::SERVICE]);
    let outcome = sierologici::elenco_assistiti(&world.context(&lombardia, 3), &declared).await;
    assert_eq!(codes(&outcome), ("9999", vec!["1019"]));
}

// --- InvioTest ----------------------------------------------------------------------------------

fn invio(world: &World, doctor: &str, assistito: &str, days_ago: i64) -> InvioTestRequest {
    InvioTestRequest {
        acting: acting(doctor, TITOLARE, None),
        assistito: cf(assistito),
        test_date: Some(world.days_from_today(-days_ago)),
    }
}

#[tokio::test]
async fn a_test_sent_is_written_with_its_entry_and_an_off_list_patient_is_a_warning() {
    let world = world().await;
    let caller = operator(TITOLARE, Profile::SierologiciMmg);
    let outcome = sierologici::invio_test(
        &world.context(&caller, 1),
        &invio(&world, TITOLARE, IN_ELENCO, 1),
    )
    .await;
    assert_eq!(codes(&outcome), ("0000", vec![]));
    match &outcome.write {
        Some(TransactionWrite::SerologyTest(test)) => {
            assert_eq!(
                (test.doctor_cf.as_str(), test.titolare_cf.as_str()),
                (TITOLARE, TITOLARE)
            );
            assert_eq!(test.assistito_cf.as_str(), IN_ELENCO);
            assert!(test.on_list);
        }
        other => panic!("{other:?}"),
    }

    let outcome = sierologici::invio_test(
        &world.context(&caller, 2),
        &invio(&world, TITOLARE, FUORI_ELENCO, 1),
    )
    .await;
    assert_eq!(codes(&outcome), ("0001", vec!["1015"]));
    assert!(matches!(
        &outcome.write,
        Some(TransactionWrite::SerologyTest(test)) if !test.on_list
    ));
}

#[tokio::test]
async fn invio_test_refusals() {
    let world = world().await;
    let titolare = operator(TITOLARE, Profile::SierologiciMmg);
    let sostituto = operator(SOSTITUTO, Profile::SierologiciMmg);
    let future = invio(&world, TITOLARE, IN_ELENCO, -1);
    let bad_patient = invio(&world, TITOLARE, "NRELCU75D22L219B", 1);
    let before_substitution = invio(&world, SOSTITUTO, IN_ELENCO, 10);
    let no_date = InvioTestRequest {
        test_date: None,
        ..invio(&world, TITOLARE, IN_ELENCO, 1)
    };
    let cases = [
        (&titolare, future, "1009"),
        (&titolare, bad_patient, "1005"),
        (&titolare, no_date, "1016"),
        (&sostituto, before_substitution, "1010"),
    ];
    for (caller, request, code) in cases {
        let outcome = sierologici::invio_test(&world.context(caller, 1), &request).await;
        assert_eq!(codes(&outcome), ("9999", vec![code]), "{request:?}");
        assert_eq!(outcome.write, None, "a refusal writes nothing");
    }

    // The rules on who acts come before the patient's CF.
    let both_wrong = InvioTestRequest {
        acting: acting(TITOLARE, ALTRO_MMG, None),
        ..invio(&world, TITOLARE, "NRELCU75D22L219B", 1)
    };
    let outcome = sierologici::invio_test(&world.context(&titolare, 1), &both_wrong).await;
    assert_eq!(codes(&outcome), ("9999", vec!["1007"]));
}

// --- AnnullaTest and ElencoTest -----------------------------------------------------------------

#[tokio::test]
async fn sends_are_listed_and_cancelled_once_by_who_may() {
    let world = world().await;
    let titolare = operator(TITOLARE, Profile::SierologiciMmg);
    let sostituto = operator(SOSTITUTO, Profile::SierologiciMmg);
    let send_id = 261_130_000_000_001_u64;
    let sent = sierologici::invio_test(
        &world.context(&titolare, send_id),
        &invio(&world, TITOLARE, IN_ELENCO, 1),
    )
    .await;
    world.commit(&titolare, send_id, &sent).await;

    let listed = |doctor: &str, from: i64, to: i64| ElencoTestRequest {
        acting: acting(doctor, TITOLARE, None),
        from: Some(world.days_from_today(from)),
        to: Some(world.days_from_today(to)),
    };
    let outcome =
        sierologici::elenco_test(&world.context(&titolare, 2), &listed(TITOLARE, -1, 0)).await;
    let tests = outcome.payload.unwrap_or_default();
    assert_eq!(tests.len(), 1);
    assert_eq!(tests[0].transaction_id, send_id.to_string());
    assert_eq!(tests[0].doctor_cf.as_str(), TITOLARE);
    let outcome =
        sierologici::elenco_test(&world.context(&sostituto, 3), &listed(SOSTITUTO, -1, 0)).await;
    assert_eq!(
        outcome.payload.map(|tests| tests.len()),
        Some(0),
        "a substitute sees only their own sends"
    );
    let outcome =
        sierologici::elenco_test(&world.context(&titolare, 4), &listed(TITOLARE, 0, -1)).await;
    assert_eq!(codes(&outcome), ("9999", vec!["1014"]));

    let locks = SendLocks::new();
    let cancel = |doctor: &str, send_id: u64| AnnullaTestRequest {
        acting: acting(doctor, TITOLARE, None),
        assistito: cf(IN_ELENCO),
        send_id: send_id.to_string(),
    };
    let outcome = sierologici::annulla_test(
        &world.context(&titolare, 5),
        &locks,
        &cancel(TITOLARE, send_id + 1),
    )
    .await;
    assert_eq!(codes(&outcome), ("9999", vec!["1011"]));
    let outcome = sierologici::annulla_test(
        &world.context(&sostituto, 6),
        &locks,
        &cancel(SOSTITUTO, send_id),
    )
    .await;
    assert_eq!(codes(&outcome), ("9999", vec!["1012"]));

    let cancelled = {
        let ctx = world.context(&titolare, 7);
        sierologici::annulla_test(&ctx, &locks, &cancel(TITOLARE, send_id)).await
    };
    assert_eq!(codes(&cancelled), ("0000", vec![]));
    assert!(matches!(
        &cancelled.write,
        Some(TransactionWrite::SerologyCancel(c)) if c.send_transaction_id == send_id.to_string()
    ));
    world.commit(&titolare, 7, &cancelled).await;
    let again = sierologici::annulla_test(
        &world.context(&titolare, 8),
        &locks,
        &cancel(TITOLARE, send_id),
    )
    .await;
    assert_eq!(codes(&again), ("9999", vec!["1013"]));
}

// --- InvioNumeroTest ----------------------------------------------------------------------------

fn numero(world: &World, operator: &str, tests: Option<i64>) -> InvioNumeroTestRequest {
    InvioNumeroTestRequest {
        operator: Field::read(operator, OperatorCf::parse),
        declared_auth: None,
        asl: None,
        test_date: Some(world.days_from_today(-1)),
        tests,
    }
}

#[tokio::test]
async fn an_asl_operator_sends_the_day_s_count_for_their_own_asl() {
    let world = world().await;
    let caller = registered(&world, OPERATORE_ASL, Profile::AslNumeroTest).await;
    let outcome = asl::invio_numero_test(
        &world.context(&caller, 1),
        &numero(&world, OPERATORE_ASL, Some(42)),
    )
    .await;
    assert_eq!(codes(&outcome), ("0000", vec![]));
    match &outcome.write {
        Some(TransactionWrite::AslTestCount(count)) => {
            assert_eq!(count.operator_cf.as_str(), OPERATORE_ASL);
            assert_eq!(
                (
                    count.region_code.as_ref().map(RegionCode::as_str),
                    count.asl_code.as_ref().map(AslCode::as_str)
                ),
                (Some("120"), Some("201"))
            );
            assert_eq!(count.tests, 42);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn invio_numero_test_refusals() {
    let world = world().await;
    let asl_operator = registered(&world, OPERATORE_ASL, Profile::AslNumeroTest).await;
    let without_asl = registered(&world, OPERATORE_SENZA_ASL, Profile::AslNumeroTest).await;
    let future = InvioNumeroTestRequest {
        test_date: Some(world.days_from_today(1)),
        ..numero(&world, OPERATORE_ASL, Some(1))
    };
    let cases = [
        (
            &asl_operator,
            numero(&world, OPERATORE_SENZA_ASL, Some(1)),
            "2001",
        ),
        (
            &asl_operator,
            numero(&world, "FRRMRC90H10H50", Some(1)),
            "2003",
        ),
        (
            &without_asl,
            numero(&world, OPERATORE_SENZA_ASL, Some(1)),
            "2005",
        ),
        (&asl_operator, future, "2004"),
        (&asl_operator, numero(&world, OPERATORE_ASL, None), "2006"),
    ];
    for (caller, request, code) in cases {
        let outcome = asl::invio_numero_test(&world.context(caller, 1), &request).await;
        assert_eq!(codes(&outcome), ("9999", vec![code]), "{request:?}");
        assert_eq!(outcome.write, None);
    }

    let lazio = region("120", &[asl::SERVICE]);
    let undeclared = numero(&world, OPERATORE_ASL, Some(1));
    let outcome = asl::invio_numero_test(&world.context(&lazio, 1), &undeclared).await;
    assert_eq!(codes(&outcome), ("9999", vec!["2007"]));
    assert_eq!(outcome.audit.operator_cf.as_deref(), Some(OPERATORE_ASL));
    let other_asl = InvioNumeroTestRequest {
        declared_auth: Some(Ok(DeclaredAuth::TwoFactor)),
        asl: Some(Field::read("301", AslCode::parse)),
        ..numero(&world, OPERATORE_ASL, Some(1))
    };
    let outcome = asl::invio_numero_test(&world.context(&lazio, 1), &other_asl).await;
    assert_eq!(codes(&outcome), ("9999", vec!["2009"]));
}

// --- ElencoServizi ------------------------------------------------------------------------------

#[tokio::test]
async fn elenco_servizi_lists_only_what_the_caller_may_call() {
    let world = world().await;
    let offered = [
        OfferedService {
            name: "Servizi",
            description: "catalogo",
            operations: vec![OfferedOperation {
                name: "ElencoServizi",
                access: Access::AnyCaller,
            }],
        },
        OfferedService {
            name: "InvioOTP",
            description: "otp",
            operations: vec![OfferedOperation {
                name: "InvioOTP",
                access: Access::Profile(Profile::InvioCodiceOtp),
            }],
        },
        OfferedService {
            name: "Sierologici",
            description: "test",
            operations: vec![OfferedOperation {
                name: "InvioTest",
                access: Access::OperatorProfile(Profile::SierologiciMmg),
            }],
        },
    ];
    let names = |caller: &Caller| {
        servizi::elenco_servizi(&world.context(caller, 1), &offered)
            .payload
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&operator(TITOLARE, Profile::SierologiciMmg)),
        ["Servizi", "Sierologici"]
    );
    assert_eq!(
        names(&region("120", &["InvioOTP", "Sierologici"])),
        ["Servizi", "InvioOTP"],
        "a region is never a caller of an operator-only service"
    );
    assert_eq!(names(&region("120", &[])), ["Servizi"]);
}

// --- InvioOTP -----------------------------------------------------------------------------------

/// Refusals are decided before anything goes upstream: the client points nowhere.
#[tokio::test]
async fn invio_otp_refuses_a_malformed_request_without_calling_upstream() {
    let world = world().await;
    let otp = InvioOtp::new(
        &tsgate::config::ImmuniConfig {
            base_url: "http://127.0.0.1:9".into(),
            ..Default::default()
        },
        Default::default(),
    )
    .expect("client");
    let request = |code: &str, operator_cf: Option<&str>| InvioOtpRequest {
        operator_cf: operator_cf.map(OperatorCf::parse),
        declared_auth: None,
        otp: Otp::parse(code),
        symptom_onset: SymptomOnsetDate::read(&world.days_from_today(-1).to_string()),
    };
    let operator = operator(TITOLARE, Profile::InvioCodiceOtp);
    let outcome = otp
        .invio_otp(&world.context(&operator, 1), &request("ABC", None))
        .await;
    assert_eq!(codes(&outcome), ("9999", vec!["1001"]), "too short");
    let outcome = otp
        .invio_otp(
            &world.context(&operator, 2),
            &request("ABC", Some(SOSTITUTO)),
        )
        .await;
    assert_eq!(
        codes(&outcome),
        ("9999", vec!["1023"]),
        "who acts is checked before the code"
    );
    let lazio = region("120", &["InvioOTP"]);
    let outcome = otp
        .invio_otp(&world.context(&lazio, 3), &request("ABC", None))
        .await;
    assert_eq!(codes(&outcome), ("9999", vec!["1021"]));
    assert_eq!(outcome.esito, CodEsito::Rifiutato);
}
