//! `tsgate validate`, `tsgate kit` and `tsgate conformance report`: the integrator's offline
//! check, the kit as a file and a caller's conformance report (the rules are in [`crate::kit`]).

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use serde_json::json;

use super::{open_store, target_config, Target};
use crate::config::Config;
use crate::kit::validate::{Validator, Verdict};
use crate::kit::{archive, report};
use crate::soap::publication::Publication;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args)]
pub struct ValidateArgs {
    /// Envelope files; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The service the envelopes are sent to (`/ws/<SERVICE>`: Servizi, InvioOTP, Sierologici,
    /// ASL); default: the one whose operation the payload is.
    #[arg(long)]
    service: Option<String>,
    /// The Content-Type they are sent with; default: the SOAP version the envelope declares.
    #[arg(long)]
    content_type: Option<String>,
    /// Judge as the gateway of this configuration file does (its services and limits);
    /// default: a gateway at the default settings offering every service.
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// Prints one verdict per file; exit status 0 when every file is valid, 1 otherwise.
pub fn validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let validator = match &args.config {
        Some(file) => Validator::for_gateway(&Config::load(file)?)?,
        None => Validator::with_defaults()?,
    };
    let mut all_valid = true;
    let mut rows = Vec::with_capacity(args.files.len());
    let mut out = std::io::stdout().lock();
    for file in &args.files {
        let body = read(file)?;
        let verdict = validator.check(&body, args.content_type.as_deref(), args.service.as_deref());
        all_valid &= matches!(verdict, Verdict::Valid { .. });
        let name = file.display().to_string();
        match args.format {
            Format::Text => writeln!(out, "{}", text(&name, &verdict))?,
            Format::Json => rows.push(as_json(&name, &verdict)),
        }
    }
    if let Format::Json = args.format {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn read(file: &PathBuf) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut body)
            .context("reading standard input")?;
    } else {
        body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    }
    Ok(body)
}

fn text(file: &str, verdict: &Verdict) -> String {
    match verdict {
        Verdict::Valid { service, operation } => format!("{file}: valid ({service} {operation})"),
        Verdict::Invalid(refusal) => format!(
            "{file}: invalid: {} (HTTP {}): {}",
            refusal.code, refusal.status, refusal.reason
        ),
    }
}

fn as_json(file: &str, verdict: &Verdict) -> serde_json::Value {
    match verdict {
        Verdict::Valid { service, operation } => json!({
            "file": file,
            "valid": true,
            "service": service,
            "operation": operation,
        }),
        Verdict::Invalid(refusal) => {
            let mut row = json!({
                "file": file,
                "valid": false,
                "status": refusal.status,
                "fault": refusal.code,
                "reason": refusal.reason,
            });
            if let (Some(violation), Some(fields)) = (&refusal.violation, row.as_object_mut()) {
                fields.insert("line".into(), json!(violation.line));
                fields.insert("column".into(), json!(violation.column));
                fields.insert("element".into(), json!(violation.element));
                fields.insert("path".into(), json!(violation.path));
                fields.insert("rule".into(), json!(violation.rule));
            }
            row
        }
    }
}

#[derive(Args)]
pub struct KitArgs {
    /// Where to write the zip.
    #[arg(long)]
    out: PathBuf,
    /// The gateway whose address the WSDLs carry (`server.public_url`); default: the address
    /// the shipped WSDLs carry, https://localhost:8443.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Writes the kit `GET /kit.zip` serves.
pub fn kit(args: KitArgs) -> anyhow::Result<()> {
    let public_url = match &args.config {
        Some(file) => Config::load(file)?.server.public_url,
        None => crate::soap::publication::SHIPPED_BASE.to_owned(),
    };
    let zip = archive::build(&Publication::new(&public_url))?;
    std::fs::write(&args.out, &zip).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{}: the integrator's kit for {public_url} ({} bytes)",
        args.out.display(),
        zip.len()
    );
    Ok(())
}

#[derive(clap::Subcommand)]
pub enum ConformanceCommand {
    /// The checklist of one caller's calls against the conformance kit: which operations it
    /// exercised, which outcomes it has seen, which documented cases it never triggered. Only
    /// on a gateway with `extensions.conformance_report` on (a sandbox; the demo has it).
    Report {
        #[command(flatten)]
        target: Target,
        /// The caller as the access log names it: a region code (120), an operator's user id
        /// (Basic + pincode calls) or CF (national-card calls).
        #[arg(long)]
        caller: String,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

/// Prints the conformance report of a caller.
pub async fn conformance(command: ConformanceCommand) -> anyhow::Result<()> {
    let ConformanceCommand::Report {
        target,
        caller,
        format,
    } = command;
    let config = target_config(&target)?;
    if !config.extensions.conformance_report {
        bail!(
            "the conformance report is off on this gateway: it is meant for a sandbox, where \
             [extensions] conformance_report = true turns it on (the demo has it on)"
        );
    }
    let caller = caller.trim();
    if caller.is_empty() {
        bail!("--caller is empty: give a region code, a user id or a CF");
    }
    let store = open_store(&target).await?;
    let report = report::report(store.as_ref(), &Validator::with_defaults()?, caller).await?;
    match format {
        Format::Text => println!("{report}"),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(())
}
