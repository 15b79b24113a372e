//! `tsgate miur import` and `tsgate stats miur`: the MIUR staff files and their statistics
//! (README "MIUR staff lists").

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use super::progress_bar::TerminalProgress;
use super::{audited, open_store, Target};
use crate::audit::{Actor, AdminOperation};
use crate::jobs::miur::{Intake, MiurImportReport};
use crate::jobs::stats_output;
use crate::store::MiurKind;

#[derive(Subcommand)]
pub(super) enum MiurCommand {
    /// Import one MIUR file (seed 003 §2.4): count it into a statistic, then apply §2.5.
    /// Re-sending a kind replaces that kind's previous list.
    Import {
        #[command(flatten)]
        target: Target,
        /// statali (§2.4.1), paritarie (§2.4.2) or trento-bolzano (§2.4.3).
        #[arg(long, value_enum)]
        kind: Kind,
        /// The file (UTF-8, `;`-separated, one header line).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub(super) enum StatsCommand {
    /// The latest statistic of each MIUR kind, per region and per ASL.
    Miur {
        #[command(flatten)]
        target: Target,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum Kind {
    Statali,
    Paritarie,
    TrentoBolzano,
}

impl From<Kind> for MiurKind {
    fn from(kind: Kind) -> MiurKind {
        match kind {
            Kind::Statali => MiurKind::Statali,
            Kind::Paritarie => MiurKind::Paritarie,
            Kind::TrentoBolzano => MiurKind::TrentoBolzano,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
    Csv,
    Json,
}

pub(super) async fn miur(command: MiurCommand) -> anyhow::Result<()> {
    let MiurCommand::Import { target, kind, file } = command;
    let kind = MiurKind::from(kind);
    let store = open_store(&target).await?;
    let progress = TerminalProgress::new();
    let intake = Intake {
        store: store.as_ref(),
        actor: Actor::cli(),
        progress: &progress,
    };
    let report = intake.import_file(kind, &file).await;
    let detail = report.as_ref().ok().map(MiurImportReport::summary);
    let report = audited(
        store.as_ref(),
        AdminOperation::MiurImport,
        Some(kind.as_str().to_owned()),
        detail,
        report.map_err(anyhow::Error::from),
    )
    .await?;
    for problem in &report.problems {
        eprintln!(
            "{}: line {}: {}",
            file.display(),
            problem.line,
            problem.reason
        );
    }
    let unreported = report.statistic.rows_rejected - report.problems.len() as u64;
    if unreported > 0 {
        eprintln!("{}: {unreported} more rows rejected", file.display());
    }
    println!("{}: {}", file.display(), report.summary());
    Ok(())
}

pub(super) async fn stats(command: StatsCommand) -> anyhow::Result<()> {
    let StatsCommand::Miur { target, format } = command;
    let store = open_store(&target).await?;
    let latest = stats_output::latest(store.as_ref()).await?;
    match format {
        Format::Csv => print!("{}", stats_output::csv(&latest)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&stats_output::json(&latest))?
        ),
    }
    Ok(())
}
