//! "Modifica Dati" (seed 000, Profilo Utente): an operator changes their own work contacts —
//! work address, phone, fax, e-mail — parsed by the same [`DetailsForm`] as `tsgate users edit`
//! and written by the same store call. Their personal data (CF, name, birth date and place,
//! sex) identify them and stay their security administrator's to change. Every change, or its
//! refusal, is in the access log as `user-edit` with the operator as the actor.

use std::net::IpAddr;

use crate::audit::{
    self, Actor, AdminAction, AdminActionNotRecorded, AdminOperation, AdminOutcome,
};
use crate::store::{CallerKind, Store, StoreError, UserRecord};

use super::operator_details::{DetailsForm, InvalidDetail};

/// The work contacts as typed; an empty field clears it.
#[derive(Debug, Clone, Copy)]
pub struct WorkContacts<'a> {
    pub work_address: &'a str,
    pub phone: &'a str,
    pub fax: &'a str,
    pub email: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum OwnDetailsError {
    /// A field that does not parse, named as `tsgate users edit` names it.
    #[error("--{}: {}", .0.field, .0.reason)]
    Invalid(InvalidDetail),
    /// The operator's record is gone (deleted meanwhile).
    #[error("no such user")]
    NoSuchUser,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    NotRecorded(#[from] AdminActionNotRecorded),
}

/// `user` (signed in, as `kind` says: how their session was opened) replaces their work
/// contacts with `contacts`, from `client`.
pub async fn edit_own(
    store: &dyn Store,
    user: &UserRecord,
    contacts: WorkContacts<'_>,
    kind: CallerKind,
    client: Option<IpAddr>,
) -> Result<(), OwnDetailsError> {
    let outcome = async {
        let form = DetailsForm {
            work_address: Some(contacts.work_address),
            phone: Some(contacts.phone),
            fax: Some(contacts.fax),
            email: Some(contacts.email),
            ..DetailsForm::default()
        };
        let change = form.parse().map_err(OwnDetailsError::Invalid)?;
        let details = change.apply(user.details.clone());
        if !store
            .directory()
            .edit_user(&user.user_id, &user.cf, &user.display_name, &details)
            .await?
        {
            return Err(OwnDetailsError::NoSuchUser);
        }
        Ok(())
    }
    .await;
    let record = AdminAction {
        actor: Actor::Operator {
            id: user.user_id.clone(),
            cf: user.cf.to_string(),
            kind,
        },
        operation: AdminOperation::UserEdit,
        target: Some(user.user_id.clone()),
        detail: Some("work contacts, by the operator".to_owned()),
        outcome: AdminOutcome::of(&outcome),
        client_address: client,
    };
    audit::record_admin_action(store, &record).await?;
    if outcome.is_ok() {
        tracing::info!(user_id = %user.user_id, "work contacts changed by their operator");
    }
    outcome
}
