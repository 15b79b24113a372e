//! `tsgate registry generate`: a synthetic but realistic registry, written as the CSV files
//! [`super::import`] reads. Streaming: memory grows only with the set of issued codes (16 bytes
//! an assistito), so 10 million assistiti take a few hundred MB and a couple of minutes.
//!
//! What it looks like: regions weighted by population; ASLs with the municipalities they
//! cover (some provinces split across ASLs); about one MMG per `patients_per_mmg` adults of
//! each ASL; children (under 14) without an MMG (they have a paediatrician), 3% of adults
//! without one either; 0.5% deceased, 0.3% emigrated; 3.5% of people aged 25–67 on the
//! MIUR state-school staff file, plus a few staff CFs not in the registry at all (never listed). Codes are valid (birth dates real, so never an impossible day) and unique; people whose data collide get omocodic codes, and
//! some collisions are made on purpose so every set has omocodia cases.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{bail, Context};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::cf::{self, Issuer};
use super::geography::{AslData, RegionData, ABROAD, REGIONS};
use super::names::{FEMALE, MALE, SURNAMES};
use super::*;
use crate::domain::CodiceFiscale;

/// A doctor the generated set must contain (the demo's MMG), with some staff patients.
#[derive(Debug, Clone)]
pub struct PinnedMmg {
    pub cf: String,
    pub surname: String,
    pub name: String,
    pub region_code: String,
    pub asl_code: String,
    /// How many living school-staff patients to give them, before the random ones.
    pub staff_patients: u64,
}

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub assistiti: u64,
    pub seed: u64,
    pub patients_per_mmg: u64,
    pub pinned: Vec<PinnedMmg>,
}

impl GenerateOptions {
    pub fn new(assistiti: u64) -> GenerateOptions {
        GenerateOptions {
            assistiti,
            seed: 2020,
            patients_per_mmg: 1200,
            pinned: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    pub assistiti: u64,
    pub mmg: u64,
    pub staff: u64,
    pub omocodic: u64,
    pub deceased: u64,
    pub emigrated: u64,
    pub without_mmg: u64,
}

struct AslSlot {
    region: &'static RegionData,
    asl: &'static AslData,
    /// Cumulative weight up to and including this ASL.
    cumulative: f64,
    mmgs: Vec<String>,
}

#[derive(Clone, Copy)]
struct Person {
    surname: &'static str,
    name: &'static str,
    female: bool,
    birth: NaiveDate,
    place: &'static str,
}

impl Person {
    /// The first 15 characters of this person's codice fiscale, before omocodia and check.
    fn cf_base(&self) -> [u8; 15] {
        cf::base(self.surname, self.name, self.female, self.birth, self.place)
    }
}

pub fn generate(out: &Path, options: &GenerateOptions) -> anyhow::Result<GenerateSummary> {
    if options.patients_per_mmg == 0 {
        bail!("patients per MMG must be at least 1");
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut rng = StdRng::seed_from_u64(options.seed);
    let today = Utc::now().date_naive();
    let mut issuer = Issuer::default();
    let mut summary = GenerateSummary::default();

    write_geography(out)?;

    // ASLs weighted by their region's population, split evenly within the region.
    let mut slots = Vec::new();
    let mut total = 0.0;
    for region in REGIONS {
        for asl in region.asls {
            total += f64::from(region.weight) / region.asls.len() as f64;
            slots.push(AslSlot {
                region,
                asl,
                cumulative: total,
                mmgs: Vec::new(),
            });
        }
    }

    // MMGs: the pinned ones, then about one per `patients_per_mmg` adults of each ASL.
    let mut mmg_out = writer(out, MMG, MMG_HEADER)?;
    for pinned in &options.pinned {
        let Some(slot) = slots
            .iter_mut()
            .find(|s| s.region.code == pinned.region_code && s.asl.code == pinned.asl_code)
        else {
            bail!(
                "pinned MMG {}: no ASL {}/{}",
                pinned.cf,
                pinned.region_code,
                pinned.asl_code
            );
        };
        // A pinned code is written as given: it must be a real one (birth date included).
        let pinned_cf = CodiceFiscale::parse(&pinned.cf)
            .with_context(|| format!("pinned MMG {:?}", pinned.cf))?;
        let first15: [u8; 15] = pinned_cf.as_str().as_bytes()[..15]
            .try_into()
            .with_context(|| format!("pinned MMG {pinned_cf}: not a personal code"))?;
        issuer.issue(first15);
        slot.mmgs.push(pinned.cf.clone());
        writeln!(
            mmg_out,
            "{};{};{};{};{}",
            pinned.cf, pinned.surname, pinned.name, pinned.region_code, pinned.asl_code
        )?;
        summary.mmg += 1;
    }
    let mut previous_cumulative = 0.0;
    for slot in &mut slots {
        let share = (slot.cumulative - previous_cumulative) / total;
        previous_cumulative = slot.cumulative;
        let adults = options.assistiti as f64 * share * 0.86;
        let wanted = ((adults / options.patients_per_mmg as f64).ceil() as usize).max(1);
        while slot.mmgs.len() < wanted {
            let person = random_person(&mut rng, slot.region, today, 30, 68);
            let Some(code) = issuer.issue(person.cf_base()) else {
                continue;
            };
            writeln!(
                mmg_out,
                "{code};{};{};{};{}",
                person.surname, person.name, slot.region.code, slot.asl.code
            )?;
            slot.mmgs.push(code);
            summary.mmg += 1;
        }
    }
    mmg_out.flush()?;

    let mut assistiti = writer(out, ASSISTITI, ASSISTITI_HEADER)?;
    let mut staff = writer(out, PERSONALE_STATALI, PERSONALE_STATALI_HEADER)?;
    let mut previous: Option<Person> = None;
    let mut pinned_left: Vec<(usize, u64)> = options
        .pinned
        .iter()
        .filter_map(|p| {
            slots
                .iter()
                .position(|s| s.region.code == p.region_code && s.asl.code == p.asl_code)
                .map(|i| (i, p.staff_patients))
        })
        .collect();
    let pinned_cfs: Vec<&str> = options.pinned.iter().map(|p| p.cf.as_str()).collect();
    let mut made = 0u64;
    while made < options.assistiti {
        // The pinned MMGs' staff patients come first.
        let pinned = pinned_left
            .iter_mut()
            .zip(&pinned_cfs)
            .find(|((_, left), _)| *left > 0);
        let (slot_index, forced_mmg) = match pinned {
            Some(((slot, left), cf)) => {
                *left -= 1;
                (*slot, Some(*cf))
            }
            None => {
                let x = rng.random::<f64>() * total;
                (
                    slots
                        .partition_point(|s| s.cumulative < x)
                        .min(slots.len() - 1),
                    None,
                )
            }
        };
        let slot = &slots[slot_index];
        let person = match (&previous, made % 9973 == 17) {
            // Same data as the previous person: an omocodia case, on purpose.
            (Some(p), true) => *p,
            _ if forced_mmg.is_some() => random_person(&mut rng, slot.region, today, 30, 60),
            _ => random_person(&mut rng, slot.region, today, 0, 96),
        };
        let Some(code) = issuer.issue(person.cf_base()) else {
            continue;
        };
        let age = age(person.birth, today);
        let mmg = match forced_mmg {
            Some(cf) => Some(cf.to_owned()),
            None if age < 14 || rng.random_bool(0.03) => None,
            None => Some(slot.mmgs[rng.random_range(0..slot.mmgs.len())].clone()),
        };
        let status = match (forced_mmg, rng.random::<f64>()) {
            (Some(_), _) => "vivo",
            (None, r) if r < 0.005 => "deceduto",
            (None, r) if r < 0.008 => "emigrato",
            _ => "vivo",
        };
        match status {
            "deceduto" => summary.deceased += 1,
            "emigrato" => summary.emigrated += 1,
            _ => {}
        }
        if mmg.is_none() {
            summary.without_mmg += 1;
        }
        writeln!(
            assistiti,
            "{code};{};{};{};{};{};{status}",
            person.name,
            person.surname,
            slot.region.code,
            slot.asl.code,
            mmg.as_deref().unwrap_or("")
        )?;
        if forced_mmg.is_some() || ((25..=67).contains(&age) && rng.random_bool(0.035)) {
            writeln!(staff, "{code}")?;
            summary.staff += 1;
            // Now and then a staff member the registry does not know (removed when matched).
            if rng.random_bool(0.01) {
                let stranger = random_person(&mut rng, slot.region, today, 25, 67);
                if let Some(unknown) = issuer.issue(stranger.cf_base()) {
                    writeln!(staff, "{unknown}")?;
                    summary.staff += 1;
                }
            }
        }
        previous = Some(person);
        made += 1;
    }
    assistiti.flush()?;
    staff.flush()?;
    summary.assistiti = made;
    summary.omocodic = issuer.omocodic;
    Ok(summary)
}

fn writer(dir: &Path, name: &str, header: &str) -> anyhow::Result<BufWriter<File>> {
    let path = dir.join(name);
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    writeln!(out, "{header}")?;
    Ok(out)
}

fn write_geography(out: &Path) -> anyhow::Result<()> {
    let mut regions = writer(out, REGIONI, REGIONI_HEADER)?;
    let mut asls = writer(out, ASL, ASL_HEADER)?;
    let mut comuni = writer(out, COMUNI, COMUNI_HEADER)?;
    for region in REGIONS {
        writeln!(regions, "{};{}", region.code, region.name)?;
        for asl in region.asls {
            writeln!(asls, "{};{};{}", region.code, asl.code, asl.name)?;
            for (code, name, province) in asl.municipalities {
                writeln!(
                    comuni,
                    "{code};{name};{province};{};{}",
                    region.code, asl.code
                )?;
            }
        }
    }
    regions.flush()?;
    asls.flush()?;
    comuni.flush()?;
    Ok(())
}

/// Someone aged `min_age..max_age`, born mostly in their region, sometimes elsewhere or abroad.
fn random_person(
    rng: &mut StdRng,
    region: &'static RegionData,
    today: NaiveDate,
    min_age: i64,
    max_age: i64,
) -> Person {
    let female = rng.random_bool(0.51);
    let names = if female { FEMALE } else { MALE };
    let days = rng.random_range(min_age * 365..max_age * 365 + 364);
    let birth = today - Duration::days(days);
    let roll = rng.random::<f64>();
    let place = if roll < 0.80 {
        random_place(rng, region)
    } else if roll < 0.95 {
        let elsewhere = &REGIONS[rng.random_range(0..REGIONS.len())];
        random_place(rng, elsewhere)
    } else {
        ABROAD[rng.random_range(0..ABROAD.len())]
    };
    Person {
        surname: SURNAMES[rng.random_range(0..SURNAMES.len())],
        name: names[rng.random_range(0..names.len())],
        female,
        birth,
        place,
    }
}

fn random_place(rng: &mut StdRng, region: &'static RegionData) -> &'static str {
    let asl = &region.asls[rng.random_range(0..region.asls.len())];
    asl.municipalities[rng.random_range(0..asl.municipalities.len())].0
}

fn age(birth: NaiveDate, today: NaiveDate) -> i64 {
    let mut years = i64::from(today.year() - birth.year());
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codice_fiscale::CfError;

    /// The CFs (first column) of a generated file, header skipped.
    fn cfs(dir: &Path, file: &str) -> Vec<String> {
        std::fs::read_to_string(dir.join(file))
            .unwrap_or_default()
            .lines()
            .skip(1)
            .filter_map(|line| line.split(';').next().map(str::to_owned))
            .collect()
    }

    #[test]
    fn every_generated_code_is_a_valid_cf_with_a_real_birth_date() {
        let dir = tempfile::tempdir().expect("temp dir");
        let summary = generate(dir.path(), &GenerateOptions::new(20_000)).expect("generate");
        assert!(summary.omocodic > 0, "omocodic codes are part of the check");
        let mut codes = cfs(dir.path(), ASSISTITI);
        codes.extend(cfs(dir.path(), MMG));
        codes.extend(cfs(dir.path(), PERSONALE_STATALI));
        assert!(codes.len() as u64 >= summary.assistiti + summary.mmg);
        let women = codes
            .iter()
            .filter(|cf| cf.len() == 16 && matches!(cf.as_bytes()[9], b'4'..=b'7' | b'Q'..=b'T'))
            .count();
        assert!(women > 0, "women's days (+40) are part of the check");
        for cf in &codes {
            assert_eq!(
                CodiceFiscale::parse(cf).map(|c| c.to_string()),
                Ok(cf.clone())
            );
        }
    }

    #[test]
    fn a_pinned_mmg_with_an_impossible_birth_date_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut options = GenerateOptions::new(100);
        options.pinned.push(PinnedMmg {
            // 31 April (the date is judged before the check letter).
            cf: "RSSMRA80D31H501X".into(),
            surname: "Rossi".into(),
            name: "Mario".into(),
            region_code: "120".into(),
            asl_code: "201".into(),
            staff_patients: 0,
        });
        let error = generate(dir.path(), &options).expect_err("refused");
        assert!(
            format!("{error:#}").contains(&CfError::BirthDate.to_string()),
            "{error:#}"
        );
    }
}
