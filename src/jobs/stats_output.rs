//! `tsgate stats miur` (and the Commissioner's archive): the latest statistic of each MIUR kind, per region and per ASL, as the
//! tables of seed 003 §2.4 name their fields, in CSV (`;`, one header line) or JSON. "Data
//! statistica" is Europe/Rome time, `yyyy-MM-dd HH:mm:ss`.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::store::{Figures, MiurKind, MiurStatistic, Store, StoreError};

/// The latest statistic of each kind that has one, in [`MiurKind::ALL`]'s order: what `tsgate
/// stats miur` prints and the Commissioner's archive carries.
pub async fn latest(store: &dyn Store) -> Result<Vec<MiurStatistic>, StoreError> {
    let mut latest = Vec::with_capacity(MiurKind::ALL.len());
    for kind in MiurKind::ALL {
        if let Some(statistic) = store.miur_statistics().latest(kind).await? {
            latest.push(statistic);
        }
    }
    Ok(latest)
}

/// The CSV's header line. `livello` is `totale`, `regione`, `asl` or `non_attribuito` (a
/// paritarie row the registry could not place: its region and province as the file wrote
/// them, and why).
pub const CSV_HEADER: &str = "tipo;data_statistica;livello;codice_regione;codice_asl;\
     codici_fiscali_validati;soggetti_con_medico;soggetti_senza_medico;soggetti_paritarie;\
     regione_file;provincia_file;motivo";

/// "Data statistica" as printed.
pub fn data_statistica(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Rome)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A CSV field: quoted when it holds a separator, a quote or a line end.
fn field(text: &str) -> String {
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The statistics as CSV, header included.
pub fn csv(statistics: &[MiurStatistic]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for s in statistics {
        let head = format!("{};{}", s.kind, data_statistica(s.computed_at));
        let validated = s.validated_cfs.map(|v| v.to_string()).unwrap_or_default();
        let figures = |f: Figures| format!("{};{};{}", f.with_mmg, f.without_mmg, f.paritarie);
        out.push_str(&format!(
            "{head};totale;;;{validated};{};;;\n",
            figures(s.total())
        ));
        for (region, f) in s.per_region() {
            out.push_str(&format!("{head};regione;{region};;;{};;;\n", figures(f)));
        }
        for asl in &s.per_asl {
            out.push_str(&format!(
                "{head};asl;{};{};;{};;;\n",
                asl.region_code,
                asl.asl_code,
                figures(asl.figures)
            ));
        }
        for u in &s.unplaced {
            out.push_str(&format!(
                "{head};non_attribuito;;;;;;{};{};{};{}\n",
                u.staff,
                field(&u.region),
                field(&u.province),
                field(&u.reason)
            ));
        }
    }
    out
}

fn figures_json(f: Figures) -> Value {
    json!({
        "soggetti_con_medico": f.with_mmg,
        "soggetti_senza_medico": f.without_mmg,
        "soggetti_paritarie": f.paritarie,
    })
}

/// The statistics as a JSON array, one object per kind.
pub fn json(statistics: &[MiurStatistic]) -> Value {
    Value::Array(
        statistics
            .iter()
            .map(|s| {
                json!({
                    "tipo": s.kind.as_str(),
                    "data_statistica": data_statistica(s.computed_at),
                    "righe_lette": s.rows_read,
                    "righe_scartate": s.rows_rejected,
                    "codici_fiscali_validati": s.validated_cfs,
                    "totale": figures_json(s.total()),
                    "regioni": s.per_region().into_iter().map(|(region, f)| {
                        let mut v = figures_json(f);
                        v["codice_regione"] = json!(region.as_str());
                        v
                    }).collect::<Vec<_>>(),
                    "asl": s.per_asl.iter().map(|a| {
                        let mut v = figures_json(a.figures);
                        v["codice_regione"] = json!(a.region_code.as_str());
                        v["codice_asl"] = json!(a.asl_code.as_str());
                        v
                    }).collect::<Vec<_>>(),
                    "non_attribuiti": s.unplaced.iter().map(|u| json!({
                        "regione": u.region,
                        "provincia": u.province,
                        "soggetti_paritarie": u.staff,
                        "motivo": u.reason,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AslCode, RegionCode};
    use crate::store::{AslFigures, MiurKind, Unplaced};
    use chrono::TimeZone;

    #[test]
    fn csv_has_totals_regions_asls_and_what_was_not_placed() {
        let region = RegionCode::parse("120").unwrap_or_else(|_| unreachable!());
        let asl = AslCode::parse("201").unwrap_or_else(|_| unreachable!());
        let statistic = MiurStatistic {
            kind: MiurKind::Paritarie,
            computed_at: Utc
                .with_ymd_and_hms(2026, 7, 1, 8, 0, 0)
                .single()
                .unwrap_or_else(|| unreachable!()),
            validated_cfs: None,
            rows_read: 2,
            rows_rejected: 0,
            per_asl: vec![AslFigures {
                region_code: region,
                asl_code: asl,
                figures: Figures {
                    paritarie: 40,
                    ..Figures::default()
                },
            }],
            unplaced: vec![Unplaced {
                region: "Atlantide; nord".into(),
                province: "AT".into(),
                staff: 3,
                reason: "region unknown to the registry".into(),
            }],
        };
        let text = csv(std::slice::from_ref(&statistic));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], CSV_HEADER);
        assert_eq!(
            lines[1],
            "paritarie;2026-07-01 10:00:00;totale;;;;0;0;40;;;"
        );
        assert_eq!(
            lines[2],
            "paritarie;2026-07-01 10:00:00;regione;120;;;0;0;40;;;"
        );
        assert_eq!(
            lines[3],
            "paritarie;2026-07-01 10:00:00;asl;120;201;;0;0;40;;;"
        );
        assert_eq!(
            lines[4],
            "paritarie;2026-07-01 10:00:00;non_attribuito;;;;;;3;\"Atlantide; nord\";AT;region unknown to the registry"
        );
        for line in &lines {
            assert_eq!(
                line.matches(';').count() - line.matches("; ").count(),
                11,
                "{line}"
            );
        }
        let value = json(&[statistic]);
        assert_eq!(value[0]["asl"][0]["soggetti_paritarie"], 40);
        assert_eq!(value[0]["codici_fiscali_validati"], Value::Null);
        assert_eq!(value[0]["non_attribuiti"][0]["soggetti_paritarie"], 3);
    }
}
