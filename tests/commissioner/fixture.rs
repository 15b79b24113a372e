//! A small registry with hand-counted serology tests, staff lists and ASL counts, for the
//! Commissioner's report (seed 003 §5.4) and the retention purge. Shared by `tests/store.rs` and
//! `tests/commissioner.rs`.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use tsgate::domain::{AslCode, CodiceFiscale, OperatorCf, RegionCode};
use tsgate::store::{
    AccessLogEntry, AccessLogWriter, Asl, Assistito, AssistitoStatus, CallerKind, MiurKind, Mmg,
    NewAslTestCount, NewSerologyTest, Region, SerologyCancel, StagedStaff, Store, TransactionWrite,
};

pub const MMG_A: &str = "BNCGNN65C12H501E"; // 120 / 201
pub const MMG_B: &str = "VRDLCU75D52H501Z"; // 120 / 202
pub const ASL_OPERATOR: &str = "NREPLA82T50H501W";

/// The figures the fixture was built to give, per (region, ASL): listed-staff tests, kits,
/// off-list tests, ASL tests.
pub const EXPECTED: [(&str, &str, [i64; 4]); 3] = [
    ("120", "201", [2, 3, 1, 17]),
    ("120", "202", [0, 2, 1, 3]),
    ("130", "201", [0, 0, 0, 0]),
];

/// A valid codice fiscale for the `n`th made-up person.
pub fn person(n: u32) -> CodiceFiscale {
    let birth = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + Duration::days(i64::from(n) * 37);
    let base = tsgate::registry::cf::base("ROSSI", "MARIO", n.is_multiple_of(2), birth, "H501");
    CodiceFiscale::parse(&tsgate::registry::cf::with_check(&base)).unwrap()
}

fn operator(text: &str) -> OperatorCf {
    OperatorCf::parse(text).unwrap()
}

fn entry(id: &str, at: DateTime<Utc>) -> AccessLogEntry {
    AccessLogEntry {
        transaction_id: id.to_owned(),
        at,
        caller_kind: CallerKind::OperatorPassword,
        caller_id: "fixture".to_owned(),
        region: None,
        operator_cf: None,
        titolare_cf: None,
        declared_auth: None,
        service: "Sierologici".to_owned(),
        operation: "InvioTest".to_owned(),
        outcome: "0000".to_owned(),
        client_address: None,
        target: None,
        detail: None,
    }
}

/// The registry: regions 120 (ASLs 201, 202) and 130 (ASL 201); MMG A of 120/201 with three
/// listed staff, MMG B of 120/202 with two.
pub async fn registry(store: &dyn Store, staff_updated_on: NaiveDate) {
    let patients = store.patients();
    let region = |code: &str, name: &str| Region {
        code: RegionCode::parse(code).unwrap(),
        name: name.to_owned(),
    };
    patients
        .upsert_regions(&[region("120", "Lazio"), region("130", "Abruzzo")])
        .await
        .unwrap();
    let asl = |r: &str, c: &str, name: &str| Asl {
        region_code: RegionCode::parse(r).unwrap(),
        code: AslCode::parse(c).unwrap(),
        name: name.to_owned(),
    };
    patients
        .upsert_asls(&[
            asl("120", "201", "Roma 1"),
            asl("120", "202", "Roma 2"),
            asl("130", "201", "Avezzano-Sulmona-L'Aquila"),
        ])
        .await
        .unwrap();
    let mmg = |cf: &str, a: &str| Mmg {
        cf: operator(cf),
        surname: "MEDICO".into(),
        name: "DI BASE".into(),
        region_code: RegionCode::parse("120").unwrap(),
        asl_code: AslCode::parse(a).unwrap(),
    };
    patients
        .upsert_mmgs(&[mmg(MMG_A, "201"), mmg(MMG_B, "202")])
        .await
        .unwrap();
    let assistiti: Vec<Assistito> = (0..7)
        .map(|n| Assistito {
            cf: person(n),
            name: "MARIO".into(),
            surname: "ROSSI".into(),
            region_code: RegionCode::parse("120").unwrap(),
            asl_code: AslCode::parse(if n < 3 { "201" } else { "202" }).unwrap(),
            // 0–2: A's, 3–4: B's, 5–6: A's patients not on the staff list.
            mmg_cf: Some(operator(match n {
                0..=2 | 5 | 6 => MMG_A,
                _ => MMG_B,
            })),
            status: AssistitoStatus::Vivo,
        })
        .collect();
    patients.upsert_assistiti(&assistiti).await.unwrap();
    // The state-school list as a MIUR file makes it, its positions dated `staff_updated_on`.
    let staff: Vec<StagedStaff> = (0..5)
        .map(|n| StagedStaff {
            cf: person(n),
            paritaria: false,
        })
        .collect();
    let mut staging = store.miur_lists().open_staging().await.unwrap();
    staging.stage(&staff).await.unwrap();
    let listed = staging
        .replace_list(MiurKind::Statali, staff_updated_on)
        .await
        .unwrap();
    assert_eq!((listed.listed, listed.removed), (5, 0));
}

/// Tests and counts sent at `at` (ids prefixed with `prefix`): MMG A two listed-staff tests, one
/// off-list and one listed then cancelled; MMG B one off-list; ASL 120/201 sends 10 then 12 for
/// one day (the correction replaces) and 5 for another; ASL 120/202 sends 3.
pub async fn activity(store: Arc<dyn Store>, at: DateTime<Utc>, prefix: &str) {
    let (writer, handle) = AccessLogWriter::start(store, 16).await.unwrap();
    let day = NaiveDate::from_ymd_opt(2020, 9, 14).unwrap();
    let test = |titolare: &str, who: u32, on_list: bool| {
        TransactionWrite::SerologyTest(NewSerologyTest {
            test_date: day,
            doctor_cf: operator(titolare),
            titolare_cf: operator(titolare),
            assistito_cf: person(who),
            on_list,
        })
    };
    let count = |asl: &str, test_date: NaiveDate, tests: i64| {
        TransactionWrite::AslTestCount(NewAslTestCount {
            operator_cf: operator(ASL_OPERATOR),
            region_code: Some(RegionCode::parse("120").unwrap()),
            asl_code: Some(AslCode::parse(asl).unwrap()),
            test_date,
            tests,
        })
    };
    let writes = vec![
        test(MMG_A, 0, true),
        test(MMG_A, 1, true),
        test(MMG_A, 5, false),
        test(MMG_A, 2, true),
        TransactionWrite::SerologyCancel(SerologyCancel {
            send_transaction_id: format!("{prefix}04"),
            titolare_cf: operator(MMG_A),
            assistito_cf: person(2),
        }),
        test(MMG_B, 6, false),
        count("201", day, 10),
        count("201", day, 12),
        count("201", day.succ_opt().unwrap(), 5),
        count("202", day, 3),
    ];
    for (i, write) in writes.into_iter().enumerate() {
        let id = format!("{prefix}{:02}", i + 1);
        // One after the other, a millisecond apart: the later count of a day is the later send.
        writer
            .record_with(
                entry(&id, at + Duration::milliseconds(i as i64)),
                Some(write),
            )
            .await
            .unwrap();
    }
    handle.shutdown().await;
}

/// The figures as (region, ASL, [four counts]), in the store's order.
pub async fn figures(store: &dyn Store) -> Vec<(String, String, [i64; 4])> {
    store
        .commissioner()
        .figures()
        .await
        .unwrap()
        .into_iter()
        .map(|f| {
            (
                f.region_code.as_str().to_owned(),
                f.asl_code.as_str().to_owned(),
                [
                    f.listed_staff_tests,
                    f.kits_assigned,
                    f.off_list_tests,
                    f.asl_tests,
                ],
            )
        })
        .collect()
}

pub fn expected() -> Vec<(String, String, [i64; 4])> {
    EXPECTED
        .iter()
        .map(|(r, a, counts)| (r.to_string(), a.to_string(), *counts))
        .collect()
}
