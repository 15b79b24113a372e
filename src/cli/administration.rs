//! `tsgate users …`, `tsgate admins …` and `tsgate admin bootstrap`: each command (but the
//! bootstrap) acts *as* a security administrator (`--as ID`, the password from
//! `TSGATE_ADMIN_PASSWORD` or asked on the terminal, never an argument), so the scoping rules of
//! [`crate::admin`] apply as they will on the web. Arguments are checked before the store is
//! opened; `--json` prints lists and records for scripts.

use std::io::{IsTerminal as _, Write as _};

use anyhow::{anyhow, bail, Context};
use chrono::SecondsFormat;
use clap::{Args, Subcommand};
use serde_json::json;

use super::{open_store, target_config, Target};
use crate::admin::administrators::{self, describe, Administrator, AdministratorForm};
use crate::admin::operator_details::DetailsForm;
use crate::admin::passwords;
use crate::admin::pincodes;
use crate::admin::totp as admin_totp;
use crate::admin::users::{self, Secrets, UserEdit, UserForm, UserView};
use crate::config::TotpMode;
use crate::domain::{AslCode, CodiceFiscale, Email, PhoneNumber, Profile, RegionCode, Sex};
use crate::identity::identify::lockout_policy;
use crate::identity::operator_login::{self, LoginError};
use crate::identity::password_policy::PasswordPolicy;
use crate::identity::second_factor::{Enrollment, SecondFactor, SecondFactorError};
use crate::pki::sealing::SealingKey;
use crate::store::{AdministratorRecord, AdministratorScope, LockoutPolicy, Store};

/// Where the acting administrator's password is read from (else it is asked on the terminal).
pub const PASSWORD_ENV: &str = "TSGATE_ADMIN_PASSWORD";
/// `users passwd` and `users pincode`: the operator's (current) password (else asked).
pub const USER_PASSWORD_ENV: &str = "TSGATE_PASSWORD";
/// `users passwd`: the new password (else asked twice).
pub const NEW_PASSWORD_ENV: &str = "TSGATE_NEW_PASSWORD";
/// `users passwd`, `users pincode`, `users totp enroll`: an enrolled operator's current TOTP
/// code (else read from standard input). Never for confirming an enrollment, whose code depends
/// on the secret shown: that one is always read from standard input.
pub const TOTP_ENV: &str = "TSGATE_TOTP";

/// The acting administrator and the gateway they administer.
#[derive(Args)]
pub struct Acting {
    /// The acting security administrator's id (password: TSGATE_ADMIN_PASSWORD, or asked).
    #[arg(long = "as", value_name = "ADMIN_ID")]
    admin: String,
    #[command(flatten)]
    target: Target,
}

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Register an operator of your ASL; prints their initial password (when generated) and
    /// the first half of their generated pincode, once. The operator reads the second half
    /// themselves (`users pincode`) after changing the password.
    Add {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        user_id: String,
        #[arg(long)]
        cf: String,
        /// The name shown (default: "given-name surname" when both are given).
        #[arg(long, default_value = "")]
        name: String,
        #[command(flatten)]
        details: Box<DetailFlags>,
        /// Profile to grant (repeatable), e.g. "Sistema TS-Invio codice OTP".
        #[arg(long)]
        profile: Vec<String>,
        /// Your ASL's code; any other is refused (default: yours).
        #[arg(long)]
        asl: Option<String>,
        /// Your ASL's region; any other is refused (default: yours).
        #[arg(long)]
        region: Option<String>,
        /// Read the password from this environment variable instead of generating one.
        #[arg(long)]
        password_env: Option<String>,
        /// Refused: an administrator no longer chooses a pincode (kept to say why).
        #[arg(long, hide = true, alias = "pincode", value_name = "VALUE")]
        pincode_env: Option<String>,
        /// Print what is added as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change an operator's codice fiscale, name or record (an empty value clears a field of
    /// the record).
    Edit {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        user_id: String,
        #[arg(long)]
        cf: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        details: Box<DetailFlags>,
    },
    /// The operators of your ASL.
    List {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        json: bool,
    },
    /// One operator of your ASL, with their profiles.
    Show {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        user_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Disable an operator: a running gateway refuses them within store.directory_refresh_ms.
    Disable {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        user_id: String,
    },
    /// Enable a disabled operator again.
    Enable {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        user_id: String,
    },
    /// Grant a profile to an operator of your ASL.
    Grant {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        user_id: String,
        #[arg(long)]
        profile: String,
    },
    /// Revoke a profile from an operator of your ASL.
    Revoke {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        user_id: String,
        #[arg(long)]
        profile: String,
    },
    /// Change your own password (an operator's): the current one from TSGATE_PASSWORD or asked,
    /// the new one from TSGATE_NEW_PASSWORD or asked twice. It must follow the [auth] rules.
    Passwd {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        user_id: String,
    },
    /// Give an operator of your ASL a new initial password (printed once); they must change it
    /// at first use.
    ResetPassword {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        user_id: String,
    },
    /// Give an operator of your ASL a new pincode: prints its first half once; the old pincode
    /// stops working and the operator reads the new second half with `users pincode`.
    ResetPincode {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        user_id: String,
    },
    /// Your own TOTP second factor (an operator's), when auth.totp is optional or required.
    #[command(subcommand)]
    Totp(TotpCommand),
    /// Forget the TOTP second factor of an operator of your ASL (a lost phone); they enroll
    /// again (at their next login when auth.totp = "required").
    ResetTotp {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        user_id: String,
    },
    /// "Stampa pincode": print the second half of your own pincode (an operator's), after your
    /// password (TSGATE_PASSWORD, or asked) and, once enrolled, your TOTP code; only once the
    /// initial password was changed.
    Pincode {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        user_id: String,
    },
    /// Put an operator who has no ASL (registered before ASL scoping) in an ASL: the central
    /// administrator only; from then on that ASL's administrator administers them.
    AssignAsl {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        user_id: String,
        #[arg(long)]
        region: String,
        #[arg(long)]
        asl: String,
    },
    /// Unlock an operator of your ASL locked by failed credentials (and forget the failures).
    Unlock {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        user_id: String,
    },
}

#[derive(Subcommand)]
pub enum TotpCommand {
    /// Enroll an authenticator app: your password from TSGATE_PASSWORD or asked; prints the
    /// secret and its otpauth:// URI once, then reads the app's current code from standard
    /// input. The second factor counts only once that code is right.
    Enroll {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        user_id: String,
    },
}

/// The operator record's fields (seed 000's profile page), each optional.
#[derive(Args)]
pub struct DetailFlags {
    /// Cognome.
    #[arg(long)]
    surname: Option<String>,
    /// Nome.
    #[arg(long)]
    given_name: Option<String>,
    /// yyyy-mm-dd; must be the one a personal CF encodes (default: the CF's).
    #[arg(long)]
    birth_date: Option<String>,
    /// M or F; must be the one a personal CF encodes (default: the CF's).
    #[arg(long)]
    sex: Option<String>,
    /// Luogo di nascita.
    #[arg(long)]
    birth_place: Option<String>,
    /// Indirizzo lavoro.
    #[arg(long)]
    work_address: Option<String>,
    /// Office phone.
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    fax: Option<String>,
    #[arg(long)]
    email: Option<String>,
}

impl DetailFlags {
    fn form(&self) -> DetailsForm<'_> {
        DetailsForm {
            surname: self.surname.as_deref(),
            given_name: self.given_name.as_deref(),
            birth_date: self.birth_date.as_deref(),
            sex: self.sex.as_deref(),
            birth_place: self.birth_place.as_deref(),
            work_address: self.work_address.as_deref(),
            phone: self.phone.as_deref(),
            fax: self.fax.as_deref(),
            email: self.email.as_deref(),
        }
    }
}

#[derive(Subcommand)]
pub enum AdminsCommand {
    /// Register a security administrator (the central administrator only): of an ASL with
    /// --region and --asl, central without them. Prints the generated password once.
    Add {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        admin_id: String,
        #[arg(long)]
        cf: String,
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        asl: Option<String>,
    },
    /// Every security administrator (the central administrator only).
    List {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        json: bool,
    },
    /// Disable a security administrator (the central administrator only).
    Disable {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        admin_id: String,
    },
    /// Enable a disabled security administrator again (the central administrator only).
    Enable {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        admin_id: String,
    },
    /// Unlock a security administrator locked by failed passwords, and forget the failures (the
    /// central administrator only).
    Unlock {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        admin_id: String,
    },
    /// Give a security administrator a new generated password, printed once; their web sessions
    /// end (the central administrator only).
    ResetPassword {
        #[command(flatten)]
        acting: Acting,
        #[arg(long)]
        admin_id: String,
    },
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create the first central security administrator, once per database; prints their
    /// password once. Refused when one was bootstrapped already.
    Bootstrap {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        admin_id: String,
        #[arg(long)]
        cf: String,
        #[arg(long, default_value = "")]
        name: String,
    },
}

pub async fn users(command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Add {
            acting,
            user_id,
            cf,
            name,
            details,
            profile,
            asl,
            region,
            password_env,
            pincode_env,
            json,
        } => {
            if pincode_env.is_some() {
                bail!(
                    "--pincode-env: an administrator no longer chooses a pincode, nor sees one \
                     whole: the gateway generates it and shows you only its first half, and the \
                     operator reads the second half with `tsgate users pincode` after their first \
                     login (seed 004 §3.2)"
                );
            }
            let new_user = UserForm {
                user_id: &user_id,
                cf: &cf,
                display_name: &name,
                profiles: &profile,
                region: region.as_deref(),
                asl: asl.as_deref(),
                details: details.form(),
            }
            .parse()
            .map_err(|e| anyhow!("--{}: {e}", e.field()))?;
            let secrets = Secrets {
                password: from_env(&password_env)?,
            };
            let key = sealing_key(&acting.target)?;
            let (store, admin) = act(&acting).await?;
            let added = users::add_user(store.as_ref(), &admin, &key, new_user, secrets).await?;
            let first_half = added.pincode_first_half.reveal();
            let mut out = std::io::stdout().lock();
            if json {
                let added = json!({
                    "user_id": added.user_id,
                    "password": added.generated_password,
                    "pincode_first_half": first_half,
                });
                writeln!(out, "{added}")?;
            } else {
                writeln!(out, "user {} added", added.user_id)?;
                if let Some(password) = &added.generated_password {
                    writeln!(out, "password={password}")?;
                }
                writeln!(out, "pincode_first_half={first_half}")?;
                writeln!(out, "{PINCODE_NOTE}")?;
            }
        }
        UsersCommand::Edit {
            acting,
            user_id,
            cf,
            name,
            details,
        } => {
            let details = details
                .form()
                .parse()
                .map_err(|e| anyhow!("--{}: {e}", e.field))?;
            if cf.is_none() && name.is_none() && details.is_empty() {
                bail!("nothing to change: give --cf, --name or a field of the record");
            }
            let edit = UserEdit {
                cf: cf.as_deref().map(|cf| parse_cf("cf", cf)).transpose()?,
                display_name: name,
                details,
            };
            let (store, admin) = act(&acting).await?;
            users::edit(store.as_ref(), &admin, &user_id, edit).await?;
            println!("user {user_id} changed");
        }
        UsersCommand::List { acting, json } => {
            let (store, admin) = act(&acting).await?;
            let listed = users::list(store.as_ref(), &admin).await?;
            if json {
                let all: Vec<_> = listed.iter().map(user_json).collect();
                println!("{}", serde_json::Value::Array(all));
            } else {
                for user in &listed {
                    println!("{}", user_line(user));
                }
            }
        }
        UsersCommand::Show {
            acting,
            user_id,
            json,
        } => {
            let (store, admin) = act(&acting).await?;
            let user = users::show(store.as_ref(), &admin, &user_id).await?;
            if json {
                println!("{}", user_json(&user));
            } else {
                print_user(&user)?;
            }
        }
        UsersCommand::Disable { acting, user_id } => {
            let (store, admin) = act(&acting).await?;
            users::set_enabled(store.as_ref(), &admin, &user_id, false).await?;
            println!(
                "user {user_id} disabled; a running gateway refuses them within \
                 store.directory_refresh_ms"
            );
        }
        UsersCommand::Enable { acting, user_id } => {
            let (store, admin) = act(&acting).await?;
            users::set_enabled(store.as_ref(), &admin, &user_id, true).await?;
            println!("user {user_id} enabled");
        }
        UsersCommand::Grant {
            acting,
            user_id,
            profile,
        } => {
            let profile = parse_profile(&profile)?;
            let (store, admin) = act(&acting).await?;
            users::grant_profile(store.as_ref(), &admin, &user_id, profile).await?;
            println!("profile \"{profile}\" granted to {user_id}");
        }
        UsersCommand::Revoke {
            acting,
            user_id,
            profile,
        } => {
            let profile = parse_profile(&profile)?;
            let (store, admin) = act(&acting).await?;
            users::revoke_profile(store.as_ref(), &admin, &user_id, profile).await?;
            println!("profile \"{profile}\" revoked from {user_id}");
        }
        UsersCommand::Passwd { target, user_id } => passwd(&target, &user_id).await?,
        UsersCommand::ResetPassword { acting, user_id } => {
            let policy = PasswordPolicy::from_config(&target_config(&acting.target)?.auth);
            let (store, admin) = act(&acting).await?;
            let password = passwords::reset(
                store.as_ref(),
                &admin,
                &policy,
                &user_id,
                chrono::Utc::now(),
            )
            .await?;
            println!("password of user {user_id} reset; they must change it at first use");
            println!("password={password}");
        }
        UsersCommand::ResetPincode { acting, user_id } => {
            let key = sealing_key(&acting.target)?;
            let (store, admin) = act(&acting).await?;
            let first_half =
                pincodes::reset(store.as_ref(), &admin, &key, &user_id, chrono::Utc::now()).await?;
            println!(
                "pincode of user {user_id} reset: the old one no longer authenticates (within \
                 store.directory_refresh_ms on a running gateway)"
            );
            println!("pincode_first_half={}", first_half.reveal());
            println!("{PINCODE_NOTE}");
        }
        UsersCommand::Pincode { target, user_id } => pincode(&target, &user_id).await?,
        UsersCommand::AssignAsl {
            acting,
            user_id,
            region,
            asl,
        } => {
            let region = RegionCode::parse(&region).map_err(|e| anyhow!("--region: {e}"))?;
            let asl = AslCode::parse(&asl).map_err(|e| anyhow!("--asl: {e}"))?;
            let (store, admin) = act(&acting).await?;
            users::assign_asl(store.as_ref(), &admin, &user_id, region, asl).await?;
            println!(
                "user {user_id} assigned to ASL {asl} of region {region}: its security \
                 administrator administers them"
            );
        }
        UsersCommand::Unlock { acting, user_id } => unlock(&acting, &user_id).await?,
        UsersCommand::Totp(TotpCommand::Enroll { target, user_id }) => {
            totp_enroll(&target, &user_id).await?
        }
        UsersCommand::ResetTotp { acting, user_id } => {
            let (store, admin) = act(&acting).await?;
            if admin_totp::reset(store.as_ref(), &admin, &user_id).await? {
                println!(
                    "TOTP of user {user_id} reset; they enroll again (tsgate users totp enroll, \
                     or at their next login when auth.totp = \"required\")"
                );
            } else {
                println!("user {user_id} had no TOTP to reset");
            }
        }
    }
    Ok(())
}

/// Printed with a first half: where the rest comes from.
const PINCODE_NOTE: &str = "(shown only now, to hand to the operator; the operator reads the \
     second half with `tsgate users pincode` once they have changed their initial password)";

/// The key that seals pincodes' second halves (`auth.secrets_key` of the target's settings).
fn sealing_key(target: &Target) -> anyhow::Result<SealingKey> {
    let config = target_config(target)?;
    Ok(SealingKey::from_setting(
        config.auth.secrets_key.as_deref(),
    )?)
}

/// `tsgate users pincode`: the operator's password, never an argument; prints the second half.
async fn pincode(target: &Target, user_id: &str) -> anyhow::Result<()> {
    if user_id.trim().is_empty() {
        bail!("--user-id: the user id must not be empty");
    }
    let config = target_config(target)?;
    let key = SealingKey::from_setting(config.auth.secrets_key.as_deref())?;
    let password = secret(USER_PASSWORD_ENV, &format!("password of user {user_id}"))?;
    let store = open_store(target).await?;
    let factor = SecondFactor::from_config(store.clone(), &config.auth)?;
    let now = chrono::Utc::now();
    let signed_in = operator_login::sign_in(
        store.as_ref(),
        &factor,
        lockout_policy(&config.auth),
        user_id,
        &password,
        || current_code(user_id),
        now,
    )
    .await?;
    let second = pincodes::second_half(
        store.as_ref(),
        &key,
        &PasswordPolicy::from_config(&config.auth),
        &signed_in,
        now,
    )
    .await?;
    println!(
        "second half of the pincode of user {user_id}: your pincode is the first half your ASL \
         gave you followed by these five digits"
    );
    println!("pincode_second_half={}", second.reveal());
    Ok(())
}

/// `tsgate users passwd`: the operator's current password and their new one, never arguments.
async fn passwd(target: &Target, user_id: &str) -> anyhow::Result<()> {
    if user_id.trim().is_empty() {
        bail!("--user-id: the user id must not be empty");
    }
    let config = target_config(target)?;
    let policy = PasswordPolicy::from_config(&config.auth);
    let old = secret(
        USER_PASSWORD_ENV,
        &format!("current password of user {user_id}"),
    )?;
    let new = match std::env::var_os(NEW_PASSWORD_ENV) {
        Some(_) => secret(NEW_PASSWORD_ENV, "")?,
        None => {
            let new = secret(NEW_PASSWORD_ENV, &format!("new password of user {user_id}"))?;
            if secret(NEW_PASSWORD_ENV, "the new password again")? != new {
                bail!("the two new passwords differ: nothing changed");
            }
            new
        }
    };
    policy
        .check(user_id, &new)
        .map_err(|e| anyhow!("{e}: nothing changed"))?;
    let store = open_store(target).await?;
    let factor = SecondFactor::from_config(store.clone(), &config.auth)?;
    let lockout = lockout_policy(&config.auth);
    let now = chrono::Utc::now();
    let signed_in = operator_login::sign_in(
        store.as_ref(),
        &factor,
        lockout,
        user_id,
        &old,
        || current_code(user_id),
        now,
    )
    .await
    .map_err(|e| match e {
        LoginError::Credentials => passwords::PasswordChangeError::Credentials.into(),
        other => anyhow::Error::from(other),
    })
    .map_err(|e| anyhow!("{e}: nothing changed"))?;
    passwords::change_own(store.as_ref(), &policy, &signed_in, &new, now)
        .await
        .map_err(|e| anyhow!("{e}: nothing changed"))?;
    println!("password of user {user_id} changed");
    if factor.must_enroll(signed_in.enrollment) {
        println!("auth.totp = \"required\": now enroll your second factor (TOTP)");
        enroll(store.as_ref(), &factor, lockout, user_id).await?;
    }
    Ok(())
}

/// `tsgate users totp enroll`: the operator signs in (password, no code yet), then enrolls.
async fn totp_enroll(target: &Target, user_id: &str) -> anyhow::Result<()> {
    if user_id.trim().is_empty() {
        bail!("--user-id: the user id must not be empty");
    }
    let config = target_config(target)?;
    if config.auth.totp == TotpMode::Off {
        bail!("TOTP is off on this gateway (auth.totp = \"off\"): nothing to enroll");
    }
    let password = secret(USER_PASSWORD_ENV, &format!("password of user {user_id}"))?;
    let store = open_store(target).await?;
    let factor = SecondFactor::from_config(store.clone(), &config.auth)?;
    let lockout = lockout_policy(&config.auth);
    let signed_in = operator_login::sign_in(
        store.as_ref(),
        &factor,
        lockout,
        user_id,
        &password,
        || current_code(user_id),
        chrono::Utc::now(),
    )
    .await?;
    if signed_in.enrollment == Enrollment::Active {
        bail!("{}", SecondFactorError::AlreadyEnrolled);
    }
    enroll(store.as_ref(), &factor, lockout, user_id).await
}

/// Shows a new secret once, then reads the code the app shows for it from standard input: the
/// enrollment counts only if it is right; a wrong one counts as a failed credential.
async fn enroll(
    store: &dyn Store,
    factor: &SecondFactor,
    lockout: LockoutPolicy,
    user_id: &str,
) -> anyhow::Result<()> {
    let shown = factor.start_enrollment(user_id, chrono::Utc::now()).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "totp-secret={}", shown.secret_base32.as_str())?;
        writeln!(out, "totp-uri={}", shown.uri.as_str())?;
        writeln!(
            out,
            "(shown only now: add it to an authenticator app, then give the code it shows)"
        )?;
        out.flush()?;
    }
    let Some(code) = read_line(&format!("current TOTP code of user {user_id}")) else {
        bail!(
            "no TOTP code given on standard input: the second factor is not enrolled (run \
             tsgate users totp enroll again for a new secret)"
        );
    };
    let now = chrono::Utc::now();
    match operator_login::confirm_enrollment(store, factor, lockout, user_id, &code, now).await {
        Ok(()) => {
            println!("TOTP of user {user_id} enrolled: codes are asked from now on");
            Ok(())
        }
        Err(LoginError::Credentials) => bail!(
            "wrong TOTP code: the second factor is not enrolled (run tsgate users totp enroll \
             again for a new secret)"
        ),
        Err(error) => Err(error.into()),
    }
}

/// An enrolled operator's current code: [`TOTP_ENV`], else a line of standard input.
fn current_code(user_id: &str) -> Option<String> {
    match std::env::var(TOTP_ENV) {
        Ok(code) => Some(code),
        Err(_) => read_line(&format!("current TOTP code of user {user_id}")),
    }
}

/// One line of standard input (after `prompt` on a terminal), without its line end. A TOTP
/// code is no lasting secret (it is refused once used), so it is read with echo.
fn read_line(prompt: &str) -> Option<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{prompt}: ");
    }
    let mut line = String::new();
    match stdin.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim().to_owned()),
    }
}

/// `tsgate users unlock`: says until when the account was locked, and after how many failures.
async fn unlock(acting: &Acting, user_id: &str) -> anyhow::Result<()> {
    let (store, admin) = act(acting).await?;
    let unlocked = users::unlock(store.as_ref(), &admin, user_id, chrono::Utc::now()).await?;
    match unlocked.was_locked_until {
        Some(until) => println!(
            "user {user_id} unlocked (it was locked until {}, after {} failed attempts)",
            until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            unlocked.failures
        ),
        None if unlocked.failures > 0 => println!(
            "user {user_id} was not locked; its {} failed attempts are forgotten",
            unlocked.failures
        ),
        None => println!("user {user_id} was not locked"),
    }
    Ok(())
}

pub async fn admins(command: AdminsCommand) -> anyhow::Result<()> {
    match command {
        AdminsCommand::Add {
            acting,
            admin_id,
            cf,
            name,
            region,
            asl,
        } => {
            let new = AdministratorForm {
                admin_id: &admin_id,
                cf: &cf,
                display_name: &name,
                region: region.as_deref(),
                asl: asl.as_deref(),
            }
            .parse()
            .map_err(|e| anyhow!("--{}: {e}", e.field()))?;
            let scope = describe(&new.scope);
            let (store, admin) = act(&acting).await?;
            let added = administrators::add(store.as_ref(), &admin, new, None).await?;
            println!("administrator {} ({scope}) added", added.admin_id);
            println!("password={}", added.password);
        }
        AdminsCommand::List { acting, json } => {
            let (store, admin) = act(&acting).await?;
            let listed = administrators::list(store.as_ref(), &admin).await?;
            if json {
                let all: Vec<_> = listed.iter().map(admin_json).collect();
                println!("{}", serde_json::Value::Array(all));
            } else {
                for record in &listed {
                    println!(
                        "{};{};{};{};{}",
                        record.admin_id,
                        record.cf,
                        record.display_name,
                        describe(&record.scope),
                        if record.enabled {
                            "enabled"
                        } else {
                            "disabled"
                        }
                    );
                }
            }
        }
        AdminsCommand::Disable { acting, admin_id } => {
            let (store, admin) = act(&acting).await?;
            administrators::set_enabled(store.as_ref(), &admin, &admin_id, false).await?;
            println!("administrator {admin_id} disabled");
        }
        AdminsCommand::Enable { acting, admin_id } => {
            let (store, admin) = act(&acting).await?;
            administrators::set_enabled(store.as_ref(), &admin, &admin_id, true).await?;
            println!("administrator {admin_id} enabled");
        }
        AdminsCommand::ResetPassword { acting, admin_id } => {
            let (store, admin) = act(&acting).await?;
            let reset = administrators::reset_password(store.as_ref(), &admin, &admin_id).await?;
            println!("password of administrator {} reset", reset.admin_id);
            println!("password={}", reset.password);
        }
        AdminsCommand::Unlock { acting, admin_id } => {
            let lockout = lockout_of(&acting.target)?;
            let (store, admin) = act(&acting).await?;
            let now = chrono::Utc::now();
            let unlocked =
                administrators::unlock(store.as_ref(), &admin, &admin_id, lockout, now).await?;
            match unlocked.was_locked_until {
                Some(until) => println!(
                    "administrator {admin_id} unlocked (it was locked until {}, after {} failed \
                     attempts)",
                    until.to_rfc3339_opts(SecondsFormat::Secs, true),
                    unlocked.failures
                ),
                None => println!(
                    "administrator {admin_id} was not locked; its {} failed attempts are forgotten",
                    unlocked.failures
                ),
            }
        }
    }
    Ok(())
}

pub async fn admin(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::Bootstrap {
            target,
            admin_id,
            cf,
            name,
        } => {
            if admin_id.trim().is_empty() {
                bail!("--admin-id: the administrator id must not be empty");
            }
            let cf = parse_cf("cf", &cf)?;
            let store = open_store(&target).await?;
            let added = administrators::bootstrap(store.as_ref(), &admin_id, cf, &name).await?;
            println!("central security administrator {} created", added.admin_id);
            println!("password={}", added.password);
            println!(
                "(shown only now; act as them with --as {} and the password in {PASSWORD_ENV} \
                 or typed when asked)",
                added.admin_id
            );
        }
    }
    Ok(())
}

/// Opens the store and authenticates the acting administrator (failures count toward their
/// lockout, under the target's `[auth]` settings).
async fn act(acting: &Acting) -> anyhow::Result<(std::sync::Arc<dyn Store>, Administrator)> {
    let password = admin_password(&acting.admin)?;
    let lockout = lockout_of(&acting.target)?;
    let store = open_store(&acting.target).await?;
    let admin = administrators::authenticate(
        store.as_ref(),
        lockout,
        &acting.admin,
        &password,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| anyhow!("--as {}: {e}", acting.admin))?;
    Ok((store, admin))
}

/// When failed credentials lock an account, in the target's settings.
fn lockout_of(target: &Target) -> anyhow::Result<crate::store::LockoutPolicy> {
    let config = target_config(target)?;
    Ok(crate::identity::identify::lockout_policy(&config.auth))
}

/// The acting administrator's password: [`PASSWORD_ENV`], or typed on the terminal without echo.
fn admin_password(admin_id: &str) -> anyhow::Result<String> {
    secret(
        PASSWORD_ENV,
        &format!("password of administrator {admin_id}"),
    )
}

/// A secret from the environment variable `env`, or typed on the terminal without echo after
/// `prompt`.
fn secret(env: &str, prompt: &str) -> anyhow::Result<String> {
    match std::env::var(env) {
        Ok(password) if password.is_empty() => bail!("{env} is set but empty"),
        Ok(password) => return Ok(password),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{env} is not valid UTF-8"),
        Err(std::env::VarError::NotPresent) => {}
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("the {prompt}: set {env}, or run on a terminal to type it");
    }
    let stty = |mode: &str| {
        std::process::Command::new("stty")
            .arg(mode)
            .status()
            .is_ok_and(|status| status.success())
    };
    if !stty("-echo") {
        bail!("cannot turn the terminal's echo off to ask for the {prompt}: set {env}");
    }
    eprint!("{prompt}: ");
    let mut line = String::new();
    let read = stdin.read_line(&mut line);
    stty("echo");
    eprintln!();
    read.context("reading the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn from_env(var: &Option<String>) -> anyhow::Result<Option<String>> {
    var.as_ref()
        .map(|v| std::env::var(v).with_context(|| format!("environment variable {v} is not set")))
        .transpose()
}

fn parse_cf(flag: &str, text: &str) -> anyhow::Result<CodiceFiscale> {
    CodiceFiscale::parse(text).map_err(|e| anyhow!("--{flag}: {e}"))
}

fn parse_profile(name: &str) -> anyhow::Result<Profile> {
    Profile::parse(name).map_err(|e| anyhow!("--profile: {e}"))
}

fn user_json(user: &UserView) -> serde_json::Value {
    let d = &user.details;
    json!({
        "user_id": user.user_id,
        "cf": user.cf.as_str(),
        "name": user.display_name,
        "region": user.region.as_ref().map(|r| r.as_str()),
        "asl": user.asl.as_ref().map(|a| a.as_str()),
        "enabled": user.enabled,
        "profiles": user.profiles.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "surname": d.surname,
        "given_name": d.given_name,
        "birth_date": d.birth_date.map(|date| date.to_string()),
        "sex": d.sex.map(Sex::as_str),
        "birth_place": d.birth_place,
        "work_address": d.work_address,
        "phone": d.phone.as_ref().map(PhoneNumber::as_str),
        "fax": d.fax.as_ref().map(PhoneNumber::as_str),
        "email": d.email.as_ref().map(Email::as_str),
        "last_access": user.last_access.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        "password_changed_at": user.password.map(|p| p.changed_at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        "password_must_change": user.password.is_some_and(|p| p.must_change),
        "totp_enrolled": user.totp == Enrollment::Active,
    })
}

/// `id;cf;name;region;asl;enabled|disabled;profile|profile`.
fn user_line(user: &UserView) -> String {
    format!(
        "{};{};{};{};{};{};{}",
        user.user_id,
        user.cf,
        user.display_name,
        user.region.as_ref().map(|r| r.as_str()).unwrap_or(""),
        user.asl.as_ref().map(|a| a.as_str()).unwrap_or(""),
        if user.enabled { "enabled" } else { "disabled" },
        user.profiles
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join("|")
    )
}

fn print_user(user: &UserView) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "user id:  {}", user.user_id)?;
    writeln!(out, "cf:       {}", user.cf)?;
    writeln!(out, "name:     {}", user.display_name)?;
    let code = |c: Option<&str>| c.unwrap_or("-").to_owned();
    writeln!(
        out,
        "region:   {}",
        code(user.region.as_ref().map(|r| r.as_str()))
    )?;
    writeln!(
        out,
        "asl:      {}",
        code(user.asl.as_ref().map(|a| a.as_str()))
    )?;
    let state = if user.enabled { "enabled" } else { "disabled" };
    writeln!(out, "state:    {state}")?;
    for profile in &user.profiles {
        writeln!(out, "profile:  {profile}")?;
    }
    let d = &user.details;
    let shown = |value: Option<String>| value.unwrap_or_else(|| "-".to_owned());
    writeln!(out, "surname:  {}", shown(d.surname.clone()))?;
    writeln!(out, "given name: {}", shown(d.given_name.clone()))?;
    writeln!(
        out,
        "birth date: {}",
        shown(d.birth_date.map(|x| x.to_string()))
    )?;
    writeln!(out, "sex:      {}", shown(d.sex.map(|x| x.to_string())))?;
    writeln!(out, "birth place: {}", shown(d.birth_place.clone()))?;
    writeln!(out, "work address: {}", shown(d.work_address.clone()))?;
    writeln!(
        out,
        "phone:    {}",
        shown(d.phone.as_ref().map(|x| x.to_string()))
    )?;
    writeln!(
        out,
        "fax:      {}",
        shown(d.fax.as_ref().map(|x| x.to_string()))
    )?;
    writeln!(
        out,
        "email:    {}",
        shown(d.email.as_ref().map(|x| x.to_string()))
    )?;
    let last = user
        .last_access
        .map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true));
    writeln!(
        out,
        "last access: {}",
        last.unwrap_or_else(|| "never".to_owned())
    )?;
    writeln!(out, "totp:     {}", user.totp.as_str())?;
    if let Some(password) = user.password {
        writeln!(
            out,
            "password changed: {}{}",
            password
                .changed_at
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            if password.must_change {
                " (initial: to be changed at first use)"
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

fn admin_json(record: &AdministratorRecord) -> serde_json::Value {
    let (region, asl) = match &record.scope {
        AdministratorScope::Central => (None, None),
        AdministratorScope::Asl { region, asl } => (Some(region.as_str()), Some(asl.as_str())),
    };
    json!({
        "admin_id": record.admin_id,
        "cf": record.cf.as_str(),
        "name": record.display_name,
        "central": region.is_none(),
        "region": region,
        "asl": asl,
        "enabled": record.enabled,
    })
}
