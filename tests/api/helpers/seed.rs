//! What a test gateway's store holds before the test starts, written through the store's own
//! API: four users (the users of `tsgate demo`, with the same ids and CFs, so the kits'
//! manifests describe both), region 120 enabled for InvioOTP, and a small registry — two MMGs
//! of ASL 201 with their school-staff patients, a patient who is not staff, one who died, and
//! the substitution of the MMG by the substitute.

use std::sync::LazyLock;

use chrono::{NaiveDate, TimeDelta};
use tsgate::domain::{AslCode, CodiceFiscale, OperatorCf, Profile, RegionCode};
use tsgate::store::{
    AdministratorRecord, AdministratorScope, Asl, Assistito, AssistitoStatus, MiurKind, Mmg,
    Region, StagedStaff, Store, Substitution, UserRecord,
};

/// The region of the region certificate (`As::Region`) and of every seeded user.
pub const REGION: &str = "120";
/// The ASL of the ASL operator and of both MMGs.
pub const ASL: &str = "201";

/// A seeded user: how they log in (Basic) and their codice fiscale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct User {
    pub id: &'static str,
    pub cf: &'static str,
}

/// An operator with the InvioOTP profile; also the holder of the national card (`As::Card`).
pub const OPERATOR: User = User {
    id: "DEMOOP01",
    cf: "RSSMRA80A01H501U",
};
/// A family doctor (Sierologici), titolare of [`PATIENTS`].
pub const MMG: User = User {
    id: "DEMOMMG01",
    cf: "BNCGNN65C12H501E",
};
/// A doctor the MMG authorised as substitute, from 30 days before today to 60 days after.
pub const SUBSTITUTE: User = User {
    id: "DEMOSOST01",
    cf: "VRDLCU75D52H501Z",
};
/// An operator of ASL 201 (the ASL service and the per-MMG file).
pub const ASL_OPERATOR: User = User {
    id: "DEMOASL01",
    cf: "NREPLA82T50H501W",
};

/// Every user's password and pincode.
pub const PASSWORD: &str = "test-password-1";
pub const PINCODE: &str = "4815162342";

/// The MMG's school-staff patients, in the order of their list (by surname).
pub const PATIENTS: [&str; 5] = [
    "BRNLRA70A41H501U",
    "CLMMRC68B12H501B",
    "DLCFNC72C53H501C",
    "FRRGLI75D14H501L",
    "GLLSRA80E55H501S",
];
/// `{PATIENT}` in the samples: the first of the MMG's list.
pub const PATIENT: &str = PATIENTS[0];

/// Another MMG of ASL 201, with two school-staff patients.
const OTHER_MMG: &str = "MRNPLA66H12H501I";

/// The security administrators: the central one, ASL 201's (every seeded user's) and ASL 202's
/// (of no seeded user). Their password is [`PASSWORD`].
pub const CENTRAL_ADMIN: &str = "ADMINCENTRALE";
pub const ASL_ADMIN: &str = "ADMIN201";
pub const OTHER_ASL_ADMIN: &str = "ADMIN202";

/// The argon2 hashes of [`PASSWORD`] and [`PINCODE`], computed once per test binary.
static HASHES: LazyLock<(String, String)> = LazyLock::new(|| (hash(PASSWORD), hash(PINCODE)));

/// An argon2id PHC string of `secret`, as the users table keeps it (the gateway's parameters).
pub fn hash(secret: &str) -> String {
    tsgate::identity::password::hash_secret(secret).expect("argon2")
}

fn cf(text: &str) -> CodiceFiscale {
    CodiceFiscale::parse(text).expect("a valid codice fiscale")
}

fn doctor(text: &str) -> OperatorCf {
    OperatorCf::parse(text).expect("a doctor's codice fiscale")
}

fn region(text: &str) -> RegionCode {
    RegionCode::parse(text).expect("a region code")
}

fn asl_code(text: &str) -> AslCode {
    AslCode::parse(text).expect("an ASL code")
}

/// Seeds `store`; `today` (Europe/Rome) dates the substitution and the staff list.
pub async fn seed(store: &dyn Store, today: NaiveDate) -> Result<(), tsgate::store::StoreError> {
    let (password_hash, pincode_hash) = HASHES.clone();
    let users = [
        (OPERATOR, "Mario Rossi", Some(ASL), Profile::InvioCodiceOtp),
        (MMG, "Giovanni Bianchi", Some(ASL), Profile::SierologiciMmg),
        (
            SUBSTITUTE,
            "Lucia Verdi",
            Some(ASL),
            Profile::SierologiciMmg,
        ),
        (
            ASL_OPERATOR,
            "Paola Neri",
            Some(ASL),
            Profile::AslNumeroTest,
        ),
    ];
    for (id, asl) in [
        (CENTRAL_ADMIN, None),
        (ASL_ADMIN, Some(ASL)),
        (OTHER_ASL_ADMIN, Some("202")),
    ] {
        store
            .administrators()
            .add(&AdministratorRecord {
                admin_id: id.into(),
                cf: cf("GLLLRA70M41H501E"),
                display_name: format!("Amministratore {id}"),
                password_hash: password_hash.clone(),
                scope: match asl {
                    None => AdministratorScope::Central,
                    Some(code) => AdministratorScope::Asl {
                        region: region(REGION),
                        asl: asl_code(code),
                    },
                },
                enabled: true,
            })
            .await?;
    }
    let directory = store.directory();
    for (user, name, asl, profile) in users {
        directory
            .add_user(&UserRecord {
                user_id: user.id.into(),
                cf: cf(user.cf),
                display_name: name.into(),
                password_hash: password_hash.clone(),
                pincode_hash: pincode_hash.clone(),
                asl: asl.map(asl_code),
                region: Some(region(REGION)),
                enabled: true,
                details: Default::default(),
                last_access: None,
            })
            .await?;
        directory.grant_profile(user.id, profile).await?;
    }
    directory
        .enable_region_service(region(REGION), "InvioOTP")
        .await?;

    let patients = store.patients();
    patients
        .upsert_regions(&[
            Region {
                code: region(REGION),
                name: "Lazio".into(),
            },
            Region {
                code: region("030"),
                name: "Lombardia".into(),
            },
        ])
        .await?;
    let asl = |region_code: &str, code: &str, name: &str| Asl {
        region_code: region(region_code),
        code: asl_code(code),
        name: name.into(),
    };
    patients
        .upsert_asls(&[
            asl(REGION, ASL, "ASL Roma 1"),
            asl(REGION, "202", "ASL Roma 2"),
            asl("030", "301", "ATS Milano"),
        ])
        .await?;
    let mmg = |cf: &str, surname: &str, name: &str| Mmg {
        cf: doctor(cf),
        surname: surname.into(),
        name: name.into(),
        region_code: region(REGION),
        asl_code: asl_code(ASL),
    };
    patients
        .upsert_mmgs(&[
            mmg(MMG.cf, "BIANCHI", "GIOVANNI"),
            mmg(OTHER_MMG, "MARINI", "PAOLO"),
        ])
        .await?;
    let assistito = |text: &str, surname: &str, name: &str, mmg: &str, status| Assistito {
        cf: cf(text),
        name: name.into(),
        surname: surname.into(),
        region_code: region(REGION),
        asl_code: asl_code(ASL),
        mmg_cf: Some(doctor(mmg)),
        status,
    };
    let alive = AssistitoStatus::Vivo;
    let names = [
        ("BRUNO", "LAURA"),
        ("COLOMBO", "MARCO"),
        ("DE LUCA", "FRANCESCA"),
        ("FERRARI", "LUIGI"),
        ("GALLI", "SARA"),
    ];
    let mut assistiti: Vec<Assistito> = PATIENTS
        .iter()
        .zip(names)
        .map(|(cf, (surname, name))| assistito(cf, surname, name, MMG.cf, alive))
        .collect();
    let deceased_staff = "SNTLSE79L47H501H";
    assistiti.extend([
        // Not on the staff list.
        assistito("RSSGPP55P10H501B", "ROSSI", "GIUSEPPE", MMG.cf, alive),
        // On it, but no longer alive: never listed.
        assistito(
            deceased_staff,
            "SANTORO",
            "ELISA",
            MMG.cf,
            AssistitoStatus::Deceduto,
        ),
        assistito("VRDMRC60M01H501F", "VERDI", "MARCO", OTHER_MMG, alive),
        assistito("NREANN82A41H501V", "NERI", "ANNA", OTHER_MMG, alive),
    ]);
    patients.upsert_assistiti(&assistiti).await?;
    // The state-school list, as a MIUR file would make it (the deceased one is never listed).
    let staff: Vec<StagedStaff> = PATIENTS
        .iter()
        .chain(&[deceased_staff, "VRDMRC60M01H501F", "NREANN82A41H501V"])
        .map(|text| StagedStaff {
            cf: cf(text),
            paritaria: false,
        })
        .collect();
    let mut staging = store.miur_lists().open_staging().await?;
    staging.stage(&staff).await?;
    staging.replace_list(MiurKind::Statali, today).await?;
    store
        .substitutions()
        .add(&Substitution {
            titolare_cf: doctor(MMG.cf),
            substitute_cf: doctor(SUBSTITUTE.cf),
            from: today - TimeDelta::days(30),
            to: today + TimeDelta::days(60),
        })
        .await?;
    Ok(())
}
