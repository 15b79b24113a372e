//! The report's CSV (seed 003 §5.4): UTF-8, `;`-separated, one header line with the seed's field
//! names, then for each region a row of its totals (`Livello` = `regione`) followed by a row per
//! ASL (`asl`). "Data statistica" is the Europe/Rome date and time the figures were computed.

use chrono::{DateTime, Utc};

use crate::store::ReportFigures;

pub const HEADER: &str = "Data statistica;Livello;Codice regione;Regione;Codice ASL;ASL;\
Numero test sierologici eseguiti dal medico (scuola statale);\
Numero kit assegnati al medico (scuola statale);\
Numero test sierologici eseguiti dal medico (scuola paritaria);\
Numero test sierologici eseguiti dalla ASL";

/// The CSV of `figures` (ordered by region and ASL, as the store gives them) at `at`.
pub fn render(at: DateTime<Utc>, figures: &[ReportFigures]) -> Vec<u8> {
    let stamp = at
        .with_timezone(&chrono_tz::Europe::Rome)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let mut out = String::with_capacity(256 + figures.len() * 96);
    out.push_str(HEADER);
    out.push_str("\r\n");
    for region in figures.chunk_by(|a, b| a.region_code == b.region_code) {
        let Some(first) = region.first() else {
            continue;
        };
        let total = |field: fn(&ReportFigures) -> i64| region.iter().map(field).sum::<i64>();
        let counts = [
            total(|f| f.listed_staff_tests),
            total(|f| f.kits_assigned),
            total(|f| f.off_list_tests),
            total(|f| f.asl_tests),
        ];
        push_row(
            &mut out,
            [
                &stamp,
                "regione",
                first.region_code.as_str(),
                &first.region_name,
                "",
                "",
            ],
            counts,
        );
        for asl in region {
            push_row(
                &mut out,
                [
                    &stamp,
                    "asl",
                    asl.region_code.as_str(),
                    &asl.region_name,
                    asl.asl_code.as_str(),
                    &asl.asl_name,
                ],
                [
                    asl.listed_staff_tests,
                    asl.kits_assigned,
                    asl.off_list_tests,
                    asl.asl_tests,
                ],
            );
        }
    }
    out.into_bytes()
}

fn push_row(out: &mut String, texts: [&str; 6], counts: [i64; 4]) {
    for text in texts {
        out.push_str(&field(text));
        out.push(';');
    }
    let counts: Vec<String> = counts.iter().map(i64::to_string).collect();
    out.push_str(&counts.join(";"));
    out.push_str("\r\n");
}

/// A text field, quoted as spreadsheets read it when it holds a separator, a quote or a line
/// break.
fn field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AslCode, RegionCode};
    use chrono::TimeZone;

    fn asl(region: &str, code: &str, name: &str, counts: [i64; 4]) -> ReportFigures {
        ReportFigures {
            region_code: RegionCode::parse(region).unwrap(),
            region_name: format!("Regione {region}"),
            asl_code: AslCode::parse(code).unwrap(),
            asl_name: name.to_owned(),
            listed_staff_tests: counts[0],
            kits_assigned: counts[1],
            off_list_tests: counts[2],
            asl_tests: counts[3],
        }
    }

    #[test]
    fn regions_total_their_asls_and_names_are_quoted_when_needed() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 6, 0, 0).unwrap();
        let csv = render(
            at,
            &[
                asl("120", "201", "Roma 1", [3, 7, 1, 40]),
                asl("120", "202", "Roma; 2", [2, 5, 0, 10]),
                asl("130", "201", "L'Aquila", [0, 0, 0, 0]),
            ],
        );
        let text = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], HEADER);
        assert_eq!(
            lines[1],
            "2026-11-30 07:00:00;regione;120;Regione 120;;;5;12;1;50"
        );
        assert_eq!(
            lines[2],
            "2026-11-30 07:00:00;asl;120;Regione 120;201;Roma 1;3;7;1;40"
        );
        assert_eq!(
            lines[3],
            "2026-11-30 07:00:00;asl;120;Regione 120;202;\"Roma; 2\";2;5;0;10"
        );
        assert_eq!(
            lines[4],
            "2026-11-30 07:00:00;regione;130;Regione 130;;;0;0;0;0"
        );
        assert_eq!(
            lines.len(),
            7,
            "two regions, three ASLs, a final line break"
        );
    }
}
