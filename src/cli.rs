//! The command line: `demo`, `serve`, and the administration commands operators and tests use
//! (those acting as a security administrator are in [`administration`]). It only parses
//! arguments and prints: the administrative rules are in [`crate::admin`].

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

use crate::admin::certificates::{self, CaFiles, RevocationTarget};
use crate::admin::{regions, substitutes};
use crate::audit::{record_admin_action, Actor, AdminAction, AdminOperation, AdminOutcome};
use crate::config::Config;
use crate::domain::{CodiceFiscale, RegionCode};
use crate::jobs::commissario;
use crate::jobs::retention::{self, RetentionPolicy};
use crate::pki::ca::Subject;
use crate::pki::IssuedCertificate;
use crate::pki::{files, folder, pincode};
use crate::startup::{shutdown_signal, Application};
use crate::store::{
    self, AccessLogFilter, CertificateRecord, CertificateStatus, ChainReport, ChainedEntry, Store,
    StoreLock,
};
use crate::{demo, telemetry};

mod administration;
mod kit;
mod miur;
mod progress_bar;

#[derive(Parser)]
#[command(
    name = "tsgate",
    version,
    about = "SOAP/XML gateway for the Sistema TS COVID-19 services"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a local sandbox gateway (creates DIR on first run, reuses it afterwards).
    Demo {
        #[arg(long, default_value = "data/demo")]
        dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
    },
    /// Run the gateway from a configuration file (production entry point).
    Serve {
        #[arg(long)]
        config: PathBuf,
    },
    /// Manage the operators of your ASL and their profiles, as its security administrator.
    #[command(subcommand)]
    Users(administration::UsersCommand),
    /// Manage the security administrators, as the central security administrator.
    #[command(subcommand)]
    Admins(administration::AdminsCommand),
    /// Create the first central security administrator (`admin bootstrap`).
    #[command(subcommand)]
    Admin(administration::AdminCommand),
    /// Enable or disable a region for a service.
    #[command(subcommand)]
    Regions(RegionsCommand),
    /// The gateway CA's certificates: issue, renew, revoke, list (the register), the CRL.
    #[command(subcommand)]
    Certs(CertsCommand),
    /// Check the integrity of the access log, and search it (who did what, to whom, when).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Remove what is past its retention: access-log entries older than --keep-months, and the
    /// serology tests, ASL counts, staff lists and statistics older than their configured
    /// retention (12 months at most). The retained chain stays verifiable.
    Purge {
        #[command(flatten)]
        target: Target,
        /// Keep this many months of access-log entries.
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=120))]
        keep_months: u32,
    },
    /// The Commissioner's report (seed 003 §5).
    #[command(subcommand)]
    Report(ReportCommand),
    /// Load or generate the registry of assistiti (CSV files; see the README).
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// The MIUR's school-staff files (seed 003 §2.4): import one.
    #[command(subcommand)]
    Miur(miur::MiurCommand),
    /// Statistics: `stats miur`, the latest of each MIUR file.
    #[command(subcommand)]
    Stats(miur::StatsCommand),
    /// A titolare's authorisations of substitute doctors (seed 003 §3.3.1): list, revoke.
    /// Titolari authorise substitutes in the web application only (/web/medico/sostituti).
    #[command(subcommand)]
    Substitutes(SubstitutesCommand),
    /// Check envelopes offline exactly as the gateway would (envelope rules, then the payload
    /// against the published XSDs): `valid`, or the Fault it would get; exit status 1 if any
    /// is not valid.
    Validate(kit::ValidateArgs),
    /// Write the integrator's kit (what `GET /kit.zip` serves): WSDLs, XSDs, the conformance
    /// kit's samples and manifests, a README in Italian and English.
    Kit(kit::KitArgs),
    /// A caller's calls against the conformance kit (a sandbox's `extensions.conformance_report`).
    #[command(subcommand)]
    Conformance(kit::ConformanceCommand),
    /// Encrypt a pincode for the `pinCode` element, as a client does.
    EncryptPincode {
        /// The gateway's published pincode certificate (PEM).
        #[arg(long)]
        certificate: PathBuf,
        /// Read from standard input when absent.
        #[arg(long)]
        pincode: Option<String>,
    },
}

/// Which gateway to administer: a demo directory or a configuration file.
#[derive(Args)]
struct Target {
    /// A demo directory (as created by `tsgate demo`).
    #[arg(long, conflicts_with = "config")]
    dir: Option<PathBuf>,
    /// A configuration file (as used by `tsgate serve`).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// The figures of seed 003 §5.4 per region and ASL, in a zip archive encrypted with AES-256
    /// under a new password: written to --out (the password is shown once, on the terminal), or
    /// sent by PEC with --send (archive, then password, as `serve` sends it daily).
    Commissario {
        #[command(flatten)]
        target: Target,
        /// Write the archive to this new file (never overwritten).
        #[arg(long, required_unless_present = "send", conflicts_with = "send")]
        out: Option<PathBuf>,
        /// Send it by PEC to the configured recipients ([commissioner] of the configuration).
        #[arg(long)]
        send: bool,
    },
}

#[derive(Subcommand)]
enum RegionsCommand {
    Enable {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        code: String,
        #[arg(long)]
        service: String,
    },
    Disable {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        code: String,
        #[arg(long)]
        service: String,
    },
}

#[derive(Subcommand)]
enum CertsCommand {
    /// Fill a deployment's certificate folder with what is missing: the gateway CA, its CRL, the
    /// server certificate for --host, the pincode encryption key. Never overwrites a file. The
    /// server certificate enters the register when the gateway first starts.
    Init {
        /// The folder (the production example's paths are under `certs/`).
        #[arg(long, default_value = "certs")]
        dir: PathBuf,
        /// Host names (or IP addresses) of the server certificate; repeatable.
        #[arg(long, required = true)]
        host: Vec<String>,
    },
    /// Issue a certificate and record it in the register: `region --code 120`, `ministry` (the
    /// Ministry of Education's system, for its MIUR uploads), `operator --cf CF`, or
    /// `server --host H`.
    Issue {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        ca: CaDir,
        /// region | ministry | operator | server
        kind: String,
        #[arg(long)]
        code: Option<String>,
        #[arg(long)]
        cf: Option<String>,
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long)]
        host: Vec<String>,
        #[arg(long, default_value_t = 825)]
        days: i64,
        /// Output prefix: writes PREFIX.pem and PREFIX-key.pem.
        #[arg(long)]
        out: PathBuf,
    },
    /// Issue a region a new certificate before its current one expires; the current one stays
    /// valid until it expires or is revoked.
    Renew {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        ca: CaDir,
        /// The region's 3-digit code.
        #[arg(long)]
        code: String,
        #[arg(long, default_value_t = 825)]
        days: i64,
        /// Output prefix: writes PREFIX.pem and PREFIX-key.pem.
        #[arg(long)]
        out: PathBuf,
    },
    /// Revoke one certificate (--serial) or every valid certificate of a region (--code): the
    /// CRL is signed again and a running gateway applies it within tls.reload_interval_ms,
    /// open connections included.
    Revoke {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        ca: CaDir,
        #[arg(long, required_unless_present = "code", conflicts_with = "code")]
        serial: Option<String>,
        #[arg(long)]
        code: Option<String>,
    },
    /// The register: every certificate the gateway CA issued, with its status.
    List {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        ca: CaDir,
        /// Only the valid certificates that expire within DAYS.
        #[arg(long, value_name = "DAYS")]
        expiring: Option<u32>,
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Sign the CRL again now (a gateway with `pki.ca_key` does it by itself before it runs out).
    Crl {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        ca: CaDir,
    },
}

/// Where the gateway CA's files are, when not where the configuration says.
#[derive(Args)]
struct CaDir {
    /// Folder with ca.pem, ca-key.pem and crl.pem; default: the configuration's
    /// `tls.client_ca`, `pki.ca_key` and CRL (`DIR/certs` for the demo).
    #[arg(long)]
    ca_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// Load regioni.csv, asl.csv, comuni.csv, mmg.csv and assistiti.csv from FROM (those
    /// present), then match the school-staff lists again to the changed registry.
    Import {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        from: PathBuf,
    },
    /// Write a synthetic registry (the same CSV files) to OUT.
    Generate {
        #[arg(long)]
        assistiti: u64,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2020)]
        seed: u64,
        /// Adults per MMG in each ASL.
        #[arg(long, default_value_t = 1200)]
        patients_per_mmg: u64,
    },
}

#[derive(Subcommand)]
enum SubstitutesCommand {
    /// The titolare's authorisations.
    List {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        titolare: String,
    },
    /// Withdraw every authorisation of SUBSTITUTE by TITOLARE.
    Revoke {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        titolare: String,
        #[arg(long)]
        substitute: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain; exit non-zero at the first altered, removed or reordered entry.
    Verify {
        #[command(flatten)]
        target: Target,
    },
    /// The entries an auditor asks for, oldest first: who acted, what, on whom, when, with what
    /// outcome, from where. Every filter given must match.
    Show {
        #[command(flatten)]
        target: Target,
        /// Who acted: a caller id (region code, user id, administrator id, the OS user of a
        /// command-line action) or an operator's CF.
        #[arg(long)]
        actor: Option<String>,
        /// On whom an administrative action was (user id, region code, CF, serial...).
        #[arg(long = "target")]
        on: Option<String>,
        /// The operation: an administrative one (user-create, user-grant, region-enable,
        /// substitute-add, registry-import, purge...) or a SOAP one (InvioOTP...).
        #[arg(long)]
        operation: Option<String>,
        /// From this time, inclusive: RFC 3339 (2026-11-30T08:00:00Z) or a day (2026-11-30, UTC).
        #[arg(long, value_parser = parse_from)]
        from: Option<DateTime<Utc>>,
        /// Up to this time, inclusive: RFC 3339, or a day (through its end, UTC).
        #[arg(long, value_parser = parse_to)]
        to: Option<DateTime<Utc>>,
        /// Administrative actions only (implied by --target and by an administrative
        /// --operation). Without it, give a period for a large log: SOAP transactions are found
        /// by time.
        #[arg(long)]
        admin: bool,
        /// Show at most this many entries.
        #[arg(long, default_value_t = 1000)]
        limit: u64,
        /// One JSON object a line instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `--from`: a time, or the start of a day (UTC).
fn parse_from(text: &str) -> Result<DateTime<Utc>, String> {
    parse_time(text, 0)
}

/// `--to`: a time, or the end of a day (UTC), given as the start of the next one (exclusive).
fn parse_to(text: &str) -> Result<DateTime<Utc>, String> {
    parse_time(text, 1)
}

/// RFC 3339, or `yyyy-mm-dd` plus `days` at midnight UTC. A time is returned one millisecond
/// later when `days` is 1, so that it is included by the exclusive bound.
fn parse_time(text: &str, days: i64) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc) + chrono::TimeDelta::milliseconds(days));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.checked_add_days(chrono::Days::new(days as u64)))
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc())
        .ok_or_else(|| {
            format!("'{text}' is neither a time (2026-11-30T08:00:00Z) nor a day (2026-11-30)")
        })
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tsgate: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tsgate: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Demo { dir, listen } => {
            // Before the directory is touched: a second demo must not rewrite the first's files.
            let store_url = Config::with_env_overrides(&demo::settings(&dir, listen))?
                .store
                .url;
            let store_lock = StoreLock::acquire(&store_url)?;
            let demo = demo::prepare(&dir, listen).await?;
            telemetry::init(&demo.config.log);
            let application = Application::build_holding(demo.config.clone(), store_lock).await?;
            let shutdown = shutdown_signal()?;
            println!("{}", demo::banner(&demo, application.admin_addr()?));
            application.run_until(shutdown).await?;
        }
        Command::Serve { config } => {
            let config = Config::load(&config)?;
            telemetry::init(&config.log);
            let application = Application::build(config).await?;
            let shutdown = shutdown_signal()?;
            tracing::info!(
                address = %application.local_addr()?,
                admin = %application.admin_addr()?,
                "tsgate serving"
            );
            application.run_until(shutdown).await?;
        }
        Command::Users(command) => administration::users(command).await?,
        Command::Admins(command) => administration::admins(command).await?,
        Command::Admin(command) => administration::admin(command).await?,
        Command::Regions(command) => regions(command).await?,
        Command::Certs(command) => certs(command).await?,
        Command::Registry(command) => registry(command).await?,
        Command::Miur(command) => miur::miur(command).await?,
        Command::Stats(command) => miur::stats(command).await?,
        Command::Substitutes(command) => substitutes(command).await?,
        Command::Audit(AuditCommand::Show {
            target,
            actor,
            on,
            operation,
            from,
            to,
            admin,
            limit,
            json,
        }) => {
            if let (Some(from), Some(to)) = (from, to) {
                if from >= to {
                    bail!("--from must be before --to");
                }
            }
            let administrative = admin
                || on.is_some()
                || operation
                    .as_deref()
                    .and_then(AdminOperation::parse)
                    .is_some();
            let filter = AccessLogFilter {
                administrative,
                actor,
                target: on,
                operation,
                from,
                until: to,
            };
            let store = open_store(&target).await?;
            show_entries(store.as_ref(), &filter, limit, json).await?;
        }
        Command::Audit(AuditCommand::Verify { target }) => {
            let store = open_store(&target).await?;
            return Ok(match store::verify_chain(store.as_ref()).await? {
                report @ ChainReport::Intact { .. } => {
                    println!("{report}");
                    ExitCode::SUCCESS
                }
                report => {
                    println!("{report}");
                    ExitCode::from(2)
                }
            });
        }
        Command::Purge {
            target,
            keep_months,
        } => {
            let config = target_config(&target)?;
            let store = store::connect(&config.store.url).await?;
            let policy = RetentionPolicy {
                access_log_months: keep_months,
                ..RetentionPolicy::from_config(&config.store)
            };
            let purged =
                retention::purge_recorded(store.as_ref(), &policy, Actor::cli(), Utc::now(), true)
                    .await?;
            println!("removed {purged}");
            let report = store::verify_chain(store.as_ref()).await?;
            println!("{report}");
            if !matches!(report, ChainReport::Intact { .. }) {
                return Ok(ExitCode::from(2));
            }
        }
        Command::Report(ReportCommand::Commissario { target, out, send }) => {
            return report_commissario(&target, out.as_deref(), send).await;
        }
        Command::Validate(args) => return kit::validate(args),
        Command::Kit(args) => kit::kit(args)?,
        Command::Conformance(command) => kit::conformance(command).await?,
        Command::EncryptPincode {
            certificate,
            pincode,
        } => {
            let pincode = match pincode {
                Some(p) => p,
                None => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim().to_owned()
                }
            };
            println!(
                "{}",
                pincode::encrypt_for_certificate(&files::read_text(&certificate)?, &pincode)?
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The configuration of the demo in `dir` (as `tsgate demo --dir DIR` runs it by default).
fn demo_config(dir: &Path) -> anyhow::Result<Config> {
    Ok(Config::with_env_overrides(&demo::settings(
        dir,
        "127.0.0.1:8443".parse()?,
    ))?)
}

async fn open_store(target: &Target) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    Ok(store::connect(&target_config(target)?.store.url).await?)
}

/// `report commissario`: the archive written to `out` with its password shown once on the
/// terminal, or sent by PEC.
async fn report_commissario(
    target: &Target,
    out: Option<&Path>,
    send: bool,
) -> anyhow::Result<ExitCode> {
    let config = target_config(target)?;
    if send {
        let settings = config.commissioner.as_ref().context(
            "no [commissioner] section in the configuration: nowhere to send the report",
        )?;
        let sender = commissario::pec::PecSender::from_config(settings)?;
        let store = store::connect(&config.store.url).await?;
        let sent = commissario::send(store.as_ref(), &sender, Actor::cli(), Utc::now()).await?;
        println!(
            "sent {} (SHA-256 {}) to {}, then its password in a separate message",
            sent.archive_name, sent.sha256, sent.to
        );
        return Ok(ExitCode::SUCCESS);
    }
    let Some(out) = out else {
        bail!("give --out FILE or --send");
    };
    // The password is shown on the terminal only: never where output is kept (a file, a pipe).
    let mut terminal = password_terminal()?;
    let store = store::connect(&config.store.url).await?;
    let (written, password) =
        commissario::export(store.as_ref(), out, Actor::cli(), Utc::now()).await?;
    println!("wrote {} (SHA-256 {})", written.to, written.sha256);
    writeln!(
        terminal,
        "archive password (shown once, not stored anywhere): {}",
        password.expose()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Where a password may be shown: standard output if it is a terminal, else the process's
/// controlling terminal; refused when there is none.
fn password_terminal() -> anyhow::Result<Box<dyn std::io::Write>> {
    use std::io::IsTerminal as _;
    if std::io::stdout().is_terminal() {
        return Ok(Box::new(std::io::stdout()));
    }
    match std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        Ok(tty) => Ok(Box::new(tty)),
        Err(_) => bail!(
            "the archive's password is shown only on a terminal, and this process has none: \
             run it from a terminal, or send the report with --send"
        ),
    }
}

/// The configuration of the gateway `target` names.
fn target_config(target: &Target) -> anyhow::Result<Config> {
    Ok(match (&target.dir, &target.config) {
        (Some(dir), None) => demo_config(dir)?,
        (None, Some(file)) => Config::load(file)?,
        (None, None) => demo_config(Path::new("data/demo"))?,
        (Some(_), Some(_)) => bail!("give either --dir or --config"),
    })
}

/// Records an administrative attempt of the command line in the access log — done or refused —
/// and hands back its result. An action done but not recorded is reported as an error.
async fn audited<T>(
    store: &dyn Store,
    operation: AdminOperation,
    target: Option<String>,
    detail: Option<String>,
    result: anyhow::Result<T>,
) -> anyhow::Result<T> {
    let outcome = match &result {
        Ok(_) => AdminOutcome::Done,
        Err(error) => AdminOutcome::Refused(format!("{error:#}")),
    };
    let action = AdminAction {
        actor: Actor::cli(),
        operation,
        target,
        detail,
        outcome,
        client_address: None,
    };
    match record_admin_action(store, &action).await {
        Ok(_) => result,
        Err(not_recorded) => {
            let not_recorded = format!("{:#}", anyhow::Error::new(not_recorded));
            match result {
                Ok(_) => bail!("{operation} was done, but {not_recorded}"),
                Err(refused) => bail!("{refused:#}; and {not_recorded}"),
            }
        }
    }
}

async fn regions(command: RegionsCommand) -> anyhow::Result<()> {
    let (target, code, service, enable) = match command {
        RegionsCommand::Enable {
            target,
            code,
            service,
        } => (target, code, service, true),
        RegionsCommand::Disable {
            target,
            code,
            service,
        } => (target, code, service, false),
    };
    let code = RegionCode::parse(&code).map_err(|e| anyhow::anyhow!("--code: {e}"))?;
    let service = regions::service(&service)?;
    let store = open_store(&target).await?;
    let (operation, done) = if enable {
        let enabled = regions::enable(store.as_ref(), code, service).await;
        (AdminOperation::RegionEnable, enabled)
    } else {
        let disabled = regions::disable(store.as_ref(), code, service).await;
        (AdminOperation::RegionDisable, disabled)
    };
    audited(
        store.as_ref(),
        operation,
        Some(code.to_string()),
        Some(format!("service {service}")),
        done.map_err(anyhow::Error::from),
    )
    .await?;
    let done = if enable { "enabled" } else { "disabled" };
    println!("region {code} {done} for {service}");
    Ok(())
}

async fn registry(command: RegistryCommand) -> anyhow::Result<()> {
    match command {
        RegistryCommand::Import { target, from } => {
            let store = open_store(&target).await?;
            let started = std::time::Instant::now();
            let progress = progress_bar::TerminalProgress::new();
            let summary =
                crate::registry::import_with_progress(store.as_ref(), &from, &progress).await;
            let detail = summary.as_ref().ok().map(|summary| {
                let files: Vec<String> = summary
                    .files
                    .iter()
                    .map(|(file, rows)| format!("{file}: {rows} rows"))
                    .collect();
                files.join(", ")
            });
            let summary = audited(
                store.as_ref(),
                AdminOperation::RegistryImport,
                Some(from.display().to_string()),
                detail,
                summary,
            )
            .await?;
            for (file, rows) in &summary.files {
                println!("{file}: {rows} rows");
            }
            println!(
                "school staff: {} on an MMG's list, {} removed (unknown, deceased, emigrated or without MMG); {:.1} s",
                summary.staff.matched,
                summary.staff.removed,
                started.elapsed().as_secs_f64()
            );
        }
        RegistryCommand::Generate {
            assistiti,
            out,
            seed,
            patients_per_mmg,
        } => {
            let started = std::time::Instant::now();
            let mut options = crate::registry::GenerateOptions::new(assistiti);
            options.seed = seed;
            options.patients_per_mmg = patients_per_mmg;
            let s = crate::registry::generate(&out, &options)?;
            println!(
                "{}: {} assistiti ({} omocodic codes, {} deceased, {} emigrated, {} without MMG), {} MMG, {} school-staff rows; {:.1} s",
                out.display(),
                s.assistiti,
                s.omocodic,
                s.deceased,
                s.emigrated,
                s.without_mmg,
                s.mmg,
                s.staff,
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

fn parse_cf(flag: &str, text: &str) -> anyhow::Result<CodiceFiscale> {
    CodiceFiscale::parse(text).map_err(|e| anyhow::anyhow!("--{flag}: {e}"))
}

async fn substitutes(command: SubstitutesCommand) -> anyhow::Result<()> {
    match command {
        SubstitutesCommand::List { target, titolare } => {
            let titolare = parse_cf("titolare", &titolare)?;
            let store = open_store(&target).await?;
            for s in substitutes::list(store.as_ref(), &titolare).await? {
                println!("{};{};{}", s.substitute_cf, s.from, s.to);
            }
        }
        SubstitutesCommand::Revoke {
            target,
            titolare,
            substitute,
        } => {
            let titolare = parse_cf("titolare", &titolare)?;
            let substitute = parse_cf("substitute", &substitute)?;
            let store = open_store(&target).await?;
            let removed = substitutes::revoke(store.as_ref(), &titolare, &substitute).await;
            let removed = audited(
                store.as_ref(),
                AdminOperation::SubstituteRevoke,
                Some(substitute.to_string()),
                Some(format!("titolare {titolare}")),
                removed.map_err(anyhow::Error::from),
            )
            .await?;
            println!("{removed} authorisation(s) of {substitute} by {titolare} revoked");
        }
    }
    Ok(())
}

async fn certs(command: CertsCommand) -> anyhow::Result<()> {
    match command {
        CertsCommand::Init { dir, host } => {
            let filled = folder::init_gateway(&dir, host)?;
            for path in &filled.written {
                println!("created {}", path.display());
            }
            for path in &filled.kept {
                println!("kept    {} (already there)", path.display());
            }
        }
        CertsCommand::Issue {
            target,
            ca,
            kind,
            code,
            cf,
            name,
            host,
            days,
            out,
        } => {
            let subject = match kind.as_str() {
                "region" => Subject::Region {
                    code: parse_region_code(code.as_deref())?,
                },
                "operator" => Subject::Operator {
                    cf: CodiceFiscale::parse(cf.as_deref().unwrap_or(""))
                        .map_err(|e| anyhow::anyhow!("--cf: {e}"))?,
                    name,
                },
                "ministry" => Subject::Ministry,
                "server" if !host.is_empty() => Subject::Server { hosts: host },
                "server" => bail!("server certificates need at least one --host"),
                other => {
                    bail!(
                        "unknown certificate kind '{other}': use region, ministry, operator or server"
                    )
                }
            };
            let detail = describe_subject(&subject);
            let (store, files) = certs_target(&target, &ca).await?;
            let issuing = certificates::issue(store.as_ref(), &files, &subject, days).await;
            let serial = issuing
                .as_ref()
                .ok()
                .map(|(_, record)| record.serial.clone());
            let (issued, record) = audited(
                store.as_ref(),
                AdminOperation::CertificateIssue,
                serial,
                Some(detail),
                issuing.map_err(anyhow::Error::from),
            )
            .await?;
            let cert_path = write_issued(&out, &issued)?;
            println!(
                "issued {} (serial {}, valid until {})",
                cert_path.display(),
                record.serial,
                record.not_after.format("%Y-%m-%d")
            );
        }
        CertsCommand::Renew {
            target,
            ca,
            code,
            days,
            out,
        } => {
            let code = parse_region_code(Some(&code))?;
            let (store, files) = certs_target(&target, &ca).await?;
            let renewing = certificates::renew_region(store.as_ref(), &files, code, days).await;
            let (serial, detail) = match &renewing {
                Ok(renewal) => (
                    Some(renewal.record.serial.clone()),
                    format!("region {code}, renews {}", renewal.renewed.serial),
                ),
                Err(_) => (None, format!("region {code}")),
            };
            let renewal = audited(
                store.as_ref(),
                AdminOperation::CertificateRenew,
                serial,
                Some(detail),
                renewing.map_err(anyhow::Error::from),
            )
            .await?;
            let cert_path = write_issued(&out, &renewal.issued)?;
            println!(
                "issued {} (serial {}, valid until {}); it renews serial {}, which stays valid until {} unless revoked",
                cert_path.display(),
                renewal.record.serial,
                renewal.record.not_after.format("%Y-%m-%d"),
                renewal.renewed.serial,
                renewal.renewed.not_after.format("%Y-%m-%d")
            );
        }
        CertsCommand::Revoke {
            target,
            ca,
            serial,
            code,
        } => {
            let revocation = match (serial, code) {
                (Some(serial), None) => RevocationTarget::Serial(
                    certificates::parse_serial(&serial)
                        .map_err(|e| anyhow::anyhow!("--serial: {e}"))?,
                ),
                (None, Some(code)) => RevocationTarget::Region(parse_region_code(Some(&code))?),
                _ => bail!("give either --serial or --code"),
            };
            let asked = match &revocation {
                RevocationTarget::Serial(serial) => serial.clone(),
                RevocationTarget::Region(code) => format!("region {code}"),
            };
            let (store, files) = certs_target(&target, &ca).await?;
            let revoking = certificates::revoke(store.as_ref(), &files, revocation).await;
            let detail = match &revoking {
                Ok(revoked) if revoked.len() > 1 || asked.starts_with("region") => Some(
                    revoked
                        .iter()
                        .map(|r| r.serial.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                _ => None,
            };
            let revoked = audited(
                store.as_ref(),
                AdminOperation::CertificateRevoke,
                Some(asked),
                detail,
                revoking.map_err(anyhow::Error::from),
            )
            .await?;
            for revoked in revoked {
                let note = match (revoked.already_in_crl, revoked.registered) {
                    (true, _) => " (the CRL listed it already)",
                    (false, false) => " (not in the register: issued before it existed)",
                    (false, true) => "",
                };
                println!("serial {} revoked{note}", revoked.serial);
            }
            println!(
                "{} updated; a running gateway applies it within tls.reload_interval_ms",
                files.crl.display()
            );
        }
        CertsCommand::List {
            target,
            ca,
            expiring,
            json,
        } => {
            let (store, files) = certs_target(&target, &ca).await?;
            let now = chrono::Utc::now();
            let crl = files.read_crl()?;
            let mut listed = certificates::list(store.as_ref(), Some(&crl), now).await?;
            if let Some(days) = expiring {
                listed = certificates::expiring_within(listed, now, days);
            }
            print_certificates(&listed, now, json)?;
        }
        CertsCommand::Crl { target, ca } => {
            let (_store, files) = certs_target(&target, &ca).await?;
            let ca = files.load()?;
            let lock = files.lock_crl()?;
            let crl = files.read_crl()?;
            files
                .write_crl(&ca.resign_crl(&crl, time::Duration::try_from(files.crl_valid_for)?)?)?;
            drop(lock);
            println!(
                "{} signed again (number {}, valid {} s)",
                files.crl.display(),
                crl.number + 1,
                files.crl_valid_for.as_secs()
            );
        }
    }
    Ok(())
}

/// What a certificate is issued to, as the access log records it (never a secret).
fn describe_subject(subject: &Subject) -> String {
    match subject {
        Subject::Region { code } => format!("region {code}"),
        Subject::Ministry => "ministry (MIUR uploads)".to_owned(),
        Subject::Operator { cf, .. } => format!("operator {cf}"),
        Subject::Server { hosts } => format!("server {}", hosts.join(", ")),
        Subject::Client { name } => format!("client {name}"),
    }
}

fn parse_region_code(code: Option<&str>) -> anyhow::Result<RegionCode> {
    let Some(code) = code else {
        bail!("--code: a region certificate needs the region's 3-digit code");
    };
    RegionCode::parse(code).map_err(|e| anyhow::anyhow!("--code: {e}"))
}

/// The store and the CA files a `certs` command works on. The register is in the gateway's
/// store, so the gateway must be named.
async fn certs_target(
    target: &Target,
    ca: &CaDir,
) -> anyhow::Result<(std::sync::Arc<dyn Store>, CaFiles)> {
    let config = match (&target.dir, &target.config) {
        (Some(dir), None) => demo_config(dir)?,
        (None, Some(file)) => Config::load(file)?,
        (None, None) => bail!(
            "give --config FILE (or --dir DIR for a demo): the certificate register is in the gateway's store"
        ),
        (Some(_), Some(_)) => bail!("give either --dir or --config"),
    };
    let mut files = CaFiles::from_config(&config);
    if let Some(dir) = &ca.ca_dir {
        files = CaFiles {
            crl_url: files.crl_url,
            crl_valid_for: files.crl_valid_for,
            ..CaFiles::in_dir(dir)
        };
    }
    let store = store::connect(&config.store.url)
        .await
        .with_context(|| format!("store {}", crate::startup::redact_url(&config.store.url)))?;
    Ok((store, files))
}

/// Writes PREFIX.pem and PREFIX-key.pem (the key readable by the owner only).
fn write_issued(out: &Path, issued: &IssuedCertificate) -> anyhow::Result<PathBuf> {
    let cert_path = out.with_extension("pem");
    let key_path = PathBuf::from(format!("{}-key.pem", out.display()));
    files::write_secret(&key_path, &issued.key_pem)
        .with_context(|| format!("cannot write {}", key_path.display()))?;
    std::fs::write(&cert_path, &issued.cert_pem)
        .with_context(|| format!("cannot write {}", cert_path.display()))?;
    Ok(cert_path)
}

fn print_certificates(
    listed: &[(CertificateRecord, CertificateStatus)],
    now: chrono::DateTime<chrono::Utc>,
    json: bool,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut out = std::io::stdout().lock();
    if json {
        let rows: Vec<serde_json::Value> = listed
            .iter()
            .map(|(c, status)| {
                serde_json::json!({
                    "serial": c.serial,
                    "kind": c.kind.as_str(),
                    "subject": c.subject,
                    "region": c.region.map(|r| r.to_string()),
                    "not_before": time(c.not_before),
                    "not_after": time(c.not_after),
                    "issued_at": time(c.issued_at),
                    "revoked_at": c.revoked_at.map(time),
                    "replaces": c.replaces,
                    "status": status.as_str(),
                    "seconds_to_expiry": (c.not_after - now).num_seconds(),
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<32}  {:<8}  {:<6}  {:<20}  {:<7}  {:<32}  subject",
        "serial", "kind", "region", "not after", "status", "replaces"
    )?;
    for (c, status) in listed {
        writeln!(
            out,
            "{:<32}  {:<8}  {:<6}  {:<20}  {:<7}  {:<32}  {}",
            c.serial,
            c.kind.as_str(),
            c.region
                .map(|r| r.to_string())
                .unwrap_or_else(|| "-".into()),
            time(c.not_after),
            status.as_str(),
            c.replaces.as_deref().unwrap_or("-"),
            c.subject
        )?;
    }
    Ok(())
}

/// How many entries `audit show` reads at a time: memory stays bounded on a large log.
const SHOW_PAGE: i64 = 1000;

/// Prints the entries `filter` selects, at most `limit`, page by page.
async fn show_entries(
    store: &dyn Store,
    filter: &AccessLogFilter,
    limit: u64,
    json: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let (mut after, mut left) = (0, limit);
    while left > 0 {
        let page = store
            .access_log()
            .search(filter, after, SHOW_PAGE.min(left as i64))
            .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        left -= page.len() as u64;
        for chained in &page {
            if json {
                writeln!(out, "{}", entry_json(chained))?;
            } else {
                writeln!(out, "{}", entry_line(chained))?;
            }
        }
        if (page.len() as i64) < SHOW_PAGE {
            break;
        }
    }
    Ok(())
}

/// One entry on one line: seq, time, who, what, on whom, outcome, detail, from where.
fn entry_line(chained: &ChainedEntry) -> String {
    let entry = &chained.entry;
    let who = match &entry.operator_cf {
        Some(cf) if *cf != entry.caller_id => {
            format!("{} {} ({cf})", entry.caller_kind, entry.caller_id)
        }
        _ => format!("{} {}", entry.caller_kind, entry.caller_id),
    };
    let or_dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
    format!(
        "{}\t{}\t{who}\t{} {}\t{}\t{}\t{}\t{}",
        chained.seq,
        entry.at.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        entry.service,
        entry.operation,
        or_dash(&entry.target),
        entry.outcome,
        or_dash(&entry.detail),
        or_dash(&entry.client_address),
    )
}

/// One entry as a JSON object, every field by name.
fn entry_json(chained: &ChainedEntry) -> serde_json::Value {
    let entry = &chained.entry;
    serde_json::json!({
        "seq": chained.seq,
        "at": entry.at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "at_ms": entry.at_ms(),
        "transaction_id": entry.transaction_id,
        "caller_kind": entry.caller_kind.as_str(),
        "caller_id": entry.caller_id,
        "region": entry.region,
        "operator_cf": entry.operator_cf,
        "titolare_cf": entry.titolare_cf,
        "declared_auth": entry.declared_auth,
        "service": entry.service,
        "operation": entry.operation,
        "target": entry.target,
        "outcome": entry.outcome,
        "detail": entry.detail,
        "client_address": entry.client_address,
        "hash": hex::encode(chained.hash),
    })
}
