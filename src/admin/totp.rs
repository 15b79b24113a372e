//! An operator's TOTP second factor, as their ASL's security administrator sees it: a lost
//! phone is reset (`tsgate users reset-totp`), scoped and audited like a password reset; the
//! operator then enrolls again (at their next login when `auth.totp = "required"`).

use crate::store::Store;

use super::administrators::{error_of, Administrator};
use super::report::Action;
use super::users::{end_web_sessions, operator_of, report, UserError};

/// `actor` forgets the TOTP secret of an operator of their ASL; `true` if they had one
/// (enrolled or still pending). In force at once on every gateway (read on each call); their
/// web sessions end.
pub async fn reset(
    store: &dyn Store,
    actor: &Administrator,
    user_id: &str,
) -> Result<bool, UserError> {
    let outcome = async {
        operator_of(store, actor, user_id).await?;
        let had = store.totp().reset(user_id).await?;
        end_web_sessions(store, user_id).await?;
        Ok(had)
    }
    .await;
    let detail = match &outcome {
        Ok(false) => Some("no TOTP enrolled"),
        _ => None,
    };
    report(
        store,
        actor,
        Action::ResetTotp,
        user_id,
        detail,
        error_of(&outcome),
    )
    .await?;
    outcome
}
