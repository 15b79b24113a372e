//! Where a paritarie row's staff go (seed 003 §2.4.2): the file gives a region and a province,
//! the statistic is per ASL. A province whose territory is one ASL's goes to it; one spread over
//! several ASLs goes **whole** to the ASL that covers the most of its municipalities (the
//! seed's rule), and on a tie to the one with the lowest ASL code, so the same registry always
//! places a file the same way. A region or province the registry does not know, or a province
//! not in that region, is not placed: the row is reported with why.

use std::collections::HashMap;

use crate::domain::{AslCode, RegionCode};
use crate::store::{ProvinceAsl, Region};

/// The registry's regions and provinces, ready to place rows.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    /// Region by normalised name, and by code.
    regions_by_name: HashMap<String, RegionCode>,
    region_codes: Vec<RegionCode>,
    /// (region, province) → the ASL its staff go to.
    asl_of: HashMap<(RegionCode, String), AslCode>,
    /// Province → the regions it has municipalities in (to say why a row does not fit).
    province_regions: HashMap<String, Vec<RegionCode>>,
}

/// Why a row could not be placed, as the report says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotPlaced {
    UnknownRegion,
    UnknownProvince,
    ProvinceOfAnotherRegion(Vec<RegionCode>),
}

impl std::fmt::Display for NotPlaced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotPlaced::UnknownRegion => f.write_str("region unknown to the registry"),
            NotPlaced::UnknownProvince => f.write_str("province unknown to the registry"),
            NotPlaced::ProvinceOfAnotherRegion(regions) => {
                let codes: Vec<&str> = regions.iter().map(RegionCode::as_str).collect();
                write!(
                    f,
                    "the province is not in that region (it is in {})",
                    codes.join(", ")
                )
            }
        }
    }
}

impl Placement {
    pub fn new(regions: &[Region], province_asls: &[ProvinceAsl]) -> Placement {
        let mut placement = Placement::default();
        for region in regions {
            placement.region_codes.push(region.code);
            placement
                .regions_by_name
                .insert(normalised(&region.name), region.code);
            // "Valle d'Aosta/Vallée d'Aoste": either name.
            for part in region.name.split('/') {
                placement
                    .regions_by_name
                    .insert(normalised(part), region.code);
            }
        }
        // The best ASL of each (region, province): most municipalities, then lowest code.
        let mut best: HashMap<(RegionCode, String), (u64, AslCode)> = HashMap::new();
        for row in province_asls {
            let key = (row.region_code, row.province.to_ascii_uppercase());
            let candidate = (row.municipalities, row.asl_code);
            best.entry(key)
                .and_modify(|current| {
                    let better = candidate.0 > current.0
                        || (candidate.0 == current.0 && candidate.1 < current.1);
                    if better {
                        *current = candidate;
                    }
                })
                .or_insert(candidate);
            let regions = placement
                .province_regions
                .entry(row.province.to_ascii_uppercase())
                .or_default();
            if !regions.contains(&row.region_code) {
                regions.push(row.region_code);
            }
        }
        placement.asl_of = best.into_iter().map(|(key, (_, asl))| (key, asl)).collect();
        placement
    }

    /// The region a file names, by 3-digit code or by name (case, accents, spaces and
    /// punctuation aside).
    pub fn region(&self, text: &str) -> Option<RegionCode> {
        if let Ok(code) = RegionCode::parse(text) {
            return self.region_codes.contains(&code).then_some(code);
        }
        self.regions_by_name.get(&normalised(text)).copied()
    }

    /// The ASL a row's staff go to.
    pub fn place(&self, region: &str, province: &str) -> Result<(RegionCode, AslCode), NotPlaced> {
        let region = self.region(region).ok_or(NotPlaced::UnknownRegion)?;
        let province = province.to_ascii_uppercase();
        if let Some(asl) = self.asl_of.get(&(region, province.clone())) {
            return Ok((region, *asl));
        }
        match self.province_regions.get(&province) {
            Some(regions) => Err(NotPlaced::ProvinceOfAnotherRegion(regions.clone())),
            None => Err(NotPlaced::UnknownProvince),
        }
    }
}

/// A name as compared: lower case, accents dropped, letters and digits only.
fn normalised(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// A province sigla as the file must write it: two letters.
pub fn is_province_sigla(text: &str) -> bool {
    text.len() == 2 && text.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> RegionCode {
        RegionCode::parse(text).unwrap_or_else(|_| unreachable!())
    }

    fn asl(text: &str) -> AslCode {
        AslCode::parse(text).unwrap_or_else(|_| unreachable!())
    }

    fn row(province: &str, region: &str, asl_code: &str, municipalities: u64) -> ProvinceAsl {
        ProvinceAsl {
            province: province.into(),
            region_code: code(region),
            asl_code: asl(asl_code),
            municipalities,
        }
    }

    fn placement() -> Placement {
        Placement::new(
            &[
                Region {
                    code: code("120"),
                    name: "Lazio".into(),
                },
                Region {
                    code: code("020"),
                    name: "Valle d'Aosta/Vallée d'Aoste".into(),
                },
            ],
            &[
                // Rome: three ASLs, 203 has the most municipalities.
                row("RM", "120", "201", 1),
                row("RM", "120", "203", 3),
                row("RM", "120", "202", 2),
                // Latina: a tie, the lowest code wins whatever the order.
                row("LT", "120", "206", 2),
                row("LT", "120", "205", 2),
                row("AO", "020", "101", 1),
            ],
        )
    }

    #[test]
    fn a_split_province_goes_whole_to_the_asl_with_most_municipalities() {
        assert_eq!(
            placement().place("Lazio", "rm"),
            Ok((code("120"), asl("203")))
        );
    }

    #[test]
    fn a_tie_goes_to_the_lowest_asl_code() {
        assert_eq!(
            placement().place("120", "LT"),
            Ok((code("120"), asl("205")))
        );
    }

    #[test]
    fn regions_by_code_or_by_any_spelling_of_their_name() {
        let placement = placement();
        for name in ["LAZIO", " lazio", "120"] {
            assert_eq!(placement.region(name), Some(code("120")), "{name}");
        }
        for name in ["Valle d'Aosta", "VALLE D AOSTA", "Vallée d'Aoste", "020"] {
            assert_eq!(placement.region(name), Some(code("020")), "{name}");
        }
        assert_eq!(placement.region("999"), None);
        assert_eq!(placement.region("Atlantide"), None);
    }

    #[test]
    fn what_cannot_be_placed_says_why() {
        let placement = placement();
        assert_eq!(
            placement.place("Atlantide", "RM"),
            Err(NotPlaced::UnknownRegion)
        );
        assert_eq!(
            placement.place("Lazio", "ZZ"),
            Err(NotPlaced::UnknownProvince)
        );
        assert_eq!(
            placement.place("Lazio", "AO"),
            Err(NotPlaced::ProvinceOfAnotherRegion(vec![code("020")]))
        );
        assert!(placement
            .place("Lazio", "AO")
            .err()
            .is_some_and(|why| why.to_string().contains("020")));
    }
}
